package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mysystems/internal/access"
	"mysystems/internal/device"
)

// upload posts a multipart form with one file, as a browser's file input
// does, with the CSRF token of the client's cookie unless fields has one.
func (c *client) upload(path string, fields url.Values, file, name, content string) response {
	c.t.Helper()
	if c.cookie("mysystems_csrf") == "" {
		c.get("/login")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		_ = w.WriteField("csrf", c.cookie("mysystems_csrf"))
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, err := w.CreateFormFile(file, name)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.do("POST", path, &body, w.FormDataContentType())
}

var fieldError = regexp.MustCompile(`<p class="field-error" id="oak-error">([^<]*)</p>`)

// TestDEV3_DeviceOnboarding adds devices one at a time through the form, with
// its errors (DEV-3).
func TestDEV3_DeviceOnboarding(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "onboard@example.com", "Onboard Corp")
	siteA := createFolder(t, owner, id, root, "Site A")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(2)

	r := owner.get(base)
	wantStatus(t, "devices page", r, http.StatusOK)
	wantBody(t, "devices page", r, `id="devices-empty"`, `id="device-add"`, `id="device-import"`, `id="devices-export"`,
		`<a href="`+base+`" aria-current="page">`, `id="folder-tree"`, `data-folder-id="`+siteA+`"`)
	r = owner.get(base + "/add?folder=" + siteA)
	wantStatus(t, "add page", r, http.StatusOK)
	wantBody(t, "add page", r, `<option value="`+siteA+`" selected>Default / Site A</option>`, `name="oak"`)

	add := func(form url.Values) response { return owner.post(base+"/add", form) }
	r = add(url.Values{"serial": {""}, "oak": {ms[0].OAK}})
	wantStatus(t, "no serial", r, http.StatusBadRequest)
	wantBody(t, "no serial", r, `id="serial-error"`, `id="form-error"`)

	// A wrong OAK and an unknown serial read exactly alike.
	r = add(url.Values{"serial": {ms[0].Serial}, "oak": {"WRONGOAK1234"}, "folder_id": {siteA}})
	wantStatus(t, "wrong OAK", r, http.StatusBadRequest)
	wrong := fieldError.FindStringSubmatch(r.body)
	wantBody(t, "wrong OAK", r, `value="`+ms[0].Serial+`"`, `aria-invalid="true"`)
	r = add(url.Values{"serial": {"ACCC8E999999"}, "oak": {"WRONGOAK1234"}, "folder_id": {siteA}})
	wantStatus(t, "unknown serial", r, http.StatusBadRequest)
	unknown := fieldError.FindStringSubmatch(r.body)
	if wrong == nil || unknown == nil || wrong[1] != unknown[1] || !strings.Contains(wrong[1], "do not match") {
		t.Fatalf("wrong OAK says %q, unknown serial %q: want the same message", wrong, unknown)
	}
	r = add(url.Values{"serial": {ms[0].Serial}, "oak": {ms[0].OAK}, "folder_id": {"fld_nope"}})
	wantStatus(t, "unknown folder", r, http.StatusBadRequest)
	wantBody(t, "unknown folder", r, `id="folder_id-error"`)

	dev := claim(t, owner, id, ms[0], siteA, "Lobby camera")
	r = owner.get(base + "/" + dev)
	wantStatus(t, "device page", r, http.StatusOK)
	wantBody(t, "device page", r, "Device “Lobby camera” added.", `<span id="device-name">Lobby camera</span>`,
		`<code id="device-serial">`+ms[0].Serial+`</code>`, testModel, "Default / Site A", `data-status="offline"`,
		`id="action-reboot"`, `id="action-identify"`, `id="accounts-link"`, `id="remove-link"`)
	r = add(url.Values{"serial": {strings.ToLower(ms[0].Serial)}, "oak": {ms[0].OAK}})
	wantStatus(t, "claimed twice", r, http.StatusConflict)
	wantBody(t, "claimed twice", r, "already in this organization")

	// Without a name, the device is named after its model and serial; the
	// root folder is the default.
	other := claim(t, owner, id, ms[1], "", "")
	wantBody(t, "default name", owner.get(base+"/"+other), testModel+" "+ms[1].Serial[len(ms[1].Serial)-6:])

	// The folder's devices: the Devices page filtered by that folder.
	r = owner.get(base + "?folder=" + siteA)
	wantBody(t, "folder list", r, `data-device-id="`+dev+`"`, "Lobby camera", `<h2 id="list-heading">Site A</h2>`)
	wantNoBody(t, "folder list", r, `data-device-id="`+other+`"`)
	r = owner.get(base + "?folder=" + root)
	wantBody(t, "subtree", r, `data-device-id="`+dev+`"`, `data-device-id="`+other+`"`)
	wantBody(t, "folders page", owner.get("/orgs/"+id+"/folders?folder="+siteA), `href="`+base+`?folder=`+siteA+`"`)

	t.Run("French", func(t *testing.T) {
		wantRedirect(t, "switch", owner.post("/lang", url.Values{"lang": {"fr"}, "next": {base}}), base)
		defer owner.post("/lang", url.Values{"lang": {"en"}})
		wantBody(t, "French list", owner.get(base), "Périphériques", "Ajouter un périphérique", "Numéro de série",
			"Exporter en CSV", "Hors ligne")
		wantBody(t, "French device", owner.get(base+"/"+dev), "Supprimer le périphérique de l&#39;organisation",
			"Redémarrer", "Comptes locaux du périphérique")
	})
}

// TestDEV3_DeviceImport imports devices from CSV, all or nothing with a
// per-line report (DEV-3).
func TestDEV3_DeviceImport(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "import@example.com", "Import Corp")
	siteA := createFolder(t, owner, id, root, "Site A")
	createFolder(t, owner, id, siteA, "Lobby")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(3)

	wantBody(t, "import page", owner.get(base+"/import"), `enctype="multipart/form-data"`, `name="file"`, `name="csv"`)
	good0 := ms[0].Serial + "," + ms[0].OAK + ","
	wantStatus(t, "import without CSRF token", owner.post(base+"/import", url.Values{"csrf": {""}, "csv": {good0}}),
		http.StatusForbidden)
	r0 := owner.upload(base+"/import", url.Values{"csrf": {"x"}}, "file", "d.csv", good0)
	wantStatus(t, "upload with a wrong CSRF token", r0, http.StatusForbidden)
	r0 = owner.upload(base+"/import", nil, "file", "big.csv", strings.Repeat(good0+"\n", 1<<20/len(good0)+1))
	wantStatus(t, "file too large", r0, http.StatusRequestEntityTooLarge)
	wantBody(t, "file too large", r0, "larger than 1 MB")
	wantBody(t, "nothing claimed yet", owner.get(base), `id="devices-empty"`)
	r := owner.post(base+"/import", url.Values{"csv": {"  \n"}})
	wantStatus(t, "empty", r, http.StatusBadRequest)
	wantBody(t, "empty", r, `id="csv-error"`)
	r = owner.post(base+"/import", url.Values{"csv": {"just-one-column\n"}})
	wantStatus(t, "malformed", r, http.StatusBadRequest)
	wantBody(t, "malformed", r, `id="csv-error"`, "line 1")

	bad := csvOf("serial,oak,folder",
		ms[0].Serial+","+ms[0].OAK+",Site A/Lobby",
		ms[1].Serial+",WRONGOAK1234,",
		ms[2].Serial+","+ms[2].OAK+",Nowhere")
	r = owner.post(base+"/import", url.Values{"csv": {bad}})
	wantStatus(t, "refused", r, http.StatusBadRequest)
	wantBody(t, "refused", r, `id="import-report"`, `id="import-refused">No device was claimed.`,
		"2 of 3 lines have errors", `<tr data-line="2">`, `<tr data-line="3" class="bad">`, `<tr data-line="4" class="bad">`,
		ms[1].Serial, "do not match", "folder &#34;Nowhere&#34; not found")
	// The lines come back in the text box, to be corrected.
	wantBody(t, "refused", r, html.EscapeString(ms[0].Serial+","+ms[0].OAK+",Site A/Lobby"))
	wantBody(t, "nothing claimed", owner.get(base), `id="devices-empty"`)

	// The same file, corrected, uploaded as a file.
	good := csvOf(ms[0].Serial+","+ms[0].OAK+",Site A/Lobby", ms[1].Serial+","+ms[1].OAK+",")
	r = owner.upload(base+"/import", nil, "file", "devices.csv", good)
	wantRedirect(t, "import", r, base+"?sort=-claimed")
	r = owner.get(base + "?sort=-claimed")
	wantBody(t, "imported", r, "Devices added from the CSV file: 2.", ms[0].Serial, ms[1].Serial, "Default / Site A / Lobby")
	wantNoBody(t, "imported", r, ms[2].Serial)
	wantBody(t, "in Site A", owner.get(base+"?folder="+siteA), ms[0].Serial)
	wantNoBody(t, "in Site A", owner.get(base+"?folder="+siteA), ms[1].Serial)

	// Filters and their errors.
	wantBody(t, "search", owner.get(base+"?q="+strings.ToLower(ms[1].Serial[6:])), ms[1].Serial)
	wantNoBody(t, "search", owner.get(base+"?q="+ms[1].Serial), ms[0].Serial)
	wantBody(t, "model", owner.get(base+"?model="+url.QueryEscape(testModel)), ms[0].Serial, ms[1].Serial)
	wantBody(t, "other model", owner.get(base+"?model=AXIS+M1065"), `id="devices-empty"`, "No devices match these filters.")
	wantBody(t, "offline", owner.get(base+"?status=offline"), ms[0].Serial, ms[1].Serial)
	wantBody(t, "online", owner.get(base+"?status=online"), `id="devices-empty"`)
	r = owner.get(base + "?status=sleeping")
	wantStatus(t, "bad status", r, http.StatusBadRequest)
	wantBody(t, "bad status", r, `id="status-error"`)
	wantStatus(t, "bad sort", owner.get(base+"?sort=color"), http.StatusBadRequest)
	wantStatus(t, "hidden folder", owner.get(base+"?folder=fld_nope"), http.StatusNotFound)
}

// TestDEV4_DeviceListPages walks the list page by page (DEV-4).
func TestDEV4_DeviceListPages(t *testing.T) {
	srv, a := server(t)
	owner := register(t, srv, "pages@example.com")
	id := createOrg(t, owner, "Pages Corp")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(53)
	var lines []string
	for _, m := range ms {
		lines = append(lines, m.Serial+","+m.OAK+",")
	}
	wantRedirect(t, "import", owner.post(base+"/import", url.Values{"csv": {csvOf(lines...)}}), base+"?sort=-claimed")

	r := owner.get(base + "?sort=serial")
	if n := strings.Count(r.body, "<tr data-device-id="); n != 50 {
		t.Fatalf("page 1 has %d devices, want 50", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next" id="next-page"`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatalf("no next page link; body:\n%s", r.body)
	}
	wantNoBody(t, "page 1", r, `id="first-page"`)
	link := html.UnescapeString(next[1])
	if !strings.Contains(link, "sort=serial") {
		t.Fatalf("the next page link %q loses the sort", link)
	}
	r = owner.get(link)
	if n := strings.Count(r.body, "<tr data-device-id="); n != 3 {
		t.Fatalf("page 2 has %d devices, want 3", n)
	}
	wantBody(t, "page 2", r, `id="first-page"`)
	wantNoBody(t, "page 2", r, `id="next-page"`)
	r = owner.get(base + "?cursor=garbage")
	wantStatus(t, "bad cursor", r, http.StatusBadRequest)
	wantBody(t, "bad cursor", r, `id="form-error"`, "Could not show this list:", "cursor is not valid")
	wantNoBody(t, "bad cursor", r, "Could not save")
}

// TestDEV4_DeviceExportCSV exports the filtered list, every page, with what a
// member may see (DEV-4, ACC-1).
func TestDEV4_DeviceExportCSV(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "export@example.com", "Export Corp")
	siteA := createFolder(t, owner, id, root, "Site A")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(3)
	inA := claim(t, owner, id, ms[0], siteA, "=HYPERLINK(\"x\")")
	claim(t, owner, id, ms[1], root, "Gate")
	claim(t, owner, id, ms[2], root, "Yard")

	r := owner.get(base + "/export.csv")
	wantStatus(t, "csv", r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "devices-"+id+".csv") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 4 || lines[0] != "id,serial,name,model,firmware,folder,status,last_seen,recommended_version" {
		t.Fatalf("csv:\n%s", r.body)
	}
	wantBody(t, "csv", r, inA+","+ms[0].Serial+`,"'=HYPERLINK(""x"")",`+testModel+",unknown,Default / Site A,offline,",
		ms[1].Serial+",Gate,", ms[2].Serial+",Yard,")
	r = owner.get(base + "/export.csv?folder=" + siteA)
	if lines := strings.Split(strings.TrimSpace(r.body), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ms[0].Serial) {
		t.Fatalf("folder export:\n%s", r.body)
	}
	wantBody(t, "export link keeps the filters", owner.get(base+"?folder="+siteA+"&q=x"),
		`href="`+base+`/export.csv?folder=`+siteA+`&amp;q=x"`)

	viewer := member(t, a, owner, id, "export.viewer@example.com", access.Viewer, siteA)
	r = viewer.get(base + "/export.csv")
	wantStatus(t, "viewer csv", r, http.StatusOK)
	wantBody(t, "viewer csv", r, ms[0].Serial)
	wantNoBody(t, "viewer csv", r, ms[1].Serial, ms[2].Serial)
	wantStatus(t, "viewer csv of a hidden folder", viewer.get(base+"/export.csv?folder="+root), http.StatusNotFound)
	wantStatus(t, "stranger csv", register(t, srv, "export.stranger@example.com").get(base+"/export.csv"), http.StatusNotFound)
}

var commandLocation = regexp.MustCompile(`\?cmd=(cmd_[a-z0-9]+)$`)

// commandOf reads a command's JSON as the page's script does.
func commandOf(t *testing.T, c *client, orgID, cmd string) (int, map[string]any) {
	t.Helper()
	r := c.get("/orgs/" + orgID + "/commands/" + cmd + ".json")
	var out map[string]any
	if r.status == http.StatusOK {
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("command JSON: Content-Type %q", ct)
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatalf("command JSON: %v: %s", err, r.body)
		}
	}
	return r.status, out
}

// TestACC2_DevicePermissions: Viewers and Operators see only the devices of
// their folders (ACC-1, ACC-2); Viewers cannot control devices, Operators
// can but cannot manage them (USR roles table).
func TestACC2_DevicePermissions(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "perm@example.com", "Perm Corp")
	siteA := createFolder(t, owner, id, root, "Site A")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(3)
	devA := claim(t, owner, id, ms[0], siteA, "Camera A")
	devB := claim(t, owner, id, ms[1], root, "Camera B")

	viewer := member(t, a, owner, id, "perm.viewer@example.com", access.Viewer, siteA)
	operator := member(t, a, owner, id, "perm.operator@example.com", access.Operator, siteA)

	t.Run("Viewer", func(t *testing.T) {
		r := viewer.get(base)
		wantStatus(t, "list", r, http.StatusOK)
		wantBody(t, "list", r, `data-device-id="`+devA+`"`, "Camera A", `id="devices-export"`)
		wantNoBody(t, "list", r, devB, "Camera B", ms[1].Serial, `id="device-add"`, `id="device-import"`, `id="manage-folders"`,
			`data-folder-id="`+root+`"`)
		wantNoBody(t, "search for the hidden one", viewer.get(base+"?q="+ms[1].Serial), devB)
		r = viewer.get(base + "/" + devA)
		wantStatus(t, "granted device", r, http.StatusOK)
		wantBody(t, "granted device", r, "Camera A", `id="actions-readonly"`, `id="manage-readonly"`)
		wantNoBody(t, "granted device", r, `id="action-reboot"`, `id="accounts-link"`, `id="remove-link"`)
		for _, path := range []string{base + "/" + devB, base + "/" + devB + "/accounts", base + "/" + devB + "/remove",
			base + "/" + devB + "/rename", base + "?folder=" + root, base + "/dev_nope"} {
			r := viewer.get(path)
			wantStatus(t, "viewer GET "+path, r, http.StatusNotFound)
			wantNoBody(t, "viewer GET "+path, r, "Camera B")
		}
		wantStatus(t, "reboot a hidden device", viewer.post(base+"/"+devB+"/actions", url.Values{"type": {"reboot"}}),
			http.StatusNotFound)
		r = viewer.post(base+"/"+devA+"/actions", url.Values{"type": {"reboot"}})
		wantStatus(t, "reboot", r, http.StatusForbidden)
		wantBody(t, "reboot", r, "does not allow")
		for _, path := range []string{base + "/add", base + "/import", base + "/" + devA + "/accounts",
			base + "/" + devA + "/rename", base + "/" + devA + "/move", base + "/" + devA + "/remove"} {
			wantStatus(t, "viewer GET "+path, viewer.get(path), http.StatusForbidden)
		}
		wantStatus(t, "add", viewer.post(base+"/add", url.Values{"serial": {ms[2].Serial}, "oak": {ms[2].OAK}, "folder_id": {siteA}}),
			http.StatusForbidden)
		wantStatus(t, "remove", viewer.post(base+"/"+devA+"/remove", url.Values{"confirm": {"yes"}}), http.StatusForbidden)
		wantStatus(t, "still there", owner.get(base+"/"+devA), http.StatusOK)
	})

	t.Run("Operator", func(t *testing.T) {
		r := operator.get(base + "/" + devA)
		wantBody(t, "device", r, `id="action-reboot"`, `id="action-identify"`, `id="manage-readonly"`)
		wantNoBody(t, "device", r, `id="accounts-link"`, `id="remove-link"`)
		r = operator.post(base+"/"+devA+"/actions", url.Values{"type": {"reboot"}})
		m := commandLocation.FindStringSubmatch(r.location())
		if r.status != http.StatusSeeOther || m == nil || !strings.HasPrefix(r.location(), base+"/"+devA+"?cmd=") {
			t.Fatalf("reboot: got %d to %q", r.status, r.location())
		}
		cmd := m[1]
		r = operator.get(r.location())
		wantBody(t, "command shown", r, `id="command"`, `<strong id="command-what">Reboot</strong>`, `data-state="pending"`,
			"Pending: waiting for the device", `data-command-url="/orgs/`+id+`/commands/`+cmd+`.json"`,
			`<noscript><meta http-equiv="refresh" content="3"></noscript>`)
		status, c := commandOf(t, operator, id, cmd)
		if status != http.StatusOK || c["state"] != "pending" || c["done"] != false || c["type"] != "reboot" ||
			!strings.HasPrefix(c["state_label"].(string), "Pending") {
			t.Fatalf("command JSON: %d %v", status, c)
		}
		// Viewers of the folder follow it too; nobody else does.
		if status, _ := commandOf(t, viewer, id, cmd); status != http.StatusOK {
			t.Fatalf("viewer reads the command: %d", status)
		}
		if status, _ := commandOf(t, register(t, srv, "perm.stranger@example.com"), id, cmd); status != http.StatusNotFound {
			t.Fatalf("stranger reads the command: %d", status)
		}
		wantStatus(t, "not JSON", operator.get("/orgs/"+id+"/commands/"+cmd), http.StatusNotFound)
		wantStatus(t, "bad action", operator.post(base+"/"+devA+"/actions", url.Values{"type": {"explode"}}),
			http.StatusBadRequest)

		r = owner.post(base+"/"+devB+"/actions", url.Values{"type": {"identify"}})
		hidden := commandLocation.FindStringSubmatch(r.location())
		if hidden == nil {
			t.Fatalf("owner identify: %d %q", r.status, r.location())
		}
		if status, _ := commandOf(t, viewer, id, hidden[1]); status != http.StatusNotFound {
			t.Fatalf("viewer reads a hidden device's command: %d", status)
		}
		// A command of another device is not shown on this one's page.
		wantNoBody(t, "other device's command", owner.get(base+"/"+devA+"?cmd="+hidden[1]), `id="command"`)

		for _, path := range []string{base + "/" + devA + "/accounts", base + "/" + devA + "/accounts/new",
			base + "/" + devA + "/accounts/root/password", base + "/" + devA + "/remove", base + "/add"} {
			wantStatus(t, "operator GET "+path, operator.get(path), http.StatusForbidden)
		}
		r = operator.post(base+"/"+devA+"/accounts/new", url.Values{"username": {"x"}, "role": {"viewer"},
			"password": {"pw"}, "password_confirm": {"pw"}})
		wantStatus(t, "operator creates an account", r, http.StatusForbidden)
		r = operator.post(base+"/"+devA+"/accounts/root/password", url.Values{"password": {"pw"}, "password_confirm": {"pw"}})
		wantStatus(t, "operator changes a password", r, http.StatusForbidden)
		wantStatus(t, "operator renames", operator.post(base+"/"+devA+"/rename", url.Values{"name": {"Mine"}}), http.StatusForbidden)
	})

	t.Run("RenameMove", func(t *testing.T) {
		r := owner.get(base + "/" + devA + "/rename")
		wantBody(t, "rename page", r, `value="Camera A"`)
		r = owner.post(base+"/"+devA+"/rename", url.Values{"name": {"  "}})
		wantStatus(t, "empty name", r, http.StatusBadRequest)
		wantBody(t, "empty name", r, `id="name-error"`)
		wantRedirect(t, "rename", owner.post(base+"/"+devA+"/rename", url.Values{"name": {"Front door"}}), base+"/"+devA)
		wantBody(t, "renamed", owner.get(base+"/"+devA), "Device renamed: “Front door”.")

		r = owner.get(base + "/" + devA + "/move")
		wantBody(t, "move page", r, `<option value="`+siteA+`" selected>`, `<option value="`+root+`">`)
		wantStatus(t, "move nowhere", owner.post(base+"/"+devA+"/move", url.Values{"folder_id": {"fld_nope"}}), http.StatusBadRequest)
		wantRedirect(t, "move", owner.post(base+"/"+devA+"/move", url.Values{"folder_id": {root}}), base+"/"+devA)
		wantBody(t, "moved", owner.get(base+"/"+devA), "Device moved to “Default”.")
		// Out of Site A: the Viewer no longer sees it (ACC-1).
		wantStatus(t, "viewer after the move", viewer.get(base+"/"+devA), http.StatusNotFound)
		wantNoBody(t, "viewer list after the move", viewer.get(base), devA)
	})
}

// TestDEV5_DeviceRemove removes a device after the confirmation that says what
// happens (DEV-5); it can then be claimed again as a new device.
func TestDEV5_DeviceRemove(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "remove@example.com", "Remove Corp")
	base := "/orgs/" + id + "/devices"
	ms := a.Mint(1)
	dev := claim(t, owner, id, ms[0], root, "Old camera")

	r := owner.get(base + "/" + dev + "/remove")
	wantStatus(t, "confirmation", r, http.StatusOK)
	wantBody(t, "confirmation", r, "Remove device from organization", "You are about to remove “Old camera” ("+ms[0].Serial+")",
		"It leaves the organization at once", "claimed again with its serial number and owner authentication key (OAK)",
		"Its history stays in the audit log.", "I understand the risks", `data-confirm-form`)

	r = owner.post(base+"/"+dev+"/remove", nil)
	wantStatus(t, "without acknowledgement", r, http.StatusBadRequest)
	wantBody(t, "without acknowledgement", r, `id="confirm-error"`, "Tick the box to confirm")
	wantNoBody(t, "without acknowledgement", r, "confirm=true")
	wantStatus(t, "still there", owner.get(base+"/"+dev), http.StatusOK)

	wantRedirect(t, "remove", owner.post(base+"/"+dev+"/remove", url.Values{"confirm": {"yes"}}), base+"?folder="+root)
	wantBody(t, "after remove", owner.get(base), "Device “Old camera” was removed from the organization.", `id="devices-empty"`)
	wantStatus(t, "removed device", owner.get(base+"/"+dev), http.StatusNotFound)
	wantBody(t, "audit", owner.get("/orgs/"+id+"/audit?action=device.remove"), "<code>device.remove</code>", dev)

	again := claim(t, owner, id, ms[0], root, "")
	if again == dev {
		t.Fatal("a device claimed again kept its old id")
	}
}

// accountRow returns the row of a device account in the accounts table.
func accountRow(body, username string) string {
	return regexp.MustCompile(`(?s)<tr data-username="` + regexp.QuoteMeta(username) + `".*?</tr>`).FindString(body)
}

// TestDEV6_DeviceAccounts lists, creates, changes and deletes device local
// accounts through a device that applies them (DEV-6).
func TestDEV6_DeviceAccounts(t *testing.T) {
	srv, a := server(t)
	owner, id, root := ownOrg(t, srv, "accounts@example.com", "Accounts Corp")
	ms := a.Mint(1)
	d := a.Device(ms[0])
	d.Hello()
	dev := claim(t, owner, id, ms[0], root, "Door")
	accounts := "/orgs/" + id + "/devices/" + dev + "/accounts"

	r := owner.get(accounts)
	wantStatus(t, "accounts", r, http.StatusOK)
	rootRow, service := accountRow(r.body, "root"), accountRow(r.body, "acs-service")
	if !strings.Contains(rootRow, `data-action="password"`) || strings.Contains(rootRow, `data-action="delete"`) {
		t.Fatalf("root's row: %s", rootRow)
	}
	if !strings.Contains(service, `data-service="true"`) || !strings.Contains(service, "Service account") ||
		strings.Contains(service, "data-action") || strings.Contains(service, "<details") {
		t.Fatalf("a service account's row: %s", service)
	}
	wantStatus(t, "service password page", owner.get(accounts+"/acs-service/password"), http.StatusConflict)
	r = owner.post(accounts+"/acs-service/password", url.Values{"password": {"x"}, "password_confirm": {"x"}})
	wantStatus(t, "service password", r, http.StatusConflict)
	wantBody(t, "service password", r, "service account")
	wantStatus(t, "delete root page", owner.get(accounts+"/root/delete"), http.StatusConflict)
	wantStatus(t, "delete root", owner.post(accounts+"/root/delete", nil), http.StatusConflict)
	wantStatus(t, "unknown account", owner.get(accounts+"/nobody/password"), http.StatusNotFound)

	const secret = "S3cret-pass word!"
	r = owner.post(accounts+"/new", url.Values{"username": {"op1"}, "role": {"operator"}, "password": {secret},
		"password_confirm": {secret + "x"}})
	wantStatus(t, "mismatch", r, http.StatusBadRequest)
	wantBody(t, "mismatch", r, `id="password_confirm-error"`, "the two passwords are not the same", `value="op1"`,
		`<option value="operator" selected>`)
	wantNoBody(t, "mismatch", r, secret)
	r = owner.post(accounts+"/new", url.Values{"username": {"op1"}, "role": {"operator"}, "password": {"pässword"},
		"password_confirm": {"pässword"}})
	wantStatus(t, "not ASCII", r, http.StatusBadRequest)
	wantBody(t, "not ASCII", r, `id="password-error"`, "printable ASCII")
	wantNoBody(t, "not ASCII", r, "pässword", "p&#228;ssword")
	r = owner.post(accounts+"/new", url.Values{"username": {"root"}, "role": {"operator"}, "password": {secret},
		"password_confirm": {secret}})
	wantStatus(t, "existing name", r, http.StatusConflict)

	r = owner.post(accounts+"/new", url.Values{"username": {"op1"}, "role": {"operator"}, "password": {secret},
		"password_confirm": {secret}})
	m := commandLocation.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil || !strings.HasPrefix(r.location(), accounts+"?cmd=") {
		t.Fatalf("create: got %d to %q; body:\n%s", r.status, r.location(), r.body)
	}
	r = owner.get(r.location())
	wantBody(t, "pending", r, "Create the account “op1”", `data-state="pending"`, `id="command-refresh" hidden`)
	wantNoBody(t, "pending", r, secret)

	cmds := d.Poll(0)
	if len(cmds) != 1 || cmds[0].ID != m[1] || cmds[0].Type != device.CmdAccountCreate {
		t.Fatalf("the device received %+v", cmds)
	}
	if strings.Contains(string(cmds[0].Args), secret) {
		t.Fatal("the password travels in clear")
	}
	if status, c := commandOf(t, owner, id, m[1]); status != http.StatusOK || c["state"] != "delivered" {
		t.Fatalf("delivered: %d %v", status, c)
	}
	if r := d.Apply(cmds[0]); r.Result != "account op1 created" || !d.CheckPassword("op1", secret) {
		t.Fatalf("the device did not create op1 with the password sent: %+v", r)
	}
	status, c := commandOf(t, owner, id, m[1])
	if status != http.StatusOK || c["state"] != "applied" || c["done"] != true || c["result"] != "account op1 created" {
		t.Fatalf("applied: %d %v", status, c)
	}
	r = owner.get(accounts + "?cmd=" + m[1])
	wantBody(t, "applied", r, `data-state="applied"`, "account op1 created", `<tr data-username="op1">`)
	wantNoBody(t, "applied", r, "<noscript><meta")
	if row := accountRow(r.body, "op1"); !strings.Contains(row, `data-action="password"`) || !strings.Contains(row, `data-action="delete"`) ||
		!strings.Contains(row, "Operator") {
		t.Fatalf("op1's row: %s", row)
	}

	// A change the device refuses shows its reason.
	wantBody(t, "password page", owner.get(accounts+"/op1/password"), `name="password_confirm"`, "New password of “op1” on Door.")
	r = owner.post(accounts+"/op1/password", url.Values{"password": {"another one"}, "password_confirm": {"another one"}})
	m = commandLocation.FindStringSubmatch(r.location())
	if m == nil {
		t.Fatalf("password: got %d to %q; body:\n%s", r.status, r.location(), r.body)
	}
	cmds = d.Poll(0)
	if len(cmds) != 1 || cmds[0].Type != device.CmdAccountPassword {
		t.Fatalf("the device received %+v", cmds)
	}
	d.RefuseAccountChanges(1, "the account database is locked")
	d.Apply(cmds[0])
	wantBody(t, "failed", owner.get(accounts+"?cmd="+m[1]), `data-state="failed"`, "Failed", "the account database is locked",
		"Change the password of “op1”")

	wantBody(t, "delete page", owner.get(accounts+"/op1/delete"), "Delete the account “op1” from Door?")
	r = owner.post(accounts+"/op1/delete", nil)
	m = commandLocation.FindStringSubmatch(r.location())
	if m == nil {
		t.Fatalf("delete: got %d to %q", r.status, r.location())
	}
	cmds = d.Poll(0)
	if r := d.Apply(cmds[0]); r.Result != "account op1 deleted" {
		t.Fatalf("delete: %+v", r)
	}
	r = owner.get(accounts + "?cmd=" + m[1])
	wantBody(t, "deleted", r, "Delete the account “op1”", `data-state="applied"`)
	wantNoBody(t, "deleted", r, `<tr data-username="op1">`)
	wantBody(t, "audit", owner.get("/orgs/"+id+"/audit"), "device.account.create", "device.account.delete")
	wantNoBody(t, "audit", owner.get("/orgs/"+id+"/audit/export.csv"), secret)
}
