// Package firmware holds the rules of AXIS OS management (SPEC §7, FW): the
// catalogue of releases and the recommended version per model and track, the
// schedules of devices and the arithmetic of their maintenance windows, as
// plain functions tested without a database.
//
// # Maintenance windows (FW-4)
//
// A Window is a set of weekdays, a start time of day, a duration and an IANA
// time zone (the site's). Its text form, used by the CLI and the API, reads
//
//	mon,wed,fri 22:00 3h Europe/Paris
//	mon-fri 01:30 1h30m America/New_York
//	daily 02:00 45m UTC
//
// weekdays (English three-letter names in week order from Monday, a run of
// three or more days as a range, all seven as "daily"), the start time as
// HH:MM on a 24-hour clock, the duration in hours and minutes, and the zone's
// IANA name, separated by single spaces. The notation is the same in every
// language, like a command's flags. Each window has exactly one spelling:
// Parse refuses any other and says how to write it, so Format(Parse(s)) is s
// for every s Parse accepts, and Parse(Format(w)) is w.
//
// The rules of the arithmetic (Next, Open):
//   - An occurrence starts on each chosen weekday at the start time, in the
//     window's zone, and lasts Duration of elapsed time: a 3-hour window over
//     the fall-back hour ends 3 real hours after it started, though the clock
//     on the wall moved only 2. The duration is at most MaxDuration (24 h):
//     a maintenance window is a part of a day, and "as soon as available" is
//     the schedule for devices that may upgrade at any time.
//   - A window may cross midnight (22:00 for 4 h ends at 02:00 the next day);
//     its weekday is that of its start.
//   - On the spring-forward night a start time the clock skips starts at the
//     first instant after the gap (02:30 in Paris starts at 03:00 CEST); on
//     the fall-back night a start time the clock shows twice starts once, at
//     its first occurrence.
//   - An occurrence is open from its start (included) to its end (excluded).
//     A device that was offline through a whole occurrence waits for the next
//     one: nothing carries a missed window over.
package firmware

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	// The zones are known to the binary itself, whatever the host has
	// installed: a window in Europe/Paris must not fail on a slim image.
	_ "time/tzdata"

	"mysystems/internal/errs"
)

// MaxDuration is the longest window.
const MaxDuration = 24 * time.Hour

// Weekdays is a set of days of the week (bit d for time.Weekday d).
type Weekdays uint8

// AllWeekdays is the set of all seven days.
const AllWeekdays Weekdays = 1<<7 - 1

// DaysOf returns the set of the given days.
func DaysOf(days ...time.Weekday) Weekdays {
	var s Weekdays
	for _, d := range days {
		s |= 1 << (d % 7)
	}
	return s
}

// Has reports whether d is in the set.
func (s Weekdays) Has(d time.Weekday) bool { return s&(1<<(d%7)) != 0 }

// weekOrder is the order of the days in the text form: the ISO week, from
// Monday.
var weekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String is the set's text form: "daily", or the days in week order with
// runs of three or more as ranges ("mon-wed,sat"). The empty set is "".
func (s Weekdays) String() string {
	if s&AllWeekdays == AllWeekdays {
		return "daily"
	}
	var parts []string
	for i := 0; i < 7; {
		if !s.Has(weekOrder[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && s.Has(weekOrder[j+1]) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayNames[weekOrder[i]]+"-"+dayNames[weekOrder[j]])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, dayNames[weekOrder[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// TimeOfDay is a time on a 24-hour clock, to the minute.
type TimeOfDay struct{ Hour, Minute int }

func (c TimeOfDay) String() string {
	return twoDigits(c.Hour) + ":" + twoDigits(c.Minute)
}

func twoDigits(n int) string {
	if n >= 0 && n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (c TimeOfDay) valid() bool { return c.Hour >= 0 && c.Hour < 24 && c.Minute >= 0 && c.Minute < 60 }

// Window is a maintenance window. Make one with NewWindow or ParseWindow:
// the zero Window is not valid.
type Window struct {
	Days     Weekdays
	Start    TimeOfDay
	Duration time.Duration // elapsed time, whole minutes, in (0, MaxDuration]
	Zone     *time.Location
}

// NewWindow checks and builds a window from its parts, as an API body gives
// them; errors name the fields weekdays, start, duration and time_zone.
func NewWindow(days Weekdays, start TimeOfDay, d time.Duration, zone string) (Window, error) {
	if days&AllWeekdays == 0 {
		return Window{}, errs.InvalidField("weekdays", "err.window.days_required")
	}
	if !start.valid() {
		return Window{}, errs.InvalidField("start", "err.window.start", start.String())
	}
	if d <= 0 || d > MaxDuration || d%time.Minute != 0 {
		return Window{}, errs.InvalidField("duration", "err.window.duration_range", d.String())
	}
	loc, err := LoadZone("time_zone", zone)
	if err != nil {
		return Window{}, err
	}
	return Window{Days: days & AllWeekdays, Start: start, Duration: d, Zone: loc}, nil
}

// zoneName is the shape of an IANA zone name: segments of letters, digits,
// '_', '+' and '-' separated by single slashes ("America/Argentina/Salta",
// "Etc/GMT+5").
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`)

// LoadZone loads the IANA time zone name, refusing unknown names, "" and
// "Local" (the server's own zone, which is no site's); errors name field.
func LoadZone(field, name string) (*time.Location, error) {
	if !zoneName.MatchString(name) || name == "Local" {
		return nil, errs.InvalidField(field, "err.window.zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.InvalidField(field, "err.window.zone", name)
	}
	return loc, nil
}

// Format is the window's text form (see the package documentation).
func (w Window) Format() string {
	return w.Days.String() + " " + w.Start.String() + " " + formatDuration(w.Duration) + " " + w.Zone.String()
}

// String is Format.
func (w Window) String() string { return w.Format() }

// Equal reports whether two windows are the same.
func (w Window) Equal(o Window) bool {
	return w.Days == o.Days && w.Start == o.Start && w.Duration == o.Duration &&
		(w.Zone == o.Zone || w.Zone != nil && o.Zone != nil && w.Zone.String() == o.Zone.String())
}

// MarshalText gives the text form, so that a Window is a JSON string.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.Format()), nil }

// UnmarshalText parses the text form.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

func formatDuration(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	s := ""
	if h > 0 {
		s = strconv.Itoa(h) + "h"
	}
	if m > 0 || h == 0 {
		s += strconv.Itoa(m) + "m"
	}
	return s
}

// ParseWindow reads a window's text form; errors name the field "window". A
// window written otherwise than its one spelling (days out of order, "180m"
// for "3h", "9:00", extra spaces, capitals) is refused with that spelling.
func ParseWindow(s string) (Window, error) {
	const field = "window"
	parts := strings.Fields(s)
	if len(parts) != 4 {
		return Window{}, errs.InvalidField(field, "err.window.form", s)
	}
	days, ok := parseDays(parts[0])
	if !ok {
		return Window{}, errs.InvalidField(field, "err.window.days", parts[0])
	}
	start, ok := parseTimeOfDay(parts[1])
	if !ok {
		return Window{}, errs.InvalidField(field, "err.window.start", parts[1])
	}
	d, ok := parseDuration(parts[2])
	if !ok {
		return Window{}, errs.InvalidField(field, "err.window.duration", parts[2])
	}
	if d <= 0 || d > MaxDuration {
		return Window{}, errs.InvalidField(field, "err.window.duration_range", parts[2])
	}
	loc, err := LoadZone(field, parts[3])
	if err != nil {
		return Window{}, err
	}
	w := Window{Days: days, Start: start, Duration: d, Zone: loc}
	if f := w.Format(); f != s {
		return Window{}, errs.InvalidField(field, "err.window.spelling", f)
	}
	return w, nil
}

// parseDays reads a list of days and ranges in any order and case, or
// "daily"; ParseWindow then insists on the one spelling.
func parseDays(s string) (Weekdays, bool) {
	s = strings.ToLower(s)
	if s == "daily" {
		return AllWeekdays, true
	}
	index := func(name string) (int, bool) { // position in weekOrder
		for i, d := range weekOrder {
			if dayNames[d] == name {
				return i, true
			}
		}
		return 0, false
	}
	var set Weekdays
	for item := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		i, ok := index(from)
		if !ok {
			return 0, false
		}
		j := i
		if isRange {
			if j, ok = index(to); !ok || j <= i {
				return 0, false
			}
		}
		for k := i; k <= j; k++ {
			set |= DaysOf(weekOrder[k])
		}
	}
	return set, true
}

func parseTimeOfDay(s string) (TimeOfDay, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return TimeOfDay{}, false
	}
	c := TimeOfDay{Hour: digits(h), Minute: digits(m)}
	return c, c.valid()
}

var durationForm = regexp.MustCompile(`^(?:([0-9]{1,4})h)?(?:([0-9]{1,5})m)?$`)

func parseDuration(s string) (time.Duration, bool) {
	m := durationForm.FindStringSubmatch(s)
	if m == nil || s == "" {
		return 0, false
	}
	return time.Duration(digits(m[1]))*time.Hour + time.Duration(digits(m[2]))*time.Minute, true
}

// digits is the value of a string of at most a few ASCII digits, -1 when it
// holds anything else; "" is 0.
func digits(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// Next returns the first occurrence of w whose end is after t: the one open
// at t if there is one, else the next to start. Times are in w's zone.
func (w Window) Next(t time.Time) (start, end time.Time) {
	y, m, d := t.In(w.Zone).Date()
	// An occurrence lasts at most a day, so one that started three days or
	// more before t's date ended before t (a DST change moves the clock by
	// hours, not a day); within the week after t's date every chosen day
	// comes once. Occurrences start in the order of their days, so the
	// first whose end is after t is the answer.
	for i := -3; i <= 8; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC) // the calendar, without a zone
		if !w.Days.Has(day.Weekday()) {
			continue
		}
		s := startAt(day.Year(), day.Month(), day.Day(), w.Start, w.Zone)
		if e := s.Add(w.Duration); e.After(t) {
			return s, e
		}
	}
	panic("firmware: Next of a window with no weekday or no duration")
}

// Open reports whether t is inside an occurrence of w: in [start, end).
func (w Window) Open(t time.Time) bool {
	s, _ := w.Next(t)
	return !t.Before(s)
}

// startAt is the first instant at which the clock in loc shows the date and
// time c or later: the time itself when it exists, its first occurrence when
// the clock shows it twice, the end of the gap when the clock skips it.
func startAt(y int, mo time.Month, d int, c TimeOfDay, loc *time.Location) time.Time {
	wall := time.Date(y, mo, d, c.Hour, c.Minute, 0, 0, time.UTC).Unix()
	// The offsets in force around the wall time: the instant is within 14 h
	// of it, whatever the zone.
	var offsets []int
	for k := int64(-3); k <= 3; k++ {
		_, off := time.Unix(wall+k*5*3600, 0).In(loc).Zone()
		offsets = append(offsets, off)
	}
	var best int64
	found := false
	for _, off := range offsets {
		u := wall - int64(off)
		if _, o := time.Unix(u, 0).In(loc).Zone(); o == off && (!found || u < best) {
			best, found = u, true
		}
	}
	if found {
		return time.Unix(best, 0).In(loc)
	}
	// In a gap: the answer is the change of offset that skipped it, the
	// start of the zone period that follows it.
	wallOf := func(u int64) int64 { _, o := time.Unix(u, 0).In(loc).Zone(); return u + int64(o) }
	for _, off := range offsets {
		s, _ := time.Unix(wall-int64(off), 0).In(loc).ZoneBounds()
		if !s.IsZero() && wallOf(s.Unix()) > wall && wallOf(s.Unix()-1) < wall && (!found || s.Unix() < best) {
			best, found = s.Unix(), true
		}
	}
	if found {
		return time.Unix(best, 0).In(loc)
	}
	return time.Date(y, mo, d, c.Hour, c.Minute, 0, 0, loc) // not reached for real zones
}

// WindowOf makes a window from its parts as a form or the API gives them:
// day names ("mon" … "sun", any case, or "daily"), a start "HH:MM", a
// duration in minutes and an IANA zone.
func WindowOf(days []string, start string, minutes int, zone string) (Window, error) {
	var set Weekdays
	for _, d := range days {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "daily" {
			set |= AllWeekdays
			continue
		}
		i := slices.Index(dayNames[:], d)
		if i < 0 {
			return Window{}, errs.InvalidField("window.days", "err.window.days", d)
		}
		set |= 1 << i
	}
	c, ok := parseTimeOfDay(strings.TrimSpace(start))
	if !ok {
		return Window{}, errs.InvalidField("window.start", "err.window.start", start)
	}
	if minutes <= 0 || time.Duration(minutes)*time.Minute > MaxDuration {
		return Window{}, errs.InvalidField("window.duration_minutes", "err.window.minutes", int(MaxDuration/time.Minute))
	}
	return NewWindow(set, c, time.Duration(minutes)*time.Minute, zone)
}

// DayNames are the window's days in week order, as WindowOf takes them.
func (s Weekdays) DayNames() []string {
	var out []string
	for _, d := range weekOrder {
		if s.Has(d) {
			out = append(out, dayNames[d])
		}
	}
	return out
}
