package license

import (
	"fmt"
	"sort"
	"strconv"
)

// EventKind is the kind of an event of the daily job (LIC-2, LIC-5,
// LIC-7).
type EventKind string

// The events of the daily job, in the order they happen on one day.
const (
	// EventExpiry: a lot reached its expiry and its licenses leave the
	// wallet (LIC-2).
	EventExpiry EventKind = "expiry"
	// EventRenewal: a new subscription year began for the product; its
	// need is recorded (LIC-7).
	EventRenewal EventKind = "renewal"
	// EventStatus: the product's status changed with time (a trial or a
	// grace period ran out, a renewal began a grace period).
	EventStatus EventKind = "status"
	// EventNotice: a reminder e-mail is due.
	EventNotice EventKind = "notice"
)

// Notice names a reminder of the daily job.
type Notice string

// The reminders: 30 and 7 days before a renewal (while the next year has
// less than the need allocated), when a grace period starts, when a
// product becomes unlicensed.
const (
	NoticeRenewal30  Notice = "renewal_30"
	NoticeRenewal7   Notice = "renewal_7"
	NoticeGrace      Notice = "grace_started"
	NoticeUnlicensed Notice = "unlicensed"
)

// Event is one thing the daily job does for a product on a day. Applying
// an event twice must change nothing: its Key is unique per organization
// and product, so the history's unique index refuses the second entry, and
// the event's effect is applied only with its first entry.
type Event struct {
	Kind EventKind
	Day  Date
	// Year is the subscription year the event is about (k), or -1 for a
	// lot's expiry.
	Year int
	// RecordNeed says Need is to be recorded as Year's need: on a renewal,
	// and on the status change that ends a trial that ran its course in
	// the year the product started.
	RecordNeed bool
	Need       int
	// From and To are a status change's statuses.
	From, To Status
	// Lot and Quantity are, for an expiry, the lot and the licenses that
	// leave the wallet.
	Lot      string
	Quantity int
	// Notice is the reminder of a notice event.
	Notice Notice
	// Key identifies the event for its organization and product:
	// "renewal:<k>", "status:<day>", "expiry:<lot>", "notice:<notice>:<k>".
	Key string
}

// State is what the daily job reads and changes for one product of one
// organization.
type State struct {
	Period Period
	// Subscribed is the product as started (the zero value: not started;
	// its lots still expire).
	Subscribed Subscribed
	Wallet     Stock
	// Need is the product's need when the job runs.
	Need int
}

// Clone returns a copy of st that shares nothing with it.
func (st State) Clone() State {
	c := st
	c.Subscribed = st.Subscribed.Clone()
	c.Wallet.Lots = append([]Lot(nil), st.Wallet.Lots...)
	return c
}

// Advance returns the events due for the product after day last up to day
// today, in the order they happened, and the state once they are applied
// (LIC-2, LIC-5, LIC-7). last is the last day already processed (the zero
// Date: none, every event since the product started is due); events of
// days up to last are not repeated, except a lot whose expiry passed and
// that is still in the wallet.
//
// Running it for each day in turn or once for many days gives the same
// events and state. Devices are not versioned, so the need is the one when
// the job runs: a renewal processed late records the need of that day.
//
// A status change caused by a person (an allocation that ends a trial or a
// grace period) is recorded by that action and is not an event here.
func Advance(st State, last, today Date) ([]Event, State) {
	st = st.Clone()
	var events []Event
	for _, l := range st.Wallet.Expiring(today) {
		events = append(events, Event{Kind: EventExpiry, Day: l.Expires, Year: -1, Lot: l.ID, Quantity: l.Quantity, Key: "expiry:" + l.ID})
		for i := range st.Wallet.Lots {
			if st.Wallet.Lots[i].ID == l.ID {
				st.Wallet.Lots[i].Quantity, st.Wallet.Lots[i].Expired = 0, true
			}
		}
	}
	s := &st.Subscribed
	if st.Period.Started() && s.IsStarted() {
		from := s.Started.AddDays(1)
		if !last.IsZero() && !last.Before(from) {
			from = last.AddDays(1)
		}
		for d := from; !d.After(today); d = d.AddDays(1) {
			events = append(events, st.day(d)...)
		}
	}
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.Day != b.Day {
			return a.Day.Before(b.Day)
		}
		if eventOrder[a.Kind] != eventOrder[b.Kind] {
			return eventOrder[a.Kind] < eventOrder[b.Kind]
		}
		return a.Key < b.Key
	})
	return events, st
}

var eventOrder = map[EventKind]int{EventExpiry: 0, EventRenewal: 1, EventStatus: 2, EventNotice: 3}

// day returns the status events of day d (one after the product's start
// day) and applies them to st.
func (st *State) day(d Date) []Event {
	p, s := st.Period, &st.Subscribed
	var events []Event
	prev := Evaluate(p, *s, st.Need, d.AddDays(-1))
	k := p.YearOf(d)
	if k > s.FirstYear(p) && d == p.YearStart(k) && !s.Year(k).Recorded {
		st.recordNeed(k)
		events = append(events, Event{Kind: EventRenewal, Day: d, Year: k, RecordNeed: true, Need: st.Need, Key: "renewal:" + strconv.Itoa(k)})
	}
	ranOut := s.TrialEnded.IsZero() && d == s.Started.AddDays(TrialDays)
	recordFirst := ranOut && k == s.FirstYear(p) && !s.Year(k).Recorded
	if recordFirst {
		st.recordNeed(k)
	}
	cur := Evaluate(p, *s, st.Need, d)
	if cur.Status != prev.Status && d != s.TrialEnded {
		events = append(events, Event{Kind: EventStatus, Day: d, Year: k, RecordNeed: recordFirst, Need: st.Need, From: prev.Status, To: cur.Status, Key: "status:" + d.String()})
		switch cur.Status {
		case Grace:
			events = append(events, notice(d, k, NoticeGrace))
		case Unlicensed:
			events = append(events, notice(d, k, NoticeUnlicensed))
		}
	}
	if w, ok := cur.Warning(RenewalDue); ok {
		switch w.Days {
		case RenewalNoticeDays:
			events = append(events, notice(d, k+1, NoticeRenewal30))
		case RenewalLastNotice:
			events = append(events, notice(d, k+1, NoticeRenewal7))
		}
	}
	return events
}

func (st *State) recordNeed(k int) {
	y := st.Subscribed.Years[k]
	y.Need, y.Recorded = st.Need, true
	if st.Subscribed.Years == nil {
		st.Subscribed.Years = map[int]Year{}
	}
	st.Subscribed.Years[k] = y
}

func notice(d Date, k int, n Notice) Event {
	return Event{Kind: EventNotice, Day: d, Year: k, Notice: n, Key: fmt.Sprintf("notice:%s:%d", n, k)}
}
