package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"mysystems/internal/audit"
	"mysystems/internal/edge"
)

// auditPage is the data of the audit log page.
type auditPage struct {
	Entries []auditRow
	Groups  []auditGroup // the choices of the action filter
	Other   *option      // an action filter typed in the URL that no choice matches
	// Links keep the filters; Next is empty on the last page, First on the
	// first.
	Next, First, Export string
}

// auditGroup is one group of the action filter: the whole group, then each
// of its actions.
type auditGroup struct {
	Label   string
	All     option
	Actions []option
}

// auditRow is one entry as people read it.
type auditRow struct {
	audit.Entry
	Sentence template.HTML
	Lines    []auditLine
	// Who is the e-mail a person acted with (an identifier, not translated);
	// empty for the portal, a device or vendor support, whom the sentence
	// already names in words.
	Who string
}

type auditLine struct {
	Label    string
	From, To template.HTML // From empty for a plain value
}

const auditPageSize = 50

// auditQuery reads the filters with the API's own parser and the values
// that links keep.
func (c *call) auditQuery() (audit.Filter, url.Values, error) {
	q := c.r.URL.Query()
	f, err := audit.ParseFilter(q)
	keep := url.Values{}
	for _, k := range audit.FilterParams {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			keep.Set(k, s)
		}
	}
	return f, keep, err
}

// auditLog shows the organization's log, newest first, as sentences
// (AUD-1: the audit service decides who reads it).
func (u *UI) auditLog(c *call) {
	v := c.view("auditlog.title", "audit")
	f, q, err := c.auditQuery()
	for k := range q {
		v.Form[k] = q.Get(k)
	}
	page := &auditPage{Export: c.orgURL("audit/export.csv")}
	if enc := q.Encode(); enc != "" {
		page.Export += "?" + enc
	}
	page.Groups, page.Other = c.auditGroups(q.Get("action"))
	v.Data = page
	if err != nil {
		c.auditFailed(v, err)
		return
	}
	p, err := audit.ParsePage(c.r.URL.Query())
	if err != nil {
		c.auditFailed(v, err)
		return
	}
	l, err := u.d.Audit.List(c.r.Context(), c.actor, c.org.ID, f, audit.Page{Limit: auditPageSize, Cursor: p.Cursor})
	if err != nil {
		c.auditFailed(v, err)
		return
	}
	for _, e := range l.Entries {
		page.Entries = append(page.Entries, c.auditRow(e, l.Names))
	}
	if l.Next != "" {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("cursor", l.Next)
		page.Next = c.orgURL("audit") + "?" + nq.Encode()
	}
	if p.Cursor != "" {
		page.First = c.orgURL("audit")
		if enc := q.Encode(); enc != "" {
			page.First += "?" + enc
		}
	}
	c.render(http.StatusOK, "audit", v)
}

// auditFailed shows a refused read: a role that may not read the log gets
// the error page, a bad filter the form with its error.
func (c *call) auditFailed(v *view, err error) {
	if edge.Status(err) == http.StatusForbidden {
		c.fail(err)
		return
	}
	c.listFailed("audit", v, err)
}

// auditGroups are the choices of the action filter, with selected marked.
func (c *call) auditGroups(selected string) ([]auditGroup, *option) {
	var out []auditGroup
	found := selected == ""
	for _, g := range audit.Groups {
		label := c.t("audit.group." + g.Name)
		ag := auditGroup{Label: label, All: option{Value: g.Filter(), Label: c.t("audit.group.all", label)}}
		ag.All.Selected = ag.All.Value == selected
		found = found || ag.All.Selected
		for _, a := range g.Actions {
			o := option{Value: a, Label: c.t("audit.action." + a), Selected: a == selected}
			found = found || o.Selected
			ag.Actions = append(ag.Actions, o)
		}
		out = append(out, ag)
	}
	if !found {
		return out, &option{Value: selected, Label: selected, Selected: true}
	}
	return out, nil
}

// auditRow renders an entry in the page's language.
func (c *call) auditRow(e audit.Entry, n audit.Names) auditRow {
	d := audit.Describe(e, n)
	row := auditRow{Entry: e, Sentence: c.phraseHTML(d.Sentence)}
	if e.Actor.Kind == audit.KindUser {
		row.Who = e.Actor.Email
	}
	for _, l := range d.Lines {
		line := auditLine{Label: c.t(l.Label), To: c.argHTML(l.To)}
		if l.Label == "audit.line.result" || l.Label == "audit.line.server_words" {
			// The device's (or server's) own words, quoted and never translated, as
			// in the command banner.
			line.To = template.HTML(html.EscapeString(c.t("quote.open"))) + `<span class="device-words" translate="no">` +
				line.To + `</span>` + template.HTML(html.EscapeString(c.t("quote.close")))
		}
		if l.From != nil {
			line.From = c.argHTML(l.From)
		}
		row.Lines = append(row.Lines, line)
	}
	return row
}

// phraseHTML renders a phrase: the catalogue text escaped, its arguments
// escaped or rendered in turn, and targets that still exist as links.
func (c *call) phraseHTML(p audit.Phrase) template.HTML {
	if len(p.Args) == 0 {
		return sprintfHTML(c.t(p.Key))
	}
	// The catalogue formats the text with its counts, which pick its plural
	// form, and a placeholder for each other argument; once the text is
	// escaped, the placeholders become the arguments' HTML.
	args := make([]any, len(p.Args))
	var pairs []string
	for i, a := range p.Args {
		switch a.(type) {
		case int, int64:
			args[i] = a
		default:
			ph := "\x00" + strconv.Itoa(i) + "\x00"
			args[i] = ph
			pairs = append(pairs, ph, string(c.argHTML(a)))
		}
	}
	return template.HTML(strings.NewReplacer(pairs...).Replace(html.EscapeString(c.t(p.Key, args...))))
}

func (c *call) argHTML(a any) template.HTML {
	switch a := a.(type) {
	case audit.Phrase:
		return c.phraseHTML(a)
	case audit.Target:
		if a.Name == "" {
			return template.HTML(html.EscapeString(c.t(a.Key())))
		}
		name := `<span class="target">` + html.EscapeString(a.Name) + `</span>`
		if href := c.targetURL(a); href != "" {
			name = `<a class="target" href="` + html.EscapeString(href) + `">` + html.EscapeString(a.Name) + `</a>`
		}
		return sprintfHTML(c.t(a.Key()), template.HTML(name))
	}
	return template.HTML(html.EscapeString(audit.ArgText(a, c.t)))
}

// sprintfHTML formats an escaped catalogue text with HTML arguments.
func sprintfHTML(format string, args ...any) template.HTML {
	if len(args) == 0 {
		return template.HTML(html.EscapeString(format))
	}
	return template.HTML(fmt.Sprintf(html.EscapeString(format), args...)) // every part is escaped
}

// targetURL is the page of a target that still exists, if it has one.
func (c *call) targetURL(t audit.Target) string {
	if !t.Exists {
		return ""
	}
	switch t.Type {
	case audit.TargetDevice:
		return c.orgURL("devices/" + url.PathEscape(t.ID))
	case audit.TargetFolder:
		return c.orgURL("devices") + "?folder=" + url.QueryEscape(t.ID)
	case audit.TargetUser:
		return c.orgURL("users/" + url.PathEscape(t.ID) + "/access")
	case audit.TargetInvitation:
		return c.orgURL("users")
	case audit.TargetServer:
		return c.orgURL("servers/" + url.PathEscape(t.ID))
	case audit.TargetProduct:
		return c.productURL(t.ID) + "/wallet"
	case audit.TargetOrg:
		if t.ID == c.org.ID {
			return c.orgURL("settings")
		}
	}
	return ""
}

// auditCSV streams the filtered log as CSV, the same export as the API's,
// the sentences in the page's language.
func (u *UI) auditCSV(c *call) {
	f, _, err := c.auditQuery()
	if err != nil {
		c.fail(err)
		return
	}
	out := edge.NewCSV(c.w, "audit-"+c.org.ID+".csv")
	if err := out.End(u.d.Log, c.r, u.d.Audit.Export(c.r.Context(), c.actor, c.org.ID, f, c.t, out)); err != nil {
		c.fail(err)
	}
}
