package firmware

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"mysystems/internal/errs"
)

func mustParse(t testing.TB, s string) Window {
	t.Helper()
	w, err := ParseWindow(s)
	if err != nil {
		t.Fatalf("ParseWindow(%q): %v", s, err)
	}
	return w
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone("time_zone", name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// dstZone describes a zone's daylight-saving nights: the wall hour the clock
// skips in spring and the one it shows twice in autumn.
type dstZone struct {
	name           string
	gapHour        int // spring: gapHour:00–gapHour:59 does not exist
	foldHour       int // autumn: foldHour:00–foldHour:59 happens twice
	spring, autumn map[int]string
}

var dstZones = []dstZone{
	{"Europe/Paris", 2, 2, map[int]string{2026: "2026-03-29", 2027: "2027-03-28"}, map[int]string{2026: "2026-10-25", 2027: "2027-10-31"}},
	{"America/New_York", 2, 1, map[int]string{2026: "2026-03-08", 2027: "2027-03-14"}, map[int]string{2026: "2026-11-01", 2027: "2027-11-07"}},
}

// transitions are the instants of the year at which loc's offset changes,
// found with the time package.
func transitions(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			return out
		}
		out = append(out, end)
		t = end
	}
}

// dstNights returns the spring-forward and fall-back instants of the year.
func dstNights(t *testing.T, z dstZone, year int) (spring, autumn time.Time) {
	t.Helper()
	loc := mustZone(t, z.name)
	tr := transitions(loc, year)
	if len(tr) != 2 {
		t.Fatalf("%s %d: %d offset changes, want 2", z.name, year, len(tr))
	}
	return tr[0], tr[1]
}

// eachNight runs f for both zones and both years with their DST changes.
func eachNight(t *testing.T, f func(z dstZone, year int, spring, autumn time.Time)) {
	for _, z := range dstZones {
		for _, year := range []int{2026, 2027} {
			spring, autumn := dstNights(t, z, year)
			f(z, year, spring, autumn)
		}
	}
}

// TestFW4_DSTNightsAreKnown: the nights the tables below rely on are the
// ones the time package knows (Sundays; the clock skips gapHour and repeats
// foldHour).
func TestFW4_DSTNightsAreKnown(t *testing.T) {
	eachNight(t, func(z dstZone, year int, spring, autumn time.Time) {
		loc := spring.Location()
		if got := spring.In(loc).Format("2006-01-02"); got != z.spring[year] || spring.In(loc).Weekday() != time.Sunday {
			t.Errorf("%s %d spring-forward on %s (%s), want Sunday %s", z.name, year, got, spring.In(loc).Weekday(), z.spring[year])
		}
		if got := autumn.In(loc).Format("2006-01-02"); got != z.autumn[year] || autumn.In(loc).Weekday() != time.Sunday {
			t.Errorf("%s %d fall-back on %s, want Sunday %s", z.name, year, got, z.autumn[year])
		}
		if h := spring.Add(-time.Second).In(loc).Hour(); h != z.gapHour-1 || spring.In(loc).Hour() != z.gapHour+1 {
			t.Errorf("%s %d: the clock goes from %d:59 to %d:00, want it to skip %d", z.name, year, h, spring.In(loc).Hour(), z.gapHour)
		}
		if h := autumn.Add(-time.Second).In(loc).Hour(); h != z.foldHour || autumn.In(loc).Hour() != z.foldHour {
			t.Errorf("%s %d: the clock goes back from %d:59 to %d:00, want %d twice", z.name, year, h, autumn.In(loc).Hour(), z.foldHour)
		}
	})
}

type dstRow struct {
	rule       string
	start      string        // HH:MM
	duration   string        // text form
	wantStart  time.Duration // from the change of offset
	wantEnd    time.Duration // from the change of offset
	wantEndsAt string        // HH:MM on the wall at the end
}

func hm(h, m int) string { return fmt.Sprintf("%02d:%02d", h, m) }

// checkDSTRows runs rows on the Sunday of the change T, for a window on
// Sundays only and on every day, asked half a day before.
func checkDSTRows(t *testing.T, z dstZone, T time.Time, rows []dstRow) {
	for _, r := range rows {
		for _, days := range []string{"sun", "daily"} {
			w := mustParse(t, days+" "+r.start+" "+r.duration+" "+z.name)
			name := fmt.Sprintf("%s/%s/%s", r.rule, T.Format("2006"), w)
			s, e := w.Next(T.Add(-12 * time.Hour))
			if !s.Equal(T.Add(r.wantStart)) || !e.Equal(T.Add(r.wantEnd)) {
				t.Errorf("%s: Next = %s – %s, want %s – %s", name, s, e, T.Add(r.wantStart).In(w.Zone), T.Add(r.wantEnd).In(w.Zone))
				continue
			}
			if got := e.Sub(s); got != w.Duration {
				t.Errorf("%s: lasts %s of elapsed time, want %s", name, got, w.Duration)
			}
			if got := e.In(w.Zone).Format("15:04"); got != r.wantEndsAt {
				t.Errorf("%s: ends at %s on the wall, want %s", name, got, r.wantEndsAt)
			}
			if !w.Open(s) || w.Open(s.Add(-time.Nanosecond)) || !w.Open(e.Add(-time.Nanosecond)) || w.Open(e) {
				t.Errorf("%s: Open is not exactly [%s, %s)", name, s, e)
			}
		}
	}
}

// TestFW4_SpringForwardStartsAfterGap: a start time the clock skips starts
// at the first instant after the gap; the times around it are unchanged.
func TestFW4_SpringForwardStartsAfterGap(t *testing.T) {
	eachNight(t, func(z dstZone, _ int, T, _ time.Time) {
		g := z.gapHour
		checkDSTRows(t, z, T, []dstRow{
			{"FW-4/gap-start-at-change", hm(g, 0), "1h", 0, time.Hour, hm(g+2, 0)},
			{"FW-4/gap-middle", hm(g, 30), "1h", 0, time.Hour, hm(g+2, 0)},
			{"FW-4/gap-last-minute", hm(g, 59), "30m", 0, 30 * time.Minute, hm(g+1, 30)},
			{"FW-4/before-gap", hm(g-1, 59), "1h", -time.Minute, 59 * time.Minute, hm(g+1, 59)},
			{"FW-4/after-gap", hm(g+1, 0), "1h", 0, time.Hour, hm(g+2, 0)},
			{"FW-4/after-gap-plus-one", hm(g+1, 1), "1h", time.Minute, time.Hour + time.Minute, hm(g+2, 1)},
			{"FW-4/elapsed-over-gap", hm(g-1, 30), "3h", -30 * time.Minute, 150 * time.Minute, hm(g+3, 30)},
			{"FW-4/midnight-over-gap", "00:00", "6h", -time.Duration(g) * time.Hour, time.Duration(6-g) * time.Hour, "07:00"},
		})
	})
}

// TestFW4_FallBackStartsOnce: a start time the clock shows twice starts at
// its first occurrence, and only once that night.
func TestFW4_FallBackStartsOnce(t *testing.T) {
	eachNight(t, func(z dstZone, _ int, _, T time.Time) {
		f := z.foldHour
		checkDSTRows(t, z, T, []dstRow{
			{"FW-4/fold-first-occurrence", hm(f, 0), "30m", -time.Hour, -30 * time.Minute, hm(f, 30)},
			{"FW-4/fold-middle", hm(f, 30), "1h", -30 * time.Minute, 30 * time.Minute, hm(f, 30)},
			{"FW-4/fold-last-minute", hm(f, 59), "1m", -time.Minute, 0, hm(f, 0)},
			{"FW-4/before-fold", hm(f-1, 59), "1h", -61 * time.Minute, -time.Minute, hm(f, 59)},
			{"FW-4/after-fold", hm(f+1, 0), "1h", time.Hour, 2 * time.Hour, hm(f+2, 0)},
			// 3 real hours, though the wall clock moves only 2.
			{"FW-4/elapsed-over-fold", hm(f-1, 30), "3h", -90 * time.Minute, 90 * time.Minute, hm(f+1, 30)},
		})
		// The second time the clock shows f:30 starts nothing: the next
		// occurrence is the next week's.
		for _, d := range []string{"10m", "1h"} {
			w := mustParse(t, "sun "+hm(f, 30)+" "+d+" "+z.name)
			second := T.Add(30 * time.Minute)
			if second.In(w.Zone).Format("15:04") != hm(f, 30) {
				t.Fatalf("%s: %s is not the second %s", z.name, second, hm(f, 30))
			}
			s, _ := w.Next(second)
			if want := T.Add(-30*time.Minute).AddDate(0, 0, 7); !s.Equal(want) || w.Open(second) {
				t.Errorf("FW-4/fold-once/%s/%s: at the second %s Next starts %s (open %v), want the next week's %s", year4(T), w, hm(f, 30), s, w.Open(second), want)
			}
		}
		// Walking a daily window through the night: one start on that date.
		w := mustParse(t, "daily "+hm(f, 30)+" 15m "+z.name)
		day := T.In(w.Zone).Format("2006-01-02")
		n := 0
		for s, e := w.Next(T.Add(-24 * time.Hour)); s.Before(T.Add(24 * time.Hour)); s, e = w.Next(e) {
			if s.In(w.Zone).Format("2006-01-02") == day {
				n++
			}
		}
		if n != 1 {
			t.Errorf("FW-4/fold-once/%s/%s: %d starts on %s, want 1", year4(T), w, n, day)
		}
	})
}

func year4(t time.Time) string { return t.Format("2006") }

// TestFW4_DurationIsElapsedTime: the duration is real time, whatever the
// clock on the wall does.
func TestFW4_DurationIsElapsedTime(t *testing.T) {
	eachNight(t, func(z dstZone, _ int, spring, autumn time.Time) {
		for _, c := range []struct {
			T        time.Time
			start    string
			wallDiff time.Duration
		}{
			{autumn, hm(z.foldHour-1, 0), 2 * time.Hour}, // 3 h over the fall-back: the wall moves 2 h
			{spring, hm(z.gapHour-1, 0), 4 * time.Hour},  // 3 h over the spring-forward: the wall moves 4 h
		} {
			w := mustParse(t, "sun "+c.start+" 3h "+z.name)
			s, e := w.Next(c.T.Add(-12 * time.Hour))
			sw, ew := s.In(w.Zone), e.In(w.Zone)
			wall := time.Date(2000, 1, 1, ew.Hour(), ew.Minute(), 0, 0, time.UTC).Sub(time.Date(2000, 1, 1, sw.Hour(), sw.Minute(), 0, 0, time.UTC))
			if e.Sub(s) != 3*time.Hour || wall != c.wallDiff {
				t.Errorf("FW-4/elapsed/%s/%s: %s – %s lasts %s (wall %s), want 3h (wall %s)", year4(c.T), w, sw, ew, e.Sub(s), wall, c.wallDiff)
			}
		}
	})
}

// TestFW4_LongWindowOverSpringForward: a 24-hour window that starts late on
// the Saturday before the spring-forward night ends after midnight on
// Monday, two dates after its start, and is open until then.
func TestFW4_LongWindowOverSpringForward(t *testing.T) {
	eachNight(t, func(z dstZone, _ int, T, _ time.Time) {
		w := mustParse(t, "sat 23:30 24h "+z.name)
		sat := T.In(w.Zone).AddDate(0, 0, -1)
		start := time.Date(sat.Year(), sat.Month(), sat.Day(), 23, 30, 0, 0, w.Zone)
		at := start.Add(24*time.Hour - 15*time.Minute) // Monday 00:15 on the wall
		if got := at.In(w.Zone).Format("Mon 15:04"); got != "Mon 00:15" {
			t.Fatalf("%s: %s", z.name, got)
		}
		s, e := w.Next(at)
		if !s.Equal(start) || !e.Equal(start.Add(24*time.Hour)) || !w.Open(at) {
			t.Errorf("FW-4/elapsed/%s/%s at %s: Next = %s – %s, open %v; want the Saturday's", year4(T), w, at, s, e, w.Open(at))
		}
	})
}

// june1 is Monday 1 June 2026, 00:00 in loc: an ordinary week.
func june1(t *testing.T, loc *time.Location) time.Time {
	t.Helper()
	d := time.Date(2026, 6, 1, 0, 0, 0, 0, loc)
	if d.Weekday() != time.Monday {
		t.Fatalf("%s is a %s", d, d.Weekday())
	}
	return d
}

// TestFW4_CrossesMidnight: a window may run into the next day; its weekday
// is that of its start.
func TestFW4_CrossesMidnight(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	mon := june1(t, paris)
	at := func(day, h, m int) time.Time {
		return mon.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	for _, c := range []struct {
		rule, window  string
		t, start, end time.Time
		open          bool
	}{
		{"FW-4/midnight/before", "mon 22:00 4h Europe/Paris", at(0, 21, 59), at(0, 22, 0), at(1, 2, 0), false},
		{"FW-4/midnight/start", "mon 22:00 4h Europe/Paris", at(0, 22, 0), at(0, 22, 0), at(1, 2, 0), true},
		{"FW-4/midnight/at-midnight", "mon 22:00 4h Europe/Paris", at(1, 0, 0), at(0, 22, 0), at(1, 2, 0), true},
		{"FW-4/midnight/next-day", "mon 22:00 4h Europe/Paris", at(1, 1, 59), at(0, 22, 0), at(1, 2, 0), true},
		{"FW-4/midnight/end", "mon 22:00 4h Europe/Paris", at(1, 2, 0), at(7, 22, 0), at(8, 2, 0), false},
		{"FW-4/midnight/weekday-of-start", "fri 22:00 4h Europe/Paris", at(5, 1, 0), at(4, 22, 0), at(5, 2, 0), true},
		{"FW-4/midnight/not-the-next-day", "fri 22:00 4h Europe/Paris", at(5, 22, 30), at(11, 22, 0), at(12, 2, 0), false},
		{"FW-4/midnight/into-next-week", "sun 23:00 2h Europe/Paris", at(7, 0, 30), at(6, 23, 0), at(7, 1, 0), true},
		{"FW-4/midnight/whole-day", "daily 23:30 24h Europe/Paris", at(1, 12, 0), at(0, 23, 30), at(1, 23, 30), true},
		{"FW-4/midnight/whole-day-abuts", "daily 23:30 24h Europe/Paris", at(1, 23, 30), at(1, 23, 30), at(2, 23, 30), true},
		{"FW-4/midnight/weekend", "sat,sun 20:00 24h Europe/Paris", at(7, 19, 0), at(6, 20, 0), at(7, 20, 0), true},
		{"FW-4/midnight/other-zone", "mon 22:00 4h America/New_York", at(1, 5, 0), at(1, 4, 0), at(1, 8, 0), true}, // Mon 22:00 EDT is Tue 04:00 in Paris
	} {
		w := mustParse(t, c.window)
		s, e := w.Next(c.t)
		if !s.Equal(c.start) || !e.Equal(c.end) || w.Open(c.t) != c.open {
			t.Errorf("%s: %s at %s: Next = %s – %s, open %v; want %s – %s, open %v", c.rule, w, c.t, s, e, w.Open(c.t), c.start, c.end, c.open)
		}
	}
}

// TestFW4_EveryWeekdaySet: for each of the 127 sets of days, the window
// opens on exactly those days, and its text form reads back to it.
func TestFW4_EveryWeekdaySet(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	mon := june1(t, paris)
	for set := Weekdays(1); set <= AllWeekdays; set++ {
		w := Window{Days: set, Start: TimeOfDay{10, 0}, Duration: time.Hour, Zone: paris}
		if got := mustParse(t, w.Format()); !got.Equal(w) {
			t.Errorf("set %07b: %q reads back as %v", set, w.Format(), got)
		}
		var want, got []time.Time
		for d := range 14 {
			if day := mon.AddDate(0, 0, d); set.Has(day.Weekday()) {
				want = append(want, day.Add(10*time.Hour))
			}
		}
		for s, e := w.Next(mon); s.Before(mon.AddDate(0, 0, 14)); s, e = w.Next(e) {
			got = append(got, s)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("FW-4/weekdays/%s: starts %v, want %v", set, got, want)
		}
	}
	for set, want := range map[Weekdays]string{
		DaysOf(time.Monday): "mon",
		DaysOf(time.Sunday): "sun",
		DaysOf(time.Monday, time.Wednesday, time.Friday):                                             "mon,wed,fri",
		DaysOf(time.Saturday, time.Sunday):                                                           "sat,sun",
		DaysOf(time.Monday, time.Tuesday, time.Wednesday):                                            "mon-wed",
		DaysOf(time.Monday, time.Tuesday, time.Thursday, time.Friday):                                "mon,tue,thu,fri",
		DaysOf(time.Sunday, time.Monday, time.Tuesday):                                               "mon,tue,sun",
		DaysOf(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday):                "mon-fri",
		DaysOf(time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday): "tue-sun",
		DaysOf(time.Monday, time.Wednesday, time.Thursday, time.Friday, time.Sunday):                 "mon,wed-fri,sun",
		AllWeekdays: "daily",
	} {
		if set.String() != want {
			t.Errorf("%07b is written %q, want %q", set, set.String(), want)
		}
	}
}

// TestFW4_MissedWindowWaitsForNext: a device offline through its window
// gets the next one when it comes back, not the missed one; back inside a
// window, it gets the current one.
func TestFW4_MissedWindowWaitsForNext(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	mon := june1(t, paris)
	w := mustParse(t, "sat 02:00 2h Europe/Paris")
	sat := mon.AddDate(0, 0, 5)
	for _, c := range []struct {
		rule  string
		back  time.Time
		start time.Time
		open  bool
	}{
		{"FW-4/missed/back-after-close", sat.Add(9 * time.Hour), sat.AddDate(0, 0, 7).Add(2 * time.Hour), false},
		{"FW-4/missed/back-at-close", sat.Add(4 * time.Hour), sat.AddDate(0, 0, 7).Add(2 * time.Hour), false},
		{"FW-4/missed/back-inside", sat.Add(3 * time.Hour), sat.Add(2 * time.Hour), true},
		{"FW-4/missed/back-before", sat.Add(time.Hour), sat.Add(2 * time.Hour), false},
	} {
		s, _ := w.Next(c.back)
		if !s.Equal(c.start) || w.Open(c.back) != c.open {
			t.Errorf("%s: back at %s, Next starts %s (open %v), want %s (open %v)", c.rule, c.back, s, w.Open(c.back), c.start, c.open)
		}
	}
	// Offline through the spring-forward night's window: the next week's.
	for _, z := range dstZones {
		T, _ := dstNights(t, z, 2026)
		w := mustParse(t, "sun "+hm(z.gapHour, 30)+" 1h "+z.name)
		if s, _ := w.Next(T.Add(time.Hour)); !s.Equal(T.AddDate(0, 0, 7).Add(-time.Hour + 30*time.Minute)) {
			t.Errorf("FW-4/missed/spring-night/%s: back at the close, Next starts %s", z.name, s.In(w.Zone))
		}
	}
}

// wallClock is, for every minute from lo to hi, the wall time the zone's
// clock shows then (as seconds of a UTC date): the slow, obvious direction of
// the zone's rules, from an instant to the wall.
type wallClock struct {
	lo   time.Time
	wall []int64
}

func newWallClock(loc *time.Location, lo, hi time.Time) *wallClock {
	c := &wallClock{lo: lo}
	for u := lo; u.Before(hi); u = u.Add(time.Minute) {
		_, off := u.In(loc).Zone()
		c.wall = append(c.wall, u.Unix()+int64(off))
	}
	return c
}

// occurrences is the reference: the start of each occurrence is the first
// minute at which the clock shows the chosen day and time or later, found by
// scanning minute after minute.
func (c *wallClock) occurrences(w Window) (starts, ends []time.Time) {
	first := time.Unix(c.wall[0], 0).UTC()
	var targets []int64
	for d := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC); d.Unix() < c.wall[len(c.wall)-1]; d = d.AddDate(0, 0, 1) {
		if w.Days.Has(d.Weekday()) {
			targets = append(targets, d.Unix()+int64(w.Start.Hour*3600+w.Start.Minute*60))
		}
	}
	k := 0
	for _, tg := range targets {
		if tg >= c.wall[0] {
			break
		}
		k++ // already past at lo: not found by the scan
	}
	for i, wall := range c.wall {
		for k < len(targets) && wall >= targets[k] {
			s := c.lo.Add(time.Duration(i) * time.Minute)
			starts, ends = append(starts, s), append(ends, s.Add(w.Duration))
			k++
		}
	}
	return starts, ends
}

// TestFW4_NextAgreesWithMinuteScan: for random windows and instants over
// 2026 and 2027 in both zones, Next is the reference's first occurrence
// ending after t, and Open(t) holds exactly inside [start, end).
func TestFW4_NextAgreesWithMinuteScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2026))
	lo, hi := time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 12, 0, 0, 0, 0, time.UTC)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	windows, instants := 80, 250
	if testing.Short() {
		windows = 10
	}
	for _, z := range dstZones {
		loc := mustZone(t, z.name)
		clock := newWallClock(loc, lo, hi)
		var changes []time.Time
		for _, y := range []int{2026, 2027} {
			changes = append(changes, transitions(loc, y)...)
		}
		for range windows {
			w := Window{Days: Weekdays(1 + rng.IntN(127)), Zone: loc}
			if rng.IntN(2) == 0 {
				w.Start = TimeOfDay{rng.IntN(4), rng.IntN(60)} // near the DST changes
			} else {
				w.Start = TimeOfDay{rng.IntN(24), rng.IntN(60)}
			}
			if rng.IntN(3) == 0 {
				w.Duration = []time.Duration{time.Minute, time.Hour, 3 * time.Hour, MaxDuration}[rng.IntN(4)]
			} else {
				w.Duration = time.Duration(1+rng.IntN(1440)) * time.Minute
			}
			starts, ends := clock.occurrences(w)
			check := func(at time.Time) {
				i := sort.Search(len(ends), func(i int) bool { return ends[i].After(at) })
				if i == 0 || i == len(ends) {
					t.Fatalf("%s: %s outside the reference's range", w, at)
				}
				s, e := w.Next(at)
				if !s.Equal(starts[i]) || !e.Equal(ends[i]) {
					t.Fatalf("FW-4/reference/%s at %s: Next = %s – %s, the scan says %s – %s", w, at.In(loc), s, e, starts[i].In(loc), ends[i].In(loc))
				}
				inside := false
				for j := max(0, i-3); j < min(len(starts), i+4); j++ {
					inside = inside || !at.Before(starts[j]) && at.Before(ends[j])
				}
				if w.Open(at) != inside {
					t.Fatalf("FW-4/reference/%s at %s: Open = %v, inside an occurrence: %v", w, at.In(loc), w.Open(at), inside)
				}
			}
			for range instants {
				var at time.Time
				if rng.IntN(2) == 0 {
					at = from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
				} else {
					at = changes[rng.IntN(len(changes))].Add(time.Duration(rng.Int64N(int64(60*time.Hour))) - 30*time.Hour)
				}
				check(at)
				s, e := w.Next(at)
				for _, b := range []time.Time{s.Add(-time.Nanosecond), s, e.Add(-time.Nanosecond), e, s.Add(-time.Minute)} {
					check(b)
				}
			}
		}
	}
}

func wantKey(t *testing.T, err error, field, key string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != field || e.Key != key {
		t.Errorf("error %v, want invalid %s with key %s", err, field, key)
	}
}

// TestFW4_ParseFormat: the text form has one spelling per window, refused
// otherwise with the right spelling; every error names its catalogue key.
func TestFW4_ParseFormat(t *testing.T) {
	for _, s := range []string{
		"mon,wed,fri 22:00 3h Europe/Paris",
		"mon-fri 01:30 1h30m America/New_York",
		"daily 02:00 45m UTC",
		"sun 00:00 24h Europe/Paris",
		"sat,sun 23:59 1m Asia/Kolkata",
		"mon,wed-fri,sun 12:05 2h1m America/Argentina/Salta",
		"tue 09:00 10h Etc/GMT+5",
	} {
		w := mustParse(t, s)
		if got := w.Format(); got != s {
			t.Errorf("Format(Parse(%q)) = %q", s, got)
		}
		if again := mustParse(t, w.Format()); !again.Equal(w) {
			t.Errorf("%q reads back as %v", s, again)
		}
		b, err := json.Marshal(struct{ W Window }{w})
		var back struct{ W Window }
		if err != nil || json.Unmarshal(b, &back) != nil || !back.W.Equal(w) || !strings.Contains(string(b), `"`+s+`"`) {
			t.Errorf("JSON of %q: %s, %v, read back %v", s, b, err, back.W)
		}
	}
	for _, c := range []struct{ in, key, spelling string }{
		{"", "err.window.form", ""},
		{"mon 22:00 3h", "err.window.form", ""},
		{"mon 22:00 3h Europe/Paris extra", "err.window.form", ""},
		{"monday 22:00 3h Europe/Paris", "err.window.days", ""},
		{"mon,,fri 22:00 3h Europe/Paris", "err.window.days", ""},
		{"fri-mon 22:00 3h Europe/Paris", "err.window.days", ""},
		{"mon-mon 22:00 3h Europe/Paris", "err.window.days", ""},
		{"22:00 mon 3h Europe/Paris", "err.window.days", ""},
		{"mon 24:00 3h Europe/Paris", "err.window.start", ""},
		{"mon 22:60 3h Europe/Paris", "err.window.start", ""},
		{"mon 22h 3h Europe/Paris", "err.window.start", ""},
		{"mon 2200 3h Europe/Paris", "err.window.start", ""},
		{"mon -1:00 3h Europe/Paris", "err.window.start", ""},
		{"mon 22:00 3 Europe/Paris", "err.window.duration", ""},
		{"mon 22:00 3h0s Europe/Paris", "err.window.duration", ""},
		{"mon 22:00 1.5h Europe/Paris", "err.window.duration", ""},
		{"mon 22:00 -1h Europe/Paris", "err.window.duration", ""},
		{"mon 22:00 0m Europe/Paris", "err.window.duration_range", ""},
		{"mon 22:00 0h Europe/Paris", "err.window.duration_range", ""},
		{"mon 22:00 24h1m Europe/Paris", "err.window.duration_range", ""},
		{"mon 22:00 25h Europe/Paris", "err.window.duration_range", ""},
		{"mon 22:00 9999h Europe/Paris", "err.window.duration_range", ""},
		{"mon 22:00 3h Europe/Atlantis", "err.window.zone", ""},
		{"mon 22:00 3h Local", "err.window.zone", ""},
		{"mon 22:00 3h europe/paris", "err.window.zone", ""},
		{"mon 22:00 3h ../etc/passwd", "err.window.zone", ""},
		{"mon 22:00 3h /etc/localtime", "err.window.zone", ""},
		{"mon 22:00 3h Europe//Paris", "err.window.zone", ""},
		{"mon 22:00 3h Europe", "err.window.zone", ""},
		{"wed,mon 22:00 3h Europe/Paris", "err.window.spelling", "mon,wed 22:00 3h Europe/Paris"},
		{"mon,tue,wed 22:00 3h Europe/Paris", "err.window.spelling", "mon-wed 22:00 3h Europe/Paris"},
		{"mon-sun 22:00 3h Europe/Paris", "err.window.spelling", "daily 22:00 3h Europe/Paris"},
		{"mon,mon 22:00 3h Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"MON 22:00 3h Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"mon 9:00 3h Europe/Paris", "err.window.spelling", "mon 09:00 3h Europe/Paris"},
		{"mon 22:00 180m Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"mon 22:00 90m Europe/Paris", "err.window.spelling", "mon 22:00 1h30m Europe/Paris"},
		{"mon 22:00 3h0m Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"mon 22:00 03h Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"mon 22:00 1440m Europe/Paris", "err.window.spelling", "mon 22:00 24h Europe/Paris"},
		{" mon 22:00 3h Europe/Paris", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
		{"mon  22:00\t3h Europe/Paris\n", "err.window.spelling", "mon 22:00 3h Europe/Paris"},
	} {
		_, err := ParseWindow(c.in)
		wantKey(t, err, "window", c.key)
		if e, ok := errs.As(err); ok && c.spelling != "" && (len(e.Args) != 1 || e.Args[0] != c.spelling) {
			t.Errorf("%q: suggests %v, want %q", c.in, e.Args, c.spelling)
		}
	}
	var w Window
	wantKey(t, json.Unmarshal([]byte(`"mon 22:00 3h Nowhere/City"`), &w), "window", "err.window.zone")
}

// TestFW4_NewWindow: a window from an API body's fields, each checked and
// named.
func TestFW4_NewWindow(t *testing.T) {
	w, err := NewWindow(DaysOf(time.Monday, time.Friday), TimeOfDay{22, 0}, 3*time.Hour, "Europe/Paris")
	if err != nil || w.Format() != "mon,fri 22:00 3h Europe/Paris" {
		t.Fatalf("NewWindow: %v, %v", w, err)
	}
	for _, c := range []struct {
		days       Weekdays
		start      TimeOfDay
		d          time.Duration
		zone       string
		field, key string
	}{
		{0, TimeOfDay{22, 0}, time.Hour, "UTC", "weekdays", "err.window.days_required"},
		{1, TimeOfDay{24, 0}, time.Hour, "UTC", "start", "err.window.start"},
		{1, TimeOfDay{-1, 0}, time.Hour, "UTC", "start", "err.window.start"},
		{1, TimeOfDay{0, 60}, time.Hour, "UTC", "start", "err.window.start"},
		{1, TimeOfDay{0, 0}, 0, "UTC", "duration", "err.window.duration_range"},
		{1, TimeOfDay{0, 0}, -time.Hour, "UTC", "duration", "err.window.duration_range"},
		{1, TimeOfDay{0, 0}, MaxDuration + time.Minute, "UTC", "duration", "err.window.duration_range"},
		{1, TimeOfDay{0, 0}, time.Hour + time.Second, "UTC", "duration", "err.window.duration_range"},
		{1, TimeOfDay{0, 0}, time.Hour, "", "time_zone", "err.window.zone"},
		{1, TimeOfDay{0, 0}, time.Hour, "Local", "time_zone", "err.window.zone"},
		{1, TimeOfDay{0, 0}, time.Hour, "Mars/Olympus", "time_zone", "err.window.zone"},
	} {
		_, err := NewWindow(c.days, c.start, c.d, c.zone)
		wantKey(t, err, c.field, c.key)
	}
}
