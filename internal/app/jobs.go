package app

import (
	"context"
	"log/slog"
	"time"

	"mysystems/internal/clock"
	"mysystems/internal/jobs"
	"mysystems/internal/license"
	"mysystems/internal/mail"
	"mysystems/internal/store"
	"mysystems/internal/upgrade"
)

// mailEvery is how often the outbox is looked at: a sign-in code by e-mail
// should not keep a person waiting.
const mailEvery = 3 * time.Second

// buildJobs assembles the job runner and what runs on it: the e-mail
// outbox (AUD-2) and its pruning, invitation expiry (USR-1) and the
// pruning of the attempts rate limits no longer count (ID-4), and the
// license manager's daily job (LIC-7). Nothing starts until Start.
// Call it after the services it schedules are built.
func (a *App) buildJobs(cfg Config, db *store.DB, clk clock.Clock, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	a.Jobs = jobs.NewRunner(db.Jobs(), clk, log, jobs.Options{})
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		host := mail.Host(cfg.BaseURL)
		s, err := mail.NewSMTPSender(cfg.SMTPURL, "noreply@"+host, host)
		if err != nil {
			// cmd/mysystems checks the URL before it gets here.
			log.Error("invalid SMTP URL: e-mail is kept in the outbox", "err", err)
		} else {
			sender = s
			log.Info("e-mail delivery", "smtp", s.Config().String())
		}
	}
	a.Mail = mail.NewDeliverer(db.Outbox(), sender, clk, log)
	a.Outbox = mail.NewOutbox(db.Outbox())
	a.Jobs.Every("mail.deliver", mailEvery, a.Mail.Run)
	a.Jobs.Every("mail.prune", time.Hour, a.Mail.Prune)
	a.Jobs.Every("upgrade.dispatch", upgrade.DispatchEvery, a.Upgrades.Dispatch)
	a.Jobs.Every("upgrade.sweep", upgrade.SweepEvery, a.Upgrades.Sweep)
	a.Jobs.Every("upgrade.schedule", upgrade.SchedulerEvery, a.Upgrades.Scheduler)
	a.Jobs.Every("org.expire_invitations", time.Minute, func(ctx context.Context) error {
		n, err := a.Orgs.ExpireInvitations(ctx)
		if n > 0 {
			log.Info("invitations expired", "count", n)
		}
		return err
	})
	a.Jobs.Every("account.prune_rate_attempts", time.Hour, a.Accounts.PruneRateAttempts)
	a.buildServerJobs(log)
	a.Jobs.Every("license.daily", license.DailyEvery, func(ctx context.Context) error {
		n, err := a.Licenses.Daily(ctx)
		if n > 0 {
			log.Info("license products processed", "count", n)
		}
		return err
	})
}

// Start starts the background work (the job runner, the gateway's presence
// flushes and cross-instance wake-ups); Shutdown stops it.
func (a *App) Start(ctx context.Context) error {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopGateway = cancel
	a.gatewayDone = make(chan struct{})
	go func() {
		defer close(a.gatewayDone)
		a.Gateway.Run(gctx)
	}()
	return a.Jobs.Start(ctx)
}
