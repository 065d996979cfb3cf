package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const defaultServer = "http://127.0.0.1:8080"

// credentials is the saved login: which server, and the session token for it.
type credentials struct {
	Server string `json:"server"`
	Token  string `json:"token"`
}

func (e *env) credentialsPath() (string, error) {
	if d := e.getenv("MYSYSTEMS_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "credentials.json"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (set MYSYSTEMS_CONFIG_DIR): %w", err)
	}
	return filepath.Join(d, "mysystems", "credentials.json"), nil
}

// loadCredentials reads the saved login; a missing file is no login, not an
// error. The path is returned for messages.
func (e *env) loadCredentials() (credentials, string, error) {
	var c credentials
	path, err := e.credentialsPath()
	if err != nil {
		return c, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, path, nil
	}
	if err != nil {
		return c, path, fmt.Errorf("reading credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return credentials{}, path, fmt.Errorf("credentials file %s is damaged (%v): run 'mysystems login' again", path, err)
	}
	if c.Server != "" {
		if c.Server, err = normalizeServer(c.Server); err != nil {
			return credentials{}, path, fmt.Errorf("credentials file %s: %w", path, err)
		}
	}
	return c, path, nil
}

// saveCredentials writes the file readable by its owner only, replacing any
// previous one in a single rename so a crash never leaves half a file.
func saveCredentials(path string, c credentials) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".credentials-*.json")
	if err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	return nil
}

// serverURL picks the server: --server, MYSYSTEMS_SERVER, the saved login's,
// or the default.
func (e *env) serverURL(saved credentials) (string, error) {
	s := e.server
	if s == "" {
		s = e.getenv("MYSYSTEMS_SERVER")
	}
	if s == "" {
		s = saved.Server
	}
	if s == "" {
		s = defaultServer
	}
	u, err := normalizeServer(s)
	if err != nil {
		return "", &usageError{msg: err.Error()}
	}
	return u, nil
}

func normalizeServer(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server %q is not an http(s) URL such as https://mysystems.example.com", s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/"), nil
}

// cleartext reports whether a server is reached over plain HTTP on another
// machine, where passwords and tokens could be read on the way.
func cleartext(server string) bool {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}
