package mail_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"mysystems/internal/testcert"
)

// smtpd is a real SMTP server in the test process (go-smtp), recording what
// it accepts. It can go down (its port refuses connections) and come back
// on the same port, or reject messages with a temporary error.
type smtpd struct {
	t           *testing.T
	addr        string
	tls         *tls.Config // offered via STARTTLS when set
	implicitTLS bool        // TLS from the first byte instead (smtps)
	user        string      // AUTH PLAIN required when set
	pass        string

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	got      []received
	rejectOn bool
}

type received struct {
	From, To string
	Data     string
}

func newSMTPD(t *testing.T, configure ...func(*smtpd)) *smtpd {
	t.Helper()
	s := &smtpd{t: t}
	for _, f := range configure {
		f(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() { s.down() })
	return s
}

func (s *smtpd) serve(ln net.Listener) {
	if s.implicitTLS {
		ln = tls.NewListener(ln, s.tls)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{d: s}, nil }))
	srv.Domain = "mx.example.test"
	if !s.implicitTLS {
		srv.TLSConfig = s.tls
	}
	srv.AllowInsecureAuth = s.tls == nil || s.implicitTLS // PLAIN over clear text on 127.0.0.1 only
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = nopLogger{}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener: connections are refused until up.
func (s *smtpd) down() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Close the listener here too: Serve may not have registered it yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// up listens again on the same address.
func (s *smtpd) up() {
	s.t.Helper()
	var ln net.Listener
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		s.t.Fatalf("re-listen on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *smtpd) reject(on bool) {
	s.mu.Lock()
	s.rejectOn = on
	s.mu.Unlock()
}

func (s *smtpd) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type session struct {
	d      *smtpd
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	if s.d.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.d.user || pass != s.d.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.d.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.rejectOn {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.d.got = append(s.d.got, received{From: s.from, To: strings.Join(s.to, ","), Data: string(b)})
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	c := testcert.New(t, "mx.example.test")
	return c.ServerConfig(), c.Pool
}
