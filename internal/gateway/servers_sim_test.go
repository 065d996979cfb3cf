package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mysystems/internal/app"
	"mysystems/internal/harness"
	"mysystems/internal/sim"
)

// TestSRV2_SimulatedServersAgainstTheGateway: simulated ACS Pro servers
// register, poll every poll_seconds with a drifting health, take the
// upgrades queued for them, are silent for their install time and report
// the outcome, a share of them failing with a reason (SRV-1..3). On the wall
// clock with a 1-second poll interval.
func TestSRV2_SimulatedServersAgainstTheGateway(t *testing.T) {
	s := harness.New(t, nil, harness.WallClock(), harness.NoRateLimit(), harness.Config(func(c *app.Config) {
		c.ACS.Poll, c.ACS.SampleEvery = time.Second, time.Second
	}))
	owner := s.User("owner@example.com")
	org, _ := s.Org(owner.Token, "Acme")
	s.PublishACS("6.3.1", "6.5.2")
	tokens := make([]string, 4)
	for i := range tokens {
		tokens[i] = s.EnrollmentToken(owner.Token, org)
	}
	f := sim.NewServerFleet(sim.ServerConfig{Server: s.URL, InstallTime: 1500 * time.Millisecond, FailUpgrades: 0.5, Seed: 7}, "site", 4)
	ctx := context.Background()
	if err := f.Register(ctx, tokens); err != nil {
		t.Fatal(err)
	}
	if err := f.Register(ctx, tokens); err == nil || sim.Status(err) != http.StatusUnauthorized {
		t.Errorf("tokens used twice: %v, want 401", err)
	}
	f.Start(ctx)
	defer f.Stop()
	for _, srv := range f.Servers {
		r := s.Call("POST", "/api/v1/orgs/"+org+"/servers/"+srv.ID()+"/upgrade", owner.Token, nil)
		s.Want(r, 202, "")
	}
	done := func() (succeeded, failed int, reasons []string) {
		for _, srv := range f.Servers {
			r := s.Call("GET", "/api/v1/orgs/"+org+"/servers/"+srv.ID(), owner.Token, nil)
			ups, _ := r.JSON["upgrades"].([]any)
			if len(ups) == 0 {
				continue
			}
			switch u := ups[0].(map[string]any); u["state"] {
			case "succeeded":
				succeeded++
				if r.Str("version") != "6.5.2" {
					t.Errorf("%s succeeded but runs %s", srv.Name, r.Str("version"))
				}
			case "failed":
				failed++
				reasons = append(reasons, u["reason"].(string))
			}
		}
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var ok, bad int
	var reasons []string
	for {
		ok, bad, reasons = done()
		if ok+bad == len(f.Servers) || time.Now().After(deadline) {
			break
		}
		<-tick.C
	}
	if ok+bad != len(f.Servers) || ok == 0 || bad == 0 {
		t.Fatalf("SRV-3/outcomes: %d succeeded, %d failed of %d (stats %s)", ok, bad, len(f.Servers), f.Stats())
	}
	for _, r := range reasons {
		if !strings.Contains(r, "1603") {
			t.Errorf("SRV-3/failure reason %q", r)
		}
	}
	// The health drifts between samples.
	r := s.Call("GET", "/api/v1/orgs/"+org+"/servers/"+f.Servers[0].ID(), owner.Token, nil)
	hist, _ := r.JSON["history"].([]any)
	distinct := map[any]bool{}
	for _, h := range hist {
		distinct[h.(map[string]any)["cpu_percent"]] = true
	}
	if len(hist) < 2 || len(distinct) < 2 {
		t.Errorf("SRV-1/drifting health: %d samples, %d distinct CPU values", len(hist), len(distinct))
	}
	if st := f.Stats(); st.Polls == 0 || st.Upgraded+st.Failed != int64(len(f.Servers)) {
		t.Errorf("fleet stats: %s", st)
	}
}
