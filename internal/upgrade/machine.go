package upgrade

import (
	"strconv"
	"time"

	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
	"mysystems/internal/text"
)

// Reply keys a device reads when told to stop (its own language is
// English: they are protocol text, not a person's page).
const (
	stopCanceled = "the upgrade was canceled"
	stopWindow   = "the maintenance window closed before the upgrade started"
	stopUnknown  = "no upgrade is under way for this command"
)

// Dispatch hands a queued task to its device: command is the command that
// carries it (FW-5: queued → scheduled).
func (t *Task) Dispatch(command string, now time.Time) {
	t.State, t.CommandID = Scheduled, command
	t.ScheduledAt, t.UpdatedAt = &now, now
	t.Stage, t.Percent = "", 0
}

// InWindow reports whether the task may start at now: inside its
// maintenance window, if it has one (FW-4).
func (t *Task) InWindow(now time.Time) bool {
	if t.NotBefore != nil && now.Before(*t.NotBefore) {
		return false
	}
	return t.NotAfter == nil || now.Before(*t.NotAfter)
}

// Report applies a device's progress report on command (GW-3) and answers
// it. changed says whether the task must be saved. A report for a command
// that no longer carries the task (the task was requeued or retried), or
// for a task that ended or has been canceled, is told to stop. A device asks
// before it installs: it is let through only while the task may still start
// (inside its window), and once through the task is installing and the
// answer stays yes, so a repeated ask changes nothing and the device
// installs once.
func (t *Task) Report(command string, p device.Progress, now time.Time) (reply device.ProgressReply, changed bool) {
	if t.CommandID != command || t.State == Queued {
		return device.ProgressReply{Reason: stopUnknown}, false
	}
	if t.State.Done() {
		if t.State == Canceled {
			return device.ProgressReply{Reason: stopCanceled}, false
		}
		return device.ProgressReply{Reason: stopUnknown}, false
	}
	switch p.Stage {
	case device.StageDownloading:
		if t.State == Installing {
			return device.ProgressReply{Proceed: true}, false
		}
		if t.State == Scheduled {
			t.State, t.StartedAt = Downloading, &now
		}
		t.Stage, t.Percent, t.UpdatedAt = p.Stage, min(max(p.Percent, 0), 100), now
		return device.ProgressReply{Proceed: true}, true
	case device.StageInstalling:
		if t.State == Installing {
			return device.ProgressReply{Proceed: true}, false
		}
		if !t.InWindow(now) {
			return device.ProgressReply{Reason: stopWindow}, false
		}
		if t.StartedAt == nil {
			t.StartedAt = &now
		}
		t.State, t.InstallingAt = Installing, &now
		t.Stage, t.Percent, t.UpdatedAt = p.Stage, 100, now
		return device.ProgressReply{Proceed: true}, true
	case device.StageRebooting:
		if t.State != Installing {
			return device.ProgressReply{Reason: stopUnknown}, false
		}
		if t.Stage == p.Stage {
			return device.ProgressReply{Proceed: true}, false
		}
		t.Stage, t.UpdatedAt = p.Stage, now
		return device.ProgressReply{Proceed: true}, true
	}
	return device.ProgressReply{Reason: "unknown stage " + strconv.Quote(p.Stage)}, false
}

// Finish applies the result the device posted for command: after installing
// it succeeded when the device runs the target version, and failed
// otherwise; before installing, only a failure (the image was refused) ends
// the task. It reports whether the task changed.
func (t *Task) Finish(command string, res device.Result, now time.Time) bool {
	if t.CommandID != command || t.State.Done() || t.State == Queued {
		return false
	}
	switch {
	case t.State == Installing && res.OK && res.Firmware == t.To:
		t.end(Succeeded, Reason{}, now)
	case t.State == Installing && res.OK && res.Firmware == "":
		return false // the version the device reports decides (CameBack)
	case t.State == Installing && res.OK:
		t.end(Failed, Because(ReasonOldVersion, res.Firmware, t.To), now)
	case !res.OK:
		msg := text.Cut(res.Message, device.MaxMessage)
		if msg == "" {
			msg = "no reason given"
		}
		t.end(Failed, Because(ReasonDevice, msg), now)
	default:
		return false // a success before installing is not one
	}
	return true
}

// Came back applies what the portal knows of the device after it was told
// to install: it reports firmware (its current version) and whether it has
// been heard of since. The task succeeds when the device runs the target;
// after InstallSilence it fails, saying whether the device came back on
// another version or stayed silent.
func (t *Task) CameBack(firmware string, seenSince bool, now time.Time) bool {
	if t.State != Installing || t.InstallingAt == nil {
		return false
	}
	if firmware == t.To {
		t.end(Succeeded, Reason{}, now)
		return true
	}
	if now.Sub(*t.InstallingAt) < device.InstallSilence {
		return false
	}
	if seenSince {
		t.end(Failed, Because(ReasonOldVersion, firmware, t.To), now)
	} else {
		t.end(Failed, Because(ReasonSilentInstall, strconv.Itoa(int(device.InstallSilence/time.Minute))), now)
	}
	return true
}

// Stalled fails a download the device stopped reporting on for
// DownloadSilence, and hands back a scheduled task whose device never
// started: it is queued again (its command is dropped). It reports whether
// the task changed and whether its command must be dropped.
func (t *Task) Stalled(now time.Time) (changed, drop bool) {
	switch {
	case t.State == Downloading && now.Sub(t.UpdatedAt) >= device.DownloadSilence:
		t.end(Failed, Because(ReasonSilentDownload, strconv.Itoa(int(device.DownloadSilence/time.Minute))), now)
		return true, true
	case t.State == Scheduled && now.Sub(t.UpdatedAt) >= device.DownloadSilence:
		t.requeue(t.NotBefore, t.NotAfter, now)
		return true, true
	}
	return false, false
}

// WindowClosed puts back a task whose maintenance window closed before it
// started installing: it waits for the next window, [start, end) (FW-4).
// Installing tasks finish. It reports whether the task changed and whether
// its command must be dropped.
func (t *Task) WindowClosed(now time.Time, start, end time.Time) (changed, drop bool) {
	if t.NotAfter == nil || now.Before(*t.NotAfter) || !t.State.Cancelable() {
		return false, false
	}
	drop = t.State != Queued
	t.requeue(&start, &end, now)
	return true, drop
}

func (t *Task) requeue(notBefore, notAfter *time.Time, now time.Time) {
	t.State, t.CommandID, t.Stage, t.Percent, t.UpdatedAt = Queued, "", "", 0, now
	t.ScheduledAt, t.StartedAt = nil, nil
	t.NotBefore, t.NotAfter = notBefore, notAfter
}

// Cancel stops a task that has not started installing (FW-5), with reason.
func (t *Task) Cancel(reason Reason, now time.Time) error {
	if !t.State.Cancelable() {
		if t.State == Installing {
			return errs.E(errs.Conflict, "err.upgrade.cancel_installing")
		}
		return errs.E(errs.Conflict, "err.upgrade.cancel_done", i18n.Key("upgrade.state."+string(t.State)))
	}
	t.end(Canceled, reason, now)
	return nil
}

// CheckRetry refuses to retry a task that did not fail (FW-6).
func (t *Task) CheckRetry() error {
	if t.State != Failed {
		return errs.E(errs.Conflict, "err.upgrade.retry_not_failed", i18n.Key("upgrade.state."+string(t.State)))
	}
	return nil
}

func (t *Task) end(s State, r Reason, now time.Time) {
	t.State, t.Reason, t.UpdatedAt, t.FinishedAt = s, r, now, &now
}
