package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"mysystems/internal/api"
)

var cmdOrgsList = listCommand[api.OrgJSON]{
	name:  "orgs list",
	about: "List the organizations you belong to (every page).",
	path:  func([]string) string { return "/api/v1/orgs" },
	query: url.Values{"limit": {"500"}},
	empty: func([]string, bool) string {
		return "No organizations yet: create one with 'mysystems orgs create NAME'."
	},
	head: []string{"ID", "NAME", "ROLE", "CREATED"},
	row: func(o api.OrgJSON, _ map[string]string) []string {
		return []string{clean(o.ID), clean(o.Name), clean(o.Role), day(o.CreatedAt)}
	},
}.run

func cmdOrgsCreate(ctx context.Context, e *env, args []string) error {
	f := e.flags("orgs create", "NAME [--notes N]", "Create an organization; you become its owner.", withJSON)
	notes := f.String("notes", "", "notes about the organization")
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "organization", http.MethodPost, "/api/v1/orgs", api.OrgCreate{Name: pos[0], Notes: *notes},
		func(o api.OrgJSON) string {
			return fmt.Sprintf("Created organization %q (%s).", clean(o.Name), clean(o.ID))
		})
}

func cmdOrgsShow(ctx context.Context, e *env, args []string) error {
	f := e.flags("orgs show", "ORG", "Show an organization.", withJSON)
	pos, c, err := e.start(f, args, 1, 1)
	if err != nil {
		return err
	}
	return show(ctx, e, c, http.MethodGet, pathf("/api/v1/orgs/%s", pos[0]), nil, "organization", func(o api.OrgJSON) error {
		fields := []string{"id", clean(o.ID), "name", clean(o.Name), "status", clean(o.Status), "your role", clean(o.Role),
			"require MFA", strconv.FormatBool(o.RequireMFA), "root folder", clean(o.RootFolderID), "created", stamp(o.CreatedAt)}
		if o.ArchivedAt != nil {
			fields = append(fields, "archived", stamp(*o.ArchivedAt))
		}
		return printFields(e.out, append(fields, "notes", clean(o.Notes))...)
	})
}

func cmdOrgsRename(ctx context.Context, e *env, args []string) error {
	f := e.flags("orgs rename", "ORG NAME", "Rename an organization (owner or admin).", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "organization", http.MethodPatch, pathf("/api/v1/orgs/%s", pos[0]), api.OrgPatch{Name: &pos[1]},
		func(o api.OrgJSON) string {
			return fmt.Sprintf("Renamed organization %s to %q.", clean(o.ID), clean(o.Name))
		})
}

func cmdOrgsNotes(ctx context.Context, e *env, args []string) error {
	f := e.flags("orgs notes", "ORG TEXT", "Replace an organization's notes (owner or admin); \"\" clears them.\n"+
		"Put -- before TEXT if it starts with a dash.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "organization", http.MethodPatch, pathf("/api/v1/orgs/%s", pos[0]), api.OrgPatch{Notes: &pos[1]},
		func(o api.OrgJSON) string {
			return fmt.Sprintf("Updated the notes of %s (%q).", clean(o.ID), clean(o.Name))
		})
}

func cmdOrgsArchive(ctx context.Context, e *env, args []string) error {
	f := e.flags("orgs archive", "ORG [--confirm ORG --yes]",
		"Archive an organization (owner only): it becomes read-only and hidden from every\n"+
			"member, its devices are released and its subscription licenses are void (no refund).\n"+
			"Only support can restore it. On a terminal you are asked to type the organization\n"+
			"id; otherwise pass --confirm ORG and --yes.", 0)
	confirm := f.String("confirm", "", "the organization id again, to confirm")
	yes := f.Bool("yes", false, "do not ask (needs --confirm)")
	pos, err := e.parse(f, args, 1, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	if *confirm != "" && *confirm != id {
		return usagef(f, "--confirm %q does not match the organization id %q", *confirm, id)
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if !(*confirm == id && *yes) {
		if !e.interactive {
			return usagef(f, "refusing to archive %s without confirmation: pass --confirm %s --yes", id, id)
		}
		var o api.OrgJSON
		if err := c.do(ctx, http.MethodGet, pathf("/api/v1/orgs/%s", id), nil, &o); err != nil {
			return err
		}
		fmt.Fprintf(e.errw, "Archiving %q (%s) makes it read-only and hides it from every member;\n"+
			"its devices are released and its subscription licenses are void (no refund).\n"+
			"Only support can restore it.\n", clean(o.Name), clean(o.ID))
		answer, err := e.prompt("Type the organization id to confirm: ")
		if err != nil {
			return err
		}
		if answer != id {
			return errors.New("archive cancelled: the id did not match")
		}
	}
	body := api.ArchiveRequest{ConfirmID: id, Acknowledge: true}
	if err := c.do(ctx, http.MethodPost, pathf("/api/v1/orgs/%s/archive", id), body, nil); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Archived organization %s.\n", clean(id))
	return nil
}

var cmdAudit = listCommand[api.AuditJSON]{
	name:     "audit",
	synopsis: "ORG [--action A] [--actor ID] [--target ID] [--since T] [--until T] [--limit N] [--cursor C] [--all] [--csv]",
	about: "Read an organization's audit log, newest first. Without --all one page is shown\n" +
		"(--limit entries); --csv exports the whole filtered log. Times are RFC 3339 or\n" +
		"dates (2026-01-31); since is inclusive, until exclusive.",
	args: 1,
	path: func(pos []string) string { return pathf("/api/v1/orgs/%s/audit", pos[0]) },
	filters: []listFilter{
		{name: "action", help: "only this action, or actions starting with a prefix ending in '.' (org.)"},
		{name: "actor", help: "only entries by this user id"},
		{name: "target", help: "only entries about this id"},
		{name: "since", help: "from this time or date (inclusive)"},
		{name: "until", help: "before this time or date (exclusive)"},
	},
	paged: true,
	noun:  "entries",
	csv:   "the whole filtered log",
	head:  []string{"ID", "TIME", "ACTOR", "ACTION", "TARGET"},
	row: func(a api.AuditJSON, _ map[string]string) []string {
		actor := a.Actor.Email
		if actor == "" {
			actor = a.Actor.Kind + ":" + a.Actor.ID
		}
		return []string{clean(a.ID), stamp(a.At), clean(actor), clean(a.Action), clean(a.TargetType) + ":" + clean(a.TargetID)}
	},
}.run
