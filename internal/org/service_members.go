package org

import (
	"context"
	"sort"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

func errNoMember(id string) error { return errs.NotFoundf("err.member.not_found", id) }

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
			return nil, errs.InvalidField("folders", "err.folder.not_in_org", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}

// manageMembersTx locks the organization's members (so that two changes at
// once cannot leave it without an owner) and enters it as a member allowed
// to manage them (USR-2, USR-3).
func manageMembersTx(ctx context.Context, tx Tx, actor audit.Actor, orgID string) (Membership, error) {
	if err := tx.LockOrg(ctx, orgID); err != nil && !errs.Is(err, errs.NotFound) {
		return Membership{}, err
	}
	_, me, err := enter(ctx, tx, actor, orgID)
	if err != nil {
		return me, err
	}
	return me, access.Check(me.Role, access.ManageMembers)
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
		me, err := manageMembersTx(ctx, tx, actor, orgID)
		if err != nil {
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
				return errs.E(errs.Forbidden, "err.member.admin_change_owner")
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
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.MemberUpdate,
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
	// Err is the refusal as an error, for its message in the reader's
	// language (Reason is its English text).
	Err *errs.Error `json:"-"`
}

func refusal(userID string, err *errs.Error) Refusal {
	return Refusal{UserID: userID, Reason: err.Message, Err: err}
}

// In returns the reason in lang.
func (r Refusal) In(lang string) string {
	if r.Err == nil {
		return r.Reason
	}
	return r.Err.In(lang)
}

// refusalList lists the refusals of a batch, in the reader's language.
type refusalList []Refusal

func (l refusalList) In(lang string) string {
	parts := make([]string, len(l))
	for i, r := range l {
		parts[i] = i18n.T(lang, "err.member.refusal", r.UserID, r.In(lang))
	}
	return strings.Join(parts, i18n.T(lang, "err.list.separator"))
}

// Refusals is the detail of a refused bulk removal; in JSON
// {"refused": [{"user_id", "reason"}]}.
type Refusals struct {
	Refused []Refusal `json:"refused"`
}

// DetailsIn returns the refusals with each reason in lang (for the API's
// answer in the request's language).
func (r Refusals) DetailsIn(lang string) any {
	out := make([]Refusal, len(r.Refused))
	for i, f := range r.Refused {
		f.Reason = f.In(lang)
		out[i] = f
	}
	return Refusals{Refused: out}
}

// MaxBatch bounds bulk member operations.
const MaxBatch = 500

// CheckRemovalCount checks the size of a removal of members (USR-3): at least
// one, at most MaxBatch.
func CheckRemovalCount(userIDs []string) error {
	if len(userIDs) == 0 {
		return errs.InvalidField("user_ids", "err.member.remove_none")
	}
	if len(userIDs) > MaxBatch {
		return errs.InvalidField("user_ids", "err.member.remove_too_many", MaxBatch)
	}
	return nil
}

// RemoveMembers removes members, all or nothing (USR-3): if any cannot be
// removed none is, and the error lists each refusal. Removed members lose
// access at once, sessions and tokens included, since every request checks
// membership afresh.
func (s *Service) RemoveMembers(ctx context.Context, actor audit.Actor, orgID string, userIDs []string) error {
	if err := CheckRemovalCount(userIDs); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		me, err := manageMembersTx(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		owners, err := tx.CountOwners(ctx, orgID)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		var targets []Membership
		var refused refusalList
		for _, id := range userIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			m, err := tx.Membership(ctx, orgID, id)
			if errs.Is(err, errs.NotFound) {
				refused = append(refused, refusal(id, errs.E(errs.NotFound, "err.member.not_member")))
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
				refused = append(refused, refusal(m.UserID, e))
			}
		}
		if len(refused) > 0 {
			code := errs.Conflict
			if len(userIDs) == 1 && refused[0].Err != nil && refused[0].Err.Code == errs.NotFound {
				return errNoMember(userIDs[0])
			}
			e := errs.E(code, "err.member.remove_refused", refused)
			e.Details = Refusals{Refused: []Refusal(refused)}
			return e
		}
		now := s.clock.Now()
		for _, m := range targets {
			if err := tx.RemoveMembership(ctx, orgID, m.UserID); err != nil {
				return err
			}
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.MemberRemove,
				TargetType: "user", TargetID: m.UserID, Details: map[string]any{"role": string(m.Role)}}); err != nil {
				return err
			}
		}
		return nil
	})
}
