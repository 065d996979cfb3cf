package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"mysystems/internal/errs"
)

var releaseRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// firmware serves an AXIS OS image with HTTP ranges, so downloads resume
// (GW-3).
func (g *Gateway) firmware(c *call) (any, error) {
	rel := c.r.PathValue("release")
	if !releaseRe.MatchString(rel) || g.cfg.DataDir == "" {
		return nil, errs.NotFoundf("err.firmware.not_found", rel)
	}
	path := filepath.Join(g.cfg.DataDir, "firmware", rel)
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.NotFoundf("err.firmware.not_found", rel)
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

// SetDataDirForTest points firmware downloads at dir.
func (g *Gateway) SetDataDirForTest(dir string) { g.cfg.DataDir = dir }
