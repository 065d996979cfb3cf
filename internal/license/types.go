// Package license holds the rules and use cases of the license manager
// (SPEC §9): the vendor's products and license keys, the product wallet,
// the organization's one subscription period with its trials, renewals and
// grace periods, allocation, growth and compensation, the license-gated
// features and the append-only history whose conservation can be proved.
//
// The rules are plain functions over values and a given day (no clock, no
// I/O), so every number of SPEC §9 is proved by table tests; the service
// runs each use case in one store transaction.
package license

import (
	"fmt"
	"time"

	"mysystems/internal/errs"
)

// The numbers of SPEC §9 (the contract).
const (
	// TrialDays is how long a product is fully usable after it started
	// (LIC-4).
	TrialDays = 30
	// GraceDays is how long a product stays usable after a renewal without
	// enough licenses allocated to the new year (LIC-7).
	GraceDays = 30
	// LotYears is how long a lot stays in the wallet (LIC-2).
	LotYears = 5
	// YearsAhead is how many years after the current one licenses can be
	// allocated to (LIC-6).
	YearsAhead = 5
	// GrowthFactor bounds the need against what is allocated to the
	// current year: growth up to 100 % (LIC-8: need ≤ 2 × allocated).
	GrowthFactor = 2
)

// Date is a calendar day. Licensing counts whole days: the organization's
// anchor, a product's start, a lot's entry and expiry are days, not
// instants, and a day is the UTC day of the instant it is taken from.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the UTC day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{y, m, d}
}

// ParseDate reads a day written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return Date{}, errs.InvalidField("date", "err.license.date", s)
	}
	return DateOf(t), nil
}

// Time returns the day's first instant, UTC.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String writes the day YYYY-MM-DD, as it is stored.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date (no day).
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the day n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Sub returns the number of days from e to d (negative when d is before e).
func (d Date) Sub(e Date) int { return int(d.Time().Sub(e.Time()).Hours() / 24) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Sub(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Sub(e) > 0 }

// Licensing is a product's licensing model.
type Licensing string

// The licensing models (SPEC §9).
const (
	Subscription Licensing = "subscription"
	Hardware     Licensing = "hardware"
	Both         Licensing = "both"
)

// Feature is a portal feature a product can gate (LIC-14).
type Feature string

// The portal features that products can gate. A feature no product of the
// catalogue gates is free.
const (
	// FeatureUpgrades: starting, retrying and canceling AXIS OS upgrades
	// and rollouts (FW-3, FW-5, FW-7).
	FeatureUpgrades Feature = "axis-os-upgrades"
	// FeatureSchedules: changing devices' upgrade schedules (FW-4).
	FeatureSchedules Feature = "upgrade-schedules"
	// FeatureDeviceAccounts: adding, changing and removing device accounts
	// (DEV-6).
	FeatureDeviceAccounts Feature = "device-accounts"
)

// Features lists the features products can gate, in the order the
// catalogue shows them.
var Features = []Feature{FeatureUpgrades, FeatureSchedules, FeatureDeviceAccounts}

// Product is a product of the vendor's catalogue.
type Product struct {
	ID        string
	Name      string
	Licensing Licensing
	// Covers are the device model patterns whose devices count in the
	// product's need ("AXIS P*", "*"): a trailing * matches any rest, the
	// comparison ignores case.
	Covers []string
	// Gates are the portal features the product licenses (LIC-14).
	Gates     []Feature
	CreatedAt time.Time
	CreatedBy string
}

// LotSource says how a lot entered the wallet.
type LotSource string

// The sources of lots in part one of the license manager.
const (
	FromKey          LotSource = "redeem"
	FromCompensation LotSource = "compensation"
)

// Lot is licenses that entered a product's wallet together (LIC-2).
type Lot struct {
	ID      string
	Product string
	// Quantity is what is left in the wallet; Original what entered it.
	Quantity int
	Original int
	Entered  Date
	// Expires is the day the lot leaves the wallet: LotYears after it
	// entered.
	Expires Date
	Source  LotSource
	// Expired is set once the lot left the wallet on its expiry.
	Expired bool
}

// Kind is the kind of a history entry (LIC-13).
type Kind string

// The kinds of history entries in part one of the license manager.
const (
	KindStart        Kind = "start"        // a product's trial started (LIC-4)
	KindRedeem       Kind = "redeem"       // a key's licenses entered the wallet (LIC-3)
	KindAllocate     Kind = "allocate"     // licenses left the wallet for a year (LIC-6)
	KindCompensation Kind = "compensation" // licenses credited back to the wallet (LIC-9)
	KindRenewal      Kind = "renewal"      // a new subscription year began (LIC-7)
	KindExpiry       Kind = "expiry"       // a lot's remaining licenses left the wallet (LIC-2)
	KindStatus       Kind = "status"       // a product's status changed (LIC-5)
)

// Entry is one append-only history entry (LIC-13).
type Entry struct {
	Seq     int64
	OrgID   string
	At      time.Time
	Day     Date
	Actor   Actor
	Product string
	Kind    Kind
	// Quantity is the licenses the entry moved (0 for entries that move
	// none: start, renewal, status).
	Quantity int
	// Year is the subscription year the entry is about (k: 0 is the year
	// beginning on the anchor), or -1.
	Year int
	Lot  string
	// Details are the entry's other facts (from and to status, the need
	// recorded at a renewal, the lots an allocation took).
	Details map[string]string
	// EventKey makes an event of the daily job happen once however often
	// the job runs ("" for people's actions).
	EventKey string
}

// Actor is who made a change: a person, a vendor operator, or the daily
// job ("system").
type Actor struct {
	Kind  string
	ID    string
	Email string
}

// Status is a subscription product's license status in an organization
// (LIC-5).
type Status string

// The statuses of a product.
const (
	NotStarted Status = "not_started"
	Trial      Status = "trial"
	Licensed   Status = "licensed"
	Grace      Status = "grace"
	Unlicensed Status = "unlicensed"
)

// Usable reports whether a product in status s licenses the features it
// gates (LIC-14).
func (s Status) Usable() bool { return s == Trial || s == Licensed || s == Grace }

// WarningCode names a warning shown beside a status (LIC-5).
type WarningCode string

// The warnings of LIC-5.
const (
	GrowthLimitExceeded WarningCode = "growth_limit_exceeded"
	RenewalDue          WarningCode = "renewal_due"
)

// Warning is a warning beside a product's status.
type Warning struct {
	Code WarningCode
	// Days is, for renewal_due, the days until the renewal.
	Days int
	// Quantity is, for growth_limit_exceeded, the licenses that must be
	// allocated to the current year now (need − 2 × allocated); for
	// renewal_due, those missing from the next year.
	Quantity int
}
