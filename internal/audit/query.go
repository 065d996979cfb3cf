package audit

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/errs"
)

// MaxCursor bounds the length of a cursor a client may send back.
const MaxCursor = 512

// ParsePage reads the limit and cursor of a list request, the same way for
// the API and the web UI: spaces around them are ignored, a bad limit or an
// overlong cursor is refused (a cursor the store cannot decode is refused
// there, also with 400 on field "cursor").
func ParsePage(q url.Values) (Page, error) {
	var p Page
	if s := strings.TrimSpace(q.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, errs.InvalidField("limit", "limit must be a positive whole number")
		}
		p.Limit = n
	}
	p.Cursor = strings.TrimSpace(q.Get("cursor"))
	if len(p.Cursor) > MaxCursor {
		return p, errs.InvalidField("cursor", "the cursor is not valid")
	}
	return p, nil
}

// FilterParams are the query parameters of the log's filters, in the order
// links keep them.
var FilterParams = []string{"action", "actor", "target", "since", "until"}

// ParseFilter reads the log's filters from a query, the same way for the API
// and the web UI. Spaces around values are ignored. action is a code, a
// prefix ending in "." or several of those separated by commas (an action
// group). since and until are RFC 3339 times or dates; until is exclusive
// for a time and takes the whole day for a date.
func ParseFilter(q url.Values) (Filter, error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	f := Filter{Action: get("action"), ActorID: get("actor"), Target: get("target")}
	f.Action = strings.Join(f.Actions(), ",")
	var err error
	if f.Since, _, err = parseTime("since", get("since")); err != nil {
		return f, err
	}
	var day bool
	if f.Until, day, err = parseTime("until", get("until")); err != nil {
		return f, err
	}
	if day {
		f.Until = f.Until.Add(24*time.Hour - time.Nanosecond)
	}
	return f, nil
}

// parseTime reads an RFC 3339 time or a date (day reports which).
func parseTime(name, s string) (t time.Time, day bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), false, nil
	}
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return d.UTC(), true, nil
	}
	return time.Time{}, false, errs.InvalidField(name, "%s must be an RFC 3339 time or a date (YYYY-MM-DD)", name)
}
