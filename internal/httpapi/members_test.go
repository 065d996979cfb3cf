package httpapi_test

import (
	"strings"
	"testing"

	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// inviteToken is the token of the invitation link in the newest mail to
// addr.
func (e *env) inviteToken(addr string) string {
	e.t.Helper()
	return e.InvitationLink(addr).Query().Get("token")
}

// invited has owner invite email as a viewer of folders, then has that
// person register and accept through the API; it returns their session
// token and id.
func (e *env) invited(owner, orgID, email string, folders ...string) (token, id string) {
	e.t.Helper()
	e.call("POST", "/api/v1/orgs/"+orgID+"/invitations", owner, map[string]any{"email": email, "folders": folders})
	token, id = e.user(email)
	e.call("POST", "/api/v1/invitations/accept", token, map[string]string{"token": e.inviteToken(email)})
	return token, id
}

// USR-1, ACC-1, ACC-2 through the API: invite → accept from the e-mailed
// link → the viewer sees only the granted folders.
func TestUSR1_InviteAcceptViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, _ := e.user("owner@example.com")
		id := e.org(owner, "Acme")
		mk := func(name, parent string) string {
			body := map[string]string{"name": name}
			if parent != "" {
				body["parent_id"] = parent
			}
			r := e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, body)
			if r.Status != 201 {
				t.Fatalf("folder %s: %d %s", name, r.Status, r.Body)
			}
			return r.Str("id")
		}
		lobby := mk("Lobby", "")
		cams := mk("Cameras", lobby)
		vault := mk("Vault", "")
		// Invitations cannot grant anything but Viewer.
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/invitations", owner, map[string]any{"email": "vic@example.com", "folders": []string{lobby}, "role": "admin"}), 400, "invalid")
		r := e.call("POST", "/api/v1/orgs/"+id+"/invitations", owner, map[string]any{"email": "vic@example.com", "folders": []string{lobby}, "role": "viewer"})
		if r.Status != 201 || r.Str("role") != "viewer" {
			t.Fatalf("invite: %d %s", r.Status, r.Body)
		}
		tok := e.inviteToken("vic@example.com")
		if p := e.call("POST", "/api/v1/invitations/preview", "", map[string]string{"token": tok}); p.Status != 200 || p.Str("org_name") != "Acme" || p.Str("status") != "pending" {
			t.Fatalf("preview: %d %s", p.Status, p.Body)
		}
		if r := e.call("GET", "/api/v1/orgs/"+id+"/invitations", owner, nil); len(r.JSON["items"].([]any)) != 1 {
			t.Fatalf("pending list: %s", r.Body)
		}
		// A person without an account registers, then accepts.
		vic, _ := e.user("vic@example.com")
		r = e.call("POST", "/api/v1/invitations/accept", vic, map[string]string{"token": tok})
		if r.Status != 200 || r.Str("id") != id {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		e.want(e.call("POST", "/api/v1/invitations/accept", vic, map[string]string{"token": tok}), 400, "invalid")
		r = e.call("GET", "/api/v1/orgs/"+id+"/folders", vic, nil)
		var seen []string
		for _, it := range r.JSON["items"].([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		if strings.Join(seen, ",") != lobby+","+cams {
			t.Fatalf("viewer sees %v, want lobby and cameras", seen)
		}
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/folders/"+vault, vic, nil), 404, "not_found")
		if r := e.call("GET", "/api/v1/orgs/"+id+"/folders/"+cams, vic, nil); r.Status != 200 {
			t.Fatalf("granted subfolder: %d", r.Status)
		}
		// A viewer cannot manage folders, members or invitations.
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/folders", vic, map[string]string{"name": "X"}), 403, "forbidden")
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/invitations", vic, map[string]any{"email": "z@example.com", "folders": []string{lobby}}), 403, "forbidden")
		e.want(e.call("GET", "/api/v1/orgs/"+id+"/audit", vic, nil), 403, "forbidden")
		if r := e.call("GET", "/api/v1/orgs/"+id+"/members", vic, nil); r.Status != 200 || len(r.JSON["items"].([]any)) != 2 {
			t.Fatalf("viewer lists members: %d %s", r.Status, r.Body)
		}
	})
}

// USR-2, USR-3: a member demoted or removed is refused on the very next
// request, with a session and with a personal API token.
func TestUSR2_DemoteAndRemoveTakeEffectAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, _ := e.user("owner@example.com")
		id, root := e.Org(owner, "Acme")
		ann, annID := e.invited(owner, id, "ann@example.com", root)
		pat := e.call("POST", "/api/v1/me/tokens", ann, map[string]string{"name": "script"}).Str("token")
		r := e.call("PATCH", "/api/v1/orgs/"+id+"/members/"+annID, owner, map[string]string{"role": "admin"})
		if r.Status != 200 || r.Str("role") != "admin" {
			t.Fatalf("promote: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{ann, pat} {
			if r := e.call("PATCH", "/api/v1/orgs/"+id, tok, map[string]string{"notes": "by ann"}); r.Status != 200 {
				t.Fatalf("admin edits notes: %d %s", r.Status, r.Body)
			}
		}
		e.call("PATCH", "/api/v1/orgs/"+id+"/members/"+annID, owner, map[string]string{"role": "viewer"})
		for _, tok := range []string{ann, pat} {
			e.want(e.call("PATCH", "/api/v1/orgs/"+id, tok, map[string]string{"notes": "again"}), 403, "forbidden")
		}
		e.want(e.call("PATCH", "/api/v1/orgs/"+id+"/members/"+annID, owner, map[string]string{"role": "superuser"}), 400, "invalid")
		e.want(e.call("DELETE", "/api/v1/orgs/"+id+"/members/"+annID, owner, nil), 204, "")
		for _, tok := range []string{ann, pat} {
			e.want(e.call("GET", "/api/v1/orgs/"+id, tok, nil), 404, "not_found")
		}
	})
}

// USR-3: bulk removal is all or nothing and says which and why.
func TestUSR3_BulkRemove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		owner, ownerID := e.user("owner@example.com")
		id, root := e.Org(owner, "Acme")
		var ids []string
		for _, who := range []string{"a@example.com", "b@example.com"} {
			_, uid := e.invited(owner, id, who, root)
			ids = append(ids, uid)
		}
		r := e.call("POST", "/api/v1/orgs/"+id+"/members/remove", owner, map[string]any{"user_ids": append(ids, ownerID, "usr_ghost")})
		e.want(r, 409, "conflict")
		refused := r.JSON["error"].(map[string]any)["details"].(map[string]any)["refused"].([]any)
		if len(refused) != 2 || !strings.Contains(r.ErrMessage(), "usr_ghost") || !strings.Contains(r.ErrMessage(), ownerID) {
			t.Fatalf("refusal: %s", r.Body)
		}
		if n := len(e.call("GET", "/api/v1/orgs/"+id+"/members", owner, nil).JSON["items"].([]any)); n != 3 {
			t.Fatalf("%d members after a refused batch, want 3", n)
		}
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/members/remove", owner, map[string]any{"user_ids": ids}), 204, "")
		if n := len(e.call("GET", "/api/v1/orgs/"+id+"/members", owner, nil).JSON["items"].([]any)); n != 1 {
			t.Fatalf("%d members after removal, want 1", n)
		}
		e.want(e.call("POST", "/api/v1/orgs/"+id+"/members/remove", owner, map[string]any{"user_ids": []string{}}), 400, "invalid")
	})
}

// DEV-2 through the API: delete needs confirm=true and an empty folder.
func TestDEV2_FolderDelete(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	owner, _ := e.user("owner@example.com")
	id := e.org(owner, "Acme")
	a := e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "A"}).Str("id")
	e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "B", "parent_id": a})
	r := e.call("DELETE", "/api/v1/orgs/"+id+"/folders/"+a+"?confirm=true", owner, nil)
	e.want(r, 409, "conflict")
	if !strings.Contains(r.ErrMessage(), "1 sub-folder") {
		t.Errorf("message does not say what is inside: %s", r.ErrMessage())
	}
	e.want(e.call("PATCH", "/api/v1/orgs/"+id+"/folders/"+a, owner, map[string]string{"parent_id": a}), 400, "invalid")
	e.want(e.call("POST", "/api/v1/orgs/"+id+"/folders", owner, map[string]string{"name": "a"}), 409, "conflict")
}
