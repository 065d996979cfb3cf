package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"mysystems/internal/api"
	"mysystems/internal/device"
	"mysystems/internal/store"
	"mysystems/internal/store/storetest"
)

// publish sends POST /api/v1/vendor/firmware with a real multipart body.
func (e *env) publish(token string, meta any, image []byte) resp {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	m, _ := json.Marshal(meta)
	if err := mw.WriteField("metadata", string(m)); err != nil {
		e.t.Fatal(err)
	}
	if image != nil {
		w, _ := mw.CreateFormFile("image", "axis.bin")
		_, _ = w.Write(image)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.URL+"/api/v1/vendor/firmware", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.Do(req)
}

func recommended(t *testing.T, r resp, model, track string) string {
	t.Helper()
	var c api.FirmwareCatalogueJSON
	if err := r.Decode(&c); err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Models {
		for _, tr := range m.Tracks {
			if m.Model == model && tr.Track == track {
				return tr.Recommended
			}
		}
	}
	return ""
}

// TestFW1_PublishAndWithdrawThroughTheAPI: vendors publish with a multipart
// body and withdraw; every signed-in person reads the catalogue.
func TestFW1_PublishAndWithdrawThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, vtok, err := e.App.Platform.CreateToken(context.Background(), "ops")
		if err != nil {
			t.Fatal(err)
		}
		utok, _ := e.user("reader@example.com")
		const model = "AXIS P3265-LVE"
		img := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }
		meta := func(version, track string) api.FirmwareMetadata {
			return api.FirmwareMetadata{Model: model, Version: version, Track: track, Released: "2026-01-15"}
		}

		r := e.publish(vtok, meta("11.11.73", "active"), img(4096))
		e.want(r, 201, "")
		r = e.publish(vtok, meta("12.2.35", "active"), img(8192))
		e.want(r, 201, "")
		var newest api.ReleaseJSON
		_ = r.Decode(&newest)
		if newest.Track != "active" || newest.Size != 8192 || len(newest.SHA256) != 64 || newest.Signature == "" {
			t.Fatalf("published %+v", newest)
		}
		e.want(e.publish(vtok, meta("10.12.240", "lts-2024"), img(1024)), 201, "")

		e.want(e.publish(vtok, meta("12.3.1", "beta"), img(10)), 400, "invalid")                          // a bad track
		e.want(e.publish(vtok, meta("12.2.35", "lts-2024"), img(10)), 409, "conflict")                    // the version exists
		e.want(e.publish(vtok, meta("12.3.1", "active"), nil), 400, "invalid")                            // no image part
		e.want(e.publish(utok, meta("12.3.1", "active"), img(10)), 403, "forbidden")                      // not a vendor operator
		e.want(e.call("POST", "/api/v1/vendor/firmware", vtok, meta("12.3.1", "active")), 400, "invalid") // not multipart

		e.want(e.call("GET", "/api/v1/firmware", "", nil), 401, "unauthenticated")
		r = e.call("GET", "/api/v1/firmware", utok, nil)
		e.want(r, 200, "")
		if got := recommended(t, r, model, "active"); got != "12.2.35" {
			t.Fatalf("recommended %q: %s", got, r.Body)
		}
		if got := recommended(t, r, model, "lts-2024"); got != "10.12.240" {
			t.Fatalf("recommended LTS %q", got)
		}

		e.want(e.call("POST", "/api/v1/vendor/firmware/"+newest.ID+"/withdraw", utok, api.WithdrawRequest{Reason: "x"}), 403, "forbidden")
		e.want(e.call("POST", "/api/v1/vendor/firmware/"+newest.ID+"/withdraw", vtok, api.WithdrawRequest{}), 400, "invalid")
		r = e.call("POST", "/api/v1/vendor/firmware/"+newest.ID+"/withdraw", vtok, api.WithdrawRequest{Reason: "boot loop"})
		e.want(r, 200, "")
		if r.JSON["withdrawn"] != true || r.Str("withdrawn_reason") != "boot loop" {
			t.Fatalf("withdrawn: %s", r.Body)
		}
		e.want(e.call("POST", "/api/v1/vendor/firmware/fw_nope/withdraw", vtok, api.WithdrawRequest{Reason: "x"}), 404, "not_found")
		r = e.call("GET", "/api/v1/firmware", utok, nil)
		if got := recommended(t, r, model, "active"); got != "11.11.73" {
			t.Fatalf("after withdrawal, recommended %q", got)
		}
	})
}

// TestFW1_DeviceDownloadsAndVerifies: a device downloads a published image
// in two ranges, and its SHA-256 and signature check out against the key
// the gateway serves.
func TestFW1_DeviceDownloadsAndVerifies(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	_, vtok, _ := e.App.Platform.CreateToken(context.Background(), "ops")
	image := make([]byte, 20000)
	_, _ = rand.Read(image)
	r := e.publish(vtok, api.FirmwareMetadata{Model: "AXIS P3265-LVE", Version: "12.2.35", Track: "active"}, image)
	e.want(r, 201, "")
	var rel api.ReleaseJSON
	_ = r.Decode(&rel)

	dev := e.Device(e.Mint(1)[0])
	dev.Hello()
	code, head := dev.Get("/device/v1/firmware/"+rel.ID, "bytes=0-9999")
	if code != 206 || len(head) != 10000 {
		t.Fatalf("first range: %d, %d bytes", code, len(head))
	}
	code, tail := dev.Get("/device/v1/firmware/"+rel.ID, "bytes=10000-")
	if code != 206 {
		t.Fatalf("second range: %d", code)
	}
	sum := sha256.Sum256(append(head, tail...))
	if hex.EncodeToString(sum[:]) != rel.SHA256 {
		t.Fatal("the downloaded bytes do not match the SHA-256")
	}
	code, raw := dev.Get("/device/v1/firmware-key", "")
	var key device.FirmwareKey
	if code != 200 || json.Unmarshal(raw, &key) != nil || key.Algorithm != "ed25519" {
		t.Fatalf("key: %d %s", code, raw)
	}
	if !device.VerifyFirmware(key.PublicKey, rel.Signature, rel.ID, rel.Model, rel.Version, rel.SHA256, int64(len(head)+len(tail))) {
		t.Fatal("the signature does not verify with the served key")
	}
	if device.VerifyFirmware(key.PublicKey, rel.Signature, rel.ID, rel.Model, "12.2.36", rel.SHA256, rel.Size) {
		t.Fatal("the signature verifies another version")
	}
	if r := e.Call("GET", "/device/v1/firmware/"+rel.ID, "", nil); r.Status != 401 { // no device token
		t.Fatalf("without a device token: %d", r.Status)
	}
}
