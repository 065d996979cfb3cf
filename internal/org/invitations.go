package org

import (
	"time"
	"unicode/utf8"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/text"
)

// Invitation states.
const (
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteRevoked  = "revoked"
	InviteExpired  = "expired"
)

// DefaultInvitationTTL is how long an invitation link is valid (USR-1).
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Invitation asks a person, by e-mail, to join an organization as a Viewer
// of some folders (USR-1).
type Invitation struct {
	ID         string
	OrgID      string
	Email      string
	Role       access.Role // always Viewer
	Folders    []string
	InvitedBy  string // user id
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Status     string
	AcceptedBy string
	ClosedAt   *time.Time // when accepted, revoked or expired
	// Lang is the language its e-mail went out in: the invitee's when they
	// had an account, else the inviter's. The invitation's pages speak it
	// to a guest who has chosen no language.
	Lang string
}

// StatusAt is the invitation's state at now: a pending invitation past its
// expiry is expired even before the expiry job records it.
func (i Invitation) StatusAt(now time.Time) string {
	if i.Status == InvitePending && !now.Before(i.ExpiresAt) {
		return InviteExpired
	}
	return i.Status
}

// CheckAcceptable applies USR-1 to accepting inv at now by a person whose
// normalized e-mail is email: clear errors for each way a link can be dead.
func CheckAcceptable(inv Invitation, now time.Time, emailNorm, invitedNorm string) error {
	switch inv.StatusAt(now) {
	case InviteAccepted:
		return errs.E(errs.Invalid, "err.invitation.used")
	case InviteRevoked:
		return errs.E(errs.Invalid, "err.invitation.revoked")
	case InviteExpired:
		return errs.E(errs.Invalid, "err.invitation.expired", inv.ExpiresAt.Format("2006-01-02"))
	}
	if emailNorm != invitedNorm {
		return errs.E(errs.Forbidden, "err.invitation.other_address", MaskEmail(inv.Email))
	}
	return nil
}

// MaskEmail hides most of an address's local part: "a***e@example.com".
func MaskEmail(email string) string {
	at := -1
	for i := len(email) - 1; i >= 0; i-- {
		if email[i] == '@' {
			at = i
			break
		}
	}
	if at <= 0 {
		return "***"
	}
	local, domain := email[:at], email[at:]
	first := text.Cut(local, 1) // whole characters: an address may start with "é"
	if utf8.RuneCountInString(local) <= 2 {
		return first + "***" + domain
	}
	_, size := utf8.DecodeLastRuneInString(local)
	return first + "***" + local[len(local)-size:] + domain
}
