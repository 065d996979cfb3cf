package org

import (
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
)

// Member is a person in an organization with their role and folder grants.
type Member struct {
	UserID   string
	Email    string
	Name     string
	Role     access.Role
	Folders  []string // granted folder ids (meaningful for Operators and Viewers)
	JoinedAt time.Time
}

// CheckRoleChange applies USR-2 and ORG-3 to changing target's role from
// `from` to `to`, done by a member with role actor; owners is the current
// number of Owners.
func CheckRoleChange(actor, from, to access.Role, owners int) error {
	if err := access.Check(actor, access.ManageMembers); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if from == access.Owner || to == access.Owner {
		if actor != access.Owner {
			return errs.E(errs.Forbidden, "err.member.owner_only")
		}
	}
	if from == access.Owner {
		return CanLeaveOwnership(owners)
	}
	return nil
}

// CheckRemoval applies USR-3 and ORG-3 to removing a member with role
// target, done by a member with role actor; ownersLeft is the number of
// Owners that would remain.
func CheckRemoval(actor, target access.Role, ownersLeft int) error {
	if err := access.Check(actor, access.ManageMembers); err != nil {
		return err
	}
	if target == access.Owner {
		if actor != access.Owner {
			return errs.E(errs.Forbidden, "err.member.admin_remove_owner")
		}
		if ownersLeft < 1 {
			return errs.E(errs.Conflict, "err.member.last_owner")
		}
	}
	return nil
}
