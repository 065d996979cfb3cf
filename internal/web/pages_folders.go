package web

import (
	"net/http"
	"net/url"

	"mysystems/internal/access"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

func errFolderNotFound(id string) error { return errs.NotFoundf("err.folder.not_found", id) }

// folderNode is a folder drawn in a tree: the folder tree of the Devices
// and Folders pages and the folder pickers of the invitation and "Roles and access" forms.
// Templates recurse over Children, so each node carries what its row needs.
type folderNode struct {
	ID, Name, Path string
	Root           bool
	Href           string // the page with this folder selected
	Base           string // /orgs/{org}/folders/{id}, for the row actions
	Selected       bool   // the folder shown on the right
	Manage         bool   // the row has the Owner/Admin "…" menu
	Checked        bool   // pickers: the folder is chosen
	Disabled       bool   // pickers: read-only
	Children       []*folderNode
}

// folderTree nests the folders a member sees (already in tree order). A
// folder whose parent is not visible (a granted sub-folder, ACC-1) is a top
// level node.
func folderTree(fs []org.FolderView) ([]*folderNode, map[string]*folderNode) {
	byID := make(map[string]*folderNode, len(fs))
	var roots []*folderNode
	for _, f := range fs {
		n := &folderNode{ID: f.ID, Name: f.Name, Path: f.Path, Root: f.ParentID == ""}
		byID[f.ID] = n
		if p, ok := byID[f.ParentID]; ok {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots, byID
}

// folderPicker is a tree of checkboxes with the chosen folders checked.
func folderPicker(fs []org.FolderView, checked []string, disabled bool) []*folderNode {
	roots, byID := folderTree(fs)
	for _, n := range byID {
		n.Disabled = disabled
	}
	for _, id := range checked {
		if n, ok := byID[id]; ok {
			n.Checked = true
		}
	}
	return roots
}

// folderOption is a choice of a parent folder: its path from the root.
type folderOption struct {
	ID, Path string
	Selected bool
}

func folderOptions(fs []org.FolderView, selected, except string) []folderOption {
	var out []folderOption
	for _, f := range fs {
		if f.ID != except {
			out = append(out, folderOption{ID: f.ID, Path: f.Path, Selected: f.ID == selected})
		}
	}
	return out
}

// folders returns the folders the caller sees (ACC-1), in tree order.
func (c *call) folders() ([]org.FolderView, error) {
	return c.u.d.Orgs.Folders(c.r.Context(), c.actor, c.org.ID)
}

// foldersPage is the data of the Folders page, the Devices page's folder
// management: the folder tree on the left, the selected folder (with a link
// to its devices) and the Create form on the right.
type foldersPage struct {
	Tree      []*folderNode
	Selected  *org.FolderView
	Devices   string         // the Devices page filtered by the selected folder
	Parents   []folderOption // for the Create form
	CanManage bool
}

// foldersView builds the Folders page with selected shown on the right
// (the first visible folder when empty). A folder the caller does not see is
// not found (ACC-2).
func (c *call) foldersView(selected string) (*view, error) {
	fs, err := c.folders()
	if err != nil {
		return nil, err
	}
	page := &foldersPage{CanManage: c.can(access.ManageFleet)}
	tree, byID := folderTree(fs)
	page.Tree = tree
	if selected == "" && len(fs) > 0 {
		selected = fs[0].ID
	}
	if selected != "" {
		n, ok := byID[selected]
		if !ok {
			return nil, errFolderNotFound(selected)
		}
		n.Selected = true
		for i := range fs {
			if fs[i].ID == selected {
				page.Selected = &fs[i]
			}
		}
	}
	for _, n := range byID {
		n.Href = c.orgURL("folders") + "?folder=" + url.QueryEscape(n.ID)
		n.Base = c.orgURL("folders/" + n.ID)
		n.Manage = page.CanManage
	}
	page.Parents = folderOptions(fs, selected, "")
	page.Devices = c.orgURL("devices")
	if selected != "" {
		page.Devices += "?folder=" + url.QueryEscape(selected)
	}
	v := c.view("folders.title", "devices")
	v.Data = page
	return v, nil
}

// folderList shows the folder tree to manage it (DEV-1, ACC-1); the
// Devices page lists each folder's devices.
func (u *UI) folderList(c *call) {
	v, err := c.foldersView(c.r.URL.Query().Get("folder"))
	if err != nil {
		c.fail(err)
		return
	}
	c.render(http.StatusOK, "folders", v)
}

// createFolder creates a folder under the chosen parent (Owner, Admin).
func (u *UI) createFolder(c *call) {
	parent, name := c.r.PostFormValue("parent_id"), c.r.PostFormValue("name")
	v, err := c.foldersView(parent)
	if err != nil {
		c.fail(err)
		return
	}
	v.Form["name"], v.Form["parent_id"] = name, parent
	f, err := u.d.Orgs.CreateFolder(c.r.Context(), c.actor, c.org.ID, parent, name)
	if err != nil {
		c.failedTo("form.error.folder.create", "folders", v, err)
		return
	}
	c.flash("flash.folder.created", f.Path)
	c.redirect(c.orgURL("folders") + "?folder=" + url.QueryEscape(f.ID))
}

// folderPage is the data of a folder's create, rename, move and delete
// pages.
type folderPage struct {
	Folder  org.FolderView
	Parents []folderOption
	Back    string
	// Holds says what the folder holds when that keeps it from being
	// deleted (DEV-2): the delete page then offers no Delete.
	Holds string
	// Devices is the Devices page of the folder.
	Devices string
	// Unchanged says that a move would leave the folder where it is.
	Unchanged string
}

// folderForm loads the folder of the path for one of its pages: not found
// unless the caller sees it (ACC-2), then refused unless the caller may
// manage folders.
func (c *call) folderForm(titleKey string) (*view, bool) {
	f, err := c.u.d.Orgs.Folder(c.r.Context(), c.actor, c.org.ID, c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return nil, false
	}
	if !c.allowed(access.ManageFleet) {
		return nil, false
	}
	v := c.view(titleKey, "devices")
	v.Data = &folderPage{Folder: f, Back: c.orgURL("folders") + "?folder=" + url.QueryEscape(f.ID),
		Devices: c.orgURL("devices") + "?folder=" + url.QueryEscape(f.ID)}
	return v, true
}

// createSubFolderForm is the "…" menu's Create of a folder: the name of a
// new folder inside it (DEV-1).
func (u *UI) createSubFolderForm(c *call) {
	if v, ok := c.folderForm("folders.create.title"); ok {
		c.render(http.StatusOK, "folder_create", v)
	}
}

func (u *UI) createSubFolder(c *call) {
	v, ok := c.folderForm("folders.create.title")
	if !ok {
		return
	}
	page := v.Data.(*folderPage)
	name := c.r.PostFormValue("name")
	v.Form["name"] = name
	f, err := u.d.Orgs.CreateFolder(c.r.Context(), c.actor, c.org.ID, page.Folder.ID, name)
	if err != nil {
		c.failedTo("form.error.folder.create", "folder_create", v, err)
		return
	}
	c.flash("flash.folder.created", f.Path)
	c.redirect(c.orgURL("folders") + "?folder=" + url.QueryEscape(f.ID))
}

func (u *UI) renameFolderForm(c *call) {
	v, ok := c.folderForm("folders.rename.title")
	if !ok {
		return
	}
	v.Form["name"] = v.Data.(*folderPage).Folder.Name
	c.render(http.StatusOK, "folder_rename", v)
}

func (u *UI) renameFolder(c *call) {
	v, ok := c.folderForm("folders.rename.title")
	if !ok {
		return
	}
	page := v.Data.(*folderPage)
	name := c.r.PostFormValue("name")
	v.Form["name"] = name
	f, err := u.d.Orgs.UpdateFolder(c.r.Context(), c.actor, c.org.ID, page.Folder.ID, &name, nil)
	if err != nil {
		c.formFailed("folder_rename", v, err)
		return
	}
	c.flash("flash.folder.renamed", f.Path)
	c.redirect(page.Back)
}

// moveView lists every other folder as a possible parent. Choosing one of
// the folder's own sub-folders is refused by the service (no cycles,
// DEV-1), whose message the page shows.
func (c *call) moveView(parent string) (*view, bool) {
	v, ok := c.folderForm("folders.move.title")
	if !ok {
		return nil, false
	}
	page := v.Data.(*folderPage)
	fs, err := c.folders()
	if err != nil {
		c.fail(err)
		return nil, false
	}
	if parent == "" {
		parent = page.Folder.ParentID
	}
	page.Parents = folderOptions(fs, parent, page.Folder.ID)
	return v, true
}

func (u *UI) moveFolderForm(c *call) {
	if v, ok := c.moveView(""); ok {
		c.render(http.StatusOK, "folder_move", v)
	}
}

func (u *UI) moveFolder(c *call) {
	parent := c.r.PostFormValue("parent_id")
	v, ok := c.moveView(parent)
	if !ok {
		return
	}
	page := v.Data.(*folderPage)
	if parent == page.Folder.ParentID {
		// Nothing to do: say so rather than report a move.
		for _, p := range page.Parents {
			if p.ID == parent {
				page.Unchanged = c.t("folders.move.unchanged", page.Folder.Path, p.Path)
			}
		}
		if page.Unchanged != "" {
			c.render(http.StatusOK, "folder_move", v)
			return
		}
	}
	f, err := u.d.Orgs.UpdateFolder(c.r.Context(), c.actor, c.org.ID, page.Folder.ID, nil, &parent)
	if err != nil {
		c.failedTo("form.error.folder.move", "folder_move", v, err)
		return
	}
	c.flash("flash.folder.moved", f.Path)
	c.redirect(page.Back)
}

// deleteView is the delete page of the folder of the path, saying what the
// folder holds when that keeps it from being deleted (DEV-2).
func (c *call) deleteView() (*view, bool) {
	v, ok := c.folderForm("folders.delete.title")
	if !ok {
		return nil, false
	}
	page := v.Data.(*folderPage)
	if page.Folder.ParentID == "" {
		return v, true // the root: the service says why not
	}
	in, err := c.u.d.Orgs.FolderContents(c.r.Context(), c.actor, c.org.ID, page.Folder.ID)
	if err != nil {
		c.fail(err)
		return nil, false
	}
	page.Holds = c.folderHolds(in)
	return v, true
}

// folderHolds says what a folder holds ("This folder holds 3 devices and 1
// sub-folder: …"), "" when it is empty.
func (c *call) folderHolds(in org.Contents) string {
	var parts []string
	if in.Devices > 0 {
		parts = append(parts, c.t("folders.holds.devices", in.Devices))
	}
	if in.SubFolders > 0 {
		parts = append(parts, c.t("folders.holds.subfolders", in.SubFolders))
	}
	switch len(parts) {
	case 0:
		return ""
	case 2:
		parts = []string{c.t("folders.holds.both", parts[0], parts[1])}
	}
	return c.t("folders.delete.holds", in.Devices+in.SubFolders, parts[0])
}

func (u *UI) deleteFolderForm(c *call) {
	if v, ok := c.deleteView(); ok {
		c.render(http.StatusOK, "folder_delete", v)
	}
}

// deleteFolder deletes an empty folder once the risk is acknowledged
// (DEV-2). A folder that is not empty (something was put in it since its
// page was drawn) is refused by the service (409), whose reason the page
// shows with what the folder now holds.
func (u *UI) deleteFolder(c *call) {
	v, ok := c.deleteView()
	if !ok {
		return
	}
	page := v.Data.(*folderPage)
	if page.Holds == "" && !c.acknowledged("folder_delete", v) {
		return
	}
	// A folder the page found holding something is not confirmed for
	// deletion: emptied meanwhile, it is refused rather than deleted
	// unconfirmed; still full, the service says what it holds.
	if err := u.d.Orgs.DeleteFolder(c.r.Context(), c.actor, c.org.ID, page.Folder.ID, page.Holds == ""); err != nil {
		c.failedTo("form.error.folder.delete", "folder_delete", v, err)
		return
	}
	c.flash("flash.folder.deleted", page.Folder.Path)
	c.redirect(c.orgURL("folders") + "?folder=" + url.QueryEscape(page.Folder.ParentID))
}
