package upgrade_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mysystems/internal/harness"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// TestGW3_TamperedImageRefused: through the real gateway, a device whose
// download does not match the release (the image corrupted or cut short in
// the portal's store, or corrupted on its way) refuses to install it, and
// its task fails with a reason that says so; the device stays on its
// version and installs nothing. Once the image is whole again, a retry
// installs it.
func TestGW3_TamperedImageRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFleet(t, db, 3)
		// An image of several range requests (the device asks 256 KiB at a time).
		image := bytes.Repeat([]byte("AXIS OS 12.3.0 image "), 40000)
		rel := f.s.Publish(harness.Model, "12.3.0", "active", image)
		stored := filepath.Join(f.s.DataDir, "firmware", rel.SHA256)
		write := func(b []byte) {
			t.Helper()
			if err := os.Chmod(stored, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(stored, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := os.ReadFile(stored); err != nil || !bytes.Equal(got, image) {
			t.Fatalf("the stored image is not the published one: %v", err)
		}
		st := f.upgrade(map[string]any{"device_ids": f.ids})
		taskOf := map[string]string{}
		for _, tk := range st.Tasks {
			if tk.To != "12.3.0" {
				t.Fatalf("task to %s, want the newest 12.3.0", tk.To)
			}
			taskOf[tk.DeviceID] = tk.ID
		}
		f.dispatch()

		// refused carries out device i's upgrade and checks it was refused
		// with a reason containing want.
		refused := func(i int, want string) {
			t.Helper()
			d := f.devices[i]
			cmd, args := upgradeCommand(t, d)
			if args.SHA256 != rel.SHA256 {
				t.Fatalf("the command names image %s, want %s", args.SHA256, rel.SHA256)
			}
			p, err := d.Prepare(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if p.Proceed || p.Refusal == nil || !strings.Contains(p.Refusal.Message, want) {
				t.Fatalf("device %d prepared %+v, want a refusal saying %q", i, p, want)
			}
			if _, _, err := d.Finish(ctx, cmd); err != nil {
				t.Fatal(err)
			}
			got := f.task(taskOf[f.ids[i]])
			wantState(t, got, "failed")
			if got.ReasonKey != "upgrade.reason.device" || !strings.Contains(got.Reason, want) || !strings.Contains(got.Reason, "not installed") {
				t.Fatalf("reason %q (%s), want the device's refusal saying %q", got.Reason, got.ReasonKey, want)
			}
			if d.Firmware() != harness.Firmware {
				t.Fatalf("device %d runs %s after refusing the image", i, d.Firmware())
			}
			if n := d.Installs()[got.ID]; n != 0 {
				t.Fatalf("device %d installed a refused image %d times", i, n)
			}
		}

		t.Run("GW-3/an image corrupted in the portal's store", func(t *testing.T) {
			bad := bytes.Clone(image)
			bad[len(bad)/3] ^= 0x20
			write(bad)
			refused(0, "SHA-256")
		})
		t.Run("GW-3/an image cut short in the portal's store", func(t *testing.T) {
			write(image[:len(image)-1000])
			refused(1, "bytes, not the")
		})
		t.Run("GW-3/an image corrupted on its way", func(t *testing.T) {
			write(image)
			f.devices[2].TamperNextImage()
			refused(2, "SHA-256")
		})
		t.Run("GW-3/the whole image, retried, is installed", func(t *testing.T) {
			d := f.devices[2]
			r := f.s.Call("POST", "/api/v1/orgs/"+f.org+"/tasks/"+taskOf[f.ids[2]]+"/retry", f.owner.Token, nil)
			if r.Status != 202 {
				t.Fatalf("retry: %d %s", r.Status, r.Body)
			}
			retry := r.Str("id")
			f.dispatch()
			cmd, _ := upgradeCommand(t, d)
			p, err := d.Prepare(ctx, cmd)
			if err != nil || !p.Proceed || p.Refusal != nil {
				t.Fatalf("prepared %+v %v, want to proceed", p, err)
			}
			if _, _, err := d.Finish(ctx, cmd); err != nil {
				t.Fatal(err)
			}
			wantState(t, f.task(retry), "succeeded")
			if d.Firmware() != "12.3.0" || d.Installs()[retry] != 1 {
				t.Fatalf("device runs %s, installs %v", d.Firmware(), d.Installs())
			}
		})
	})
}
