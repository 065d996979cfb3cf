package org

import (
	"sort"
	"strings"

	"mysystems/internal/access"
	"mysystems/internal/errs"
)

// Tree is an organization's folder tree, indexed for the rules below.
type Tree struct {
	ByID     map[string]Folder
	Children map[string][]string // parent id → child ids ("" → the root)
	RootID   string
}

// NewTree indexes folders.
func NewTree(folders []Folder) Tree {
	t := Tree{ByID: make(map[string]Folder, len(folders)), Children: map[string][]string{}}
	for _, f := range folders {
		t.ByID[f.ID] = f
		t.Children[f.ParentID] = append(t.Children[f.ParentID], f.ID)
		if f.ParentID == "" {
			t.RootID = f.ID
		}
	}
	for k := range t.Children {
		ids := t.Children[k]
		sort.Slice(ids, func(i, j int) bool {
			a, b := t.ByID[ids[i]], t.ByID[ids[j]]
			if !strings.EqualFold(a.Name, b.Name) {
				return strings.ToLower(a.Name) < strings.ToLower(b.Name)
			}
			return a.ID < b.ID
		})
	}
	return t
}

// Ancestry returns the ids from the root down to id (inclusive), or nil if
// id is not in the tree.
func (t Tree) Ancestry(id string) []string {
	var path []string
	for seen := 0; id != "" && seen <= len(t.ByID); seen++ {
		f, ok := t.ByID[id]
		if !ok {
			return nil
		}
		path = append(path, id)
		id = f.ParentID
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// Path returns the folder's names from the root, joined with " / ".
func (t Tree) Path(id string) string {
	var names []string
	for _, a := range t.Ancestry(id) {
		names = append(names, t.ByID[a].Name)
	}
	return strings.Join(names, " / ")
}

// Subtree returns id and every folder below it, depth first.
func (t Tree) Subtree(id string) []string {
	if _, ok := t.ByID[id]; !ok {
		return nil
	}
	out := []string{id}
	for _, c := range t.Children[id] {
		out = append(out, t.Subtree(c)...)
	}
	return out
}

// Visible returns the folders a member sees (ACC-1), in tree order: all of
// them for Owners and Admins, the granted subtrees for others.
func (t Tree) Visible(role access.Role, granted map[string]bool) []Folder {
	var out []Folder
	var walk func(id string)
	walk = func(id string) {
		if access.Sees(role, granted, t.Ancestry(id)) {
			out = append(out, t.ByID[id])
		}
		for _, c := range t.Children[id] {
			walk(c)
		}
	}
	if t.RootID != "" {
		walk(t.RootID)
	}
	return out
}

// Sees reports whether a member sees the folder id (false if it does not
// exist).
func (t Tree) Sees(role access.Role, granted map[string]bool, id string) bool {
	a := t.Ancestry(id)
	return a != nil && access.Sees(role, granted, a)
}

// CheckMove applies DEV-1 to moving folder id under newParent: both exist,
// the root stays the root, and a folder cannot go below itself.
func (t Tree) CheckMove(id, newParent string) error {
	f, ok := t.ByID[id]
	if !ok {
		return errs.NotFoundf("err.folder.not_found", id)
	}
	if f.ParentID == "" {
		return errs.InvalidField("parent_id", "err.folder.root_move")
	}
	if _, ok := t.ByID[newParent]; !ok {
		return errs.InvalidField("parent_id", "err.folder.dest_not_found", newParent)
	}
	for _, a := range t.Ancestry(newParent) {
		if a == id {
			return errs.InvalidField("parent_id", "err.folder.move_into_self")
		}
	}
	return nil
}

// SiblingNameTaken reports whether parent already holds a folder named name
// (case-insensitively), other than except.
func (t Tree) SiblingNameTaken(parent, name, except string) bool {
	for _, c := range t.Children[parent] {
		if c != except && strings.EqualFold(t.ByID[c].Name, name) {
			return true
		}
	}
	return false
}

// CheckDelete applies DEV-2 to the tree part of deleting a folder: not the
// root, no sub-folders, and an explicit confirmation.
func (t Tree) CheckDelete(id string, confirm bool) error {
	f, ok := t.ByID[id]
	if !ok {
		return errs.NotFoundf("err.folder.not_found", id)
	}
	if f.ParentID == "" {
		return errs.E(errs.Conflict, "err.folder.root_delete")
	}
	if n := len(t.Children[id]); n > 0 {
		e := errs.E(errs.Conflict, "err.folder.has_folders", n, t.Path(id))
		e.Details = map[string]int{"folders": n}
		return e
	}
	if !confirm {
		return errs.InvalidField("confirm", "err.folder.delete_confirm")
	}
	return nil
}
