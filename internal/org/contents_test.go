package org_test

import (
	"context"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/org"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestDEV2_FolderContents: what a folder holds directly, counted for the
// members who may delete it, so that the confirmation says it before
// asking; others are refused, strangers do not see the folder.
func TestDEV2_FolderContents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		hq := f.folder(t, "", "HQ")
		f.folder(t, hq, "Floor 1")
		f.folder(t, hq, "Floor 2")
		empty := f.folder(t, "", "Empty")

		got, err := f.svc.FolderContents(ctx, f.owner, f.o.ID, hq)
		if err != nil || got != (org.Contents{SubFolders: 2}) || got.Empty() {
			t.Fatalf("HQ holds %+v (%v), want 2 sub-folders", got, err)
		}
		if got, err := f.svc.FolderContents(ctx, f.owner, f.o.ID, empty); err != nil || !got.Empty() {
			t.Fatalf("Empty holds %+v (%v)", got, err)
		}
		// Only what is directly inside: the root holds the two top folders.
		if got, err := f.svc.FolderContents(ctx, f.owner, f.o.ID, f.o.RootFolderID); err != nil || got.SubFolders != 2 {
			t.Fatalf("the root holds %+v (%v)", got, err)
		}
		operator := person(t, db, "operator@example.com")
		join(t, db, f.o.ID, operator, access.Operator)
		if _, err := f.svc.FolderContents(ctx, operator, f.o.ID, hq); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("operator: %v, want forbidden", err)
		}
		stranger := person(t, db, "stranger@example.com")
		if _, err := f.svc.FolderContents(ctx, stranger, f.o.ID, hq); !errs.Is(err, errs.NotFound) {
			t.Fatalf("stranger: %v, want not found", err)
		}
		if _, err := f.svc.FolderContents(ctx, f.owner, f.o.ID, "fld_nope"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown folder: %v, want not found", err)
		}
	})
}
