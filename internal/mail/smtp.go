package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"mysystems/internal/errs"
)

// Sender hands one message to a mail server. A nil error means the server
// accepted it (answered 250 to the end of DATA); nothing else does.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// TLS modes of an SMTP connection.
const (
	TLSStartTLS = "starttls" // plain connection upgraded by STARTTLS (submission, port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // clear text: only for a relay on a trusted network
)

// SMTPConfig is a parsed --smtp-url:
//
//	smtp://user:pass@host:587?from=noreply@example.com&tls=starttls
//	smtps://user:pass@host            (tls=tls, port 465)
//	smtp://relay.internal:25?tls=none (no TLS, no authentication)
type SMTPConfig struct {
	Host, Port         string
	Username, Password string
	From               string // sender address; may be "Name <addr>"
	TLS                string
}

// String describes the configuration without its password, for logs.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, c.Port)}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String() + " (tls=" + c.TLS + ")"
}

// ParseSMTPURL reads an --smtp-url. Unknown parameters are errors, so a
// typo does not silently send mail in clear text.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	bad := func(key string, args ...any) (SMTPConfig, error) {
		return SMTPConfig{}, errs.InvalidField("smtp_url", key, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("err.smtp.not_url")
	}
	c := SMTPConfig{Host: u.Hostname(), Port: u.Port()}
	switch u.Scheme {
	case "smtp":
		c.TLS = TLSStartTLS
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return bad("err.smtp.scheme", u.Scheme)
	}
	if c.Host == "" {
		return bad("err.smtp.no_host")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		switch k {
		case "from":
			c.From = v[0]
		case "tls":
			c.TLS = strings.ToLower(v[0])
			if c.TLS != TLSStartTLS && c.TLS != TLSImplicit && c.TLS != TLSNone {
				return bad("err.smtp.tls", v[0])
			}
		default:
			return bad("err.smtp.param", k)
		}
	}
	if c.Port == "" {
		c.Port = "587"
		if c.TLS == TLSImplicit {
			c.Port = "465"
		}
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			return bad("err.smtp.from", c.From)
		}
	}
	return c, nil
}

// SMTPSender delivers over SMTP with the standard library's client, one
// connection per message.
type SMTPSender struct {
	cfg   SMTPConfig
	from  *mail.Address
	hello string
	// TLSConfig, if set, replaces the default (verify the server's name
	// against the system roots); tests use it to trust their own server.
	TLSConfig *tls.Config
	// Timeout bounds one delivery when ctx has no deadline (1 minute).
	Timeout time.Duration
}

// NewSMTPSender parses rawURL. defaultFrom is the sender address when the
// URL has no from=; hello is the name this server gives in EHLO.
func NewSMTPSender(rawURL, defaultFrom, hello string) (*SMTPSender, error) {
	cfg, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if cfg.From == "" {
		cfg.From = defaultFrom
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errs.InvalidField("smtp_url", "err.smtp.no_from")
	}
	if hello == "" {
		hello = "localhost"
	}
	return &SMTPSender{cfg: cfg, from: from, hello: hello, Timeout: time.Minute}, nil
}

// Config returns the parsed configuration.
func (s *SMTPSender) Config() SMTPConfig { return s.cfg }

// unreachable marks a failure to reach the server at all: the next message
// would fail the same way.
type unreachable struct{ err error }

func (u unreachable) Error() string { return u.err.Error() }
func (u unreachable) Unwrap() error { return u.err }

func isUnreachable(err error) bool {
	var u unreachable
	return errors.As(err, &u)
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		c := s.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = s.cfg.Host
		}
		return c
	}
	return &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
}

// Send delivers m. It returns nil once the server accepted the message; a
// failure after that (QUIT) is ignored, since the message is on its way and
// reporting it would send it twice.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("recipient %q is not an e-mail address", m.To)
	}
	body, err := Format(m, s.from)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok && s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	addr := net.JoinHostPort(s.cfg.Host, s.cfg.Port)
	var conn net.Conn
	if s.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return unreachable{fmt.Errorf("connect to mail server %s: %w", addr, err)}
	}
	defer conn.Close()
	// net/smtp knows no context: a deadline on the connection bounds the
	// conversation, and cancellation cuts it short.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return unreachable{fmt.Errorf("mail server %s greeting: %w", addr, err)}
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return fmt.Errorf("smtp EHLO: %w", err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail server %s does not offer STARTTLS (add tls=none to the --smtp-url to send in clear text)", addr)
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("smtp STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("mail server %s does not offer authentication", addr)
		}
		// PlainAuth refuses to send the password over a clear connection
		// except to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("smtp AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("smtp RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of DATA: %w", err)
	}
	_ = c.Quit() // accepted: whatever QUIT answers changes nothing
	return nil
}
