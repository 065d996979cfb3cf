package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mysystems/internal/harness"
)

// TestSRV1_SimServers: `mysystems sim --servers N` registers N servers with
// the enrolment tokens of a file and keeps them polling.
func TestSRV1_SimServers(t *testing.T) {
	s := harness.New(t, nil, harness.WallClock(), harness.NoRateLimit())
	owner := s.User("owner@example.com")
	org, _ := s.Org(owner.Token, "Acme")
	file := filepath.Join(t.TempDir(), "tokens.txt")
	toks := "# enrolment tokens\n" + s.EnrollmentToken(owner.Token, org) + "\n\n" + s.EnrollmentToken(owner.Token, org) + "\n"
	if err := os.WriteFile(file, []byte(toks), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"sim", "--server", s.URL, "--servers", "2", "--enrollment-tokens", file, "--report", "50ms", "--ramp", "0"}, nil, &out, &errb, env(nil))
	}()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(out.String(), "polls=2") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no polls from the simulated servers: %s %s", out.String(), errb.String())
		}
		<-tick.C
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "2 ACS Pro servers registered") {
		t.Errorf("output %q", out.String())
	}
	r := s.Call("GET", "/api/v1/orgs/"+org+"/servers", owner.Token, nil)
	if items, _ := r.JSON["items"].([]any); len(items) != 2 {
		t.Errorf("servers: %s", r.Body)
	}
	var short syncBuffer
	if code := run(context.Background(), []string{"sim", "--server", s.URL, "--servers", "3", "--enrollment-tokens", file}, nil, &short, &short, env(nil)); code == 0 || !strings.Contains(short.String(), "has 2 enrolment tokens") {
		t.Errorf("too few tokens: exit %d %q", code, short.String())
	}
}
