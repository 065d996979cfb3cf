package org

import (
	"context"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// FolderView is a folder as one member sees it.
type FolderView struct {
	Folder
	Path string
}

func errNoFolder(id string) error { return errs.NotFoundf("err.folder.not_found", id) }

// Folders returns the folders the actor sees (ACC-1), in tree order.
func (s *Service) Folders(ctx context.Context, actor audit.Actor, orgID string) ([]FolderView, error) {
	var out []FolderView
	err := s.store.Read(ctx, func(tx Tx) error {
		t, m, err := memberTree(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		for _, f := range t.Visible(m.Role, m.Granted()) {
			out = append(out, FolderView{Folder: f, Path: t.Path(f.ID)})
		}
		return nil
	})
	return out, err
}

// Folder returns one folder the actor sees; others are not found (ACC-2).
func (s *Service) Folder(ctx context.Context, actor audit.Actor, orgID, id string) (FolderView, error) {
	var out FolderView
	err := s.store.Read(ctx, func(tx Tx) error {
		t, m, err := memberTree(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if !t.Sees(m.Role, m.Granted(), id) {
			return errNoFolder(id)
		}
		out = FolderView{Folder: t.ByID[id], Path: t.Path(id)}
		return nil
	})
	return out, err
}

// memberTree enters the organization and returns its folder tree with the
// actor's membership.
func memberTree(ctx context.Context, tx Tx, actor audit.Actor, orgID string) (Tree, Membership, error) {
	_, m, err := enter(ctx, tx, actor, orgID)
	if err != nil {
		return Tree{}, m, err
	}
	all, err := tx.Folders(ctx, orgID)
	if err != nil {
		return Tree{}, m, err
	}
	return NewTree(all), m, nil
}

// fleetTx enters the organization as a member allowed to manage folders and
// returns its tree.
func fleetTx(ctx context.Context, tx Tx, actor audit.Actor, orgID string) (Tree, Membership, error) {
	t, m, err := memberTree(ctx, tx, actor, orgID)
	if err != nil {
		return t, m, err
	}
	return t, m, access.Check(m.Role, access.ManageFleet)
}

// CreateFolder creates a folder under parentID (DEV-1).
func (s *Service) CreateFolder(ctx context.Context, actor audit.Actor, orgID, parentID, name string) (FolderView, error) {
	name, err := account.CheckName("name", name)
	if err != nil {
		return FolderView{}, err
	}
	var out FolderView
	err = s.store.Write(ctx, func(tx Tx) error {
		t, _, err := fleetTx(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if parentID == "" {
			parentID = t.RootID
		}
		if _, ok := t.ByID[parentID]; !ok {
			return errs.InvalidField("parent_id", "err.folder.parent_not_found", parentID)
		}
		if t.SiblingNameTaken(parentID, name, "") {
			return errs.E(errs.Conflict, "err.folder.exists", i18n.Quoted(name), t.Path(parentID))
		}
		f := Folder{ID: account.NewID("fld_"), OrgID: orgID, ParentID: parentID, Name: name, CreatedAt: s.clock.Now()}
		if err := tx.CreateFolder(ctx, f); err != nil {
			return err
		}
		out = FolderView{Folder: f, Path: t.Path(parentID) + " / " + name}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: f.CreatedAt, Actor: actor, Action: audit.FolderCreate,
			TargetType: "folder", TargetID: f.ID, Details: map[string]any{"name": name, "path": out.Path}})
	})
	return out, err
}

// UpdateFolder renames and/or moves a folder (DEV-1: no cycles, names unique
// among siblings).
func (s *Service) UpdateFolder(ctx context.Context, actor audit.Actor, orgID, id string, name, parentID *string) (FolderView, error) {
	var out FolderView
	err := s.store.Write(ctx, func(tx Tx) error {
		t, _, err := fleetTx(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		f, ok := t.ByID[id]
		if !ok {
			return errNoFolder(id)
		}
		details := map[string]any{}
		if name != nil {
			n, err := account.CheckName("name", *name)
			if err != nil {
				return err
			}
			if n != f.Name {
				details["name"] = map[string]string{"from": f.Name, "to": n}
				f.Name = n
			}
		}
		if parentID != nil && *parentID != f.ParentID {
			if err := t.CheckMove(id, *parentID); err != nil {
				return err
			}
			details["parent"] = map[string]string{"from": t.Path(f.ParentID), "to": t.Path(*parentID)}
			f.ParentID = *parentID
		}
		if t.SiblingNameTaken(f.ParentID, f.Name, id) {
			return errs.E(errs.Conflict, "err.folder.exists", i18n.Quoted(f.Name), t.Path(f.ParentID))
		}
		if len(details) > 0 {
			if err := tx.UpdateFolder(ctx, f); err != nil {
				return err
			}
			if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.FolderUpdate,
				TargetType: "folder", TargetID: id, Details: details}); err != nil {
				return err
			}
		}
		t.ByID[id] = f
		out = FolderView{Folder: f, Path: t.Path(f.ParentID)}
		if f.ParentID == "" {
			out.Path = f.Name
		} else {
			out.Path += " / " + f.Name
		}
		return nil
	})
	return out, err
}

// Contents is what a folder holds directly: the reason a deletion is
// refused (DEV-2).
type Contents struct {
	Devices    int
	SubFolders int
}

// Empty reports whether the folder holds nothing.
func (c Contents) Empty() bool { return c.Devices == 0 && c.SubFolders == 0 }

// FolderContents counts the devices and sub-folders directly in a folder, for
// a member who may manage folders (what DeleteFolder checks, so that the
// confirmation can say it before asking).
func (s *Service) FolderContents(ctx context.Context, actor audit.Actor, orgID, id string) (Contents, error) {
	var out Contents
	err := s.store.Read(ctx, func(tx Tx) error {
		t, _, err := fleetTx(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if _, ok := t.ByID[id]; !ok {
			return errNoFolder(id)
		}
		out.SubFolders = len(t.Children[id])
		out.Devices, err = tx.CountFolderDevices(ctx, orgID, id)
		return err
	})
	return out, err
}

// DeleteFolder deletes an empty folder after confirmation (DEV-2).
func (s *Service) DeleteFolder(ctx context.Context, actor audit.Actor, orgID, id string, confirm bool) error {
	return s.store.Write(ctx, func(tx Tx) error {
		t, _, err := fleetTx(ctx, tx, actor, orgID)
		if err != nil {
			return err
		}
		if _, ok := t.ByID[id]; ok && t.ByID[id].ParentID != "" {
			n, err := tx.CountFolderDevices(ctx, orgID, id)
			if err != nil {
				return err
			}
			if n > 0 {
				e := errs.E(errs.Conflict, "err.folder.has_devices", n, t.Path(id))
				e.Details = map[string]int{"devices": n}
				return e
			}
		}
		if err := t.CheckDelete(id, confirm); err != nil {
			return err
		}
		path := t.Path(id)
		if err := tx.DeleteFolder(ctx, orgID, id); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.FolderDelete,
			TargetType: "folder", TargetID: id, Details: map[string]any{"path": path}})
	})
}
