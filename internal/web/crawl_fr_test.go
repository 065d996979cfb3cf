package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"mysystems/internal/access"
	"mysystems/internal/audit"
	"mysystems/internal/harness"
	"mysystems/internal/license"
	"mysystems/internal/sim"
	"mysystems/internal/web"
)

// crawlSeed is an organization with something on every page: members of
// every role, folders, pending, revoked and accepted invitations, devices
// online and never seen, commands done and pending, device accounts, API
// tokens, and audit entries of every action.
type crawlSeed struct {
	a                           *harness.Server
	org, archived               string
	root, hall, floor, garage   string
	dev, moved, silent          string // a device with commands and accounts, one moved, one never seen
	done, pending               string // commands
	account                     string // a device account's username
	invitation, invitationToken string // a pending invitation
	people                      map[access.Role]harness.User
	tokens                      map[string]string // user id → an API token's id
	mfa                         harness.User      // a person with e-mail codes as second factor
	data                        []string          // every value the seed typed: people's data, not the product's words
	invitationMail, mfaCodeMail string
	server, current             string // ACS Pro servers: one with a queued upgrade, one up to date
	up                          *upgradeSeed
}

func (s *crawlSeed) call(method, path, token string, body any, want int) harness.Resp {
	s.a.T.Helper()
	r := s.a.Call(method, path, token, body)
	if r.Status != want {
		s.a.T.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

func seedCrawl(t *testing.T) *crawlSeed {
	a := harness.New(t, nil, harness.NoRateLimit(), harness.WallClock())
	s := &crawlSeed{a: a, people: map[access.Role]harness.User{}, tokens: map[string]string{}}
	owner := a.User("camille@exemple.fr")
	s.call("PATCH", "/api/v1/me", owner.Token, map[string]string{"lang": "fr"}, 200)
	s.people[access.Owner] = owner
	s.org, s.root = a.Org(owner.Token, "Maison Dupond")
	o := "/api/v1/orgs/" + s.org
	s.call("PATCH", o, owner.Token, map[string]string{"name": "Maison Dupont", "notes": "Code du portail : 1234"}, 200)
	folder := func(name, parent string) string {
		return s.call("POST", o+"/folders", owner.Token, map[string]string{"name": name, "parent_id": parent}, 201).Str("id")
	}
	s.hall, s.garage = folder("Hall", s.root), folder("Garage", s.root)
	s.floor = folder("Étage 1", s.hall)
	cellar := folder("Cave", s.root)
	s.call("PATCH", o+"/folders/"+cellar, owner.Token, map[string]string{"name": "Cellier"}, 200)
	s.call("PATCH", o+"/folders/"+cellar, owner.Token, map[string]string{"parent_id": s.hall}, 200)
	s.call("DELETE", o+"/folders/"+folder("Grenier", s.root)+"?confirm=true", owner.Token, nil, 204)

	s.people[access.Admin] = a.Member(s.org, "alice@exemple.fr", access.Admin)
	op := a.Member(s.org, "oscar@exemple.fr", access.Operator, s.hall)
	s.people[access.Operator] = op
	s.people[access.Viewer] = a.Member(s.org, "victor@exemple.fr", access.Viewer, s.hall)
	s.call("PATCH", o+"/members/"+op.ID, owner.Token, map[string]any{"folders": []string{s.hall, s.garage}}, 200)
	s.call("PATCH", o+"/members/"+op.ID, owner.Token, map[string]any{"role": "viewer"}, 200)
	s.call("PATCH", o+"/members/"+op.ID, owner.Token, map[string]any{"role": "operator"}, 200)
	leaving := a.Member(s.org, "lucien@exemple.fr", access.Viewer, s.hall)
	s.call("DELETE", o+"/members/"+leaving.ID, owner.Token, nil, 204)

	s.invitation = s.call("POST", o+"/invitations", owner.Token, map[string]any{"email": "ines@exemple.fr", "folders": []string{s.hall}}, 201).Str("id")
	s.invitationToken = a.InvitationLink("ines@exemple.fr").Query().Get("token")
	s.invitationMail = a.LastMail("ines@exemple.fr")
	revoked := s.call("POST", o+"/invitations", owner.Token, map[string]any{"email": "rose@exemple.fr", "folders": []string{s.garage}}, 201).Str("id")
	s.call("DELETE", o+"/invitations/"+revoked, owner.Token, nil, 204)
	s.call("POST", o+"/invitations", owner.Token, map[string]any{"email": "noemie@exemple.fr", "folders": []string{s.hall}}, 201)
	newcomer := a.User("noemie@exemple.fr")
	s.call("POST", "/api/v1/invitations/accept", newcomer.Token, map[string]string{"token": a.InvitationLink("noemie@exemple.fr").Query().Get("token")}, 200)

	ms := a.Mint(5)
	claim := func(i int, folder string) string {
		r := a.Claim(owner.Token, s.org, ms[i], folder)
		s.data = append(s.data, r.Str("name")) // the default name: model and serial
		return r.Str("id")
	}
	s.dev, s.moved, s.silent = claim(0, s.hall), claim(1, s.floor), claim(2, s.garage)
	claim(3, s.root)
	s.call("DELETE", o+"/devices/"+claim(4, s.root)+"?confirm=true", owner.Token, nil, 204)
	s.call("PATCH", o+"/devices/"+s.dev, owner.Token, map[string]string{"name": "Caméra accueil"}, 200)
	s.call("PATCH", o+"/devices/"+s.moved, owner.Token, map[string]string{"folder_id": s.garage}, 200)
	d := a.Device(ms[0])
	d.Hello()
	dp := o + "/devices/" + s.dev
	s.account = "gardien"
	s.call("POST", dp+"/accounts", owner.Token, map[string]string{"username": s.account, "password": "Mot-de-passe-1", "role": "operator"}, 202)
	s.call("POST", dp+"/accounts", owner.Token, map[string]string{"username": "passager", "password": "Mot-de-passe-2", "role": "viewer"}, 202)
	d.Step()
	s.call("PATCH", dp+"/accounts/"+s.account, owner.Token, map[string]string{"password": "Mot-de-passe-3"}, 202)
	s.call("DELETE", dp+"/accounts/passager", owner.Token, nil, 202)
	d.Step()
	s.done = s.call("POST", dp+"/actions", owner.Token, map[string]string{"type": "identify"}, 202).Str("id")
	d.Step()
	s.call("POST", dp+"/actions", owner.Token, map[string]string{"type": "reboot"}, 202)
	d.Step()
	a.Device(ms[1]).Hello()
	s.pending = s.call("POST", o+"/devices/"+s.moved+"/actions", owner.Token, map[string]string{"type": "identify"}, 202).Str("id")
	s.up = seedUpgrades(t, s, owner, ms, d)

	// ACS Pro servers (SPEC §8): one with a recommended upgrade queued and an
	// earlier one that failed, one up to date.
	a.PublishACS("6.3.1", "6.5.2")
	hallRec := a.EnrolledServer(owner.Token, s.org, "Enregistreur Hall", sim.ServerConfig{InstallTime: time.Millisecond, FailUpgrades: 1})
	s.server = hallRec.ID()
	s.call("POST", o+"/servers/"+s.server+"/upgrade", owner.Token, nil, 202)
	if reply, err := hallRec.Poll(context.Background()); err != nil || reply.Upgrade == nil {
		t.Fatalf("server poll: %+v %v", reply, err)
	} else if _, err := hallRec.Install(context.Background(), *reply.Upgrade); err != nil {
		t.Fatal(err)
	}
	s.call("POST", o+"/servers/"+s.server+"/upgrade", owner.Token, nil, 202)
	s.call("PATCH", o+"/servers/"+s.server, owner.Token, map[string]any{"alert_recipients": []string{"securite@exemple.fr"}}, 200)
	s.current = a.EnrolledServer(owner.Token, s.org, "Enregistreur Garage", sim.ServerConfig{Version: "6.5.2"}).ID()

	// Licenses (SPEC §9): two subscription products and a hardware-linked
	// one, a key converted, a product started with part of its need
	// allocated (still in trial) and a year ahead, one not started, and an
	// entry of every kind in the history, one by vendor support.
	addCatalogue(t, a, admProduct, edgeProduct, crawlHardwareProduct)
	s.call("POST", o+"/license-keys/redeem", owner.Token, map[string]string{"key": issueKey(t, a, "adm-extend", 12).String()}, 201)
	s.call("POST", o+"/products/adm-extend/subscription", owner.Token, nil, 201)
	for _, year := range []int{0, 1} {
		s.call("POST", o+"/products/adm-extend/allocations", owner.Token, map[string]any{"year": year, "quantity": 1, "confirm": true}, 200)
	}
	now := time.Now()
	for i, k := range license.Kinds {
		e := license.Entry{OrgID: s.org, At: now, Day: license.DateOf(now), Actor: license.Actor{Kind: audit.KindSystem, ID: "system"},
			Product: "adm-extend", Kind: k, Quantity: 3, Year: 0, EventKey: fmt.Sprintf("crawl:%d", i),
			Details: map[string]string{"need": "4", "from": "trial", "to": "licensed"}}
		if k == license.KindStart {
			e.Actor, e.Quantity, e.Product = license.Actor{Kind: audit.KindVendor, ID: harness.Vendor.ID}, 0, "acs-edge"
		}
		appendHistory(t, a, e)
	}

	s.archived, _ = a.Org(owner.Token, "Ancienne Maison")
	s.call("POST", "/api/v1/orgs/"+s.archived+"/archive", owner.Token, map[string]any{"confirm_id": s.archived, "acknowledge": true}, 204)
	if _, err := a.App.Orgs.Restore(context.Background(), harness.Vendor, s.archived); err != nil {
		t.Fatal(err)
	}

	for _, u := range s.people {
		detail, _ := s.call("POST", "/api/v1/me/tokens", u.Token, map[string]string{"name": "Jeton de script"}, 201).JSON["detail"].(map[string]any)
		s.tokens[u.ID], _ = detail["id"].(string)
	}
	s.mfa = a.User("marie@exemple.fr")
	s.call("PATCH", "/api/v1/me", s.mfa.Token, map[string]string{"lang": "fr"}, 200)
	s.call("POST", "/api/v1/me/mfa/email", s.mfa.Token, nil, 202)
	s.mfaCodeMail = a.LastMail(s.mfa.Email)
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(s.mfaCodeMail)
	s.call("POST", "/api/v1/me/mfa/email/confirm", s.mfa.Token, map[string]string{"code": code}, 200)

	s.data = append(s.data, "Maison Dupont", "Maison Dupond", "Ancienne Maison", "Code du portail : 1234", "Hall", "Garage", "Étage 1",
		"Cave", "Cellier", "Grenier", "Caméra accueil", "Jeton de script", s.account, "passager", harness.Model, harness.Firmware,
		"Enregistreur Hall", "Enregistreur Garage", "securite@exemple.fr", admProduct.Name, edgeProduct.Name, crawlHardwareProduct.Name)
	for _, u := range append(slices.Collect(func(yield func(harness.User) bool) {
		for _, u := range s.people {
			yield(u)
		}
	}), leaving, newcomer, s.mfa) {
		s.data = append(s.data, u.Name, u.Email)
	}
	s.data = append(s.data, "ines@exemple.fr", "rose@exemple.fr")
	for _, m := range ms {
		s.data = append(s.data, m.Serial)
	}
	// Longest first, so that a value is never cut by a shorter one.
	sort.Slice(s.data, func(i, j int) bool { return len(s.data[i]) > len(s.data[j]) })
	return s
}

// crawlHardwareProduct is a hardware-linked product: it has no
// subscription to start or allocate to.
var crawlHardwareProduct = license.Product{ID: "acs-pro", Name: "AXIS Camera Station Pro", Licensing: license.Hardware}

// crawlRoute is a page of the UI (a GET pattern of the web package's mux)
// with the paths that show it, from the point of view of one person.
type crawlRoute struct {
	pattern string
	paths   func(s *crawlSeed, me harness.User) []string
}

func one(p string) func(*crawlSeed, harness.User) []string {
	return func(*crawlSeed, harness.User) []string { return []string{p} }
}

func inOrg(pages ...string) func(*crawlSeed, harness.User) []string {
	return func(s *crawlSeed, _ harness.User) []string {
		var out []string
		for _, p := range pages {
			p = strings.NewReplacer("{hall}", s.hall, "{dev}", s.dev, "{moved}", s.moved, "{silent}", s.silent,
				"{done}", s.done, "{pending}", s.pending, "{account}", s.account, "{viewer}", s.people[access.Viewer].ID,
				"{operator}", s.people[access.Operator].ID, "{invitation}", s.invitation, "{root}", s.root,
				"{server}", s.server, "{current}", s.current).Replace(p)
			out = append(out, "/orgs/"+s.org+p)
		}
		return out
	}
}

// crawlRoutes are every GET page of the UI; TestFrenchCrawlCoversEveryRoute
// keeps the list in step with the mux.
var crawlRoutes = []crawlRoute{
	{"GET /{$}", one("/")},
	{"GET /register", one("/register")},
	{"GET /login", one("/login")},
	{"GET /login/mfa", one("/login/mfa")},
	{"GET /account/security", one("/account/security")},
	{"GET /account/tokens", one("/account/tokens")},
	{"GET /account/tokens/{id}/revoke", func(s *crawlSeed, me harness.User) []string {
		id := s.tokens[me.ID]
		if id == "" {
			id = "tok_nope"
		}
		return []string{"/account/tokens/" + id + "/revoke"}
	}},
	{"GET /orgs/new", one("/orgs/new")},
	{"GET /orgs/{org}", inOrg("")},
	{"GET /orgs/{org}/settings", inOrg("/settings", "/settings?edit=1")},
	{"GET /orgs/{org}/archive", inOrg("/archive")},
	{"GET /orgs/{org}/audit", func(s *crawlSeed, me harness.User) []string {
		return append(inOrg("/audit", "/audit?group=device", "/audit?group=members", "/audit?since=2000-01-01&until=1999-01-01",
			"/audit?cursor=bogus")(s, me), "/orgs/"+s.archived+"/audit")
	}},
	{"GET /orgs/{org}/audit/export.csv", inOrg("/audit/export.csv")},
	{"GET /orgs/{org}/folders", inOrg("/folders", "/folders?folder={hall}")},
	{"GET /orgs/{org}/folders/{id}/create", inOrg("/folders/{hall}/create", "/folders/{root}/create")},
	{"GET /orgs/{org}/folders/{id}/rename", inOrg("/folders/{hall}/rename", "/folders/{root}/rename")},
	{"GET /orgs/{org}/folders/{id}/move", inOrg("/folders/{hall}/move")},
	{"GET /orgs/{org}/folders/{id}/delete", inOrg("/folders/{hall}/delete")},
	{"GET /orgs/{org}/devices", inOrg("/devices", "/devices?folder={hall}", "/devices?status=offline&q=zzz", "/devices?sort=bogus",
		"/devices?limit=1", "/devices?cursor=bogus",
		"/devices?model=bogus&firmware=bogus", "/devices?cursor=bogus&prev=bogus.bogus")},
	{"GET /orgs/{org}/devices/export.csv", inOrg("/devices/export.csv")},
	{"GET /orgs/{org}/devices/move", inOrg("/devices/move?device={dev}&device={moved}", "/devices/move?all=matching&folder={hall}",
		"/devices/move", "/devices/move?device=dev_nope")},
	{"GET /orgs/{org}/devices/add", inOrg("/devices/add", "/devices/add?folder={hall}")},
	{"GET /orgs/{org}/devices/import", inOrg("/devices/import")},
	{"GET /orgs/{org}/devices/{id}", inOrg("/devices/{dev}", "/devices/{dev}?cmd={done}", "/devices/{moved}?cmd={pending}", "/devices/{silent}",
		"/devices/dev_nope")},
	{"GET /orgs/{org}/devices/{id}/reboot", inOrg("/devices/{dev}/reboot", "/devices/{moved}/reboot")},
	{"GET /orgs/{org}/devices/{id}/rename", inOrg("/devices/{dev}/rename")},
	{"GET /orgs/{org}/devices/{id}/move", inOrg("/devices/{dev}/move")},
	{"GET /orgs/{org}/devices/{id}/remove", inOrg("/devices/{dev}/remove")},
	{"GET /orgs/{org}/devices/{id}/accounts", inOrg("/devices/{dev}/accounts", "/devices/{silent}/accounts")},
	{"GET /orgs/{org}/devices/{id}/accounts/new", inOrg("/devices/{dev}/accounts/new")},
	{"GET /orgs/{org}/devices/{id}/accounts/{username}/password", inOrg("/devices/{dev}/accounts/{account}/password")},
	{"GET /orgs/{org}/devices/{id}/accounts/{username}/delete", inOrg("/devices/{dev}/accounts/{account}/delete")},
	{"GET /orgs/{org}/commands/{file}", inOrg("/commands/{done}.json", "/commands/{pending}.json", "/commands/cmd_nope.json")},
	{"GET /orgs/{org}/servers", inOrg("/servers")},
	{"GET /orgs/{org}/servers/enrol", inOrg("/servers/enrol")},
	{"GET /orgs/{org}/servers/{id}", inOrg("/servers/{server}", "/servers/{current}", "/servers/srv_nope")},
	{"GET /orgs/{org}/servers/{id}/upgrade", inOrg("/servers/{server}/upgrade", "/servers/{current}/upgrade")},
	{"GET /orgs/{org}/servers/{id}/cancel", inOrg("/servers/{server}/cancel", "/servers/{current}/cancel")},
	{"GET /orgs/{org}/products", inOrg("/products")},
	{"GET /orgs/{org}/products/{product}", inOrg("/products/adm-extend", "/products/acs-edge", "/products/acs-pro", "/products/nope")},
	{"GET /orgs/{org}/products/{product}/wallet", inOrg("/products/adm-extend/wallet", "/products/acs-edge/wallet", "/products/acs-pro/wallet",
		"/products/nope/wallet")},
	{"GET /orgs/{org}/products/{product}/start", inOrg("/products/acs-edge/start", "/products/adm-extend/start", "/products/acs-pro/start",
		"/products/nope/start")},
	{"GET /orgs/{org}/products/{product}/license", inOrg("/products/adm-extend/license", "/products/acs-edge/license", "/products/acs-pro/license",
		"/products/nope/license")},
	{"GET /orgs/{org}/products/{product}/license/allocate", inOrg("/products/adm-extend/license/allocate?year=0&quantity=3",
		"/products/adm-extend/license/allocate?year=2&quantity=1", "/products/adm-extend/license/allocate?year=0&quantity=999",
		"/products/adm-extend/license/allocate?year=9&quantity=1", "/products/adm-extend/license/allocate?year=x&quantity=y",
		"/products/acs-edge/license/allocate?year=0&quantity=1")},
	{"GET /orgs/{org}/license-history", inOrg("/license-history", "/license-history?product=adm-extend", "/license-history?product=nope&kind=redeem",
		"/license-history?kind=bogus", "/license-history?since=2000-01-01&until=1999-01-01", "/license-history?cursor=bogus")},
	{"GET /orgs/{org}/license-history/export.csv", inOrg("/license-history/export.csv")},
	{"GET /orgs/{org}/users", inOrg("/users")},
	{"GET /orgs/{org}/users/remove", inOrg("/users/remove?user={viewer}", "/users/remove?user={viewer}&user={operator}", "/users/remove")},
	{"GET /orgs/{org}/users/invite", inOrg("/users/invite")},
	{"GET /orgs/{org}/users/{user}/access", inOrg("/users/{viewer}/access")},
	{"GET /orgs/{org}/invitations/{id}/revoke", inOrg("/invitations/{invitation}/revoke")},
	{"GET /invitations/accept", func(s *crawlSeed, _ harness.User) []string {
		return []string{"/invitations/accept?token=" + url.QueryEscape(s.invitationToken), "/invitations/accept?token=bogus"}
	}},
	{"/", one("/nowhere")},
}

// TestFrenchCrawlCoversEveryRoute: the crawl visits every GET page the web
// package mounts (read from its Register), and nothing else.
func TestFrenchCrawlCoversEveryRoute(t *testing.T) {
	src, err := os.ReadFile("web.go")
	if err != nil {
		t.Fatal(err)
	}
	var mux []string
	for _, m := range regexp.MustCompile(`mux\.Handle\("((?:GET )?/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		if m[1] != "GET /static/" {
			mux = append(mux, m[1])
		}
	}
	var crawled []string
	for _, r := range crawlRoutes {
		crawled = append(crawled, r.pattern)
	}
	slices.Sort(mux)
	slices.Sort(crawled)
	if len(mux) < 30 || !slices.Equal(mux, crawled) {
		t.Errorf("the crawl's routes are not the mux's GET pages:\n  only in the mux: %q\n  only in the crawl: %q",
			without(mux, crawled), without(crawled, mux))
	}
}

func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// pageTexts are the texts a person reads on an HTML page: its title, the
// text of its body and the labels of its controls (title, aria-label,
// placeholder, alt, a button's value), each apart; without literal values
// (code, pre, a textarea's content) and what a template marks
// translate="no" (the device's own words).
func pageTexts(body string) (lang string, texts []string, err error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "noscript", "pre", "code", "textarea", "template":
				return
			}
			for _, at := range n.Attr {
				switch {
				case at.Key == "translate" && at.Val == "no":
					return
				case at.Key == "lang" && n.Data == "html":
					lang = at.Val
				case at.Key == "title" || at.Key == "aria-label" || at.Key == "placeholder" || at.Key == "alt":
					texts = append(texts, at.Val)
				case at.Key == "value" && n.Data == "input" && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool {
					return a.Key == "type" && (a.Val == "submit" || a.Val == "button")
				}):
					texts = append(texts, at.Val)
				}
			}
		}
		if n.Type == html.TextNode && strings.TrimSpace(n.Data) != "" {
			texts = append(texts, strings.TrimSpace(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return lang, texts, nil
}

// jsonTexts are the strings of a JSON answer that a page shows (labels,
// errors), not its codes.
func jsonTexts(body string) []string {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return []string{body}
	}
	var out []string
	texts := func(m map[string]any) {
		for _, k := range []string{"state_label", "error", "next", "progress", "reason", "waiting", "text"} {
			if s, ok := m[k].(string); ok {
				out = append(out, s)
			}
		}
	}
	texts(m)
	items, _ := m["items"].([]any) // a list's rows (the task list's progress)
	rings, _ := m["rings"].([]any) // a rollout's rings
	for _, it := range append(items, rings...) {
		if row, ok := it.(map[string]any); ok {
			texts(row)
		}
	}
	return out
}

// crawler is one French reader going through the pages.
type crawler struct {
	t    *testing.T
	s    *crawlSeed
	c    *client
	who  string
	seen map[string]bool // pages checked, by path
	// pages counts the pages read.
	pages int
	// found collects the English found, by the text it was in.
	found map[string][]string
}

func (s *crawlSeed) frenchClient(t *testing.T) *client {
	c := newClient(t, s.a.HTTP)
	u, _ := url.Parse(s.a.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "fr", Path: "/"}})
	c.header.Set("Accept-Language", "en-US,en;q=0.9") // the cookie wins over the browser
	return c
}

func (s *crawlSeed) signIn(t *testing.T, u harness.User) *client {
	c := s.frenchClient(t)
	c.get("/login")
	wantRedirect(t, "sign in "+u.Email, c.post("/login", url.Values{"email": {u.Email}, "password": {harness.Password}}), "/")
	return c
}

// visit checks path and the pages it redirects to.
func (cr *crawler) visit(path string) {
	cr.t.Helper()
	for hops := 0; hops < 4 && !cr.seen[path]; hops++ {
		cr.seen[path] = true
		r := cr.c.get(path)
		if r.status >= 500 {
			cr.t.Errorf("%s: GET %s answered %d", cr.who, path, r.status)
			return
		}
		if r.status == http.StatusSeeOther || r.status == http.StatusFound {
			path = r.location()
			continue
		}
		ct := r.header.Get("Content-Type")
		var texts []string
		switch {
		case strings.HasPrefix(ct, "text/html"):
			lang, ts, err := pageTexts(r.body)
			if err != nil {
				cr.t.Errorf("%s: %s: %v", cr.who, path, err)
				return
			}
			if lang != "fr" {
				cr.t.Errorf("%s: %s is in %q, not French", cr.who, path, lang)
			}
			texts = ts
			// AUD-1: actors read as words ("Le périphérique …"), never as
			// the recorded kind:id.
			if strings.Contains(r.body, "system:device:") || strings.Contains(r.body, "system:portal") {
				cr.t.Errorf("%s: %s shows a raw actor code", cr.who, path)
			}
		case strings.HasPrefix(ct, "application/json"):
			texts = jsonTexts(r.body)
		case strings.HasPrefix(ct, "text/csv"):
			return // for machines: codes and English column names by design
		default:
			cr.t.Errorf("%s: %s answered %q", cr.who, path, ct)
			return
		}
		cr.pages++
		for _, text := range texts {
			cr.check(path, text)
		}
		return
	}
}

func (cr *crawler) check(where, text string) {
	clean := text
	for _, v := range cr.s.data {
		clean = strings.ReplaceAll(clean, v, " ")
	}
	if w := web.EnglishIn(clean); len(w) > 0 {
		key := fmt.Sprintf("%q", text)
		if _, ok := cr.found[key]; !ok {
			cr.found[key] = nil
		}
		cr.found[key] = append(cr.found[key], cr.who+" "+where)
	}
}

// TestI18nFrenchCrawl: an Owner, an Admin, an Operator and a Viewer of an
// organization where every page has something to show, and a guest, read
// every page of the UI in French (the lang cookie), the pages they may not
// see included; none shows an English word outside people's data, codes and
// the devices' own words. The invitation and code e-mails in French neither.
func TestI18nFrenchCrawl(t *testing.T) {
	s := seedCrawl(t)
	found := map[string][]string{}
	crawl := func(who string, c *client, me harness.User) int {
		cr := &crawler{t: t, s: s, c: c, who: who, seen: map[string]bool{}, found: found}
		for _, r := range crawlRoutes {
			for _, p := range r.paths(s, me) {
				cr.visit(p)
			}
		}
		return cr.pages
	}
	for _, role := range []access.Role{access.Owner, access.Admin, access.Operator, access.Viewer} {
		// Signed in, each reads a page of its own for nearly every path
		// (refusals included); signed out, most would be the sign-in page.
		if n := crawl(string(role), s.signIn(t, s.people[role]), s.people[role]); n < 50 {
			t.Errorf("%s read only %d pages", role, n)
		}
	}
	crawl("guest", s.frenchClient(t), harness.User{})

	// A person with a second factor, on the code page.
	c := s.frenchClient(t)
	c.get("/login")
	r := c.post("/login", url.Values{"email": {s.mfa.Email}, "password": {harness.Password}})
	if !strings.HasPrefix(r.location(), "/login/mfa") {
		t.Fatalf("sign-in with a second factor: %d to %q", r.status, r.location())
	}
	cr := &crawler{t: t, s: s, c: c, who: "second factor", seen: map[string]bool{}, found: found}
	cr.visit(r.location())
	for name, mail := range map[string]string{"invitation e-mail": s.invitationMail, "code e-mail": s.mfaCodeMail} {
		for _, line := range strings.Split(mail, "\n") {
			if !strings.Contains(line, "://") {
				cr.check(name, line)
			}
		}
	}

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range found {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		where := found[k]
		if len(where) > 3 {
			where = append(where[:3:3], fmt.Sprintf("and %d more", len(found[k])-3))
		}
		t.Errorf("English on a French page: %s %q, on %s", k, web.EnglishIn(k), strings.Join(where, "; "))
	}
}
