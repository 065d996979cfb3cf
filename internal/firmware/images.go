package firmware

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"mysystems/internal/errs"
)

// Images are kept in <data dir>/firmware, each under the hex of its SHA-256,
// readable by the server's user only. An upload is written to a temporary
// file in that directory (".upload-…"), synced, and renamed to its name only
// once complete, so a crash leaves at most a temporary file, never a
// half-written image under a release's name. Two releases with the same
// bytes share one file.

// imageDir is the directory of the images under dataDir.
func imageDir(dataDir string) (string, error) {
	if dataDir == "" {
		return "", errs.E(errs.Internal, "no data directory for firmware images")
	}
	return filepath.Join(dataDir, "firmware"), nil
}

// staged is an uploaded image in its temporary file.
type staged struct {
	dir, tmp string
	sha256   string
	size     int64
	done     bool
}

// stageImage copies r into a temporary file of the image directory,
// computing its SHA-256; it refuses an empty image and one over max bytes.
func stageImage(dataDir string, r io.Reader, max int64) (*staged, error) {
	dir, err := imageDir(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.Wrap(err, "firmware directory")
	}
	f, err := os.CreateTemp(dir, ".upload-*") // mode 0600
	if err != nil {
		return nil, errs.Wrap(err, "firmware upload")
	}
	s := &staged{dir: dir, tmp: f.Name()}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		s.discard()
		return nil, errs.Wrap(err, "firmware upload")
	case n > max:
		s.discard()
		return nil, errs.InvalidField("image", "err.firmware.image_too_large", max>>20)
	case n == 0:
		s.discard()
		return nil, errs.InvalidField("image", "err.firmware.image_empty")
	}
	s.sha256, s.size = hex.EncodeToString(h.Sum(nil)), n
	return s, nil
}

// commit moves the image to its name, and syncs the directory so the
// rename survives a crash.
func (s *staged) commit() error {
	if err := os.Rename(s.tmp, filepath.Join(s.dir, s.sha256)); err != nil {
		return errs.Wrap(err, "firmware image")
	}
	s.done = true
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// discard removes the temporary file unless the image was committed.
func (s *staged) discard() {
	if !s.done {
		_ = os.Remove(s.tmp)
		s.done = true
	}
}

// openImage opens the image whose SHA-256 is sum.
func openImage(dataDir, sum string) (*os.File, error) {
	dir, err := imageDir(dataDir)
	if err != nil {
		return nil, err
	}
	if !isSHA256(sum) {
		return nil, os.ErrNotExist
	}
	f, err := os.Open(filepath.Join(dir, sum))
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, os.ErrNotExist
	}
	return f, nil
}
