package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// With --metrics-listen, /metrics is served on that address and not on
// --listen; with --metrics-token (here from MYSYSTEMS_METRICS_TOKEN_FILE)
// it asks for the token (SPEC §11).
func TestOperationalEndpoints_ServeMetricsListenerAndToken(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "metrics-token")
	if err := os.WriteFile(tokenFile, []byte("scrape-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig("serve", nil, io.Discard, env(map[string]string{"MYSYSTEMS_METRICS_TOKEN_FILE": tokenFile,
		"MYSYSTEMS_METRICS_LISTEN": "127.0.0.1:0"}), nil)
	if err != nil || cfg.MetricsToken != "scrape-secret" || cfg.MetricsListen != "127.0.0.1:0" {
		t.Fatalf("metrics settings from the environment: %+v %v", cfg, err)
	}

	var base, metrics string
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	metricsOn := regexp.MustCompile(`metrics on (http://\S+)`)
	stderr, stop := runInBackground(t, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir,
		"--metrics-listen", "127.0.0.1:0", "--metrics-token", "scrape-secret"}, func(line string) bool {
		if m := metricsOn.FindStringSubmatch(line); m != nil {
			metrics = m[1]
		}
		if m := listening.FindStringSubmatch(line); m != nil {
			base = m[1]
			return true
		}
		return false
	})
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	}()
	if base == "" || metrics == "" {
		t.Fatalf("URLs not printed (%q, %q); stderr: %s", base, metrics, stderr.String())
	}
	status := func(url, token string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := status(base+"/metrics", "scrape-secret"); code != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d", code)
	}
	if code, _ := status(metrics, ""); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d", code)
	}
	if code, body := status(metrics, "scrape-secret"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics with the token: %d %.200s", code, body)
	}
}

// Strict-Transport-Security goes with HTTPS: when the server serves TLS
// itself, or when its public URL is https:// (behind a TLS-terminating
// proxy); not in cleartext.
func TestOperationalEndpoints_ServeHSTS(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		hsts bool
	}{
		{Config{Listen: "127.0.0.1:8080"}, false},
		{Config{Listen: "127.0.0.1:8080", BaseURL: "https://portal.example.com"}, true},
		{Config{Listen: ":443", TLSCert: "c.pem", TLSKey: "k.pem"}, true},
	} {
		ac := appConfig(c.cfg)
		if got := ac.HSTS || strings.HasPrefix(ac.BaseURL, "https://"); got != c.hsts {
			t.Errorf("%+v: HSTS %v, want %v", c.cfg, got, c.hsts)
		}
	}

	base, pool := serveTLS(t)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	for _, p := range []string{"/readyz", "/login", "/device/v1/commands"} {
		res, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if !strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s over TLS (%d): Strict-Transport-Security %q, X-Content-Type-Options %q", p, res.StatusCode,
				res.Header.Get("Strict-Transport-Security"), res.Header.Get("X-Content-Type-Options"))
		}
	}
}
