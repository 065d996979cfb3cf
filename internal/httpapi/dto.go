package httpapi

import (
	"mysystems/internal/account"
	"mysystems/internal/api"
	"mysystems/internal/audit"
	"mysystems/internal/org"
)

// The domain values as the API shows them (the JSON shapes are in
// internal/api).

func userJSON(u account.User) api.UserJSON {
	return api.UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Lang: u.Lang, CreatedAt: u.CreatedAt}
}

func orgJSON(o org.Org, role string) api.OrgJSON {
	return api.OrgJSON{ID: o.ID, Name: o.Name, Notes: o.Notes, RequireMFA: o.RequireMFA, Status: o.Status,
		RootFolderID: o.RootFolderID, CreatedAt: o.CreatedAt, ArchivedAt: o.ArchivedAt, Role: role}
}

func tokenJSON(t account.Token) api.TokenJSON {
	return api.TokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

func auditJSON(e audit.Entry) api.AuditJSON {
	return api.AuditJSON{ID: itoa(e.Seq), At: e.At, Actor: api.ActorJSON{Kind: e.Actor.Kind, ID: e.Actor.ID, Email: e.Actor.Email},
		ClientAddr: e.Actor.ClientAddr, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Details: e.Details}
}

// listOf is the API list of items as conv shows them, with the cursor of
// the next page ("" at the end, or for lists that are never paged).
func listOf[D, J any](items []D, next string, conv func(D) J) api.List[J] {
	out := api.List[J]{Items: make([]J, 0, len(items)), NextCursor: next}
	for _, it := range items {
		out.Items = append(out.Items, conv(it))
	}
	return out
}
