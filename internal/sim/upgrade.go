package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mysystems/internal/device"
)

// An AXIS OS upgrade on a simulated device (GW-3, device.CmdUpgrade): the
// image is downloaded in ranged chunks, resumed after a cut, hashed as it
// arrives (the device never holds the image: a fleet of upgrading devices
// costs a running SHA-256 each), checked against the release's size, SHA-256
// and Ed25519 signature, and installed only on the portal's yes.

// Defaults of the upgrade timings and download chunks.
const (
	defaultChunk      = 256 << 10
	defaultInstallMin = 60 * time.Second
	defaultInstallMax = 120 * time.Second
	// maxDownloadFails is how many failed chunk requests in a row (no byte
	// gained) a running device tolerates before it gives the upgrade up:
	// with the backoff's cap of a minute, about a quarter of an hour, the
	// portal's DownloadSilence.
	maxDownloadFails = 16
)

// upgradeRun is one upgrade being carried out. A running device retries
// network failures with backoff (retry); a stepped device returns the first
// one to its test.
type upgradeRun struct {
	d      *Device
	id     string
	args   device.UpgradeArgs
	retry  bool
	tamper bool
	// percents are the download shares reported, in order.
	percents []int
}

// prepared is where an upgrade stands after its download: ready to install
// (the portal said proceed), stopped by the portal (nothing more is posted),
// or refused (the image is bad or could not be had: refusal is the result).
type prepared struct {
	proceed bool
	reason  string
	refusal *device.Result
}

// newUpgradeRun reads an upgrade command's arguments; a malformed command
// is refused at once (the result is returned).
func (d *Device) newUpgradeRun(c device.WireCommand, retry bool) (*upgradeRun, *device.Result) {
	u := &upgradeRun{d: d, id: c.ID, retry: retry}
	if err := json.Unmarshal(c.Args, &u.args); err != nil || u.args.URL == "" || u.args.Size <= 0 || u.args.Version == "" {
		return nil, d.refusal("the upgrade command's arguments are malformed: nothing was installed")
	}
	if u.args.Model != "" && u.args.Model != d.model {
		return nil, d.refusal(fmt.Sprintf("the image of AXIS OS %s is for the %s, and this device is an %s: the image was not installed", u.args.Version, u.args.Model, d.model))
	}
	u.tamper = d.takeTamper()
	return u, nil
}

// refusal is a failed upgrade's result: the device stays on its version.
func (d *Device) refusal(msg string) *device.Result {
	d.f.st.upgradeRefusals.Add(1)
	return &device.Result{OK: false, Message: msg, Firmware: d.Firmware()}
}

// prepare downloads, verifies and asks to install. err is only a stepped
// device's failed exchange, or the fleet's end.
func (u *upgradeRun) prepare(ctx context.Context) (prepared, error) {
	d := u.d
	reply, err := u.progress(ctx, device.Progress{Stage: device.StageDownloading, Percent: 0})
	switch {
	case err != nil && (!u.retry || ctx.Err() != nil):
		return prepared{}, err
	case err == nil && !reply.Proceed:
		return prepared{reason: reply.Reason}, nil
	}
	u.percents = append(u.percents, 0)
	sum, n, stop, res, err := u.download(ctx)
	if err != nil || stop != nil || res != nil {
		if stop != nil {
			return *stop, nil
		}
		return prepared{refusal: res}, err
	}
	key, err := d.f.firmwareKey(ctx, d, u.retry)
	if err != nil {
		if ctx.Err() != nil || !u.retry {
			return prepared{}, err
		}
		return prepared{refusal: d.refusal("the device could not get the platform's firmware key (" + err.Error() + "): the image was not installed")}, nil
	}
	if msg := verifyImage(key, u.args, d.model, sum, n); msg != "" {
		return prepared{refusal: d.refusal(msg)}, nil
	}
	// Ask to install; without an answer, ask again: never install without
	// a yes.
	for attempt := 1; ; attempt++ {
		if w := d.awayFor(); w > 0 && u.retry {
			if !sleep(ctx, w) {
				return prepared{}, ctx.Err()
			}
		}
		reply, err := u.progress(ctx, device.Progress{Stage: device.StageInstalling})
		if err == nil {
			return prepared{proceed: reply.Proceed, reason: reply.Reason}, nil
		}
		d.f.st.progressErrors.Add(1)
		if !u.retry || ctx.Err() != nil {
			return prepared{}, err
		}
		d.f.log.Debug("install request failed", "serial", d.serial, "command", u.id, "err", err)
		if !sleep(ctx, d.f.backoff(attempt)) {
			return prepared{}, ctx.Err()
		}
	}
}

// verifyImage checks a downloaded image (its SHA-256 sum and size n) against
// the release and the platform's key, as the device's model; it returns the
// device's reason for refusing it, or "".
func verifyImage(key string, a device.UpgradeArgs, model, sum string, n int64) string {
	switch {
	case n != a.Size:
		return fmt.Sprintf("the downloaded image of AXIS OS %s is %d bytes, not the %d bytes of the release: the image was not installed", a.Version, n, a.Size)
	case !strings.EqualFold(sum, a.SHA256):
		return fmt.Sprintf("the SHA-256 of the downloaded image did not match the one of AXIS OS %s: the image was not installed", a.Version)
	case !device.VerifyFirmware(key, a.Signature, a.Release, model, a.Version, sum, n):
		return fmt.Sprintf("the signature of AXIS OS %s did not verify with the platform's firmware key: the image was not installed", a.Version)
	}
	return ""
}

// download fetches the image in ranged chunks, hashing it as it comes, and
// reports progress every tenth. It returns the image's SHA-256 (hex) and
// size, or stop (the portal said stop), or res (the image could not be
// had), or err (a stepped device's failed exchange, the fleet's end).
func (u *upgradeRun) download(ctx context.Context) (sum string, n int64, stop *prepared, res *device.Result, err error) {
	d := u.d
	target, err := d.f.resolve(u.args.URL)
	if err != nil {
		return "", 0, nil, d.refusal("the image's address is not valid: the image was not installed"), nil
	}
	h := sha256.New()
	var w io.Writer = h
	if u.tamper {
		w = &tamperWriter{w: h, at: u.args.Size / 2}
	}
	chunk := d.f.cfg.ChunkSize
	size := u.args.Size
	var off int64
	fails, reported := 0, 0
	for off < size {
		if wait := d.awayFor(); wait > 0 && u.retry {
			if !sleep(ctx, wait) {
				return "", 0, nil, nil, ctx.Err()
			}
			continue
		}
		tok, err := d.session(ctx)
		var got int64
		if err == nil {
			got, err = u.chunk(ctx, target, tok, off, min(off+chunk, size)-1, w)
		}
		off += got
		d.f.st.downloadBytes.Add(uint64(got))
		if got > 0 {
			fails = 0
		}
		switch {
		case err == nil && got == 0, isStatus(err, http.StatusRequestedRangeNotSatisfiable):
			// The image ends before its announced size: verification says so.
			return hex.EncodeToString(h.Sum(nil)), off, nil, nil, nil
		case err == nil:
		case ctx.Err() != nil:
			return "", 0, nil, nil, ctx.Err()
		case status(err) >= 400 && status(err) < 500 && status(err) != http.StatusUnauthorized:
			return "", 0, nil, d.refusal(fmt.Sprintf("the image of AXIS OS %s could not be downloaded (the portal answered %d): the image was not installed", u.args.Version, status(err))), nil
		default: // cut, network, 5xx, or a token refused (401)
			if isStatus(err, http.StatusUnauthorized) {
				d.dropToken(tok)
			}
			if !u.retry {
				return "", 0, nil, nil, err
			}
			if got == 0 {
				fails++
			}
			if fails >= maxDownloadFails {
				return "", 0, nil, d.refusal(fmt.Sprintf("the download of AXIS OS %s failed %d times in a row: the image was not installed", u.args.Version, fails)), nil
			}
			d.f.st.downloadResumes.Add(1)
			d.f.log.Debug("download cut", "serial", d.serial, "command", u.id, "at", off, "err", err)
			if !sleep(ctx, d.f.backoff(max(fails, 1))) {
				return "", 0, nil, nil, ctx.Err()
			}
		}
		if pct := int(off * 100 / size); pct/10 > reported/10 {
			reported = pct
			u.percents = append(u.percents, pct)
			reply, err := u.progress(ctx, device.Progress{Stage: device.StageDownloading, Percent: pct})
			switch {
			case err != nil && (!u.retry || ctx.Err() != nil):
				return "", 0, nil, nil, err
			case err != nil:
				d.f.st.progressErrors.Add(1) // not needed to go on
			case !reply.Proceed:
				return "", 0, &prepared{reason: reply.Reason}, nil, nil
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), off, nil, nil, nil
}

// chunk GETs bytes off…end of the image into w and returns how many it
// wrote. The connection may be cut midway (Config.DropDownload): the bytes
// before the cut count, and the next request resumes after them.
func (u *upgradeRun) chunk(ctx context.Context, target, tok string, off, end int64, w io.Writer) (int64, error) {
	d := u.d
	cctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(end, 10))
	resp, err := d.link.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != off {
			return 0, fmt.Errorf("the portal sent range %q for bytes %d-%d", resp.Header.Get("Content-Range"), off, end)
		}
	case http.StatusOK: // the whole image: skip what the device has
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			return 0, err
		}
	default:
		return 0, readAPIError(resp)
	}
	want := end - off + 1
	body = io.LimitReader(body, want)
	if p := d.f.cfg.DropDownload; p > 0 && mrand.Float64() < p {
		body = &cutReader{r: body, left: max(want/2, 1), cut: func() {
			d.f.st.drops.Add(1)
			if d.link.shared {
				cancel() // resets this stream only: the site's connection carries on
			} else {
				d.link.closeConns()
			}
		}}
	}
	return io.Copy(w, body)
}

// rangeStart reads the first byte of a Content-Range "bytes a-b/n".
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	a, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	return n, err == nil
}

// cutReader calls cut once left bytes went through, then fails.
type cutReader struct {
	r    io.Reader
	left int64
	cut  func()
	done bool
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.done || c.left <= 0 {
		if !c.done {
			c.done = true
			c.cut()
		}
		return 0, errors.New("connection cut during the download (simulated fault)")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// tamperWriter flips the bits of the byte at offset at of what it passes on
// (a corrupted download, for tests of GW-3).
type tamperWriter struct {
	w   io.Writer
	at  int64
	pos int64
}

func (t *tamperWriter) Write(p []byte) (int, error) {
	if t.at >= t.pos && t.at < t.pos+int64(len(p)) {
		q := append([]byte(nil), p...)
		q[t.at-t.pos] ^= 0xff
		p = q
	}
	t.pos += int64(len(p))
	return t.w.Write(p)
}

// progress reports p and returns the portal's answer. A 4xx answer (the
// portal knows no such upgrade any more) means stop, like Proceed false.
func (u *upgradeRun) progress(ctx context.Context, p device.Progress) (device.ProgressReply, error) {
	d := u.d
	tok, err := d.session(ctx)
	if err != nil {
		return device.ProgressReply{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var reply device.ProgressReply
	err = d.do(rctx, http.MethodPost, "/device/v1/commands/"+url.PathEscape(u.id)+"/progress", tok, p, &reply)
	switch {
	case isStatus(err, http.StatusUnauthorized):
		d.dropToken(tok)
	case status(err) >= 400 && status(err) < 500:
		var e *apiError
		errors.As(err, &e)
		return device.ProgressReply{Proceed: false, Reason: e.Message}, nil
	}
	return reply, err
}

// install "installs" the image: it counts the install for the task, fails
// when told to (failReason, a scripted or random fault), reports rebooting,
// and changes the version the device runs. It returns the result the device
// posts once it is back.
func (u *upgradeRun) install(ctx context.Context, failReason string) device.Result {
	d := u.d
	d.f.noteInstall(d.serial, u.task())
	if u.retry {
		sleep(ctx, d.f.installTime())
	}
	if failReason == "" {
		failReason = d.takeFailInstall()
	}
	// Once told to proceed the upgrade cannot be stopped: the answer does
	// not matter.
	_, _ = u.progress(ctx, device.Progress{Stage: device.StageRebooting})
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.firmware
	if failReason != "" {
		d.f.st.installFailures.Add(1)
		return device.Result{OK: false, Firmware: old, Message: fmt.Sprintf("the installation of AXIS OS %s failed (%s): the device restarted on AXIS OS %s", u.args.Version, failReason, old)}
	}
	d.firmware = u.args.Version
	return device.Result{OK: true, Firmware: u.args.Version, Message: fmt.Sprintf("AXIS OS %s installed: the device restarted on it (it ran %s)", u.args.Version, old)}
}

func (u *upgradeRun) task() string {
	if u.args.Task != "" {
		return u.args.Task
	}
	return u.id
}

// startUpgrade carries out an upgrade command on a running device, on a
// goroutine of its own while it lasts. A redelivery of the upgrade under
// way is ignored; another upgrade while one is under way is refused.
func (d *Device) startUpgrade(ctx context.Context, c device.WireCommand) {
	d.mu.Lock()
	busy := d.upgrading
	if busy == "" {
		d.upgrading = c.ID
	}
	d.mu.Unlock()
	switch {
	case busy == c.ID:
		d.f.st.redelivered.Add(1)
		return
	case busy != "":
		res := d.refusal("the device is already carrying out another upgrade: this one was not started")
		d.remember(c.ID, *res)
		d.f.st.failed.Add(1)
		d.postResult(ctx, c.ID, *res)
		return
	}
	d.f.st.upgrades.Add(1)
	d.f.wg.Go(func() {
		defer d.endUpgrade(c.ID)
		d.runUpgrade(ctx, c)
	})
}

// endUpgrade marks upgrade id over: the device takes another one.
func (d *Device) endUpgrade(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.upgrading == id {
		d.upgrading = ""
	}
}

func (d *Device) isUpgrading() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.upgrading != ""
}

// runUpgrade is a running device's upgrade from download to result.
func (d *Device) runUpgrade(ctx context.Context, c device.WireCommand) {
	u, res := d.newUpgradeRun(c, true)
	installed := false
	if res == nil {
		p, err := u.prepare(ctx)
		switch {
		case err != nil:
			return // the fleet stops
		case p.refusal != nil:
			res = p.refusal
		case !p.proceed:
			d.f.st.upgradeStops.Add(1)
			d.f.log.Debug("upgrade stopped by the portal", "serial", d.serial, "command", c.ID, "reason", p.reason)
			return // posts nothing; a redelivery would ask again
		default:
			r := u.install(ctx, "")
			res, installed = &r, true
		}
	}
	d.remember(c.ID, *res) // before the reboot and the post: a redelivery never installs again
	d.endUpgrade(c.ID)     // a redelivery is now answered with the result
	if res.OK {
		d.f.st.applied.Add(1)
	} else {
		d.f.st.failed.Add(1)
	}
	if installed {
		d.f.st.reboots.Add(1)
		d.goAway(d.f.rebootTime())
	}
	d.postFinal(ctx, c.ID, *res)
}

// postFinal posts an upgrade's result until the gateway answers 2xx or 4xx,
// waiting out a reboot or an offline spell and saying hello first.
func (d *Device) postFinal(ctx context.Context, id string, res device.Result) {
	path := "/device/v1/commands/" + url.PathEscape(id) + "/result"
	for attempt := 1; ctx.Err() == nil; attempt++ {
		if w := d.awayFor(); w > 0 {
			sleep(ctx, w)
			continue
		}
		tok, err := d.session(ctx)
		if err == nil {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			var reply device.ResultReply
			err = d.do(rctx, http.MethodPost, path, tok, res, &reply)
			cancel()
			switch {
			case err == nil:
				d.f.st.results.Add(1)
				return
			case isStatus(err, http.StatusUnauthorized):
				d.dropToken(tok)
			case status(err) >= 400 && status(err) < 500:
				d.f.st.resultErrors.Add(1)
				d.f.log.Warn("result refused", "serial", d.serial, "command", id, "err", err)
				return
			}
		}
		sleep(ctx, d.f.backoff(min(attempt, 8)))
	}
}

// firmwareKey returns the platform's firmware key, fetched once per fleet
// (on the first device that needs it) and cached.
func (f *Fleet) firmwareKey(ctx context.Context, d *Device, retry bool) (string, error) {
	f.keyMu.Lock()
	defer f.keyMu.Unlock()
	if f.fwKey != "" {
		return f.fwKey, nil
	}
	for attempt := 1; ; attempt++ {
		tok, err := d.session(ctx)
		var k device.FirmwareKey
		if err == nil {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			err = d.do(rctx, http.MethodGet, "/device/v1/firmware-key", tok, nil, &k)
			cancel()
		}
		if err == nil {
			if k.Algorithm != device.FirmwareKeyAlgorithm || k.PublicKey == "" {
				return "", fmt.Errorf("the key's algorithm is %q, not %s", k.Algorithm, device.FirmwareKeyAlgorithm)
			}
			f.fwKey = k.PublicKey
			return f.fwKey, nil
		}
		if isStatus(err, http.StatusUnauthorized) {
			d.dropToken(tok)
		}
		if !retry || ctx.Err() != nil || attempt >= maxDownloadFails || (status(err) >= 400 && status(err) < 500 && status(err) != http.StatusUnauthorized) {
			return "", err
		}
		if !sleep(ctx, f.backoff(attempt)) {
			return "", ctx.Err()
		}
	}
}

// resolve makes an image address (relative to the gateway, usually) a URL.
func (f *Fleet) resolve(ref string) (string, error) {
	base, err := url.Parse(f.base + "/")
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return base.ResolveReference(r).String(), nil
}

// installTime is how long an install takes.
func (f *Fleet) installTime() time.Duration {
	d := f.cfg.InstallMin
	if span := f.cfg.InstallMax - f.cfg.InstallMin; span > 0 {
		d += mrand.N(span)
	}
	return f.scaled(d)
}

// noteInstall counts an install of task by serial.
func (f *Fleet) noteInstall(serial, task string) {
	f.st.installs.Add(1)
	f.instMu.Lock()
	defer f.instMu.Unlock()
	if f.installs == nil {
		f.installs = map[installKey]int{}
	}
	k := installKey{serial, task}
	f.installs[k]++
	if f.installs[k] > 1 {
		f.st.doubleInstalls.Add(1)
	}
}

type installKey struct{ serial, task string }

// Installs returns how many installs each upgrade task (device.UpgradeArgs
// Task, or the command id when it has none) caused, all devices together:
// a task of one device installed twice counts 2.
func (f *Fleet) Installs() map[string]int {
	f.instMu.Lock()
	defer f.instMu.Unlock()
	out := map[string]int{}
	for k, n := range f.installs {
		out[k.task] += n
	}
	return out
}

// Firmware is the version the device runs.
func (d *Device) Firmware() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.firmware
}

// TamperNextImage makes the device corrupt the next image it downloads (one
// byte flipped), so its SHA-256 check refuses it.
func (d *Device) TamperNextImage() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tamperN++
}

// FailNextInstall makes the device's next install fail with reason (a
// default if empty): it restarts on the version it ran.
func (d *Device) FailNextInstall(reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failN++
	d.failMsg = reason
}

func (d *Device) takeTamper() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tamperN > 0 {
		d.tamperN--
		return true
	}
	return d.f.cfg.Tamper > 0 && mrand.Float64() < d.f.cfg.Tamper
}

func (d *Device) takeFailInstall() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.failN > 0:
		d.failN--
		if d.failMsg != "" {
			return d.failMsg
		}
	case d.f.cfg.FailInstall > 0 && mrand.Float64() < d.f.cfg.FailInstall:
	default:
		return ""
	}
	return "the new system did not start and the device rolled back (simulated fault)"
}

// readAPIError reads a gateway's non-2xx answer.
func readAPIError(resp *http.Response) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
}
