package org

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
)

// Composer builds an outbox message of a kind ("invitation") in a language
// for a recipient. It is injected so this package holds the rules, not the
// mail templates.
type Composer func(kind, lang, to string, data map[string]string) (mail.Message, error)

// Config configures the organization service.
type Config struct {
	// BaseURL is the public URL of the portal, for links in e-mails.
	BaseURL       string
	InvitationTTL time.Duration
	Compose       Composer
}

// Service implements the organization use cases.
type Service struct {
	store Store
	clock clock.Clock
	cfg   Config
}

// NewService returns an organization service.
func NewService(s Store, c clock.Clock, cfg Config) *Service {
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = DefaultInvitationTTL
	}
	return &Service{store: s, clock: c, cfg: cfg}
}

func checkNotes(notes string) (string, error) {
	notes = strings.TrimSpace(notes)
	if utf8.RuneCountInString(notes) > MaxNotesLength || !utf8.ValidString(notes) {
		return "", errs.InvalidField("notes", "err.org.notes_too_long", MaxNotesLength)
	}
	return notes, nil
}

// Create makes an organization whose Owner is the actor, with its root
// folder (ORG-1).
func (s *Service) Create(ctx context.Context, actor audit.Actor, name, notes string) (Org, error) {
	if actor.Kind != audit.KindUser {
		return Org{}, errs.E(errs.Forbidden, "err.org.create_person_only")
	}
	name, err := account.CheckName("name", name)
	if err != nil {
		return Org{}, err
	}
	if notes, err = checkNotes(notes); err != nil {
		return Org{}, err
	}
	now := s.clock.Now()
	o := Org{ID: account.NewID("org_"), Name: name, Notes: notes, Status: Active, CreatedAt: now}
	root := Folder{ID: account.NewID("fld_"), OrgID: o.ID, Name: RootFolderName, CreatedAt: now}
	o.RootFolderID = root.ID
	err = s.store.Write(ctx, func(tx Tx) error {
		// The root folder is named in the language its creator is using
		// (else their preference).
		creator, err := tx.UserByID(ctx, actor.ID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		root.Name = RootFolderNameIn(actor.LangOr(creator.Lang))
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		if err := tx.CreateFolder(ctx, root); err != nil {
			return err
		}
		if err := tx.AddMember(ctx, Membership{OrgID: o.ID, UserID: actor.ID, Role: access.Owner, CreatedAt: now}); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: o.ID, At: now, Actor: actor, Action: audit.OrgCreate,
			TargetType: "org", TargetID: o.ID, Details: map[string]any{"name": name}})
	})
	return o, err
}

// Mine lists the active organizations the user belongs to, with their role.
func (s *Service) Mine(ctx context.Context, userID string, p Page) ([]Mine, string, error) {
	var out []Mine
	var next string
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, next, err = tx.MyOrgs(ctx, userID, p.Normalize(100, 500))
		return err
	})
	return out, next, err
}

func errNoOrg(id string) error {
	return errs.NotFoundf("err.org.not_found", id)
}

// enter returns the organization and the actor's membership, or not found if
// the actor is not a member or the organization is archived (ORG-4, ORG-5,
// ACC-2): nothing tells a stranger that it exists.
func enter(ctx context.Context, tx Tx, actor audit.Actor, orgID string) (Org, Membership, error) {
	if actor.Kind != audit.KindUser {
		return Org{}, Membership{}, errNoOrg(orgID)
	}
	m, err := tx.Membership(ctx, orgID, actor.ID)
	if errs.Is(err, errs.NotFound) {
		return Org{}, Membership{}, errNoOrg(orgID)
	}
	if err != nil {
		return Org{}, Membership{}, err
	}
	o, err := tx.Org(ctx, orgID)
	if err != nil {
		return Org{}, Membership{}, err
	}
	if o.Status != Active {
		return Org{}, Membership{}, errNoOrg(orgID)
	}
	if o.RequireMFA {
		on, err := tx.UserMFAEnabled(ctx, actor.ID)
		if err != nil {
			return Org{}, Membership{}, err
		}
		if !on {
			return Org{}, Membership{}, ErrMFARequired(o)
		}
	}
	if !m.Role.SeesAllFolders() {
		if m.Folders, err = tx.Grants(ctx, orgID, actor.ID); err != nil {
			return Org{}, Membership{}, err
		}
	}
	return o, m, nil
}

// Enter returns the organization and the actor's membership, read fresh from
// the store on every call so that a role change or removal applies to the
// very next request (USR-2).
func (s *Service) Enter(ctx context.Context, actor audit.Actor, orgID string) (Org, Membership, error) {
	var o Org
	var m Membership
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		o, m, err = enter(ctx, tx, actor, orgID)
		return err
	})
	return o, m, err
}

// Patch is a partial update of an organization; nil fields are unchanged.
type Patch struct {
	Name       *string
	Notes      *string
	RequireMFA *bool
}

// Update renames the organization, edits its notes (Owner or Admin, ORG-2)
// or sets "require MFA" (Owner, ID-5).
func (s *Service) Update(ctx context.Context, actor audit.Actor, orgID string, p Patch) (Org, error) {
	var o Org
	err := s.store.Write(ctx, func(tx Tx) error {
		var m Membership
		var err error
		o, m, err = enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(m.Role, access.EditOrg); err != nil {
			return err
		}
		changes := map[string]any{}
		if p.Name != nil {
			name, err := account.CheckName("name", *p.Name)
			if err != nil {
				return err
			}
			if name != o.Name {
				changes["name"] = map[string]string{"from": o.Name, "to": name}
				o.Name = name
			}
		}
		if p.Notes != nil {
			notes, err := checkNotes(*p.Notes)
			if err != nil {
				return err
			}
			if notes != o.Notes {
				changes["notes"] = true
				o.Notes = notes
			}
		}
		if p.RequireMFA != nil {
			if err := access.Check(m.Role, access.OwnerOnly); err != nil {
				return err
			}
		}
		if p.RequireMFA != nil && *p.RequireMFA != o.RequireMFA {
			if *p.RequireMFA {
				// The owner would lock themselves out otherwise.
				on, err := tx.UserMFAEnabled(ctx, actor.ID)
				if err != nil {
					return err
				}
				if !on {
					return errs.InvalidField("require_mfa", "err.org.mfa_self_first")
				}
			}
			changes["require_mfa"] = *p.RequireMFA
			o.RequireMFA = *p.RequireMFA
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: o.ID, At: s.clock.Now(), Actor: actor, Action: audit.OrgUpdate,
			TargetType: "org", TargetID: o.ID, Details: changes})
	})
	return o, err
}

// Archive archives the organization (ORG-4): Owner only, with the typed id
// and the acknowledgement. Afterwards it is hidden from its members and read
// only; only a vendor operator can restore it.
func (s *Service) Archive(ctx context.Context, actor audit.Actor, orgID, confirmID string, acknowledge bool) error {
	return s.store.Write(ctx, func(tx Tx) error {
		o, m, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(m.Role, access.OwnerOnly); err != nil {
			return err
		}
		if err := CheckArchive(o, confirmID, acknowledge); err != nil {
			return err
		}
		now := s.clock.Now()
		o.Status = Archived
		o.ArchivedAt = &now
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: o.ID, At: now, Actor: actor, Action: audit.OrgArchive,
			TargetType: "org", TargetID: o.ID})
	})
}

// Restore brings an archived organization back (vendor operators only, the
// manual's "contact support").
func (s *Service) Restore(ctx context.Context, actor audit.Actor, orgID string) (Org, error) {
	if actor.Kind != audit.KindVendor {
		return Org{}, errs.E(errs.Forbidden, "err.org.restore_vendor_only")
	}
	var o Org
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		o, err = tx.Org(ctx, orgID)
		if errs.Is(err, errs.NotFound) {
			return errNoOrg(orgID)
		}
		if err != nil {
			return err
		}
		if o.Status != Archived {
			return errs.E(errs.Conflict, "err.org.not_archived", orgID)
		}
		o.Status = Active
		o.ArchivedAt = nil
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: o.ID, At: s.clock.Now(), Actor: actor, Action: audit.OrgRestore,
			TargetType: "org", TargetID: o.ID})
	})
	return o, err
}

// OrgAsVendor returns any organization, whatever its status (vendor use).
func (s *Service) OrgAsVendor(ctx context.Context, actor audit.Actor, orgID string) (Org, error) {
	if actor.Kind != audit.KindVendor {
		return Org{}, errNoOrg(orgID)
	}
	var o Org
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		o, err = tx.Org(ctx, orgID)
		return err
	})
	return o, err
}

// EnterTx is Enter inside a caller's transaction, for other domains (fleet)
// whose use cases start by entering an organization.
func EnterTx(ctx context.Context, tx Tx, actor audit.Actor, orgID string) (Org, Membership, error) {
	return enter(ctx, tx, actor, orgID)
}
