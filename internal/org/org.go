// Package org holds organizations (ORG-1..5): creation with a root folder,
// membership with roles, renaming, archiving and restoring, and the rule that
// an organization always keeps an Owner.
package org

import (
	"context"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
)

// Status of an organization.
const (
	Active   = "active"
	Archived = "archived"
)

// MaxNotesLength bounds an organization's notes.
const MaxNotesLength = 4000

// Org is an organization: a tenant.
type Org struct {
	ID           string
	Name         string
	Notes        string
	RequireMFA   bool
	Status       string
	RootFolderID string
	CreatedAt    time.Time
	ArchivedAt   *time.Time
}

// Folder is a node of an organization's folder tree. The root folder has
// no parent.
type Folder struct {
	ID        string
	OrgID     string
	ParentID  string
	Name      string
	CreatedAt time.Time
}

// RootFolderName is the name given to a new organization's root folder.
const RootFolderName = "Default"

// Membership is a person's role in an organization.
type Membership struct {
	OrgID     string
	UserID    string
	Role      access.Role
	CreatedAt time.Time
}

// Mine is an organization as seen in its member's list.
type Mine struct {
	Org  Org
	Role access.Role
}

// Page asks for one page of a list.
type Page = audit.Page

// Tx is what the org service needs of a store transaction.
type Tx interface {
	CreateOrg(ctx context.Context, o Org) error
	UpdateOrg(ctx context.Context, o Org) error
	Org(ctx context.Context, id string) (Org, error)
	CreateFolder(ctx context.Context, f Folder) error
	AddMember(ctx context.Context, m Membership) error
	Membership(ctx context.Context, orgID, userID string) (Membership, error)
	MyOrgs(ctx context.Context, userID string, p Page) ([]Mine, string, error)
	RecordAudit(ctx context.Context, e audit.Entry) error
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// CanLeaveOwnership applies ORG-3: an organization must keep at least one
// Owner, so the last Owner can neither be demoted nor removed.
func CanLeaveOwnership(owners int) error {
	if owners <= 1 {
		return errs.E(errs.Conflict, "an organization must keep at least one owner: make another member owner first")
	}
	return nil
}

// CheckArchive applies the confirmation of ORG-4: the exact organization id
// typed, and the risk acknowledged.
func CheckArchive(o Org, confirmID string, acknowledge bool) error {
	if confirmID != o.ID {
		return errs.InvalidField("confirm_id", "type the organization id %s exactly to confirm", o.ID)
	}
	if !acknowledge {
		return errs.InvalidField("acknowledge", "acknowledge that archiving cannot be undone by members")
	}
	return nil
}
