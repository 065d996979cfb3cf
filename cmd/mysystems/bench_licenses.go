package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mysystems/internal/account"
	"mysystems/internal/app"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/fleet"
	"mysystems/internal/license"
	"mysystems/internal/store"
)

const benchLicensesUsage = `usage: mysystems bench licenses [flags]

Measures the license manager (SPEC §9) in this process, over a SQLite file in
a temporary directory or a throwaway schema of --database:

  status      an organization of --devices devices (the need of every product
              counts them all) with ten years of license history: the three
              products started ten years ago, keys converted and licenses
              allocated every year (renewed ahead, or late in the grace
              period, once after it), the daily job run on every day
              anything happened and every 30 days between; then
              GET /api/v1/orgs/{org}/products, --requests times one after
              the other: p50, p99, max.
  operations  two organizations of --ops-devices devices each, --clients
              clients for --measure converting keys (issued beforehand),
              allocating 1 to 3 licenses to a year 0 to 5 ahead chosen at
              random, and now and then starting a product, through the API:
              operations per second per kind and in all, business refusals
              (409) and errors (anything else; 5xx must be 0). The run ends
              with the conservation check (LIC-13) of every organization and
              product.

The server is app.New behind an httptest server in this process, so
--cpuprofile sees both the server and the clients. Long: not part of the test
suite.

`

type benchLicensesConfig struct {
	devices, opsDevices int
	clients, requests   int
	keys                int
	measure             time.Duration
	database            string
	only                string
	cpuprofile          string
	keep                bool
}

// benchLicenseProducts is the catalogue of the bench: the demo's three
// products (the bench's AXIS M3086-V cameras count in two of them).
func benchLicenseProducts() []license.Product { return demoProducts() }

var benchVendor = audit.Actor{Kind: audit.KindVendor, ID: "bench", Email: "vendor:bench"}

// cmdBenchLicenses runs `mysystems bench licenses`.
func cmdBenchLicenses(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c benchLicensesConfig
	fs := flag.NewFlagSet("bench licenses", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchLicensesUsage); fs.PrintDefaults() }
	fs.IntVar(&c.devices, "devices", 100000, "devices of the status organization")
	fs.IntVar(&c.opsDevices, "ops-devices", 1000, "devices of each of the two organizations of the operations")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients of the operations")
	fs.IntVar(&c.requests, "requests", 1000, "GET …/products requests of the status, one after the other")
	fs.IntVar(&c.keys, "keys", 0, "keys issued beforehand per organization of the operations (0: 400 per second of --measure)")
	fs.DurationVar(&c.measure, "measure", 30*time.Second, "how long the operations run")
	fs.StringVar(&c.database, "database", "", "postgres:// URL of an empty database to use (default: a SQLite file in a temporary directory)")
	fs.StringVar(&c.only, "only", "", "status or operations (default: both)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write CPU profiles of the measured phases to FILE.status and FILE.operations")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.only != "" && c.only != "status" && c.only != "operations" {
		return fmt.Errorf("bench licenses: --only is status or operations, not %q", c.only)
	}
	if c.keys == 0 {
		c.keys = max(100, int(400*c.measure.Seconds()))
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	_, dbURL, cleanup, err := benchDatabase(ctx, benchConfig{database: c.database, keep: c.keep})
	if err != nil {
		return err
	}
	defer cleanup()
	dbName := "SQLite"
	if store.IsPostgres(dbURL) {
		dbName = "PostgreSQL"
	}

	devices := c.devices
	if c.only == "operations" {
		devices = 1
	}
	say("seeding %d devices in %s", devices, redactURL(dbURL))
	t0 := time.Now()
	seed, err := benchSeed(ctx, dbURL, devices, 10)
	if err != nil {
		return err
	}
	say("seeded in %v", time.Since(t0).Round(time.Second))
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := app.DefaultConfig()
	cfg.RateLimit = 0
	a := app.New(cfg, db, nil, quiet)
	defer func() { _ = a.Shutdown(context.Background()) }()
	for _, p := range benchLicenseProducts() {
		if _, err := a.Licenses.AddProduct(ctx, benchVendor, p); err != nil {
			return err
		}
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	token, err := benchLogin(srv.URL)
	if err != nil {
		return err
	}
	me, err := benchMe(srv.URL, token)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "license manager on %s, %s\n", dbName, time.Now().UTC().Format(time.DateOnly))

	var orgs []string
	if c.only != "operations" {
		say("playing ten years of license history in the organization of %d devices", c.devices)
		t0 := time.Now()
		played, err := playLicenseHistory(ctx, db, me, seed.org, 10, quiet)
		if err != nil {
			return err
		}
		say("played in %v: %d history entries, the daily job run on %d days", time.Since(t0).Round(time.Second), played.entries, played.dailies)
		stop, err := startProfile(c.cpuprofile, "status")
		if err != nil {
			return err
		}
		st, err := benchLicenseStatus(srv.URL, token, seed.org, c.requests)
		stop()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  status  GET …/products, %d devices, 10 years (%d history entries): p50 %s  p99 %s  max %s  (%d requests, one at a time)\n",
			c.devices, played.entries, ms(pct(st.lat, 50)), ms(pct(st.lat, 99)), ms(pct(st.lat, 100)), len(st.lat))
		fmt.Fprintf(stdout, "          products now: %s\n", st.summary)
		orgs = append(orgs, seed.org)
	}
	if c.only != "status" {
		ops, err := benchLicenseOrgs(ctx, a, db, me, c.opsDevices, c.keys, say)
		if err != nil {
			return err
		}
		say("operations: %d clients for %v on two organizations of %d devices, %d keys each issued beforehand",
			c.clients, c.measure, c.opsDevices, c.keys)
		stop, err := startProfile(c.cpuprofile, "operations")
		if err != nil {
			return err
		}
		res := runLicenseOperations(ctx, srv.URL, token, ops, c.clients, c.measure)
		stop()
		res.report(stdout, c.clients, c.measure)
		for _, o := range ops {
			orgs = append(orgs, o.id)
		}
	}
	im, accounts, err := verifyLicenses(ctx, db, a, me, orgs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  conservation (LIC-13) of %d organization and product accounts: %d imbalances\n", accounts, len(im))
	for _, i := range im {
		fmt.Fprintf(stdout, "    %s\n", i)
	}
	if len(im) > 0 {
		return errors.New("bench licenses: the license history and the tables disagree")
	}
	return nil
}

// startProfile starts a CPU profile to file.phase; stop ends it.
func startProfile(file, phase string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file + "." + phase)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchMe returns the actor of the signed-in bench account.
func benchMe(base, token string) (audit.Actor, error) {
	var me struct {
		User struct{ ID, Email string }
	}
	if err := apiJSON(http.DefaultClient, "GET", base+"/api/v1/me", token, "", &me); err != nil {
		return audit.Actor{}, err
	}
	a := audit.Actor{Kind: audit.KindUser, ID: me.User.ID, Email: me.User.Email}
	if a.ID == "" {
		return a, errors.New("bench: GET /api/v1/me gave no id")
	}
	return a, nil
}

type playedHistory struct{ entries, dailies int }

// playLicenseHistory plays years of license history in an organization
// with a service whose clock it sets day by day: the products start on an
// anchor years and 100 days ago; every year, 40 days before the renewal,
// AXIS Device Manager Extend gets a key of the need and a spare key of
// 1000, and the need is allocated to the next year (every third year 200
// more three years ahead, from the spare); AXIS Camera Station Edge is
// renewed ahead for even years, allocated to the current year 10 days
// into the grace period of odd years, and in year 5 only on its 45th day,
// when it is unlicensed (compensation). The daily job runs on every day an
// action or an event is due and every 30 days between.
func playLicenseHistory(ctx context.Context, db *store.DB, actor audit.Actor, orgID string, years int, log *slog.Logger) (playedHistory, error) {
	var out playedHistory
	now := time.Now().UTC()
	today := license.DateOf(now)
	anchor := license.DateOf(now.AddDate(-years, 0, -100))
	clk := clock.NewFake(anchor.Time().Add(9 * time.Hour))
	svc := license.NewService(db.Licenses(), clk, log)
	per := license.Period{Anchor: anchor}
	var need int
	if err := db.Read(ctx, func(tx *store.Tx) error {
		counts, err := tx.LicenseNeedCounts(ctx, orgID)
		need = demoProducts()[0].Need(counts)
		return err
	}); err != nil {
		return out, err
	}
	redeem := func(product string, q int) error {
		ks, err := svc.IssueKeys(ctx, benchVendor, product, q, 1)
		if err != nil {
			return err
		}
		_, err = svc.Redeem(ctx, actor, orgID, ks[0].Key.String())
		return err
	}
	allocate := func(product string, ahead, q int) error {
		_, err := svc.Allocate(ctx, actor, orgID, product, ahead, q, true)
		return err
	}
	type step func() error
	plan := map[license.Date][]step{}
	at := func(d license.Date, s ...step) { plan[d] = append(plan[d], s...) }
	at(anchor, func() error {
		for _, p := range benchLicenseProducts() {
			if _, err := svc.Start(ctx, actor, orgID, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	at(anchor.AddDays(5),
		func() error { return redeem("adm-extend", need) }, func() error { return allocate("adm-extend", 0, need) },
		func() error { return redeem("acs-edge", need) }, func() error { return allocate("acs-edge", 0, need) })
	for k := 1; per.YearStart(k).Before(today); k++ {
		renews := per.YearStart(k)
		ahead := []step{func() error { return redeem("adm-extend", need) }, func() error { return redeem("adm-extend", 1000) },
			func() error { return allocate("adm-extend", 1, need) }}
		if k%3 == 1 {
			ahead = append(ahead, func() error { return allocate("adm-extend", 3, 200) })
		}
		at(renews.AddDays(-40), ahead...)
		acs := []step{func() error { return redeem("acs-edge", need) }}
		switch {
		case k%2 == 0:
			at(renews.AddDays(-40), append(acs, func() error { return allocate("acs-edge", 1, need) })...)
		case k == 5:
			at(renews.AddDays(45), append(acs, func() error { return allocate("acs-edge", 0, need) })...)
		default:
			at(renews.AddDays(10), append(acs, func() error { return allocate("acs-edge", 0, need) })...)
		}
		for _, d := range []int{-30, -7, 0, 29, 30, 31} {
			at(renews.AddDays(d))
		}
	}
	for d, i := anchor, 0; !d.After(today); d, i = d.AddDays(1), i+1 {
		steps, due := plan[d]
		if !due && i%30 != 0 && d != today {
			continue
		}
		clk.Set(d.Time().Add(9 * time.Hour))
		if d == today {
			clk.Set(now)
		}
		if _, err := svc.Daily(ctx); err != nil {
			return out, err
		}
		out.dailies++
		for _, s := range steps {
			if err := s(); err != nil {
				return out, fmt.Errorf("license history on %s: %w", d, err)
			}
		}
	}
	err := db.Read(ctx, func(tx *store.Tx) error {
		p := audit.Page{Limit: 1000}
		for {
			es, next, err := tx.LicenseHistory(ctx, orgID, license.HistoryFilter{}, p)
			if err != nil {
				return err
			}
			out.entries += len(es)
			if next == "" {
				return nil
			}
			p.Cursor = next
		}
	})
	return out, err
}

type benchStatus struct {
	lat     []time.Duration
	summary string
}

// benchLicenseStatus times GET …/products n times, one after the other.
func benchLicenseStatus(base, token, orgID string, n int) (benchStatus, error) {
	var out benchStatus
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range n {
		var list struct {
			Items []struct {
				ID, Status string
				Need       int
				Allocated  int
				Wallet     int
			}
		}
		start := time.Now()
		if err := apiJSON(client, "GET", base+"/api/v1/orgs/"+orgID+"/products", token, "", &list); err != nil {
			return out, err
		}
		out.lat = append(out.lat, time.Since(start))
		if i == 0 {
			var parts []string
			for _, p := range list.Items {
				parts = append(parts, fmt.Sprintf("%s %s (need %d, allocated %d, wallet %d)", p.ID, p.Status, p.Need, p.Allocated, p.Wallet))
			}
			out.summary = strings.Join(parts, "; ")
		}
	}
	return out, nil
}

// benchLicenseOrg is an organization of the operations and its keys.
type benchLicenseOrg struct {
	id   string
	keys []string
	next atomic.Int64
}

// benchLicenseOrgs creates the two organizations of the operations, with
// devices, the two demo products started (the bench's third is left for
// the clients to start), and keys of 5 licenses issued beforehand.
func benchLicenseOrgs(ctx context.Context, a *app.App, db *store.DB, me audit.Actor, devices, keys int, say func(string, ...any)) ([]*benchLicenseOrg, error) {
	var out []*benchLicenseOrg
	t0 := time.Now()
	for i := range 2 {
		o, err := a.Orgs.Create(ctx, me, fmt.Sprintf("Licenses %d", i+1), "")
		if err != nil {
			return nil, err
		}
		folder, err := a.Orgs.CreateFolder(ctx, me, o.ID, "", "Site")
		if err != nil {
			return nil, err
		}
		ms, err := a.Fleet.Mint(ctx, benchVendor, "AXIS P3265-LVE", devices)
		if err != nil {
			return nil, err
		}
		err = db.Write(ctx, func(tx *store.Tx) error {
			for j, m := range ms {
				d := fleet.Device{ID: account.NewID("dev_"), OrgID: o.ID, FolderID: folder.ID, Serial: m.Serial,
					Model: m.Model, Firmware: "12.2.54", Name: fmt.Sprintf("Camera %06d", j), ClaimedAt: time.Now().UTC()}
				if err := tx.CreateDevice(ctx, d); err != nil {
					return err
				}
				if err := tx.SetClaim(ctx, m.Serial, o.ID, d.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, p := range demoProducts() {
			if _, err := a.Licenses.Start(ctx, me, o.ID, p.ID); err != nil {
				return nil, err
			}
		}
		bo := &benchLicenseOrg{id: o.ID}
		products := demoProducts()
		for len(bo.keys) < keys {
			ks, err := a.Licenses.IssueKeys(ctx, benchVendor, products[(len(bo.keys)/license.MaxIssue)%len(products)].ID, 5, min(license.MaxIssue, keys-len(bo.keys)))
			if err != nil {
				return nil, err
			}
			for _, k := range ks {
				bo.keys = append(bo.keys, k.Key.String())
			}
		}
		mrand.Shuffle(len(bo.keys), func(i, j int) { bo.keys[i], bo.keys[j] = bo.keys[j], bo.keys[i] })
		out = append(out, bo)
	}
	say("two organizations seeded and %d keys issued in %v", 2*keys, time.Since(t0).Round(time.Millisecond))
	return out, db.AnalyzeForTest(ctx)
}

// The kinds of operations.
const (
	opRedeem   = "redeem"
	opAllocate = "allocate"
	opStart    = "start"
)

var opKinds = []string{opRedeem, opAllocate, opStart}

// opCount is what one kind of operation got.
type opCount struct {
	ok, refused, errors int
	lat                 []time.Duration
	refusals            map[string]int // "409 conflict: the message's start"
	failures            []string       // the first errors
}

type opResults struct {
	window time.Duration
	kinds  map[string]*opCount
}

// runLicenseOperations runs clients for d, each picking an organization
// and an operation at random: 45 % redeem (the next key of the
// organization; once its keys are used up, a used one), 50 % allocate (1
// to 3 licenses of a demo product to a year 0 to 5 ahead, confirmed), 5 %
// start (a product of the three, mostly started already).
func runLicenseOperations(ctx context.Context, base, token string, orgs []*benchLicenseOrg, clients int, d time.Duration) opResults {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var mu sync.Mutex
	res := opResults{kinds: map[string]*opCount{}}
	for _, k := range opKinds {
		res.kinds[k] = &opCount{refusals: map[string]int{}}
	}
	products := benchLicenseProducts()
	demo := demoProducts()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				o := orgs[mrand.IntN(len(orgs))]
				path, body, kind := "", "", ""
				switch r := mrand.IntN(100); {
				case r < 45:
					kind, path = opRedeem, "/license-keys/redeem"
					i := int(o.next.Add(1) - 1)
					if i >= len(o.keys) {
						i = mrand.IntN(len(o.keys))
					}
					body = fmt.Sprintf(`{"key":%q}`, o.keys[i])
				case r < 95:
					kind = opAllocate
					path = "/products/" + demo[mrand.IntN(len(demo))].ID + "/allocations"
					body = fmt.Sprintf(`{"year":%d,"quantity":%d,"confirm":true}`, mrand.IntN(license.YearsAhead+1), 1+mrand.IntN(3))
				default:
					kind, path = opStart, "/products/"+products[mrand.IntN(len(products))].ID+"/subscription"
				}
				t0 := time.Now()
				status, msg, err := benchPost(client, base+"/api/v1/orgs/"+o.id+path, token, body)
				took := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					return // the window closed under the request
				}
				mu.Lock()
				c := res.kinds[kind]
				c.lat = append(c.lat, took)
				switch {
				case err == nil && status < 300:
					c.ok++
				case err == nil && status == http.StatusConflict:
					c.refused++
					c.refusals[benchRefusal(msg)]++
				default:
					c.errors++
					if len(c.failures) < 5 {
						c.failures = append(c.failures, fmt.Sprintf("%d %s %v", status, msg, err))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.window = time.Since(start)
	return res
}

// benchRefusal names a refusal by the start of its message, without the
// numbers and names that vary.
func benchRefusal(msg string) string {
	for _, s := range []string{"already been converted", "already converted in this organization", "was already started",
		"is not started", "the wallet of"} {
		if strings.Contains(msg, s) {
			return s
		}
	}
	return msg
}

// benchPost posts body and returns the status and, for an error, its
// message.
func benchPost(c *http.Client, url, token, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest("POST", url, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode < 300 {
		return res.StatusCode, "", err
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(b, &e) != nil {
		return res.StatusCode, string(b), nil
	}
	return res.StatusCode, e.Error.Code + ": " + e.Error.Message, nil
}

func (r opResults) report(w io.Writer, clients int, d time.Duration) {
	secs := r.window.Seconds()
	var all, allOK, allRefused, allErrors int
	fmt.Fprintf(w, "  operations  %d clients for %v, two organizations, through the API:\n", clients, d)
	for _, k := range opKinds {
		c := r.kinds[k]
		n := c.ok + c.refused + c.errors
		all, allOK, allRefused, allErrors = all+n, allOK+c.ok, allRefused+c.refused, allErrors+c.errors
		fmt.Fprintf(w, "    %-9s %7.0f/s (%d: %d done, %d refused, %d errors)  p50 %s  p99 %s  max %s\n", k, float64(n)/secs, n,
			c.ok, c.refused, c.errors, ms(pct(c.lat, 50)), ms(pct(c.lat, 99)), ms(pct(c.lat, 100)))
		names := make([]string, 0, len(c.refusals))
		for m := range c.refusals {
			names = append(names, m)
		}
		sort.Strings(names)
		for _, m := range names {
			fmt.Fprintf(w, "              refused %d× 409 %q\n", c.refusals[m], m)
		}
		for _, f := range c.failures {
			fmt.Fprintf(w, "              error: %s\n", f)
		}
	}
	fmt.Fprintf(w, "    all       %7.0f/s (%d: %d done, %d business refusals, %d errors)\n", float64(all)/secs, all, allOK, allRefused, allErrors)
}

// verifyLicenses runs the conservation check (LIC-13) of every product in
// the organizations: their whole history against the lots and the years
// the tables hold.
func verifyLicenses(ctx context.Context, db *store.DB, a *app.App, me audit.Actor, orgs []string) ([]license.Imbalance, int, error) {
	var entries []license.Entry
	held := map[license.Account]license.Holding{}
	for _, o := range orgs {
		p := audit.Page{Limit: 1000}
		for {
			h, err := a.Licenses.History(ctx, me, o, license.HistoryFilter{}, p)
			if err != nil {
				return nil, 0, err
			}
			entries = append(entries, h.Entries...)
			if h.Next == "" {
				break
			}
			p.Cursor = h.Next
		}
		for _, pr := range benchLicenseProducts() {
			var h license.Holding
			err := db.Read(ctx, func(tx *store.Tx) error {
				var err error
				if h.Lots, err = tx.LicenseLots(ctx, o, pr.ID); err != nil {
					return err
				}
				subs, err := tx.LicenseSubscriptions(ctx, o)
				for _, s := range subs {
					if s.Product == pr.ID {
						h.Years = s.Years
					}
				}
				return err
			})
			if err != nil {
				return nil, 0, err
			}
			held[license.Account{Org: o, Product: pr.ID}] = h
		}
	}
	return license.Verify(entries, held), len(held), nil
}
