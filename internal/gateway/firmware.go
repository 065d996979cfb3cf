package gateway

import (
	"context"
	"net/http"
	"os"
	"regexp"

	"mysystems/internal/device"
	"mysystems/internal/errs"
)

var releaseRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Firmware is what the gateway needs of the AXIS OS catalogue
// (firmware.Service): a release's image and the key that signs them.
type Firmware interface {
	OpenImage(ctx context.Context, release string) (*os.File, error)
	FirmwareKey(ctx context.Context) (device.FirmwareKey, error)
}

// SetFirmware wires the catalogue.
func (g *Gateway) SetFirmware(f Firmware) { g.images = f }

// firmware serves the image of a published release with HTTP ranges, so
// downloads resume (GW-3).
func (g *Gateway) firmware(c *call) (any, error) {
	rel := c.r.PathValue("release")
	if !releaseRe.MatchString(rel) || g.images == nil {
		return nil, errs.NotFoundf("err.firmware.not_found", rel)
	}
	f, err := g.images.OpenImage(c.r.Context(), rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return nil, errs.NotFoundf("err.firmware.not_found", rel)
	}
	c.w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(c.w, c.r, rel, st.ModTime(), f)
	return nil, nil
}

// firmwareKey answers the public key that signs every image (FW-1), so a
// device checks an image before installing it.
func (g *Gateway) firmwareKey(c *call) (any, error) {
	if g.images == nil {
		return nil, errs.E(errs.Internal, "no firmware catalogue")
	}
	return g.images.FirmwareKey(c.r.Context())
}
