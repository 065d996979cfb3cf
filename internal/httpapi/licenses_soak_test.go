package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/errs"
	"mysystems/internal/license"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// The soak's numbers: how long and how many clients (CI runs the whole
// duration; -short cuts it), how long one answer may take before the test
// calls it a deadlock, and the keys issued beforehand.
const (
	soakDuration      = 30 * time.Second
	soakShortDuration = 3 * time.Second
	soakClients       = 32
	soakAnswerTimeout = 60 * time.Second
	soakKeys          = 6000
	soakKeyQuantity   = 5
)

// The business refusals the soak expects, by operation: every other
// answer but a success fails the test. A refusal is told by its status,
// its error code and its English message.
var soakRefusals = map[string][]string{
	"redeem":   {"already been converted", "already converted in this organization"},
	"allocate": {"the wallet of", "is not started"},
	"start":    {"was already started"},
}

// soakTally is what the clients saw succeed, per organization and
// product.
type soakTally struct {
	redeemed  int         // licenses of the keys converted
	allocated map[int]int // by year (k)
	started   int
}

// LIC-13 (with LIC-3, LIC-6): 32 clients for 30 s convert keys (each the
// next key of a pool both organizations draw from, or one converted
// already), allocate 1 to 3 licenses to the current year or up to 5 ahead,
// start products and read wallets, in two organizations at once through
// the API. Every answer is a success or an expected business refusal (409
// key converted, wallet short, not started, already started), none is a
// 5xx, every one comes within a minute (no deadlock); no key is converted
// twice, no lot goes below 0, what the clients saw succeed is what the
// history records, and for every organization and product the history
// balances against the lots and the years (license.Verify).
func TestLIC13_ConcurrentClientsConserve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := soakDuration
		if testing.Short() {
			d = soakShortDuration
		}
		e := newEnv(t, db)
		vtok := e.vendorToken()
		products := []string{"adm-extend", "acs-edge", "bench-ptz"}
		for i, covers := range [][]string{{"*"}, {"AXIS P*"}, {"AXIS Q*"}} {
			e.want(e.call("POST", "/api/v1/vendor/products", vtok, map[string]any{"id": products[i], "name": "Product " + products[i],
				"licensing": "subscription", "covers": covers, "gates": []string{}}), 201, "")
		}
		type soakOrg struct{ id, token string }
		var orgs []soakOrg
		for _, name := range []string{"a", "b"} {
			owner, _ := e.user(name + "@example.com")
			o := e.org(owner, "Org "+name)
			for _, m := range e.Mint(3) { // AXIS P3265-LVE
				e.want(e.Claim(owner, o, m, ""), 201, "")
			}
			owner = e.call("POST", "/api/v1/me/tokens", owner, map[string]string{"name": "soak"}).Str("token")
			orgs = append(orgs, soakOrg{o, owner})
		}
		var keys []string
		for len(keys) < soakKeys {
			p := products[(len(keys)/license.MaxIssue)%2] // adm-extend and acs-edge
			for _, k := range items(e.call("POST", "/api/v1/vendor/license-keys", vtok,
				map[string]any{"product": p, "quantity": soakKeyQuantity, "count": min(license.MaxIssue, soakKeys-len(keys))})) {
				keys = append(keys, k["key"].(string))
			}
		}
		mrand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })

		var (
			mu        sync.Mutex
			tally     = map[license.Account]*soakTally{}
			converted = map[string]string{} // key → the organization a 201 converted it in
			answers   = map[string]int{}    // "op status" → count
			bad       atomic.Int32
			nextKey   atomic.Int64
		)
		for _, o := range orgs {
			for _, p := range products {
				tally[license.Account{Org: o.id, Product: p}] = &soakTally{allocated: map[int]int{}}
			}
		}
		fail := func(format string, a ...any) {
			if bad.Add(1) <= 20 {
				t.Errorf(format, a...)
			}
		}
		client := &http.Client{Timeout: soakAnswerTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: soakClients}}
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var wg sync.WaitGroup
		for range soakClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					o := orgs[mrand.IntN(len(orgs))]
					p := products[mrand.IntN(len(products))]
					var op, method, path, body, key string
					var year, quantity int
					switch r := mrand.IntN(100); {
					case r < 40:
						op, method, path = "redeem", "POST", "/license-keys/redeem"
						i := int(nextKey.Add(1) - 1)
						if i >= len(keys) || mrand.IntN(10) == 0 {
							i = mrand.IntN(min(i+1, len(keys))) // one converted already, most likely
						}
						key = keys[i]
						body = fmt.Sprintf(`{"key":%q}`, key)
					case r < 85:
						op, method, path = "allocate", "POST", "/products/"+p+"/allocations"
						year, quantity = mrand.IntN(license.YearsAhead+1), 1+mrand.IntN(3)
						body = fmt.Sprintf(`{"year":%d,"quantity":%d,"confirm":true}`, year, quantity)
					case r < 95:
						op, method, path = "start", "POST", "/products/"+p+"/subscription"
					default:
						op, method, path = "wallet", "GET", "/products/"+p+"/wallet"
					}
					status, out, err := soakCall(client, method, e.URL+"/api/v1/orgs/"+o.id+path, o.token, body)
					if err != nil {
						fail("%s %s: no answer within %v: %v", method, path, soakAnswerTimeout, err)
						return
					}
					mu.Lock()
					answers[fmt.Sprintf("%s %d", op, status)]++
					mu.Unlock()
					if status >= 300 {
						code, msg := soakError(out)
						ok := status == http.StatusConflict && code == string(errs.Conflict)
						if ok {
							ok = false
							for _, s := range soakRefusals[op] {
								ok = ok || strings.Contains(msg, s)
							}
						}
						if !ok {
							fail("%s %s %s: unexpected %d %s", method, path, body, status, out)
						}
						continue
					}
					var res struct {
						Product      string
						Year         int
						Quantity     int
						Compensation int
						WalletBefore int `json:"wallet_before"`
						Available    int
						Items        []struct{ Quantity int }
						Lot          struct{ Quantity int }
						Status       json.RawMessage // the product's status after an allocation
					}
					if err := json.Unmarshal(out, &res); err != nil {
						fail("%s %s: %v: %s", method, path, err, out)
						continue
					}
					mu.Lock()
					switch op {
					case "redeem":
						if other, twice := converted[key]; twice {
							fail("key %s converted twice (in %s, then in %s)", key, other, o.id)
						}
						converted[key] = o.id
						tally[license.Account{Org: o.id, Product: res.Product}].redeemed += res.Lot.Quantity
					case "allocate":
						if res.Compensation != 0 || res.Quantity != quantity {
							fail("allocation %s: %s", body, out)
						}
						var after struct{ Wallet int }
						if err := json.Unmarshal(res.Status, &after); err != nil || res.WalletBefore < quantity || after.Wallet < 0 {
							fail("allocation from a wallet short or below 0: %s", out)
						}
						tally[license.Account{Org: o.id, Product: p}].allocated[res.Year] += quantity
					case "start":
						tally[license.Account{Org: o.id, Product: p}].started++
					case "wallet":
						sum := 0
						for _, l := range res.Items {
							if l.Quantity < 0 {
								fail("a lot below 0: %s", out)
							}
							sum += l.Quantity
						}
						if sum != res.Available || res.Available < 0 {
							fail("wallet: %s", out)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		t.Logf("%v, %d clients: %v", d, soakClients, answers)
		if answers["redeem 201"] == 0 || answers["allocate 200"] == 0 || answers["start 201"] == 0 {
			t.Errorf("the soak did too little: %v", answers)
		}

		// The end: the tables against the history and what the clients saw.
		bg := context.Background()
		err := db.Read(bg, func(tx *store.Tx) error {
			for _, k := range keys {
				lk, err := license.ParseKey(k)
				if err != nil {
					return err
				}
				rec, err := tx.LicenseKey(bg, lk.Hash())
				if err != nil {
					return err
				}
				if rec.RedeemedOrg != converted[k] {
					t.Errorf("key %s: converted in %q, the clients saw %q", k, rec.RedeemedOrg, converted[k])
				}
			}
			for _, o := range orgs {
				var entries []license.Entry
				p := audit.Page{Limit: 1000}
				for {
					es, next, err := tx.LicenseHistory(bg, o.id, license.HistoryFilter{}, p)
					if err != nil {
						return err
					}
					entries = append(entries, es...)
					if next == "" {
						break
					}
					p.Cursor = next
				}
				held := map[license.Account]license.Holding{}
				for _, pr := range products {
					a := license.Account{Org: o.id, Product: pr}
					var h license.Holding
					var err error
					if h.Lots, err = tx.LicenseLots(bg, o.id, pr); err != nil {
						return err
					}
					for _, l := range h.Lots {
						if l.Quantity < 0 || l.Quantity > l.Original {
							t.Errorf("%s lot %s: %d of %d", a, l.ID, l.Quantity, l.Original)
						}
					}
					sub, err := tx.LicenseSubscription(bg, o.id, pr)
					switch {
					case errs.Is(err, errs.NotFound):
					case err != nil:
						return err
					default:
						h.Years = sub.Years
					}
					held[a] = h
					seen, sums := tally[a], soakTally{allocated: map[int]int{}}
					for _, e := range entries {
						if e.Product != pr {
							continue
						}
						switch e.Kind {
						case license.KindRedeem:
							sums.redeemed += e.Quantity
						case license.KindAllocate:
							sums.allocated[e.Year] += e.Quantity
						case license.KindStart:
							sums.started++
						}
					}
					if seen.redeemed != sums.redeemed || seen.started != sums.started || fmt.Sprint(seen.allocated) != fmt.Sprint(sums.allocated) {
						t.Errorf("%v: the clients saw %+v, the history has %+v", a, *seen, sums)
					}
					if seen.started > 1 || (seen.started == 1) != (err == nil) {
						t.Errorf("%v: started %d times (subscription: %v)", a, seen.started, err)
					}
				}
				for _, im := range license.Verify(entries, held) {
					t.Errorf("imbalance: %s", im)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// soakCall sends one request and reads its whole answer.
func soakCall(c *http.Client, method, url, token, body string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// soakError returns an error answer's code and message.
func soakError(b []byte) (code, msg string) {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code, e.Error.Message
}
