package app

import (
	"context"
	"log/slog"
	"time"
)

// serverCheckEvery is how often silent ACS Pro servers are looked for: a
// server is offline after 3 poll intervals (3 minutes by default), and its
// alert should not wait much longer.
const serverCheckEvery = 30 * time.Second

// buildServerJobs schedules the ACS Pro servers' monitoring (SRV-1): the
// offline detection and its alert e-mails, and the pruning of health
// samples older than the chart's 24 hours. Periodic tasks: one instance at
// a time runs each.
func (a *App) buildServerJobs(log *slog.Logger) {
	a.Jobs.Every("acs.detect_offline", serverCheckEvery, func(ctx context.Context) error {
		n, err := a.ACS.DetectOffline(ctx)
		if n > 0 {
			log.Info("ACS Pro servers offline", "count", n)
		}
		return err
	})
	a.Jobs.Every("acs.prune_samples", time.Hour, func(ctx context.Context) error {
		_, err := a.ACS.PruneSamples(ctx)
		return err
	})
}
