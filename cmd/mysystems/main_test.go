package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mysystems/internal/store/storetest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The README's first command: `mysystems demo` starts a server on SQLite,
// prints its URL and a demo login that works; a second run reuses the data.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		var url, email, password string
		urlRe := regexp.MustCompile(`running at (http://\S+)`)
		stderr, stop := runInBackground(t, []string{"demo", "--listen", "127.0.0.1:0", "--data-dir", dir}, func(line string) bool {
			if m := urlRe.FindStringSubmatch(line); m != nil {
				url = m[1]
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "sign in as "); ok {
				email = v
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "password "); ok {
				password = strings.TrimSpace(v)
				return true
			}
			return false
		})
		if url == "" || email == "" || password == "" {
			stop()
			t.Fatalf("run %d: demo did not print URL and login; stderr: %s", run, stderr.String())
		}
		body, _ := json.Marshal(map[string]string{"email": email, "password": password})
		res, err := http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var login struct{ Token string }
		_ = json.NewDecoder(res.Body).Decode(&login)
		res.Body.Close()
		if res.StatusCode != 200 || login.Token == "" {
			t.Fatalf("run %d: demo login: %d", run, res.StatusCode)
		}
		req, _ := http.NewRequest("GET", url+"/api/v1/orgs", nil)
		req.Header.Set("Authorization", "Bearer "+login.Token)
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var orgs struct{ Items []struct{ Name string } }
		_ = json.NewDecoder(res.Body).Decode(&orgs)
		res.Body.Close()
		if len(orgs.Items) != 2 {
			t.Fatalf("run %d: demo organizations %+v, want 2", run, orgs.Items)
		}
		if code := stop(); code != 0 {
			t.Fatalf("demo exited %d: %s", code, stderr.String())
		}
	}
}

// runInBackground runs the mysystems command args, handing each line it
// prints to line until line returns true (or the output ends). stop cancels
// the command and returns its exit code.
func runInBackground(t *testing.T, args []string, line func(string) bool) (stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	stderr = &syncBuffer{}
	go func() {
		done <- run0(ctx, args, pw, stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if line(sc.Text()) {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return stderr, func() int {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop on cancel", args[0])
			return -1
		}
	}
}

func run0(ctx context.Context, args []string, stdout io.Writer, stderr io.Writer) int {
	return run(ctx, args, strings.NewReader(""), stdout, stderr, env(nil))
}

func TestMigrateAndVendor(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dbURL := storetest.URL(t, kind)
			ctx := context.Background()
			var out, errb bytes.Buffer
			if code := run(ctx, []string{"migrate", "--database", dbURL}, nil, &out, &errb, env(nil)); code != 0 {
				t.Fatalf("migrate: %d %s", code, errb.String())
			}
			if !strings.Contains(out.String(), "schema version") {
				t.Fatalf("migrate said %q", out.String())
			}
			out.Reset()
			// Configuration from the environment.
			if code := run(ctx, []string{"vendor", "token", "--name", "ops"}, nil, &out, &errb, env(map[string]string{"MYSYSTEMS_DATABASE": dbURL})); code != 0 {
				t.Fatalf("vendor token: %d %s", code, errb.String())
			}
			if tok := strings.TrimSpace(out.String()); !strings.HasPrefix(tok, "msv_") || strings.Contains(tok, "\n") {
				t.Fatalf("vendor token printed %q", out.String())
			}
			errb.Reset()
			if code := run(ctx, []string{"vendor", "restore", "--database", dbURL, "org_missing"}, nil, &out, &errb, env(nil)); code != 1 || !strings.Contains(errb.String(), "not found") {
				t.Fatalf("restore of a missing org: %d %q", code, errb.String())
			}
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"listen":"127.0.0.1:9001","base_url":"https://file.example","log_format":"json"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "db")
	if err := os.WriteFile(secret, []byte("postgres://u:p@db/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig("serve", []string{"--config", file, "--listen", "127.0.0.1:9003"}, io.Discard,
		env(map[string]string{"MYSYSTEMS_LISTEN": "127.0.0.1:9002", "MYSYSTEMS_BASE_URL": "https://env.example", "MYSYSTEMS_DATABASE_FILE": secret}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9003" || cfg.BaseURL != "https://env.example" || cfg.LogFormat != "json" || cfg.Database != "postgres://u:p@db/x" {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	if _, _, err := loadConfig("serve", []string{"--config", filepath.Join(dir, "missing.json")}, io.Discard, env(nil), nil); err == nil {
		t.Error("missing config file accepted")
	}
	if err := os.WriteFile(file, []byte(`{"listne":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadConfig("serve", []string{"--config", file}, io.Discard, env(nil), nil); err == nil {
		t.Error("config file with an unknown key accepted")
	}
	d := defaultConfig()
	if d.DatabaseSetting() != filepath.Join("data", "mysystems.db") || d.URL() != "http://127.0.0.1:8080" {
		t.Errorf("defaults: %s %s", d.DatabaseSetting(), d.URL())
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, nil, &out, &errb, env(nil)); code != 2 || !strings.Contains(errb.String(), "mysystems serve") {
		t.Fatalf("no args: %d %q", code, errb.String())
	}
	if code := run(context.Background(), []string{"vendor", "dance"}, nil, &out, &errb, env(map[string]string{"MYSYSTEMS_DATA_DIR": t.TempDir()})); code != 1 {
		t.Fatalf("unknown vendor command: %d", code)
	}
}
