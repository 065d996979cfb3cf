package account

import (
	"context"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
)

// Changes to how a person signs in: personal API tokens and the second
// factor (ID-2, ID-3).
//
// They take a session from a sign-in (password, then the second factor when
// it is on), never a personal API token: a leaked token must not outlive its
// own revocation or expiry by minting others, nor weaken the account by
// turning its second factor off or taking over its recovery codes.
//
// Each change is written to the audit log of every active organization the
// person belongs to (AUD-1): a token acts there with the person's rights,
// and an organization may require the second factor (ID-5), so its Owners
// and Admins see when either changes.

var (
	errTokenNeedsSession = errs.E(errs.Forbidden, "err.token.session_required")
	errMFANeedsSession   = errs.E(errs.Forbidden, "err.mfa.session_required")
)

// needSession refuses a caller authenticated by a personal API token.
func needSession(p Principal, refusal error) error {
	if p.SessionID == "" {
		return refusal
	}
	return nil
}

// Actor is the principal as the audit log records it.
func (p Principal) Actor() audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: p.User.ID, Email: p.User.Email, ClientAddr: p.ClientAddr}
}

// auditChange records a change of the person's own sign-in in each of
// their organizations, in the change's transaction.
func auditChange(ctx context.Context, tx Tx, p Principal, now time.Time, action string, details map[string]any) error {
	orgs, err := tx.MemberOrgIDs(ctx, p.User.ID)
	if err != nil {
		return err
	}
	for _, id := range orgs {
		if err := tx.RecordAudit(ctx, audit.Entry{OrgID: id, At: now, Actor: p.Actor(), Action: action,
			TargetType: audit.TargetUser, TargetID: p.User.ID, Details: details}); err != nil {
			return err
		}
	}
	return nil
}
