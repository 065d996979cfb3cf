package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfigFile feeds arbitrary bytes as the JSON configuration file
// (--config), with arbitrary MYSYSTEMS_RATE_LIMIT and MYSYSTEMS_TRUST_PROXY
// values, to the loading every command does. It never panics; a file that
// is refused is named in the error. What is accepted was one JSON object
// with known keys, holds settings the server runs with as given (a log
// format and level it knows, a finite non-negative rate limit with a
// burst, a non-negative heartbeat), and written back as a file loads again
// to the same configuration. The seeds are f.Add below, which `go test`
// runs, and the inputs fuzzing found failing, in
// testdata/fuzz/FuzzConfigFile.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte(`{"listen":"127.0.0.1:9001","base_url":"https://portal.example.com","log_format":"json","log_level":"debug"}`), "", "")
	f.Add([]byte(`{"database":"postgres://u@db/x","trust_proxy":true,"rate_limit":10.5,"rate_burst":20,"heartbeat":30000000000}`), "7", "true")
	f.Add([]byte(`{"listen":"a"} {"listen":"b"}`), "", "")
	f.Add([]byte(`{"listen":"a"} trailing`), "", "")
	f.Add([]byte(`{"listne":"x"}`), "", "")
	f.Add([]byte(`{"log_level":"verbose"}`), "", "")
	f.Add([]byte(`{"log_format":"xml"}`), "", "")
	f.Add([]byte(`{"rate_limit":-1}`), "", "")
	f.Add([]byte(`{"rate_limit":5,"rate_burst":0}`), "", "")
	f.Add([]byte(`{"heartbeat":"1m"}`), "", "")
	f.Add([]byte(`{"heartbeat":-1}`), "", "")
	f.Add([]byte(`{}`), "NaN", "")
	f.Add([]byte(`{}`), "+Inf", "yes")
	f.Add([]byte(``), "", "")
	f.Add([]byte(`[]`), "", "")
	dir := f.TempDir()
	file := filepath.Join(dir, "config.json")
	f.Fuzz(func(t *testing.T, body []byte, rate, trust string) {
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"MYSYSTEMS_CONFIG": file, "MYSYSTEMS_RATE_LIMIT": rate, "MYSYSTEMS_TRUST_PROXY": trust}
		cfg, _, err := loadConfig("serve", nil, io.Discard, env(vars), nil)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refused without a message")
			}
			if strings.HasPrefix(err.Error(), "config file") && !strings.Contains(err.Error(), file) {
				t.Fatalf("refusal %q does not name the file", err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", body, err)
		}
		var level slog.Level
		if cfg.LogFormat != "text" && cfg.LogFormat != "json" || level.UnmarshalText([]byte(cfg.LogLevel)) != nil || cfg.RateLimit < 0 || math.IsNaN(cfg.RateLimit) ||
			math.IsInf(cfg.RateLimit, 0) || cfg.RateBurst < 0 || cfg.RateLimit > 0 && cfg.RateBurst < 1 || cfg.Heartbeat < 0 {
			t.Fatalf("accepted %q as %+v", body, cfg)
		}
		again, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, again, 0o600); err != nil {
			t.Fatal(err)
		}
		back, _, err := loadConfig("serve", nil, io.Discard, env(map[string]string{"MYSYSTEMS_CONFIG": file}), nil)
		if err != nil || back != cfg {
			t.Fatalf("%+v written as %s loads back as %+v, %v", cfg, again, back, err)
		}
	})
}
