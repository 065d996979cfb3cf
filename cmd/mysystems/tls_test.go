package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mysystems/internal/testcert"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, made now.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	c := testcert.New(t, "mysystems test")
	certFile, keyFile = c.WriteFiles(t, dir)
	return certFile, keyFile, c.Pool
}

// GW-1 in production: with --tls-cert and --tls-key the server speaks
// HTTPS, HTTP/2 negotiated by ALPN and HTTP/1.1 for clients without it, to
// the API and the device gateway alike.
func TestGW1_ServeTLS(t *testing.T) {
	base, pool := serveTLS(t)
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	for _, c := range []struct {
		name   string
		client *http.Client
		proto  int
	}{{"HTTP/2", h2, 2}, {"HTTP/1.1", h1, 1}} {
		res, err := c.client.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.ProtoMajor != c.proto || res.TLS == nil {
			t.Fatalf("%s: status %d over %s", c.name, res.StatusCode, res.Proto)
		}
		res, err = c.client.Post(base+"/device/v1/hello", "application/json",
			strings.NewReader(`{"serial":"ACCC8E000001","secret":"wrong"}`))
		if err != nil {
			t.Fatalf("%s hello: %v", c.name, err)
		}
		res.Body.Close()
		if res.StatusCode != 401 || res.ProtoMajor != c.proto {
			t.Fatalf("%s hello with a wrong secret: %d over %s", c.name, res.StatusCode, res.Proto)
		}
	}
	// Cleartext to the TLS port is refused by the handshake.
	if res, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/readyz"); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatalf("cleartext request answered 200 on the TLS port: %s", b)
		}
	}
}

// A key without its certificate, or a certificate that does not load, is
// refused at start with a message.
func TestServeTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, _, _ := selfSigned(t, dir)
	for _, args := range [][]string{
		{"--tls-cert", certFile},
		{"--tls-cert", certFile, "--tls-key", filepath.Join(dir, "missing.pem")},
	} {
		var stderr syncBuffer
		code := run0(context.Background(), append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}, args...), io.Discard, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "tls") && !strings.Contains(stderr.String(), "TLS") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// net/http's own error lines reach the structured log: a failed handshake
// (a scanner, a client without the CA) only at debug.
func TestHTTPErrorLog(t *testing.T) {
	var buf syncBuffer
	l := httpErrorLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Print("http: TLS handshake error from 192.0.2.1:5555: EOF")
	l.Print("http: Accept error: too many open files")
	out := buf.String()
	if !strings.Contains(out, `level=DEBUG msg="http server" err="http: TLS handshake error from 192.0.2.1:5555: EOF"`) ||
		!strings.Contains(out, `level=WARN msg="http server" err="http: Accept error: too many open files"`) {
		t.Fatalf("log:\n%s", out)
	}
}

// serveTLS starts `serve` with a self-signed certificate for the rest of
// the test and returns its https base URL and the pool that trusts it.
func serveTLS(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	var base string
	re := regexp.MustCompile(`listening on (https://\S+)`)
	stderr, stop := runInBackground(t, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir,
		"--tls-cert", certFile, "--tls-key", keyFile}, func(line string) bool {
		if m := re.FindStringSubmatch(line); m != nil {
			base = m[1]
			return true
		}
		return false
	})
	t.Cleanup(func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	})
	if base == "" {
		t.Fatalf("no https URL printed; stderr: %s", stderr.String())
	}
	return base, pool
}
