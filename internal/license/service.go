package license

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/org"
	"mysystems/internal/text"
)

// Limits of what vendor operators issue at once.
const (
	// MaxIssue is the most keys one request issues.
	MaxIssue = 1000
	// MaxKeyQuantity is the most licenses one key holds.
	MaxKeyQuantity = 100000
)

// KeyRecord is what the store keeps of an issued key (LIC-3): its hash,
// never the key, and where it was redeemed, once.
type KeyRecord struct {
	Hash     string
	Product  string
	Quantity int
	IssuedAt time.Time
	IssuedBy string
	// RedeemedOrg is the organization that redeemed the key ("" while it
	// has not been); RedeemedAt and RedeemedBy say when and who.
	RedeemedOrg string
	RedeemedAt  *time.Time
	RedeemedBy  string
}

// Issued is a key just issued, shown once to the vendor operator.
type Issued struct {
	Key      Key
	Product  string
	Quantity int
}

// HistoryFilter narrows a read of the history; zero values do not filter.
type HistoryFilter struct {
	Product string
	Kind    Kind
	// Since is inclusive, Until exclusive (a day given as a date takes the
	// whole day, as the audit log's filters do).
	Since, Until time.Time
}

// Kinds lists the history's kinds, in the order a filter shows them.
var Kinds = []Kind{KindStart, KindRedeem, KindAllocate, KindCompensation, KindRenewal, KindExpiry, KindStatus}

// ParseHistoryFilter reads the history's filters from a query, the same
// way for the API and the web UI: spaces around values are ignored; kind
// is one of Kinds; since and until are RFC 3339 times or dates, read as
// the audit log's are.
func ParseHistoryFilter(q url.Values) (HistoryFilter, error) {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	f := HistoryFilter{Product: strings.ToLower(get("product")), Kind: Kind(get("kind"))}
	if len(f.Product) > MaxProductID {
		return f, errs.InvalidField("product", "err.license.product_id", MaxProductID)
	}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		return f, errs.InvalidField("kind", "err.license.kind", kindList())
	}
	times, err := audit.ParseFilter(url.Values{"since": {get("since")}, "until": {get("until")}})
	if err != nil {
		return f, err
	}
	f.Since, f.Until = times.Since, times.Until
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return f, errs.InvalidField("until", "err.audit.until_before_since")
	}
	return f, nil
}

func kindList() string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = string(k)
	}
	return strings.Join(out, ", ")
}

// Tx is what the license use cases need of a store transaction. The
// catalogue and the keys are platform tables (a key is no organization's
// until it is redeemed); every method on lots and history takes the
// organization.
type Tx interface {
	org.Tx
	subscriptionTx
	jobTx
	verifyTx

	// CreateLicenseProduct adds a product; an id taken is a conflict.
	CreateLicenseProduct(ctx context.Context, p Product) error
	// LicenseProducts returns the catalogue by name.
	LicenseProducts(ctx context.Context) ([]Product, error)
	// LicenseProduct returns one product (not found: unknown product).
	LicenseProduct(ctx context.Context, id string) (Product, error)

	// CreateLicenseKeys stores issued keys (their hashes).
	CreateLicenseKeys(ctx context.Context, keys []KeyRecord) error
	// LicenseKey returns the key whose hash is hash (not found: no key).
	LicenseKey(ctx context.Context, hash string) (KeyRecord, error)
	// RedeemLicenseKey marks the key redeemed by orgID with one
	// conditional update; a key redeemed already, anywhere, even by a
	// transaction that committed meanwhile, is a conflict.
	RedeemLicenseKey(ctx context.Context, hash, orgID, userID string, at time.Time) error

	// AddLicenseLot puts a lot into the organization's wallet (keyHash:
	// the key it came from, or "").
	AddLicenseLot(ctx context.Context, orgID string, l Lot, keyHash string, at time.Time) error
	// LicenseLots returns the organization's lots of a product, expired
	// and empty ones included, those expiring first first.
	LicenseLots(ctx context.Context, orgID, product string) ([]Lot, error)
	// LicenseWalletLots returns those of them that still hold licenses
	// and are not recorded expired (what statuses and allocations read).
	LicenseWalletLots(ctx context.Context, orgID, product string) ([]Lot, error)
	// LicenseWalletHead returns the first n of those usable on day today,
	// in the order allocations take them, and what all of them hold.
	LicenseWalletHead(ctx context.Context, orgID, product string, today Date, n int) ([]Lot, int, error)
	// SetLicenseLotQuantity sets what is left of a lot (not found: no
	// such lot in the organization).
	SetLicenseLotQuantity(ctx context.Context, orgID, id string, quantity int) error

	// AppendLicenseHistory appends an entry; false when an entry with the
	// same event key exists (the event happened already).
	AppendLicenseHistory(ctx context.Context, e Entry) (bool, error)
	// LicenseHistory reads one page of the organization's history, newest
	// first, and the cursor of the next page ("" on the last).
	LicenseHistory(ctx context.Context, orgID string, f HistoryFilter, p audit.Page) ([]Entry, string, error)
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
	// WriteGrouped is Write for the changes people make at once (keys
	// converted, allocations, starts): the store may run several in one
	// transaction, each undone alone when it fails, and returns once its
	// own is committed.
	WriteGrouped(ctx context.Context, fn func(Tx) error) error
}

// Service implements the license use cases.
type Service struct {
	store Store
	clock clock.Clock
	log   *slog.Logger
	// baseURL and compose are what the daily job's reminders need (see
	// SetMail).
	baseURL string
	compose org.Composer
}

// NewService returns the service.
func NewService(s Store, c clock.Clock, log *slog.Logger) *Service {
	if c == nil {
		c = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, clock: c, log: log}
}

func vendorOnly(actor audit.Actor) error {
	if actor.Kind != audit.KindVendor {
		return errs.E(errs.Forbidden, "err.license.vendor_only")
	}
	return nil
}

func historyActor(a audit.Actor) Actor { return Actor{Kind: a.Kind, ID: a.ID, Email: a.Email} }

// enter enters the organization as a member allowed to do action.
func enter(ctx context.Context, tx Tx, actor audit.Actor, orgID string, action access.Action) error {
	_, m, err := org.EnterTx(ctx, tx, actor, orgID)
	if err != nil {
		return err
	}
	return access.Check(m.Role, action)
}

// AddProduct adds a product to the vendor's catalogue (vendor operators
// only).
func (s *Service) AddProduct(ctx context.Context, actor audit.Actor, in Product) (Product, error) {
	if err := vendorOnly(actor); err != nil {
		return Product{}, err
	}
	p, err := CheckProduct(in)
	if err != nil {
		return Product{}, err
	}
	p.CreatedAt, p.CreatedBy = s.clock.Now(), actor.ID
	err = s.store.Write(ctx, func(tx Tx) error {
		ps, err := tx.LicenseProducts(ctx)
		if err != nil {
			return err
		}
		for _, o := range ps {
			if o.ID == p.ID {
				return errs.E(errs.Conflict, "err.license.product_exists", p.ID)
			}
			for _, g := range p.Gates {
				if slices.Contains(o.Gates, g) {
					return errs.E(errs.Conflict, "err.license.gate_taken", string(g), o.Name)
				}
			}
		}
		return tx.CreateLicenseProduct(ctx, p)
	})
	if err != nil {
		return Product{}, err
	}
	s.log.Info("license product added", "product", p.ID, "vendor", actor.ID)
	return p, nil
}

// Products returns the vendor's catalogue by name.
func (s *Service) Products(ctx context.Context) ([]Product, error) {
	var out []Product
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.LicenseProducts(ctx)
		return err
	})
	return out, err
}

// IssueKeys issues count keys of quantity licenses of a product (LIC-3;
// vendor operators only). The keys are returned this once: only their
// hashes are stored.
func (s *Service) IssueKeys(ctx context.Context, actor audit.Actor, product string, quantity, count int) ([]Issued, error) {
	if err := vendorOnly(actor); err != nil {
		return nil, err
	}
	product = strings.ToLower(strings.TrimSpace(product))
	switch {
	case product == "":
		return nil, errs.InvalidField("product", "err.license.product_required")
	case quantity < 1 || quantity > MaxKeyQuantity:
		return nil, errs.InvalidField("quantity", "err.license.key_quantity", MaxKeyQuantity)
	case count < 1 || count > MaxIssue:
		return nil, errs.InvalidField("count", "err.license.key_count", MaxIssue)
	}
	now := s.clock.Now()
	out := make([]Issued, 0, count)
	recs := make([]KeyRecord, 0, count)
	for range count {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		out = append(out, Issued{Key: k, Product: product, Quantity: quantity})
		recs = append(recs, KeyRecord{Hash: k.Hash(), Product: product, Quantity: quantity, IssuedAt: now, IssuedBy: actor.ID})
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		p, err := tx.LicenseProduct(ctx, product)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Product, recs[i].Product = p.ID, p.ID
		}
		return tx.CreateLicenseKeys(ctx, recs)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("license keys issued", "product", product, "quantity", quantity, "count", count, "vendor", actor.ID)
	return out, nil
}

// Redeemed is what a redemption put into the wallet.
type Redeemed struct {
	Product Product
	Lot     Lot
}

// Redeem converts a key into licenses in the organization's wallet of its
// product (LIC-3; Owners and Admins). A mistyped key is refused before
// anything is looked up; an unknown one is not found; a key redeemed
// already, in this organization or another (which is never named), is a
// conflict. In one transaction the key is marked redeemed by a conditional
// update, so of two organizations redeeming it at the same instant exactly
// one succeeds, a lot of its quantity enters the wallet today (expiring
// LotYears later), and the redemption is written to the license history
// and the audit log.
func (s *Service) Redeem(ctx context.Context, actor audit.Actor, orgID, typed string) (Redeemed, error) {
	k, err := ParseKey(typed)
	if err != nil {
		return Redeemed{}, err
	}
	var out Redeemed
	err = s.store.WriteGrouped(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ManageLicenses); err != nil {
			return err
		}
		rec, err := tx.LicenseKey(ctx, k.Hash())
		if err != nil {
			return err
		}
		if rec.RedeemedOrg != "" {
			return errRedeemed(rec, orgID)
		}
		now := s.clock.Now()
		if err := tx.RedeemLicenseKey(ctx, rec.Hash, orgID, actor.ID, now); err != nil {
			return err
		}
		if out.Product, err = tx.LicenseProduct(ctx, rec.Product); err != nil {
			return err
		}
		today := DateOf(now)
		out.Lot = Lot{ID: account.NewID("lot_"), Product: rec.Product, Quantity: rec.Quantity, Original: rec.Quantity,
			Entered: today, Expires: LotExpiry(today), Source: FromKey}
		if err := tx.AddLicenseLot(ctx, orgID, out.Lot, rec.Hash, now); err != nil {
			return err
		}
		if _, err := tx.AppendLicenseHistory(ctx, Entry{OrgID: orgID, At: now, Day: today, Actor: historyActor(actor),
			Product: rec.Product, Kind: KindRedeem, Quantity: rec.Quantity, Year: -1, Lot: out.Lot.ID,
			Details: map[string]string{"key_end": k.Last(), "expires_on": out.Lot.Expires.String()}}); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.LicenseRedeem,
			TargetType: audit.TargetProduct, TargetID: rec.Product, Details: map[string]any{"name": out.Product.Name,
				"quantity": rec.Quantity, "lot": out.Lot.ID, "key_end": k.Last(), "expires_on": out.Lot.Expires.String()}})
	})
	if err != nil {
		return Redeemed{}, err
	}
	return out, nil
}

// errRedeemed refuses a key redeemed already: the organization that did is
// told when; any other only that it was.
func errRedeemed(rec KeyRecord, orgID string) error {
	if rec.RedeemedOrg == orgID && rec.RedeemedAt != nil {
		return errs.E(errs.Conflict, "err.license.key_redeemed_here", DateOf(*rec.RedeemedAt).String())
	}
	return errs.E(errs.Conflict, "err.license.key_redeemed")
}

// Wallet is a product's wallet in an organization (LIC-2): the lots that
// still hold licenses, those expiring first first, and their sum.
type Wallet struct {
	Product   Product
	Lots      []Lot
	Available int
}

// Wallet returns the organization's wallet of a product (every member).
func (s *Service) Wallet(ctx context.Context, actor audit.Actor, orgID, product string) (Wallet, error) {
	var w Wallet
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ViewLicenses); err != nil {
			return err
		}
		var err error
		if w.Product, err = tx.LicenseProduct(ctx, strings.ToLower(strings.TrimSpace(product))); err != nil {
			return err
		}
		lots, err := tx.LicenseWalletLots(ctx, orgID, w.Product.ID)
		if err != nil {
			return err
		}
		today := DateOf(s.clock.Now())
		w.Lots = []Lot{}
		for _, l := range lots {
			if l.Usable(today) {
				w.Lots = append(w.Lots, l)
				w.Available += l.Quantity
			}
		}
		return nil
	})
	return w, err
}

// HistoryPage is one page of the history.
type HistoryPage struct {
	Entries []Entry
	Next    string // the cursor of the next page; "" on the last
}

// History returns one page of the organization's license history, newest
// first (LIC-13; every member).
func (s *Service) History(ctx context.Context, actor audit.Actor, orgID string, f HistoryFilter, p audit.Page) (HistoryPage, error) {
	var out HistoryPage
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := enter(ctx, tx, actor, orgID, access.ViewLicenses); err != nil {
			return err
		}
		var err error
		out.Entries, out.Next, err = tx.LicenseHistory(ctx, orgID, f, p.Normalize(50, 1000))
		return err
	})
	return out, err
}

// HistoryCSVHeader are the columns of the history's CSV export.
var HistoryCSVHeader = []string{"id", "time", "day", "actor_kind", "actor_id", "actor_email", "product", "kind",
	"quantity", "year", "lot", "details"}

// ExportHistory writes the whole filtered history, page by page, with
// HistoryCSVHeader's columns (LIC-13; every member).
func (s *Service) ExportHistory(ctx context.Context, actor audit.Actor, orgID string, f HistoryFilter, out audit.Sheet) error {
	p := audit.Page{Limit: 1000}
	page, err := s.History(ctx, actor, orgID, f, p)
	if err != nil {
		return err
	}
	if err := out.Begin(HistoryCSVHeader); err != nil {
		return err
	}
	for {
		for _, e := range page.Entries {
			details := ""
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				details = string(b)
			}
			year := ""
			if e.Year >= 0 {
				year = strconv.Itoa(e.Year)
			}
			if err := out.Row([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339), e.Day.String(),
				e.Actor.Kind, e.Actor.ID, e.Actor.Email, e.Product, string(e.Kind), strconv.Itoa(e.Quantity), year,
				e.Lot, details}); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		p.Cursor = page.Next
		if page, err = s.History(ctx, actor, orgID, f, p); err != nil {
			return err
		}
	}
}

// cutForMessage shortens s to n characters for a message.
func cutForMessage(s string, n int) string {
	if c := text.Cut(s, n); c != s {
		return c + "…"
	}
	return s
}
