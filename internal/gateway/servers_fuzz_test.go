package gateway_test

import (
	"testing"
	"unicode/utf8"

	"mysystems/internal/acs"
	"mysystems/internal/errs"
	"mysystems/internal/gateway"
)

// FuzzServerBodies feeds arbitrary bytes to the readers and checks of the
// three /server/v1 bodies (SRV-1): nothing panics, every refusal is a
// client error with a message, and whatever is accepted is within the
// limits the store and the UI rely on. The seed corpus is in
// testdata/fuzz/FuzzServerBodies; `go test` runs it, `go test -fuzz
// FuzzServerBodies ./internal/gateway` explores further.
func FuzzServerBodies(f *testing.F) {
	f.Add(uint8(0), []byte(`{"enrollment_token":"mse_org_a.enr_b.secret","name":"Site A","version":"6.3.1"}`))
	f.Add(uint8(1), []byte(`{"version":"6.3.1","health":{"cpu_percent":42.5,"memory_percent":61,"storage_percent":80,"recording":true,"cameras":24,"last_error":"disk 2 slow"}}`))
	f.Add(uint8(2), []byte(`{"ok":false,"version":"6.3.1","reason":"installer exited with code 1603"}`))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		refused := func(err error) {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Message == "" {
				t.Fatalf("refusal %v is not a client error with a message", err)
			}
		}
		switch kind % 3 {
		case 0:
			in, err := gateway.DecodeServerRegister(body)
			if err != nil {
				refused(err)
				return
			}
			name, err := acs.CheckName(in.Name)
			if err != nil {
				refused(err)
				return
			}
			if !utf8.ValidString(name) || utf8.RuneCountInString(name) > acs.MaxName || name == "" {
				t.Fatalf("accepted name %q", name)
			}
			if _, err := acs.ParseVersion(in.Version); err != nil {
				refused(err)
			}
		case 1:
			in, err := gateway.DecodeServerPoll(body)
			if err != nil {
				refused(err)
				return
			}
			v, h, err := acs.CheckPoll(in)
			if err != nil {
				refused(err)
				return
			}
			for _, p := range []float64{h.CPUPercent, h.MemoryPercent, h.StoragePercent} {
				if !(p >= 0 && p <= 100) {
					t.Fatalf("accepted percentage %v", p)
				}
			}
			if h.Cameras < 0 || h.Cameras > acs.MaxCameras || !utf8.ValidString(h.LastError) ||
				utf8.RuneCountInString(h.LastError) > acs.MaxLastError || len(v.String()) > acs.MaxVersion {
				t.Fatalf("accepted health %+v version %q", h, v)
			}
			if again, err := acs.ParseVersion(v.String()); err != nil || again.Compare(v) != 0 {
				t.Fatalf("version %q does not read back: %v", v, err)
			}
		case 2:
			in, err := gateway.DecodeServerResult(body)
			if err != nil {
				refused(err)
				return
			}
			_, reason, err := acs.CheckResult(in)
			if err != nil {
				refused(err)
				return
			}
			if !in.OK && reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > acs.MaxReason {
				t.Fatalf("accepted result %+v (reason %q)", in, reason)
			}
		}
	})
}
