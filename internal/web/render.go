package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
	"mysystems/internal/org"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type pageTemplate = template.Template

// layoutFile holds the frame every page is drawn in; each other file in
// templates/ is a page that defines "title" and "content".
const (
	layoutFile   = "templates/layout.html"
	partialsFile = "templates/partials.html"
)

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return translate(lang, key, args...) },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"day": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"role": func(r access.Role) string {
			return translate(lang, "role."+string(r))
		},
		// dict and list build the arguments of shared pieces
		// (templates/partials.html); attrs marks attributes written in a
		// template as safe.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list":  func(xs ...any) []any { return xs },
		"attrs": func(s string) template.HTMLAttr { return template.HTMLAttr(s) }, // only ever given literals written in templates
		"json": func(v any) string {
			b, err := json.Marshal(v)
			if err != nil {
				return ""
			}
			return string(b)
		},
	}
}

// parsePages parses every page once per language, each with the layout, so
// that `t` is bound to the language at parse time.
func parsePages() (map[string]map[string]*pageTemplate, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]*pageTemplate{}
	for _, lang := range langs {
		base, err := template.New(path.Base(layoutFile)).Funcs(funcs(lang)).ParseFS(templateFS, layoutFile, partialsFile)
		if err != nil {
			return nil, err
		}
		out[lang] = map[string]*pageTemplate{}
		for _, n := range names {
			if n == layoutFile || n == partialsFile {
				continue
			}
			tp, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := tp.ParseFS(templateFS, n); err != nil {
				return nil, err
			}
			out[lang][strings.TrimSuffix(path.Base(n), ".html")] = tp
		}
	}
	return out, nil
}

func assetVersion() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// static serves the embedded CSS and JavaScript. URLs carry the content
// hash (?v=…), so a long cache lifetime is safe.
func (u *UI) static() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// navItem is one link of the side panel.
type navItem struct {
	Label, Href string
	Active      bool
}

// navGroup is a titled group of the side panel (ORGANIZATION, and later
// AXIS DEVICE MANAGER and LICENSES).
type navGroup struct {
	Label string
	// Product: the label is a product's name, the same in every language
	// (translate="no").
	Product bool
	Items   []navItem
}

// sidePanel builds the "My Systems" panel of the current organization,
// showing only what the caller's role may open. New areas add a group here.
func (c *call) sidePanel(active string) []navGroup {
	if c.org == nil {
		return nil
	}
	base := "/orgs/" + c.org.ID
	item := func(key, name string) navItem {
		return navItem{Label: c.t(key), Href: base + "/" + name, Active: active == name}
	}
	orgItems := []navItem{item("nav.users", "users"), item("nav.settings", "settings")}
	if c.can(access.ViewAudit) {
		orgItems = append(orgItems, item("nav.audit", "audit"))
	}
	dmItems := []navItem{item("nav.devices", "devices"), item("nav.tasks", "tasks")}
	if c.can(access.ManageServers) {
		dmItems = append(dmItems, item("nav.servers", "servers"))
	}
	groups := []navGroup{
		{Label: c.t("nav.group.organization"), Items: orgItems},
		{Label: c.t("nav.group.devicemanager"), Product: true, Items: dmItems},
	}
	if c.can(access.ViewLicenses) {
		groups = append(groups, navGroup{Label: c.t("nav.group.licenses"), Items: []navItem{item("nav.products", "products")}})
	}
	return groups
}

// view is what the layout and every page receive.
type view struct {
	Lang   string
	Title  string
	CSRF   string
	AssetV string
	Path   string // this page, for the language switch to come back to
	// Section is the side panel's entry of this page ("devices", "users"
	// …), which the organization switcher keeps; empty on a page outside
	// the organization's sections.
	Section   string
	User      *account.User
	Orgs      []org.Mine
	Org       *org.Org
	Role      access.Role
	Nav       []navGroup
	Flash     string
	RequestID string
	// Refresh, when set, reloads the page every so many seconds in a
	// browser without JavaScript (a command being followed live).
	Refresh int

	// Form state: submitted values, errors by field, and a summary.
	Form      map[string]string
	Errors    map[string]string
	FormError string

	Data any
}

// view builds the frame of a page titled by a catalogue key; active names
// the side-panel entry to highlight.
func (c *call) view(titleKey, active string) *view {
	c.ensureCSRF()
	v := &view{Lang: c.lang, Title: c.t(titleKey), CSRF: c.csrf, AssetV: c.u.assetVersion,
		Path: localPath(c.r.URL.RequestURI()), Org: c.org, Nav: c.sidePanel(active), Flash: c.takeFlash(),
		RequestID: edge.RequestID(c.r.Context()), Form: map[string]string{}, Errors: map[string]string{}}
	if _, ok := orgSections[active]; ok {
		v.Section = active
	}
	if c.r.Method != http.MethodGet {
		// A form re-rendered after a POST comes back to the form itself:
		// every form posts to the URL that shows it.
		v.Path = localPath(c.r.URL.Path)
	}
	if c.signedIn {
		u := c.principal.User
		v.User = &u
		mine, err := c.myOrgs()
		if err != nil {
			// The switcher is a convenience: a page can still be drawn.
			c.u.d.Log.ErrorContext(c.r.Context(), "web: list organizations", "err", err)
		}
		v.Orgs = mine
	}
	if c.org != nil {
		v.Role = c.member.Role
	}
	return v
}

// render draws a page. Templates write into a buffer first, so a template
// failure becomes a clean error page rather than half a page.
func (c *call) render(status int, page string, v *view) {
	tp := c.u.pages[c.lang][page]
	if tp == nil {
		tp = c.u.pages[langs[0]][page]
	}
	var buf bytes.Buffer
	if tp == nil {
		c.u.d.Log.ErrorContext(c.r.Context(), "web: no such page template", "page", page)
		c.plainError()
		return
	}
	if err := tp.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.u.d.Log.ErrorContext(c.r.Context(), "web: render", "page", page, "err", err)
		c.plainError()
		return
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf.Bytes())
}

func (c *call) plainError() {
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(http.StatusInternalServerError)
	_, _ = c.w.Write([]byte("internal error; request id " + edge.RequestID(c.r.Context()) + "\n"))
}

// errorPage is the body of the error template.
type errorPage struct {
	Status    int
	Message   string
	RequestID string
}

func (c *call) renderError(status int, titleKey, message, requestID string) {
	v := c.view(titleKey, "")
	v.Data = errorPage{Status: status, Message: message, RequestID: requestID}
	c.render(status, "error", v)
}

// notFound is the one answer for a page that does not exist and for an
// organization the caller may not see (never revealing that it exists).
func (c *call) notFound() {
	c.renderError(http.StatusNotFound, "error.notfound.title", c.t("error.notfound.body"), "")
}

// fail answers a request that could not be served: the status comes from
// edge.Status, internal details stay in the log with the request id.
func (c *call) fail(err error) {
	status := edge.Status(err)
	e, ok := errs.As(err)
	switch {
	case status == http.StatusUnauthorized:
		c.clearCookie(sessionCookie)
		c.toLogin()
	case status == http.StatusNotFound:
		c.notFound()
	case ok && mfaEnrolmentRequired(e):
		c.toSecurity()
	case !ok || status >= 500:
		id := edge.RequestID(c.r.Context())
		c.u.d.Log.ErrorContext(c.r.Context(), "web: internal error", "err", err, "method", c.r.Method,
			"path", c.r.URL.Path, "request_id", id)
		c.renderError(http.StatusInternalServerError, "error.internal.title", c.t("error.internal.body"), id)
	default:
		if e.RetryAfterSeconds > 0 {
			c.w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
		}
		title := "error.invalid.title"
		switch status {
		case http.StatusForbidden:
			title = "error.forbidden.title"
		case http.StatusConflict:
			title = "error.conflict.title"
		case http.StatusTooManyRequests:
			title = "error.ratelimited.title"
		}
		c.renderError(status, title, c.t("error.frame", e.In(c.lang)), "")
	}
}

// formFailed re-renders a form with err: its message next to the field it
// names and in a summary at the top, with the status edge.Status gives.
// Errors that are not about the input (internal, not found) go to fail.
func (c *call) formFailed(page string, v *view, err error) {
	c.inputFailed(page, v, err, "form.error")
}

// failedTo is formFailed for a form that does something other than save
// (create, send, delete …): its summary, the catalogue key summary, says
// what could not be done, with the reason as its argument.
func (c *call) failedTo(summary, page string, v *view, err error) {
	c.inputFailed(page, v, err, summary)
}

// listFailed is formFailed for a page that lists (a bad filter, sort or
// page link), whose summary says the list could not be shown.
func (c *call) listFailed(page string, v *view, err error) {
	c.inputFailed(page, v, err, "list.error")
}

func (c *call) inputFailed(page string, v *view, err error, summary string) {
	status := edge.Status(err)
	e, ok := errs.As(err)
	if !ok || status >= 500 || status == http.StatusNotFound || mfaEnrolmentRequired(e) {
		c.fail(err)
		return
	}
	if e.RetryAfterSeconds > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
	}
	if e.Field != "" {
		v.Errors[e.Field] = e.In(c.lang)
	}
	v.FormError = c.t(summary, e.In(c.lang))
	c.render(status, page, v)
}

// acknowledged reports whether the form's "I understand the risks" box was
// ticked; if not, it shows the page again (400) asking for it.
func (c *call) acknowledged(page string, v *view) bool {
	if c.r.PostFormValue("confirm") == "yes" {
		v.Form["confirm"] = "yes"
		return true
	}
	v.Errors["confirm"] = c.t("confirm.required")
	v.FormError = c.t("confirm.required")
	c.render(http.StatusBadRequest, page, v)
	return false
}

// mfaEnrolmentRequired reports whether e is the refusal of an organization
// that requires two-factor authentication of a member who has none (ID-5).
func mfaEnrolmentRequired(e *errs.Error) bool {
	return errors.Is(e, org.ErrMFAEnrolment)
}

// toSecurity sends a member without two-factor authentication to the
// security settings, explaining why, and back to this page once enrolled.
func (c *call) toSecurity() {
	next := c.r.URL.RequestURI()
	if c.r.Method != http.MethodGet {
		next = c.r.URL.Path // every form is shown by a GET of the URL it posts to
	}
	c.flash("flash.mfa.required", "")
	c.redirect("/account/security?next=" + url.QueryEscape(localPath(next)))
}
