package org

import (
	"context"
	"net/url"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

func errNoInvitation(id string) error { return errs.NotFoundf("err.invitation.not_found", id) }

// errBadLink is the answer for a token that matches no invitation.
var errBadLink = errs.NotFoundf("err.invitation.bad_link")

// InviteInput is an invitation request. Whatever role a client asks for,
// an invitation grants Viewer (USR-1).
type InviteInput struct {
	Email   string
	Folders []string
	// Role may be empty; anything but Viewer is refused.
	Role access.Role
}

// Invite invites a person by e-mail as a Viewer of the chosen folders
// (USR-1). The e-mail, with its single-use link, is queued in the same
// transaction. A new invitation to the same address replaces a pending one.
func (s *Service) Invite(ctx context.Context, actor audit.Actor, orgID string, in InviteInput) (Invitation, error) {
	if in.Role != "" && in.Role != access.Viewer {
		return Invitation{}, errs.InvalidField("role", "err.invitation.viewer_only")
	}
	norm, err := account.NormalizeEmail(in.Email)
	if err != nil {
		return Invitation{}, err
	}
	if len(in.Folders) == 0 {
		return Invitation{}, errs.InvalidField("folders", "err.invitation.no_folder")
	}
	if s.cfg.Compose == nil {
		return Invitation{}, errs.E(errs.Internal, "no mail composer configured")
	}
	var inv Invitation
	err = s.store.Write(ctx, func(tx Tx) error {
		o, me, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(me.Role, access.ManageMembers); err != nil {
			return err
		}
		all, err := tx.Folders(ctx, orgID)
		if err != nil {
			return err
		}
		folders, err := checkFolders(NewTree(all), in.Folders)
		if err != nil {
			return err
		}
		// The recipient's language when they have an account, else the one
		// the inviter is using (else the inviter's preference); the
		// invitation remembers it.
		lang, inviterName := actor.LangOr(i18n.Default), actor.Email
		if inviter, err := tx.UserByID(ctx, actor.ID); err == nil {
			lang, inviterName = actor.LangOr(inviter.Lang), inviter.Name
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		if u, _, err := tx.UserByEmail(ctx, norm); err == nil {
			lang = u.Lang
			if _, err := tx.Membership(ctx, orgID, u.ID); err == nil {
				return errs.E(errs.Conflict, "err.invitation.already_member", in.Email)
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		now := s.clock.Now()
		// Replace pending invitations to the same address.
		pending, _, err := tx.Invitations(ctx, orgID, now, Page{Limit: MaxBatch})
		if err != nil {
			return err
		}
		for _, p := range pending {
			if strings.EqualFold(p.Email, strings.TrimSpace(in.Email)) {
				p.Status, p.ClosedAt = InviteRevoked, &now
				if err := tx.UpdateInvitation(ctx, p); err != nil {
					return err
				}
			}
		}
		secret := account.NewSecret("msi_")
		inv = Invitation{ID: account.NewID("inv_"), OrgID: orgID, Email: strings.TrimSpace(in.Email), Role: access.Viewer,
			Folders: folders, InvitedBy: actor.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.InvitationTTL), Status: InvitePending,
			Lang: lang}
		if err := tx.CreateInvitation(ctx, inv, account.HashSecret(secret)); err != nil {
			return err
		}
		link := strings.TrimRight(s.cfg.BaseURL, "/") + "/invitations/accept?token=" + url.QueryEscape(secret)
		msg, err := s.cfg.Compose("invitation", lang, inv.Email, map[string]string{
			"org": o.Name, "inviter": inviterName, "link": link, "expires": inv.ExpiresAt.Format("2006-01-02"),
		})
		if err != nil {
			return err
		}
		msg.OrgID = orgID
		if err := tx.EnqueueMail(ctx, msg); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.InvitationCreate,
			TargetType: "invitation", TargetID: inv.ID, Details: map[string]any{"email": inv.Email, "role": "viewer", "folders": folders}})
	})
	return inv, err
}

// Invitations lists the pending invitations (Admins and Owners).
func (s *Service) Invitations(ctx context.Context, actor audit.Actor, orgID string, p Page) ([]Invitation, string, error) {
	var out []Invitation
	var next string
	err := s.store.Read(ctx, func(tx Tx) error {
		_, me, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(me.Role, access.ManageMembers); err != nil {
			return err
		}
		out, next, err = tx.Invitations(ctx, orgID, s.clock.Now(), p.Normalize(100, 500))
		return err
	})
	return out, next, err
}

// RevokeInvitation revokes a pending invitation; its link then fails with a
// clear message.
func (s *Service) RevokeInvitation(ctx context.Context, actor audit.Actor, orgID, id string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		_, me, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(me.Role, access.ManageMembers); err != nil {
			return err
		}
		inv, err := tx.Invitation(ctx, orgID, id)
		if errs.Is(err, errs.NotFound) {
			return errNoInvitation(id)
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if st := inv.StatusAt(now); st != InvitePending {
			return errs.E(errs.Conflict, "err.invitation.already", i18n.Key("err.invitation.status."+st))
		}
		inv.Status, inv.ClosedAt = InviteRevoked, &now
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.InvitationRevoke,
			TargetType: "invitation", TargetID: id, Details: map[string]any{"email": inv.Email}})
	})
}

// InvitationPreview is what an invitation link shows before it is accepted.
type InvitationPreview struct {
	Invitation Invitation
	OrgName    string
	Status     string
	// Email is the invited address masked, the only form a link shows.
	Email string
}

// PreviewInvitation resolves a link's token without accepting it (for the
// accept page: the organization's name, the invited address, its state).
func (s *Service) PreviewInvitation(ctx context.Context, token string) (InvitationPreview, error) {
	var out InvitationPreview
	err := s.store.Read(ctx, func(tx Tx) error {
		inv, err := tx.InvitationByHash(ctx, account.HashSecret(token))
		if errs.Is(err, errs.NotFound) {
			return errBadLink
		}
		if err != nil {
			return err
		}
		o, err := tx.Org(ctx, inv.OrgID)
		if err != nil {
			return err
		}
		if o.Status != Active {
			return errBadLink
		}
		out = InvitationPreview{Invitation: inv, OrgName: o.Name, Status: inv.StatusAt(s.clock.Now()), Email: MaskEmail(inv.Email)}
		return nil
	})
	return out, err
}

// AcceptInvitation makes the signed-in actor a Viewer of the invited folders
// (USR-1). The link is single use and only for the address it was sent to.
func (s *Service) AcceptInvitation(ctx context.Context, actor audit.Actor, token string) (Org, error) {
	if actor.Kind != audit.KindUser {
		return Org{}, errs.E(errs.Unauthenticated, "err.invitation.sign_in")
	}
	if token == "" {
		return Org{}, errs.InvalidField("token", "err.invitation.token_missing")
	}
	var o Org
	err := s.store.Write(ctx, func(tx Tx) error {
		inv, err := tx.InvitationByHash(ctx, account.HashSecret(token))
		if errs.Is(err, errs.NotFound) {
			return errBadLink
		}
		if err != nil {
			return err
		}
		if o, err = tx.Org(ctx, inv.OrgID); err != nil {
			return err
		}
		if o.Status != Active {
			return errBadLink
		}
		u, err := tx.UserByID(ctx, actor.ID)
		if err != nil {
			return err
		}
		me, _ := account.NormalizeEmail(u.Email)
		invited, _ := account.NormalizeEmail(inv.Email)
		now := s.clock.Now()
		if err := CheckAcceptable(inv, now, me, invited); err != nil {
			return err
		}
		if _, err := tx.Membership(ctx, inv.OrgID, u.ID); err == nil {
			return errs.E(errs.Conflict, "err.invitation.already_member_you", o.Name)
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		// Always Viewer, whatever was stored or asked (USR-1).
		if err := tx.AddMember(ctx, Membership{OrgID: inv.OrgID, UserID: u.ID, Role: access.Viewer, CreatedAt: now}); err != nil {
			return err
		}
		all, err := tx.Folders(ctx, inv.OrgID)
		if err != nil {
			return err
		}
		t := NewTree(all)
		var folders []string
		for _, f := range inv.Folders {
			if _, ok := t.ByID[f]; ok { // a folder deleted since is skipped
				folders = append(folders, f)
			}
		}
		if err := tx.SetGrants(ctx, inv.OrgID, u.ID, folders); err != nil {
			return err
		}
		inv.Status, inv.AcceptedBy, inv.ClosedAt = InviteAccepted, u.ID, &now
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: inv.OrgID, At: now, Actor: actor, Action: audit.InvitationAccept,
			TargetType: "invitation", TargetID: inv.ID, Details: map[string]any{"role": "viewer", "folders": folders}})
	})
	return o, err
}

// ExpireInvitations records pending invitations past their expiry as
// expired (a periodic job). Links already fail by time; this keeps the
// pending list and the audit trail exact.
func (s *Service) ExpireInvitations(ctx context.Context) (int, error) {
	var n int
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		n, err = tx.ExpireInvitations(ctx, s.clock.Now())
		return err
	})
	return n, err
}
