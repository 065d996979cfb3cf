package account

import (
	"context"
	"strings"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/mail"
	"mysystems/internal/text"
)

// Limits are the login rate limits of ID-4: failures allowed per window.
type Limits struct {
	Window        time.Duration
	PerAccount    int // failed logins for one e-mail address
	PerClientAddr int // failed logins (any e-mail) from one client address
	Registrations int // registrations from one client address
	// MFA limits (ID-3, ID-4): wrong second-factor codes per account and per
	// client address, and e-mail codes sent to one account, per window.
	MFAPerAccount    int
	MFAPerClientAddr int
	MFAMails         int
}

// DefaultLimits are generous for people and tight for scripts guessing.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerAccount: 10, PerClientAddr: 50, Registrations: 20,
	MFAPerAccount: 10, MFAPerClientAddr: 50, MFAMails: 10}

// Config configures the account service.
type Config struct {
	Hash       HashParams
	Limits     Limits
	SessionTTL time.Duration
	// Compose builds the outbox message of MFA e-mail codes (kind
	// "mfa_code"); nil uses mail.NewMailer(clock, "").Message.
	Compose Composer
}

// Composer builds an outbox message of a kind in a language for to.
type Composer func(kind, lang, to string, data map[string]string) (mail.Message, error)

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{Hash: DefaultHashParams, Limits: DefaultLimits, SessionTTL: 30 * 24 * time.Hour}
}

// Service implements the account use cases.
type Service struct {
	store Store
	clock clock.Clock
	cfg   Config
	// dummyHash is verified against when the e-mail is unknown, so that a
	// login for a missing account costs the same time as a wrong password.
	dummyHash string
}

// NewService returns an account service.
func NewService(s Store, c clock.Clock, cfg Config) *Service {
	dummy, _ := HashPassword("not the password of anyone", cfg.Hash)
	if cfg.Compose == nil {
		cfg.Compose = mail.NewMailer(c, "").Message
	}
	if cfg.Limits.MFAPerAccount == 0 && cfg.Limits.MFAPerClientAddr == 0 && cfg.Limits.MFAMails == 0 {
		cfg.Limits.MFAPerAccount, cfg.Limits.MFAPerClientAddr, cfg.Limits.MFAMails =
			DefaultLimits.MFAPerAccount, DefaultLimits.MFAPerClientAddr, DefaultLimits.MFAMails
	}
	return &Service{store: s, clock: c, cfg: cfg, dummyHash: dummy}
}

// RegisterInput is what a person gives to register.
type RegisterInput struct {
	Email    string
	Name     string
	Password string
	Lang     string
}

// Register creates an account (ID-1).
func (s *Service) Register(ctx context.Context, in RegisterInput, clientAddr string) (User, error) {
	norm, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	name, err := CheckName("name", in.Name)
	if err != nil {
		return User{}, err
	}
	lang, err := CheckLang(in.Lang)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(in.Password, norm); err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	if err := s.store.Write(ctx, func(tx Tx) error {
		l := limit{"register:" + clientAddr, s.cfg.Limits.Registrations, s.cfg.Limits.Window}
		if err := checkLimits(ctx, tx, now, l); err != nil {
			return err
		}
		_, err := hitLimits(ctx, tx, now, l)
		return err
	}); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Hash)
	if err != nil {
		return User{}, err
	}
	u := User{ID: NewID("usr_"), Email: strings.TrimSpace(in.Email), Name: name, Lang: lang, CreatedAt: now}
	err = s.store.Write(ctx, func(tx Tx) error { return tx.CreateUser(ctx, u, hash) })
	if errs.Is(err, errs.Conflict) {
		return User{}, errs.InvalidField("email", "err.account.exists_sign_in")
	}
	return u, err
}

// errBadLogin is the one answer for an unknown e-mail and a wrong password,
// so the response never tells whether an account exists (ID-4).
var errBadLogin = errs.E(errs.Unauthenticated, "err.login.wrong")

// LoginResult is a new session and its secret (shown to the client once),
// or, for a person with MFA (ID-3), a Challenge for the second step: then
// Secret is empty and no session exists until CompleteMFA.
type LoginResult struct {
	User      User
	Session   Session
	Secret    string
	Challenge *MFAChallenge
}

// Login checks a password and opens a session (ID-2), rate-limited per
// account and per client address (ID-4).
func (s *Service) Login(ctx context.Context, email, password, clientAddr, userAgent string) (LoginResult, error) {
	norm, err := NormalizeEmail(email)
	if err != nil || password == "" || len(password) > MaxPasswordLength {
		return LoginResult{}, errBadLogin
	}
	now := s.clock.Now()
	l := s.cfg.Limits
	acct := limit{"login:acct:" + norm, l.PerAccount, l.Window}
	addr := limit{"login:addr:" + clientAddr, l.PerClientAddr, l.Window}
	// The attempt counts as a failure before the password is checked, and
	// is taken back if it was right: guesses sent in parallel cannot
	// outrun the limits.
	var u User
	var hash, addrHit string
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := checkLimits(ctx, tx, now, acct, addr); err != nil {
			return err
		}
		ids, err := hitLimits(ctx, tx, now, acct, addr)
		if err != nil {
			return err
		}
		addrHit = ids[1]
		u, hash, err = tx.UserByEmail(ctx, norm)
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	if hash == "" {
		VerifyPassword(password, s.dummyHash)
	}
	if hash == "" || !VerifyPassword(password, hash) {
		return LoginResult{}, errBadLogin
	}
	var res LoginResult
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := tx.ResetRate(ctx, acct.key); err != nil {
			return err
		}
		if err := tx.TakeBackRate(ctx, addrHit); err != nil {
			return err
		}
		m, err := tx.MFA(ctx, u.ID)
		if err != nil {
			return err
		}
		if m.Method != MFAOff {
			ch, err := s.newChallenge(ctx, tx, u, m.Method, clientAddr, now)
			res = LoginResult{User: u, Challenge: ch}
			return err
		}
		res, err = s.openSession(ctx, tx, u, clientAddr, userAgent, now)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

func (s *Service) openSession(ctx context.Context, tx Tx, u User, clientAddr, userAgent string, now time.Time) (LoginResult, error) {
	secret := NewSecret(SessionPrefix)
	sess := Session{ID: NewID("ses_"), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
		LastSeenAt: now, ClientAddr: clientAddr, UserAgent: text.Cut(userAgent, 300)}
	if err := tx.CreateSession(ctx, sess, HashSecret(secret)); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{User: u, Session: sess, Secret: secret}, nil
}

var errBadCredential = errs.E(errs.Unauthenticated, "err.session.missing")

// touchEvery limits last-seen writes to one per interval per session/token.
const touchEvery = time.Minute

// Authenticate resolves a session secret or personal API token to its user.
// It reads the store on every call: a revoked session or token fails on its
// very next use.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	now := s.clock.Now()
	hash := HashSecret(secret)
	var p Principal
	var touch func(Tx) error
	err := s.store.Read(ctx, func(tx Tx) error {
		switch {
		case strings.HasPrefix(secret, SessionPrefix):
			sess, err := tx.SessionByHash(ctx, hash)
			if err != nil {
				return err
			}
			if !now.Before(sess.ExpiresAt) {
				return errBadCredential
			}
			p.SessionID = sess.ID
			p.User, err = tx.UserByID(ctx, sess.UserID)
			if now.Sub(sess.LastSeenAt) > touchEvery {
				touch = func(tx Tx) error { return tx.TouchSession(ctx, sess.ID, now) }
			}
			return err
		case strings.HasPrefix(secret, TokenPrefix):
			tok, err := tx.TokenByHash(ctx, hash)
			if err != nil {
				return err
			}
			if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
				return errBadCredential
			}
			p.TokenID = tok.ID
			p.User, err = tx.UserByID(ctx, tok.UserID)
			if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > touchEvery {
				touch = func(tx Tx) error { return tx.TouchToken(ctx, tok.ID, now) }
			}
			return err
		}
		return errBadCredential
	})
	if errs.Is(err, errs.NotFound) {
		return Principal{}, errBadCredential
	}
	if err != nil {
		return Principal{}, err
	}
	if touch != nil {
		if err := s.store.Write(ctx, touch); err != nil {
			return Principal{}, err
		}
	}
	return p, nil
}

// Logout ends the caller's session. Token-authenticated callers have no
// session to end: they revoke the token instead.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionID == "" {
		return errs.E(errs.Invalid, "err.session.is_token")
	}
	return s.store.Write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, p.SessionID) })
}

// User returns a user by id.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var u User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		u, err = tx.UserByID(ctx, id)
		return err
	})
	return u, err
}

// SetLang records a user's preferred language.
func (s *Service) SetLang(ctx context.Context, p Principal, lang string) (User, error) {
	lang, err := CheckLang(lang)
	if err != nil {
		return User{}, err
	}
	u := p.User
	u.Lang = lang
	return u, s.store.Write(ctx, func(tx Tx) error { return tx.UpdateUser(ctx, u) })
}

// MaxTokensPerUser bounds the personal API tokens one person may hold.
const MaxTokensPerUser = 100

// CreateToken makes a personal API token; the secret is returned once.
// It takes a session: a token cannot make tokens.
func (s *Service) CreateToken(ctx context.Context, p Principal, name string, expiresAt *time.Time) (Token, string, error) {
	if err := needSession(p, errTokenNeedsSession); err != nil {
		return Token{}, "", err
	}
	name, err := CheckName("name", name)
	if err != nil {
		return Token{}, "", err
	}
	now := s.clock.Now()
	if expiresAt != nil {
		if !expiresAt.After(now) {
			return Token{}, "", errs.InvalidField("expires_at", "err.token.expiry_past")
		}
		t := expiresAt.UTC()
		expiresAt = &t
	}
	secret := NewSecret(TokenPrefix)
	t := Token{ID: NewID("tok_"), UserID: p.User.ID, Name: name, Prefix: secret[:len(TokenPrefix)+6],
		CreatedAt: now, ExpiresAt: expiresAt}
	err = s.store.Write(ctx, func(tx Tx) error {
		existing, err := tx.Tokens(ctx, p.User.ID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxTokensPerUser {
			return errs.E(errs.Conflict, "err.token.too_many", MaxTokensPerUser)
		}
		if err := tx.CreateToken(ctx, t, HashSecret(secret)); err != nil {
			return err
		}
		details := map[string]any{"token": t.ID, "name": t.Name}
		if t.ExpiresAt != nil {
			details["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
		}
		return auditChange(ctx, tx, p, now, audit.AccountTokenCreate, details)
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// Tokens lists the caller's personal API tokens.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]Token, error) {
	var out []Token
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Tokens(ctx, p.User.ID)
		return err
	})
	return out, err
}

// RevokeToken deletes one of the caller's tokens.
func (s *Service) RevokeToken(ctx context.Context, p Principal, id string) error {
	now := s.clock.Now()
	return s.store.Write(ctx, func(tx Tx) error {
		ts, err := tx.Tokens(ctx, p.User.ID)
		if err != nil {
			return err
		}
		name := ""
		for _, t := range ts {
			if t.ID == id {
				name = t.Name
			}
		}
		if err := tx.DeleteToken(ctx, p.User.ID, id); err != nil {
			return err
		}
		return auditChange(ctx, tx, p, now, audit.AccountTokenRevoke, map[string]any{"token": id, "name": name})
	})
}
