package org

import (
	"strings"
	"testing"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/errs"
)

// DEV-1 tree rules.
func tree() Tree {
	t0 := time.Time{}
	return NewTree([]Folder{
		{ID: "root", Name: "Default", CreatedAt: t0},
		{ID: "hq", ParentID: "root", Name: "HQ"},
		{ID: "lobby", ParentID: "hq", Name: "Lobby"},
		{ID: "cam", ParentID: "lobby", Name: "Cams"},
		{ID: "wh", ParentID: "root", Name: "Warehouse"},
	})
}

func TestTree(t *testing.T) {
	tr := tree()
	if got := strings.Join(tr.Ancestry("cam"), ","); got != "root,hq,lobby,cam" {
		t.Errorf("ancestry %s", got)
	}
	if got := tr.Path("lobby"); got != "Default / HQ / Lobby" {
		t.Errorf("path %s", got)
	}
	if got := strings.Join(tr.Subtree("hq"), ","); got != "hq,lobby,cam" {
		t.Errorf("subtree %s", got)
	}
	if tr.Ancestry("nope") != nil || tr.Subtree("nope") != nil {
		t.Error("unknown folder has an ancestry")
	}
}

func TestCheckMove(t *testing.T) {
	tr := tree()
	cases := []struct {
		id, to string
		code   errs.Code
	}{
		{"lobby", "wh", ""},
		{"lobby", "root", ""},
		{"hq", "cam", errs.Invalid},   // below itself
		{"hq", "hq", errs.Invalid},    // into itself
		{"root", "wh", errs.Invalid},  // root stays
		{"hq", "nope", errs.Invalid},  // unknown destination
		{"nope", "hq", errs.NotFound}, // unknown folder
	}
	for _, c := range cases {
		if got := errs.CodeOf(tr.CheckMove(c.id, c.to)); got != c.code {
			t.Errorf("move %s → %s: got %q, want %q", c.id, c.to, got, c.code)
		}
	}
}

// DEV-2.
func TestDEV2_CheckDelete(t *testing.T) {
	tr := tree()
	if err := tr.CheckDelete("root", true); !errs.Is(err, errs.Conflict) {
		t.Errorf("root: %v", err)
	}
	err := tr.CheckDelete("hq", true)
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "1 sub-folder inside Default / HQ") {
		t.Errorf("non-empty: %v", err)
	}
	if err := tr.CheckDelete("wh", false); !errs.Is(err, errs.Invalid) {
		t.Errorf("unconfirmed: %v", err)
	}
	if err := tr.CheckDelete("wh", true); err != nil {
		t.Errorf("empty, confirmed: %v", err)
	}
}

func TestSiblingNames(t *testing.T) {
	tr := tree()
	if !tr.SiblingNameTaken("root", "hq", "") || tr.SiblingNameTaken("root", "hq", "hq") || tr.SiblingNameTaken("hq", "Warehouse", "") {
		t.Error("sibling name rule wrong")
	}
}

// ACC-1: visible folders per role and grants.
func TestACC1_Visible(t *testing.T) {
	tr := tree()
	ids := func(fs []Folder) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.ID)
		}
		return strings.Join(s, ",")
	}
	g := map[string]bool{"lobby": true}
	if got := ids(tr.Visible(access.Viewer, g)); got != "lobby,cam" {
		t.Errorf("viewer sees %s", got)
	}
	if got := ids(tr.Visible(access.Operator, nil)); got != "" {
		t.Errorf("operator without grants sees %s", got)
	}
	if got := ids(tr.Visible(access.Admin, nil)); got != "root,hq,lobby,cam,wh" {
		t.Errorf("admin sees %s", got)
	}
	if tr.Sees(access.Viewer, g, "hq") || !tr.Sees(access.Viewer, g, "cam") || tr.Sees(access.Owner, nil, "nope") {
		t.Error("Sees wrong")
	}
}

// USR-2, ORG-3: who may change which role.
func TestUSR2_CheckRoleChange(t *testing.T) {
	O, A, Op, V := access.Owner, access.Admin, access.Operator, access.Viewer
	cases := []struct {
		actor, from, to access.Role
		owners          int
		code            errs.Code
	}{
		{A, V, Op, 1, ""},
		{A, Op, A, 1, ""},
		{A, V, O, 1, errs.Forbidden},   // admin cannot make owners
		{A, O, A, 2, errs.Forbidden},   // admin cannot change an owner
		{O, V, O, 1, ""},               // owner makes an owner
		{O, O, A, 2, ""},               // step down while another owner remains
		{O, O, A, 1, errs.Conflict},    // the last owner stays
		{Op, V, Op, 1, errs.Forbidden}, // operators manage nobody
		{V, V, V, 1, errs.Forbidden},
	}
	for _, c := range cases {
		if got := errs.CodeOf(CheckRoleChange(c.actor, c.from, c.to, c.owners)); got != c.code {
			t.Errorf("%s changes %s→%s (%d owners): got %q, want %q", c.actor, c.from, c.to, c.owners, got, c.code)
		}
	}
}

// USR-3, ORG-3.
func TestUSR3_CheckRemoval(t *testing.T) {
	O, A, V := access.Owner, access.Admin, access.Viewer
	cases := []struct {
		actor, target access.Role
		left          int
		code          errs.Code
	}{
		{A, V, 1, ""},
		{A, A, 1, ""},
		{A, O, 1, errs.Forbidden},
		{O, O, 1, ""},
		{O, O, 0, errs.Conflict},
		{V, V, 1, errs.Forbidden},
	}
	for _, c := range cases {
		if got := errs.CodeOf(CheckRemoval(c.actor, c.target, c.left)); got != c.code {
			t.Errorf("%s removes %s (%d owners left): got %q, want %q", c.actor, c.target, c.left, got, c.code)
		}
	}
}
