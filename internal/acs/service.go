package acs

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"mysystems/internal/access"
	"mysystems/internal/account"
	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/mail"
	"mysystems/internal/org"
)

// Tx is what the ACS Pro use cases need of a store transaction. Every
// method on servers, their samples and their upgrades takes the
// organization; the few that read across organizations say so.
type Tx interface {
	org.Tx
	mail.Tx

	CreateACSEnrollment(ctx context.Context, e Enrollment) error
	ACSEnrollment(ctx context.Context, orgID, id string) (Enrollment, error)
	// UseACSEnrollment marks an unused token used by serverID (not found
	// when it was used meanwhile).
	UseACSEnrollment(ctx context.Context, orgID, id, serverID string, at time.Time) error

	CreateACSServer(ctx context.Context, s Server) error
	ACSServer(ctx context.Context, orgID, id string) (Server, error)
	ACSServers(ctx context.Context, orgID string) ([]Server, error)
	SaveACSAlerts(ctx context.Context, orgID, id string, a Alerts) error
	// SaveACSPoll records what a poll changed: version, last poll, health
	// now, newest sample time and offline mark.
	SaveACSPoll(ctx context.Context, s Server) error
	AddACSSample(ctx context.Context, orgID, serverID string, s Sample) error
	ACSSamples(ctx context.Context, orgID, serverID string, since time.Time) ([]Sample, error)
	// PruneACSSamples drops every organization's samples older than before.
	PruneACSSamples(ctx context.Context, before time.Time) (int, error)
	// SilentACSServers lists, across organizations, up to limit servers
	// not yet marked offline whose last poll is OfflineAfter intervals
	// before now.
	SilentACSServers(ctx context.Context, now time.Time, limit int) ([]Server, error)
	// MarkACSOffline sets offline_at of a server not marked yet; false
	// when another run marked it first.
	MarkACSOffline(ctx context.Context, orgID, id string, at time.Time) (bool, error)

	ACSVersions(ctx context.Context) ([]Published, error)
	CreateACSVersion(ctx context.Context, p Published) error

	CreateACSUpgrade(ctx context.Context, u Upgrade) error
	ACSUpgrade(ctx context.Context, orgID, id string) (Upgrade, error)
	// OpenACSUpgrades returns the queued or started requests of an
	// organization (of one server when serverID is not "").
	OpenACSUpgrades(ctx context.Context, orgID, serverID string) ([]Upgrade, error)
	// ACSUpgrades returns a server's requests, newest first, at most limit.
	ACSUpgrades(ctx context.Context, orgID, serverID string, limit int) ([]Upgrade, error)
	SaveACSUpgrade(ctx context.Context, u Upgrade) error

	// ACSAlertRecipients returns the e-mail and language of the
	// organization's Owners and Admins.
	ACSAlertRecipients(ctx context.Context, orgID string) ([]Recipient, error)
	// UserLangs returns the language of the people among emails who have
	// an account (lowercased e-mail → language).
	UserLangs(ctx context.Context, emails []string) (map[string]string, error)
}

// Recipient is someone an alert goes to.
type Recipient struct {
	Email string
	Lang  string
}

// Store runs transactions.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
}

// Config configures the service.
type Config struct {
	// Poll is the interval servers are told to poll at (DefaultPoll if 0).
	Poll time.Duration
	// EnrollTTL is how long an enrolment token is valid (24 h if 0).
	EnrollTTL time.Duration
	// SampleEvery is how often a server's health is kept for the chart (5
	// minutes if 0).
	SampleEvery time.Duration
	// BaseURL is the portal's public URL, for links in alert e-mails.
	BaseURL string
	// Compose builds the alert e-mails.
	Compose org.Composer
	// DownloadURL is where servers download a version the vendor published
	// without a URL; "%s" in it is replaced by the version.
	DownloadURL string
}

// DefaultDownloadURL is the default of Config.DownloadURL.
const DefaultDownloadURL = "https://www.axis.com/ftp/pub_soft/cam_srv/cs_pro/%s/"

// Service implements the ACS Pro use cases.
type Service struct {
	store Store
	clock clock.Clock
	log   *slog.Logger
	cfg   Config
}

// NewService returns the service.
func NewService(s Store, c clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.EnrollTTL <= 0 {
		cfg.EnrollTTL = 24 * time.Hour
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = 5 * time.Minute
	}
	if cfg.DownloadURL == "" {
		cfg.DownloadURL = DefaultDownloadURL
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, clock: c, log: log, cfg: cfg}
}

// PollInterval is the interval servers poll at.
func (s *Service) PollInterval() time.Duration { return s.cfg.Poll }

// Token prefixes: an enrolment token, a server's own token.
const (
	EnrollPrefix = "mse_"
	TokenPrefix  = "mss_"
)

// newToken makes a token naming an organization and a row, with a secret:
// prefix + org + "." + id + "." + secret. Only its hash is stored.
func newToken(prefix, orgID, id string) string {
	return prefix + orgID + "." + id + "." + account.NewSecret("")
}

// splitToken reads the organization and row a token names.
func splitToken(prefix, tok string) (orgID, id string, ok bool) {
	rest, ok := strings.CutPrefix(tok, prefix)
	if !ok || len(tok) > 200 {
		return "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// enter enters the organization as a member allowed to do action.
func enter(ctx context.Context, tx Tx, actor audit.Actor, orgID string, action access.Action) (org.Org, org.Membership, error) {
	o, m, err := org.EnterTx(ctx, tx, actor, orgID)
	if err != nil {
		return o, m, err
	}
	return o, m, access.Check(m.Role, action)
}

// CreateEnrollment creates a single-use enrolment token for a new server
// (SRV-1, Admin and up). The token is returned once; only its hash is kept.
func (s *Service) CreateEnrollment(ctx context.Context, actor audit.Actor, orgID string) (token string, expires time.Time, err error) {
	now := s.clock.Now()
	err = s.store.Write(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageFleet); err != nil {
			return err
		}
		e := Enrollment{OrgID: orgID, ID: account.NewID("enr_"), CreatedBy: actor.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.EnrollTTL)}
		token = newToken(EnrollPrefix, orgID, e.ID)
		e.TokenHash = account.HashSecret(token)
		expires = e.ExpiresAt
		if err := tx.CreateACSEnrollment(ctx, e); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.ServerEnrollToken,
			TargetType: audit.TargetOrg, TargetID: orgID, Details: map[string]any{"expires_at": expires.UTC().Format(time.RFC3339)}})
	})
	return token, expires, err
}

// View is a server as monitoring shows it.
type View struct {
	Server
	Status      Status
	Recommended *Published // the recommended upgrade, if any
	Upgrade     *Upgrade   // the queued or started request, if any
	// History is the last 24 hours' samples (Server only, not List).
	History []Sample
	// Upgrades are the latest requests, newest first (Server only).
	Upgrades []Upgrade
}

func (s *Service) view(srv Server, versions []Published, open map[string]Upgrade, now time.Time) View {
	v := View{Server: srv}
	if u, ok := open[srv.ID]; ok {
		v.Upgrade = &u
	}
	if p, ok := Recommended(versions, srv.Version); ok {
		v.Recommended = &p
	}
	v.Status = StatusAt(srv, v.Upgrade, now)
	return v
}

func openBy(us []Upgrade) map[string]Upgrade {
	m := make(map[string]Upgrade, len(us))
	for _, u := range us {
		m[u.ServerID] = u
	}
	return m
}

// List returns the organization's servers with their health now, status,
// recommended upgrade and open request (SRV-1: Owners, Admins, Operators).
func (s *Service) List(ctx context.Context, actor audit.Actor, orgID string) ([]View, error) {
	var out []View
	err := s.store.Read(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageServers); err != nil {
			return err
		}
		servers, err := tx.ACSServers(ctx, orgID)
		if err != nil {
			return err
		}
		versions, err := tx.ACSVersions(ctx)
		if err != nil {
			return err
		}
		open, err := tx.OpenACSUpgrades(ctx, orgID, "")
		if err != nil {
			return err
		}
		now, m := s.clock.Now(), openBy(open)
		out = make([]View, 0, len(servers))
		for _, srv := range servers {
			out = append(out, s.view(srv, versions, m, now))
		}
		return nil
	})
	return out, err
}

// Server returns one server with its last 24 hours of health and its
// latest upgrade requests.
func (s *Service) Server(ctx context.Context, actor audit.Actor, orgID, id string) (View, error) {
	var v View
	err := s.store.Read(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageServers); err != nil {
			return err
		}
		var err error
		v, err = s.viewTx(ctx, tx, orgID, id)
		return err
	})
	return v, err
}

func (s *Service) viewTx(ctx context.Context, tx Tx, orgID, id string) (View, error) {
	srv, err := tx.ACSServer(ctx, orgID, id)
	if err != nil {
		return View{}, err
	}
	versions, err := tx.ACSVersions(ctx)
	if err != nil {
		return View{}, err
	}
	open, err := tx.OpenACSUpgrades(ctx, orgID, id)
	if err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	v := s.view(srv, versions, openBy(open), now)
	if v.History, err = tx.ACSSamples(ctx, orgID, id, now.Add(-24*time.Hour)); err != nil {
		return View{}, err
	}
	if v.Upgrades, err = tx.ACSUpgrades(ctx, orgID, id, 10); err != nil {
		return View{}, err
	}
	return v, nil
}

// AlertsPatch changes alert settings; nil fields stay as they are.
type AlertsPatch struct {
	Offline    *bool
	Online     *bool
	Recipients *[]string
}

// UpdateAlerts changes a server's alert settings (SRV-1: Operators and
// up).
func (s *Service) UpdateAlerts(ctx context.Context, actor audit.Actor, orgID, id string, p AlertsPatch) (View, error) {
	var v View
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageServers); err != nil {
			return err
		}
		srv, err := tx.ACSServer(ctx, orgID, id)
		if err != nil {
			return err
		}
		a := srv.Alerts
		if p.Offline != nil {
			a.Offline = *p.Offline
		}
		if p.Online != nil {
			a.Online = *p.Online
		}
		if p.Recipients != nil {
			if a.Recipients, err = CheckRecipients(*p.Recipients); err != nil {
				return err
			}
		}
		if err := tx.SaveACSAlerts(ctx, orgID, id, a); err != nil {
			return err
		}
		if err := tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: audit.ServerUpdate,
			TargetType: audit.TargetServer, TargetID: id, Details: map[string]any{"name": srv.Name,
				"alert_offline": a.Offline, "alert_online": a.Online, "recipients": strings.Join(a.Recipients, ", ")}}); err != nil {
			return err
		}
		v, err = s.viewTx(ctx, tx, orgID, id)
		return err
	})
	return v, err
}

// RequestUpgrade queues an upgrade of a server that has a recommended
// upgrade (SRV-2, Admins and up): to version, or the recommended version
// when version is "". The server picks it up when it next polls.
func (s *Service) RequestUpgrade(ctx context.Context, actor audit.Actor, orgID, id, version string) (Upgrade, error) {
	var u Upgrade
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageUpgrades); err != nil {
			return err
		}
		srv, err := tx.ACSServer(ctx, orgID, id)
		if err != nil {
			return err
		}
		open, err := tx.OpenACSUpgrades(ctx, orgID, id)
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return errs.E(errs.Conflict, "err.server.upgrade_open", open[0].Version.String(), i18nState(open[0].State))
		}
		versions, err := tx.ACSVersions(ctx)
		if err != nil {
			return err
		}
		target, err := Target(versions, srv.Version, version)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		u = Upgrade{OrgID: orgID, ID: account.NewID("sup_"), ServerID: id, Version: target.Version, FromVersion: srv.Version,
			State: Queued, RequestedBy: actor.ID, CreatedAt: now}
		if err := tx.CreateACSUpgrade(ctx, u); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.ServerUpgrade,
			TargetType: audit.TargetServer, TargetID: id, Details: map[string]any{"name": srv.Name,
				"from": srv.Version.String(), "to": target.Version.String(), "upgrade": u.ID}})
	})
	return u, err
}

// CancelUpgrade cancels a server's queued upgrade (SRV-3, Admins and up):
// refused once the server picked it up.
func (s *Service) CancelUpgrade(ctx context.Context, actor audit.Actor, orgID, id string) (Upgrade, error) {
	var u Upgrade
	err := s.store.Write(ctx, func(tx Tx) error {
		if _, _, err := enter(ctx, tx, actor, orgID, access.ManageUpgrades); err != nil {
			return err
		}
		srv, err := tx.ACSServer(ctx, orgID, id)
		if err != nil {
			return err
		}
		open, err := tx.OpenACSUpgrades(ctx, orgID, id)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return errs.E(errs.Conflict, "err.server.no_queued", srv.Name)
		}
		u = open[0]
		if err := CanCancel(u); err != nil {
			return err
		}
		now := s.clock.Now()
		u.State, u.DoneAt = Canceled, &now
		if err := tx.SaveACSUpgrade(ctx, u); err != nil {
			return err
		}
		return tx.RecordAudit(ctx, audit.Entry{OrgID: orgID, At: now, Actor: actor, Action: audit.ServerUpgradeCancel,
			TargetType: audit.TargetServer, TargetID: id, Details: map[string]any{"name": srv.Name, "to": u.Version.String(), "upgrade": u.ID}})
	})
	return u, err
}

func i18nState(s State) any { return i18n.Key("server.upgrade.state." + string(s)) }

// PublishInput is a version the vendor publishes.
type PublishInput struct {
	Version string
	// ReleasedAt is YYYY-MM-DD or RFC 3339; empty is now.
	ReleasedAt string
	URL        string
}

// PublishVersion adds an ACS Pro version to the list servers are upgraded
// to (SRV-2; vendor operators only).
func (s *Service) PublishVersion(ctx context.Context, actor audit.Actor, in PublishInput) (Published, error) {
	if actor.Kind != audit.KindVendor {
		return Published{}, errs.E(errs.Forbidden, "err.server.vendor_only")
	}
	v, err := ParseVersion(in.Version)
	if err != nil {
		return Published{}, err
	}
	now := s.clock.Now()
	p := Published{Version: v, ReleasedAt: now, CreatedAt: now, CreatedBy: actor.ID}
	if r := strings.TrimSpace(in.ReleasedAt); r != "" {
		if t, err := time.Parse(time.DateOnly, r); err == nil {
			p.ReleasedAt = t
		} else if t, err := time.Parse(time.RFC3339, r); err == nil {
			p.ReleasedAt = t.UTC()
		} else {
			return Published{}, errs.InvalidField("released_at", "err.server.released_format", truncate(r, 40))
		}
	}
	if p.URL, err = checkURL(in.URL); err != nil {
		return Published{}, err
	}
	err = s.store.Write(ctx, func(tx Tx) error { return tx.CreateACSVersion(ctx, p) })
	if err != nil {
		return Published{}, err
	}
	s.log.Info("ACS Pro version published", "version", v.String(), "vendor", actor.ID)
	return p, nil
}

func checkURL(u string) (string, error) {
	u = strings.TrimSpace(u)
	if u == "" {
		return "", nil
	}
	if len(u) > MaxURL || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || strings.ContainsAny(u, " \t\r\n") {
		return "", errs.InvalidField("url", "err.server.url", truncate(u, 60))
	}
	return u, nil
}

// Versions returns the published ACS Pro versions, newest first.
func (s *Service) Versions(ctx context.Context) ([]Published, error) {
	var out []Published
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ACSVersions(ctx)
		return err
	})
	return out, err
}

// downloadURL is where a server downloads version v.
func (s *Service) downloadURL(p Published) string {
	if p.URL != "" {
		return p.URL
	}
	return strings.ReplaceAll(s.cfg.DownloadURL, "%s", p.Version.String())
}

// link is the portal's page of a server, for e-mails.
func (s *Service) link(orgID, id string) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/orgs/" + orgID + "/servers/" + id
}
