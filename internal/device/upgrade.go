package device

import "time"

// CmdUpgrade orders an AXIS OS upgrade (FW-3, GW-3). Its arguments are
// UpgradeArgs. A device carries one out like this:
//
//  1. It downloads the image from URL (GET /device/v1/firmware/{release},
//     with its Bearer token), resuming with a Range request after a cut
//     connection, and reports its progress now and then with
//     Progress{Stage: StageDownloading, Percent: n} on
//     POST /device/v1/commands/{id}/progress.
//  2. It checks the bytes: their SHA-256 and size must be those of the
//     arguments and Signature must verify (VerifyFirmware) under the key of
//     GET /device/v1/firmware-key. A bad image is not installed: the device
//     posts the command's result {ok: false, message: why}.
//  3. It asks to install with Progress{Stage: StageInstalling}. Only when the
//     answer says Proceed does it install; until then it may still be told to
//     stop (the task was canceled, or its maintenance window closed), and it
//     then drops the download and does nothing. A device that gets no answer
//     asks again: it never installs without one. Once told to proceed the
//     upgrade cannot be stopped.
//  4. It installs, reports Progress{Stage: StageRebooting}, reboots, says
//     hello again with the version it now runs, and posts the command's
//     result: {ok: true, firmware: the new version}, or {ok: false, message:
//     why, firmware: the version it came back on} when the install failed.
//
// A device applies one command id at most once: a redelivered upgrade it is
// already carrying out, or has carried out, is answered with its progress or
// its result, never installed a second time.
const CmdUpgrade = "firmware.upgrade"

// UpgradeArgs are the arguments of an upgrade command. Task is the upgrade
// task's id (the portal's record of this upgrade, FW-5).
type UpgradeArgs struct {
	Task      string `json:"task"`
	Release   string `json:"release"`
	Model     string `json:"model"`
	Version   string `json:"version"`
	URL       string `json:"url"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Signature string `json:"signature"`
}

// Progress stages a device reports while it upgrades.
const (
	StageDownloading = "downloading"
	StageInstalling  = "installing"
	StageRebooting   = "rebooting"
)

// Progress is a device's report on an upgrade under way: its stage and, while
// downloading, the share of the image it holds (0–100).
type Progress struct {
	Stage   string `json:"stage"`
	Percent int    `json:"percent,omitempty"`
}

// ProgressReply answers a progress report. Proceed false means stop: drop
// the download and install nothing; Reason says why (canceled, window
// closed). A device that asked to install installs only on Proceed true.
type ProgressReply struct {
	Proceed bool   `json:"proceed"`
	Reason  string `json:"reason,omitempty"`
}

// UpgradeTimeouts are how long the portal waits before it gives up on a
// device that went silent during an upgrade (FW-5): with no progress while
// downloading, and without coming back after it was told to install.
const (
	DownloadSilence = 15 * time.Minute
	InstallSilence  = 30 * time.Minute
)
