package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"mysystems/internal/api"
)

// folders reads the folders the caller sees in an organization (every page),
// as the server sent them and decoded.
func (c *Client) folders(ctx context.Context, orgID string) (page, []api.FolderJSON, error) {
	p, err := c.list(ctx, foldersPath([]string{orgID}), nil, true)
	if err != nil {
		return p, nil, err
	}
	fs, err := decodeItems[api.FolderJSON](p.Items)
	return p, fs, err
}

// folderNames maps the ids of the folders the caller sees to their names,
// for tables; nil when they cannot be read (ids are shown then).
func (c *Client) folderNames(ctx context.Context, orgID string) map[string]string {
	_, fs, err := c.folders(ctx, orgID)
	if err != nil {
		return nil
	}
	names := make(map[string]string, len(fs))
	for _, f := range fs {
		names[f.ID] = f.Name
	}
	return names
}

// folderList names folders by name when known, else by id, sorted.
func folderList(ids []string, names map[string]string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := names[id]; ok {
			out[i] = clean(n)
		} else {
			out[i] = clean(id)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return strings.Join(out, ", ")
}

func foldersPath(args []string) string { return pathf("/api/v1/orgs/%s/folders", args[0]) }

// treeRows makes table rows of folders, a tree indented by depth. Folders
// whose parent is not in the list (the root, or the top of a subtree granted
// to a member) start a tree; below the root they are shown with their full
// path.
func treeRows(fs []api.FolderJSON) [][]string {
	byID := make(map[string]bool, len(fs))
	for _, f := range fs {
		byID[f.ID] = true
	}
	children := map[string][]api.FolderJSON{}
	var tops []api.FolderJSON
	for _, f := range fs {
		if f.ParentID != nil && byID[*f.ParentID] && *f.ParentID != f.ID {
			children[*f.ParentID] = append(children[*f.ParentID], f)
		} else {
			tops = append(tops, f)
		}
	}
	printed := map[string]bool{}
	var rows [][]string
	var walk func(f api.FolderJSON, depth int)
	walk = func(f api.FolderJSON, depth int) {
		if printed[f.ID] {
			return
		}
		printed[f.ID] = true
		label := f.Name
		if depth == 0 && f.ParentID != nil && f.Path != "" {
			label = f.Path
		}
		rows = append(rows, []string{strings.Repeat("  ", depth) + clean(label), clean(f.ID)})
		for _, c := range children[f.ID] {
			walk(c, depth+1)
		}
	}
	for _, f := range tops {
		walk(f, 0)
	}
	// Anything left is in a loop of parents, which a sane server never sends.
	for _, f := range fs {
		walk(f, 0)
	}
	return rows
}

var cmdFoldersList = listCommand[api.FolderJSON]{
	name:     "folders list",
	synopsis: "ORG",
	about: "Show the folders of an organization you can see, as a tree indented by depth,\n" +
		"with their ids. Owners and admins see every folder; other members see the folders\n" +
		"they are granted and everything below them.",
	args: 1,
	path: foldersPath,
	empty: func([]string, bool) string {
		return "You see no folders in this organization: ask an admin to grant you some."
	},
	head: []string{"FOLDER", "ID"},
	rows: treeRows,
}.run

func cmdFoldersCreate(ctx context.Context, e *env, args []string) error {
	f := e.flags("folders create", "ORG NAME [--parent FOLDER_ID]",
		"Create a folder (owner or admin), under the root folder unless --parent names another.\n"+
			"Names are unique among the folders of one parent.", withJSON)
	parent := f.String("parent", "", "the id of the folder to create it in (default: the root folder)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	body := api.FolderCreate{Name: pos[1], ParentID: *parent}
	return callOne(ctx, e, "folder", http.MethodPost, pathf("/api/v1/orgs/%s/folders", pos[0]), body,
		func(fo api.FolderJSON) string {
			return fmt.Sprintf("Created folder %q (%s): %s.", clean(fo.Name), clean(fo.ID), clean(fo.Path))
		})
}

func cmdFoldersRename(ctx context.Context, e *env, args []string) error {
	f := e.flags("folders rename", "ORG FOLDER_ID NAME", "Rename a folder (owner or admin).", withJSON)
	pos, err := e.parse(f, args, 3, 3)
	if err != nil {
		return err
	}
	return callOne(ctx, e, "folder", http.MethodPatch, pathf("/api/v1/orgs/%s/folders/%s", pos[0], pos[1]), api.FolderPatch{Name: &pos[2]},
		func(fo api.FolderJSON) string {
			return fmt.Sprintf("Renamed folder %s to %q: %s.", clean(fo.ID), clean(fo.Name), clean(fo.Path))
		})
}

func cmdFoldersMove(ctx context.Context, e *env, args []string) error {
	f := e.flags("folders move", "ORG FOLDER_ID --to PARENT_ID",
		"Move a folder, with everything inside it, under another folder (owner or admin).\n"+
			"The root folder stays where it is, and a folder cannot go inside itself.", withJSON)
	to := f.String("to", "", "the id of the new parent folder (required)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if *to == "" {
		return usagef(f, "--to PARENT_ID is required")
	}
	return callOne(ctx, e, "folder", http.MethodPatch, pathf("/api/v1/orgs/%s/folders/%s", pos[0], pos[1]), api.FolderPatch{ParentID: to},
		func(fo api.FolderJSON) string {
			return fmt.Sprintf("Moved folder %s: now %s.", clean(fo.ID), clean(fo.Path))
		})
}

func cmdFoldersDelete(ctx context.Context, e *env, args []string) error {
	f := e.flags("folders delete", "ORG FOLDER_ID [--yes]",
		"Delete an empty folder (owner or admin); one with sub-folders is refused. On a\n"+
			"terminal you are asked to confirm; otherwise pass --yes.", 0)
	yes := f.Bool("yes", false, "do not ask for confirmation")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	orgID, id := pos[0], pos[1]
	return deleteOne(ctx, e, f, *yes, "delete folder "+id, pathf("/api/v1/orgs/%s/folders/%s", orgID, id), func(fo api.FolderJSON) string {
		return fmt.Sprintf("Delete folder %q (%s)?", clean(fo.Path), clean(fo.ID))
	}, fmt.Sprintf("Deleted folder %s.", clean(id)))
}
