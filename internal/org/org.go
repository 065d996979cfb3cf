// Package org holds organizations (ORG-1..5): creation with a root folder,
// membership with roles, renaming, archiving and restoring, and the rule that
// an organization always keeps an Owner.
package org

import (
	"context"
	"errors"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
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
	// Folders are the granted folder ids (ACC-1); loaded by Enter.
	Folders []string
}

// Granted returns the grants as a set.
func (m Membership) Granted() map[string]bool {
	g := make(map[string]bool, len(m.Folders))
	for _, f := range m.Folders {
		g[f] = true
	}
	return g
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

	Folders(ctx context.Context, orgID string) ([]Folder, error)
	UpdateFolder(ctx context.Context, f Folder) error
	DeleteFolder(ctx context.Context, orgID, id string) error
	CountFolderDevices(ctx context.Context, orgID, folderID string) (int, error)

	// LockOrg serializes changes to an organization's members (so two owners
	// demoting each other at once cannot leave none).
	LockOrg(ctx context.Context, orgID string) error
	Members(ctx context.Context, orgID string, p Page) ([]Member, string, error)
	Grants(ctx context.Context, orgID, userID string) ([]string, error)
	SetGrants(ctx context.Context, orgID, userID string, folderIDs []string) error
	UpdateMembership(ctx context.Context, m Membership) error
	RemoveMembership(ctx context.Context, orgID, userID string) error
	CountOwners(ctx context.Context, orgID string) (int, error)
	UserByEmail(ctx context.Context, emailNorm string) (account.User, string, error)
	UserByID(ctx context.Context, id string) (account.User, error)
	UserMFAEnabled(ctx context.Context, userID string) (bool, error)

	CreateInvitation(ctx context.Context, inv Invitation, secretHash string) error
	InvitationByHash(ctx context.Context, secretHash string) (Invitation, error)
	Invitation(ctx context.Context, orgID, id string) (Invitation, error)
	Invitations(ctx context.Context, orgID string, pendingAt time.Time, p Page) ([]Invitation, string, error)
	UpdateInvitation(ctx context.Context, inv Invitation) error
	ExpireInvitations(ctx context.Context, now time.Time) (int, error)

	EnqueueMail(ctx context.Context, m mail.Message) error
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

// ErrMFAEnrolment is the cause of every ErrMFARequired answer: callers test
// for it with errors.Is to send the person to enrolment.
var ErrMFAEnrolment = errors.New("two-factor enrolment required")

// MFAEnrolment is the detail of an ErrMFARequired answer; in JSON
// {"mfa_enrolment_required": true}.
type MFAEnrolment struct {
	Required bool `json:"mfa_enrolment_required"`
}

// ErrMFARequired is the answer to a member without MFA in an organization
// that requires it (ID-5). Its Details let clients send the person to
// enrolment.
func ErrMFARequired(o Org) error {
	return &errs.Error{Code: errs.Forbidden, Details: MFAEnrolment{Required: true}, Err: ErrMFAEnrolment,
		Message: o.Name + " requires two-factor authentication: turn it on in your account's security settings to continue"}
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
