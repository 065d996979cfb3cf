package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mysystems/internal/mail"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// Vendor operators read the outbox, bodies included, so a server without
// SMTP still gets an invitation link to its recipient (AUD-2).
func TestAUD2_VendorOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		mailer := mail.NewMailer(e.Clock, "https://portal.example.test")
		var ids []string
		for i, to := range []string{"zoe@example.com", "ada@example.com", "Zoe@Example.com"} {
			m, err := mailer.Message("invitation", "en", to, map[string]string{
				"org": "Acme", "inviter": "Ada", "link": "https://portal.example.test/invitations/secret" + string(rune('a'+i)), "expires": "soon"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error { return tx.EnqueueMail(ctx, m) }); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
			e.Clock.Advance(time.Second)
		}
		// No SMTP server: the deliverer holds the mail.
		if err := e.App.Jobs.RunDue(ctx); err != nil {
			t.Fatal(err)
		}

		utok, _ := e.user("someone@example.com")
		e.want(e.call("GET", "/api/v1/vendor/outbox", utok, nil), 403, "forbidden") // signed in, but not a vendor operator
		e.want(e.call("GET", "/api/v1/vendor/outbox", "", nil), 401, "unauthenticated")
		_, vtok, err := e.App.Platform.CreateToken(ctx, "ops")
		if err != nil {
			t.Fatal(err)
		}
		r := e.call("GET", "/api/v1/vendor/outbox?limit=2", vtok, nil)
		items, _ := r.JSON["items"].([]any)
		if r.Status != 200 || len(items) != 2 || r.Str("next_cursor") == "" {
			t.Fatalf("first page: %d %s", r.Status, r.Body)
		}
		first := items[0].(map[string]any)
		if first["id"] != ids[2] || first["status"] != "held" || !strings.Contains(first["text"].(string), "/invitations/secretc") ||
			!strings.HasSuffix(first["message_id"].(string), "@portal.example.test>") {
			t.Fatalf("newest message: %v", first)
		}
		r = e.call("GET", "/api/v1/vendor/outbox?limit=2&cursor="+r.Str("next_cursor"), vtok, nil)
		if items, _ := r.JSON["items"].([]any); r.Status != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != ids[0] {
			t.Fatalf("second page: %d %s", r.Status, r.Body)
		}
		r = e.call("GET", "/api/v1/vendor/outbox?to=ZOE@example.com", vtok, nil)
		if items, _ := r.JSON["items"].([]any); r.Status != 200 || len(items) != 2 {
			t.Fatalf("filtered by recipient: %d %s", r.Status, r.Body)
		}
		e.want(e.call("GET", "/api/v1/vendor/outbox?cursor=nonsense", vtok, nil), 400, "invalid")
		// Logs name the held message but never carry its body.
		if logs := e.Logs.String(); !strings.Contains(logs, ids[0]) || strings.Contains(logs, "/invitations/secret") {
			t.Fatalf("logs:\n%s", logs)
		}
	})
}
