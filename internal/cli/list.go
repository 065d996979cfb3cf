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
	f := e.flags(l.name, l.synopsis, l.about, withJSON)
	values := make(map[string]*string, len(l.filters))
	for _, fl := range l.filters {
		values[fl.name] = f.String(fl.name, "", fl.help)
	}
	var limit *int
	var cursor *string
	var all, csv *bool
	if l.paged {
		limit = f.Int("limit", 0, l.noun+" per page (default: the server's)")
		cursor = f.String("cursor", "", "go on from a previous page's next cursor")
		all = f.Bool("all", false, "follow every page")
	}
	if l.csv != "" {
		csv = f.Bool("csv", false, "write "+l.csv+" as CSV")
	}
	pos, err := e.parse(f, args, l.args, l.args)
	if err != nil {
		return err
	}
	given := map[string]string{}
	for name, v := range values {
		given[name] = *v
	}
	if l.check != nil {
		if err := l.check(f, given); err != nil {
			return err
		}
	}
	paging := l.paged && (*limit != 0 || *cursor != "" || *all)
	switch {
	case csv != nil && *csv && e.json:
		return usagef(f, "--csv and --json do not go together")
	case csv != nil && *csv && paging:
		return usagef(f, "--csv exports %s: --limit, --cursor and --all do not apply", l.csv)
	case l.paged && *limit < 0:
		return usagef(f, "--limit must be a positive number")
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range l.query {
		q[k] = v
	}
	narrowed := false
	for _, fl := range l.filters {
		if v := given[fl.name]; v != "" {
			q.Set(fl.name, v)
			narrowed = narrowed || !fl.orders
		}
	}
	path := l.path(pos)
	if csv != nil && *csv {
		q.Set("format", "csv")
		return c.stream(ctx, path+"?"+q.Encode(), "text/csv", e.out)
	}
	readAll := true
	if l.paged {
		readAll = *all
		switch {
		case *limit > 0:
			q.Set("limit", strconv.Itoa(*limit))
		case *all && l.allLimit != "":
			q.Set("limit", l.allLimit)
		}
		if *cursor != "" {
			q.Set("cursor", *cursor)
			narrowed = true
		}
	}
	p, answer, err := l.read(ctx, c, path, q, readAll)
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
		fmt.Fprintln(e.errw, l.empty(pos, narrowed))
		return nil
	}
	var names map[string]string
	if l.folderNames {
		names = c.folderNames(ctx, pos[0])
	}
	var rows [][]string
	if l.rows != nil {
		rows = l.rows(items)
	} else {
		for _, it := range items {
			rows = append(rows, l.row(it, names))
		}
	}
	if err := printTable(e.out, l.head, rows); err != nil {
		return err
	}
	if p.NextCursor != "" {
		fmt.Fprintf(e.errw, "More %s: add --all, or --cursor %s for the next page.\n", l.noun, p.NextCursor)
	}
	return nil
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
