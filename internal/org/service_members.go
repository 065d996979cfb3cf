package org

import (
	"context"
	"sort"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
)

func errNoMember(id string) error { return errs.NotFoundf("member %s not found", id) }

// Members lists the organization's members with role and grants; every
// member may see it (SPEC §3).
func (s *Service) Members(ctx context.Context, actor audit.Actor, orgID string, p Page) ([]Member, string, error) {
	var out []Member
	var next string
	err := s.store.Read(ctx, func(tx Tx) error {
		_, m, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(m.Role, access.ViewMembers); err != nil {
			return err
		}
		out, next, err = tx.Members(ctx, orgID, p.Normalize(100, 500))
		return err
	})
	return out, next, err
}

// checkFolders verifies that every id is a folder of the tree, and returns
// them sorted and deduplicated.
func checkFolders(t Tree, ids []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, id := range ids {
		if _, ok := t.ByID[id]; !ok {
			return nil, errs.InvalidField("folders", "folder %s not found in this organization", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

// MemberPatch changes a member's role and/or folder grants; nil is unchanged.
type MemberPatch struct {
	Role    *access.Role
	Folders *[]string
}

// UpdateMember changes a member's role or grants (USR-2, ACC-3). It takes
// effect on the member's very next request: nothing is cached.
func (s *Service) UpdateMember(ctx context.Context, actor audit.Actor, orgID, userID string, p MemberPatch) (Member, error) {
	var out Member
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.LockOrg(ctx, orgID); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		_, me, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(me.Role, access.ManageMembers); err != nil {
			return err
		}
		target, err := tx.Membership(ctx, orgID, userID)
		if errs.Is(err, errs.NotFound) {
			return errNoMember(userID)
		}
		if err != nil {
			return err
		}
		details := map[string]any{}
		if p.Role != nil && *p.Role != target.Role {
			owners, err := tx.CountOwners(ctx, orgID)
			if err != nil {
				return err
			}
			if err := CheckRoleChange(me.Role, target.Role, *p.Role, owners); err != nil {
				return err
			}
			details["role"] = map[string]string{"from": string(target.Role), "to": string(*p.Role)}
			target.Role = *p.Role
			if err := tx.UpdateMembership(ctx, target); err != nil {
				return err
			}
		}
		if p.Folders != nil {
			if target.Role == access.Owner && me.Role != access.Owner {
				return errs.E(errs.Forbidden, "an admin cannot change an owner's access")
			}
			all, err := tx.Folders(ctx, orgID)
			if err != nil {
				return err
			}
			ids, err := checkFolders(NewTree(all), *p.Folders)
			if err != nil {
				return err
			}
			if err := tx.SetGrants(ctx, orgID, userID, ids); err != nil {
				return err
			}
			details["folders"] = ids
		}
		if len(details) > 0 {
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: "member.update",
				TargetType: "user", TargetID: userID, Details: details}); err != nil {
				return err
			}
		}
		out, err = memberOf(ctx, tx, orgID, userID)
		return err
	})
	return out, err
}

func memberOf(ctx context.Context, tx Tx, orgID, userID string) (Member, error) {
	m, err := tx.Membership(ctx, orgID, userID)
	if err != nil {
		return Member{}, err
	}
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return Member{}, err
	}
	g, err := tx.Grants(ctx, orgID, userID)
	if err != nil {
		return Member{}, err
	}
	return Member{UserID: userID, Email: u.Email, Name: u.Name, Role: m.Role, Folders: g, JoinedAt: m.CreatedAt}, nil
}

// Refusal says why one member of a batch could not be removed.
type Refusal struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
}

// Refusals is the detail of a refused bulk removal; in JSON
// {"refused": [{"user_id", "reason"}]}.
type Refusals struct {
	Refused []Refusal `json:"refused"`
}

// MaxBatch bounds bulk member operations.
const MaxBatch = 500

// RemoveMembers removes members, all or nothing (USR-3): if any cannot be
// removed none is, and the error lists each refusal. Removed members lose
// access at once, sessions and tokens included, since every request checks
// membership afresh.
func (s *Service) RemoveMembers(ctx context.Context, actor audit.Actor, orgID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return errs.InvalidField("user_ids", "name at least one member to remove")
	}
	if len(userIDs) > MaxBatch {
		return errs.InvalidField("user_ids", "remove at most %d members at once", MaxBatch)
	}
	return s.store.Write(ctx, func(tx Tx) error {
		if err := tx.LockOrg(ctx, orgID); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		_, me, err := enter(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if err := access.Check(me.Role, access.ManageMembers); err != nil {
			return err
		}
		owners, err := tx.CountOwners(ctx, orgID)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		var targets []Membership
		var refusals []Refusal
		for _, id := range userIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			m, err := tx.Membership(ctx, orgID, id)
			if errs.Is(err, errs.NotFound) {
				refusals = append(refusals, Refusal{id, "not a member of this organization"})
				continue
			}
			if err != nil {
				return err
			}
			if m.Role == access.Owner {
				owners--
			}
			targets = append(targets, m)
		}
		for _, m := range targets {
			if err := CheckRemoval(me.Role, m.Role, owners); err != nil {
				e, _ := errs.As(err)
				refusals = append(refusals, Refusal{m.UserID, e.Message})
			}
		}
		if len(refusals) > 0 {
			var parts []string
			for _, r := range refusals {
				parts = append(parts, r.UserID+": "+r.Reason)
			}
			code := errs.Conflict
			if len(userIDs) == 1 && strings.HasPrefix(refusals[0].Reason, "not a member") {
				return errNoMember(userIDs[0])
			}
			return &errs.Error{Code: code, Message: "no member was removed: " + strings.Join(parts, "; "),
				Details: Refusals{Refused: refusals}}
		}
		now := s.clock.Now()
		for _, m := range targets {
			if err := tx.RemoveMembership(ctx, orgID, m.UserID); err != nil {
				return err
			}
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: "member.remove",
				TargetType: "user", TargetID: m.UserID, Details: map[string]any{"role": string(m.Role)}}); err != nil {
				return err
			}
		}
		return nil
	})
}
