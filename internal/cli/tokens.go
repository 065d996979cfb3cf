package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"mysystems/internal/api"
)

var cmdTokensList = listCommand[api.TokenJSON]{
	name:  "tokens list",
	about: "List your personal API tokens (their secrets are never shown again).",
	path:  func([]string) string { return "/api/v1/me/tokens" },
	empty: func([]string, bool) string {
		return "No API tokens: create one with 'mysystems tokens create NAME'."
	},
	head: []string{"ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED"},
	row: func(t api.TokenJSON, _ map[string]string) []string {
		return []string{clean(t.ID), clean(t.Name), clean(t.Prefix), day(t.CreatedAt),
			maybe(t.ExpiresAt, "never"), maybe(t.LastUsedAt, "never")}
	},
}.run

func cmdTokensCreate(ctx context.Context, e *env, args []string) error {
	f := e.flags("tokens create", "NAME [--expires 2027-01-01|RFC3339]",
		"Create a personal API token for scripts. Its secret is printed on stdout this once;\n"+
			"use it with --token or MYSYSTEMS_TOKEN.", withJSON)
	expires := f.String("expires", "", "expiry: a date (midnight UTC) or an RFC 3339 time (default: never)")
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	body := api.TokenRequest{Name: pos[0]}
	if *expires != "" {
		t, err := parseTime(*expires)
		if err != nil {
			return usagef(f, "--expires %q is neither a date (2027-01-01) nor an RFC 3339 time", *expires)
		}
		body.ExpiresAt = &t
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	res, raw, err := decoded[api.TokenCreated](ctx, c, http.MethodPost, "/api/v1/me/tokens", body, "new token")
	if err != nil {
		return err
	}
	if err := e.printJSONOr(raw, func() { fmt.Fprintln(e.out, res.Token) }); err != nil {
		return err
	}
	fmt.Fprintf(e.errw, "Token %s (%q, expires %s) created. Its secret is shown only this once: store it now.\n",
		clean(res.Detail.ID), clean(res.Detail.Name), maybe(res.Detail.ExpiresAt, "never"))
	return nil
}

func cmdTokensRevoke(ctx context.Context, e *env, args []string) error {
	f := e.flags("tokens revoke", "ID", "Revoke a personal API token (its id from 'mysystems tokens list').", 0)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return e.do(ctx, c, http.MethodDelete, pathf("/api/v1/me/tokens/%s", pos[0]), nil, fmt.Sprintf("Revoked token %s.", clean(pos[0])))
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}
