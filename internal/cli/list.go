package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
)

// listCommand declares a command that lists items of type T: its argument,
// filters and paging, the API path, and how its items read as a table. Its
// run method does the rest the same way for every list: parse and check the
// flags, build the query, read one page or follow the cursors, and print the
// API's JSON (--json), the API's CSV (--csv) or a table.
type listCommand[T any] struct {
	name, synopsis, about string
	// args is how many arguments the command takes; the first, if any, is
	// the organization.
	args int
	// org is set for a command of an organization given with --org (or
	// $MYSYSTEMS_ORG, or the caller's only one; see env.org) rather than as
	// its first argument: it is put first in the arguments path gets.
	org bool
	// path is the API path of the list, given the arguments.
	path func(args []string) string
	// query is sent with every request (e.g. a large page size for lists
	// read whole).
	query url.Values
	// filters are flags sent as query parameters of the same name.
	filters []listFilter
	// check, when set, checks the filters' values before the generic checks.
	check func(f *flags, values map[string]string) error

	// paged shows one page unless --all is given, with --limit and --cursor;
	// a list that is not paged is read whole (every page).
	paged bool
	// noun names the items in flags and hints ("devices", "entries").
	noun string
	// allLimit is the page size asked for with --all and no --limit ("":
	// the server's).
	allLimit string
	// csv, when set, adds --csv, which streams the API's CSV of the filtered
	// list; it says what that is ("every matching device").
	csv string
	// one is set when the API answers one object with the items and no
	// cursor; --json prints that object as it came.
	one bool

	// empty, when set, says what an empty answer means (on stderr, with no
	// table); narrowed tells whether filters or a cursor were given.
	empty func(args []string, narrowed bool) string
	// folderNames is set when rows name folders: the names of the folders
	// the caller sees are read for them after the items.
	folderNames bool
	head        []string
	// row makes a table row of an item, given the folder names (nil unless
	// folderNames is set).
	row func(item T, names map[string]string) []string
	// rows, when set instead of row, makes all rows at once (a tree).
	rows func(items []T) [][]string
}

// listFilter is a string flag of a list command, sent as the query parameter
// of the same name when given.
type listFilter struct {
	name, help string
	// orders is set for a filter that sorts rather than narrows the list.
	orders bool
}

func (l listCommand[T]) run(ctx context.Context, e *env, args []string) error {
	a, err := l.parse(e, args)
	if err != nil {
		return err
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	if l.org {
		orgID, err := e.org(ctx, c, a.flags, a.org)
		if err != nil {
			return err
		}
		a.pos = append([]string{orgID}, a.pos...)
	}
	q, narrowed := l.querystring(a)
	path := l.path(a.pos)
	if a.csv {
		q.Set("format", "csv")
		return c.stream(ctx, path+"?"+q.Encode(), "text/csv", e.out)
	}
	p, answer, err := l.read(ctx, c, path, q, a.all || !l.paged)
	if err != nil {
		return err
	}
	if e.json {
		return e.printJSON(answer)
	}
	items, err := decodeItems[T](p.Items)
	if err != nil {
		return err
	}
	if len(items) == 0 && p.NextCursor == "" && l.empty != nil {
		fmt.Fprintln(e.errw, l.empty(a.pos, narrowed))
		return nil
	}
	if err := printTable(e.out, l.head, l.table(ctx, c, a.pos, items)); err != nil {
		return err
	}
	if p.NextCursor != "" {
		fmt.Fprintf(e.errw, "More %s: add --all, or --cursor %s for the next page.\n", l.noun, p.NextCursor)
	}
	return nil
}

// listArgs is a list command's command line, parsed.
type listArgs struct {
	flags   *flags
	org     string // --org
	pos     []string
	filters map[string]string // by name; "" when not given
	limit   int
	cursor  string
	all     bool
	csv     bool
}

// parse declares the command's flags, parses them and checks them.
func (l listCommand[T]) parse(e *env, args []string) (listArgs, error) {
	var a listArgs
	f := e.flags(l.name, l.synopsis, l.about, withJSON)
	a.flags = f
	if l.org {
		orgFlag(f, &a.org)
	}
	values := make(map[string]*string, len(l.filters))
	for _, fl := range l.filters {
		values[fl.name] = f.String(fl.name, "", fl.help)
	}
	if l.paged {
		f.IntVar(&a.limit, "limit", 0, l.noun+" per page (default: the server's)")
		f.StringVar(&a.cursor, "cursor", "", "go on from a previous page's next cursor")
		f.BoolVar(&a.all, "all", false, "follow every page")
	}
	if l.csv != "" {
		f.BoolVar(&a.csv, "csv", false, "write "+l.csv+" as CSV")
	}
	pos, err := e.parse(f, args, l.args, l.args)
	if err != nil {
		return a, err
	}
	a.pos = pos
	a.filters = make(map[string]string, len(values))
	for name, v := range values {
		a.filters[name] = *v
	}
	if l.check != nil {
		if err := l.check(f, a.filters); err != nil {
			return a, err
		}
	}
	switch {
	case a.csv && e.json:
		return a, usagef(f, "--csv and --json do not go together")
	case a.csv && (a.limit != 0 || a.cursor != "" || a.all):
		return a, usagef(f, "--csv exports %s: --limit, --cursor and --all do not apply", l.csv)
	case a.limit < 0:
		return a, usagef(f, "--limit must be a positive number")
	}
	return a, nil
}

// querystring builds the query of the first request, and says whether
// filters or a cursor narrow the list.
func (l listCommand[T]) querystring(a listArgs) (q url.Values, narrowed bool) {
	q = url.Values{}
	for k, v := range l.query {
		q[k] = v
	}
	for _, fl := range l.filters {
		if v := a.filters[fl.name]; v != "" {
			q.Set(fl.name, v)
			narrowed = narrowed || !fl.orders
		}
	}
	switch {
	case a.limit > 0:
		q.Set("limit", strconv.Itoa(a.limit))
	case a.all && l.allLimit != "":
		q.Set("limit", l.allLimit)
	}
	if a.cursor != "" {
		q.Set("cursor", a.cursor)
		narrowed = true
	}
	return q, narrowed
}

// table makes the table rows of the items.
func (l listCommand[T]) table(ctx context.Context, c *Client, pos []string, items []T) [][]string {
	if l.rows != nil {
		return l.rows(items)
	}
	var names map[string]string
	if l.folderNames {
		names = c.folderNames(ctx, pos[0])
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, l.row(it, names))
	}
	return rows
}

// read fetches the list: the page (or pages) and what --json prints.
func (l listCommand[T]) read(ctx context.Context, c *Client, path string, q url.Values, all bool) (page, any, error) {
	if !l.one {
		p, err := c.list(ctx, path, q, all)
		return p, p, err
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var raw json.RawMessage
	var p page
	if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
		return p, nil, err
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, nil, fmt.Errorf("reading the %s: %w", l.noun, err)
	}
	return p, raw, nil
}

// printTable prints rows as aligned columns, under a header unless head is
// nil.
func printTable(w io.Writer, head []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if head != nil {
		fmt.Fprintln(tw, strings.Join(head, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
