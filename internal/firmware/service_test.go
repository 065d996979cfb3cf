package firmware_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mysystems/internal/audit"
	"mysystems/internal/clock"
	"mysystems/internal/device"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

var vendor = audit.Actor{Kind: audit.KindVendor, ID: "plt_test"}

func newService(t *testing.T, db *store.DB, dir string, max int64) *firmware.Service {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	return firmware.NewService(db.Firmware(), clk, nil, firmware.Config{DataDir: dir, MaxImage: max})
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// TestFW1_PublishWithdrawCatalogue: a release is published with its image
// stored by SHA-256 (owner-only) and signed; the newest on a track is
// recommended; a withdrawal stops it being recommended.
func TestFW1_PublishWithdrawCatalogue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newService(t, db, dir, 1<<20)
		pub := func(model, version, track, image string) firmware.Published {
			t.Helper()
			p, err := s.Publish(ctx, vendor, firmware.PublishInput{Model: model, Version: version, Track: track, Released: "2026-02-01"}, strings.NewReader(image))
			if err != nil {
				t.Fatalf("publish %s %s: %v", model, version, err)
			}
			return p
		}
		old := pub("AXIS P3265-LVE", "11.11.73", "active", "old image")
		newest := pub("AXIS P3265-LVE", "12.2.35", "active", "new image")
		lts := pub("AXIS P3265-LVE", "10.12.240", "LTS-2024", "lts image")
		pub("AXIS M3086-V", "12.2.35", "active", "new image") // the same bytes: one file

		sum := sha256.Sum256([]byte("new image"))
		if newest.SHA256 != hex.EncodeToString(sum[:]) || newest.Size != 9 || lts.Track != firmware.LTS(2024) {
			t.Fatalf("published %+v", newest)
		}
		st, err := os.Stat(filepath.Join(dir, "firmware", newest.SHA256))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("image file: %v %v", st, err)
		}
		key, err := s.FirmwareKey(ctx)
		if err != nil || key.Algorithm != "ed25519" {
			t.Fatal(key, err)
		}
		if !device.VerifyFirmware(key.PublicKey, newest.Signature, newest.ID, newest.Model, "12.2.35", newest.SHA256, newest.Size) {
			t.Fatal("signature does not verify")
		}
		if device.VerifyFirmware(key.PublicKey, newest.Signature, newest.ID, "AXIS M3086-V", "12.2.35", newest.SHA256, newest.Size) {
			t.Fatal("signature verifies for another model")
		}

		// Another instance on the same database signs with the same key.
		other := newService(t, db, dir, 1<<20)
		if k2, _ := other.FirmwareKey(ctx); k2 != key {
			t.Fatalf("instances disagree on the key: %v %v", k2, key)
		}

		c, err := s.Catalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Models) != 2 || c.Models[0].Model != "AXIS M3086-V" || len(c.Models[1].Tracks) != 2 ||
			c.Models[1].Tracks[0].Track != firmware.Active || c.Models[1].Tracks[1].Recommended.ID != lts.ID || len(c.Releases) != 4 {
			t.Fatalf("catalogue %+v", c)
		}
		rec := func(c firmware.Catalogue) string {
			var out []string
			for _, r := range c.Recommended {
				out = append(out, r.Model+" "+string(r.Track)+" "+r.Release.Version.String())
			}
			return strings.Join(out, "; ")
		}
		if got := rec(c); got != "AXIS M3086-V active 12.2.35; AXIS P3265-LVE active 12.2.35; AXIS P3265-LVE lts-2024 10.12.240" {
			t.Fatalf("recommended: %s", got)
		}

		// FW-1/duplicate, bad track, not a vendor.
		_, err = s.Publish(ctx, vendor, firmware.PublishInput{Model: "AXIS P3265-LVE", Version: "12.2.35", Track: "lts-2024"}, strings.NewReader("x"))
		wantCode(t, err, errs.Conflict)
		_, err = s.Publish(ctx, vendor, firmware.PublishInput{Model: "AXIS P3265-LVE", Version: "12.3.1", Track: "beta"}, strings.NewReader("x"))
		wantCode(t, err, errs.Invalid)
		_, err = s.Publish(ctx, audit.Actor{Kind: audit.KindUser, ID: "usr_1"}, firmware.PublishInput{Model: "AXIS P3265-LVE", Version: "12.3.1", Track: "active"}, strings.NewReader("x"))
		wantCode(t, err, errs.Forbidden)

		// Withdraw: the previous active release is recommended again.
		_, err = s.Withdraw(ctx, vendor, newest.ID, "")
		wantCode(t, err, errs.Invalid)
		w, err := s.Withdraw(ctx, vendor, newest.ID, "boot loop on some units")
		if err != nil || !w.Withdrawn || w.WithdrawnReason != "boot loop on some units" {
			t.Fatal(w, err)
		}
		_, err = s.Withdraw(ctx, vendor, newest.ID, "again")
		wantCode(t, err, errs.Conflict)
		_, err = s.Withdraw(ctx, vendor, "fw_nope", "why")
		wantCode(t, err, errs.NotFound)
		c, _ = s.Catalogue(ctx)
		if got := rec(c); !strings.Contains(got, "AXIS P3265-LVE active "+old.Version.String()) {
			t.Fatalf("after withdrawal: %s", got)
		}
		f, err := s.OpenImage(ctx, newest.ID) // still downloadable
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	})
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

// TestFW1_ImageWriteIsAllOrNothing: an upload cut short or too large
// leaves no image, no temporary file and no release.
func TestFW1_ImageWriteIsAllOrNothing(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	dir := t.TempDir()
	s := newService(t, db, dir, 1000)
	in := firmware.PublishInput{Model: "AXIS P3265-LVE", Version: "12.2.35", Track: "active"}
	if _, err := s.Publish(ctx, vendor, in, &failingReader{n: 500}); err == nil {
		t.Fatal("a cut upload was published")
	}
	_, err := s.Publish(ctx, vendor, in, io.LimitReader(&failingReader{n: 5000}, 1001))
	wantCode(t, err, errs.Invalid)
	_, err = s.Publish(ctx, vendor, in, strings.NewReader(""))
	wantCode(t, err, errs.Invalid)
	entries, _ := os.ReadDir(filepath.Join(dir, "firmware"))
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if c, _ := s.Catalogue(ctx); len(c.Releases) != 0 {
		t.Fatalf("releases: %+v", c.Releases)
	}
	// The limit itself is accepted.
	if _, err := s.Publish(ctx, vendor, in, io.LimitReader(&failingReader{n: 5000}, 1000)); err != nil {
		t.Fatal(err)
	}
}

// TestFW1_SignedMessage pins what is signed, so devices can rebuild it.
func TestFW1_SignedMessage(t *testing.T) {
	got := string(device.FirmwareSignedMessage("fw_1", "AXIS P3265-LVE", "12.2.35", strings.Repeat("a", 64), 42))
	want := "mysystems-firmware-v1\nfw_1\nAXIS P3265-LVE\n12.2.35\n" + strings.Repeat("a", 64) + "\n42\n"
	if got != want {
		t.Fatalf("%q", got)
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(want)))
	if !device.VerifyFirmware(base64.StdEncoding.EncodeToString(pub), sig, "fw_1", "AXIS P3265-LVE", "12.2.35", strings.Repeat("a", 64), 42) {
		t.Fatal("does not verify")
	}
	if device.VerifyFirmware(base64.StdEncoding.EncodeToString(pub), sig, "fw_1", "AXIS P3265-LVE", "12.2.35", strings.Repeat("a", 64), 43) {
		t.Fatal("verifies another size")
	}
}
