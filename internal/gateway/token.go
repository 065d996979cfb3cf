package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"mysystems/internal/errs"
	"mysystems/internal/fleet"
)

// signer issues and checks device tokens: "msd_" + the serial and expiry,
// signed with HMAC-SHA256 under a key every instance shares (stored once in
// the settings table). A token costs no database write to issue and no
// database read to check, so a fleet reconnecting after a restart does not
// queue on the database; it rotates at every hello and expires by itself.
type signer struct {
	mu  sync.Mutex
	key []byte
	// macs pools keyed HMAC states: every device request checks a token,
	// and a fresh HMAC costs two SHA-256 states.
	macs sync.Pool
}

const tokenKeySetting = "device_token_key"

var b64 = base64.RawURLEncoding

var errBadToken = errs.E(errs.Unauthenticated, "err.gateway.bad_token")

func (s *signer) keyFor(ctx context.Context, g *Gateway) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, errs.Wrap(err, "token key")
	}
	var stored string
	err := g.store.Write(ctx, func(tx fleet.DeviceTx) error {
		var err error
		stored, err = tx.SettingOrInit(ctx, tokenKeySetting, hex.EncodeToString(fresh))
		return err
	})
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(stored)
	if err != nil || len(key) < 32 {
		return nil, errs.E(errs.Internal, "the stored device token key is malformed")
	}
	s.key = key
	return key, nil
}

// mac returns the token signature of payload under key (the process's one
// key, so pooled states are keyed alike).
func (s *signer) mac(key []byte, payload string) []byte {
	m, _ := s.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, key)
	} else {
		m.Reset()
	}
	_, _ = io.WriteString(m, payload)
	var buf [sha256.Size]byte
	sum := m.Sum(buf[:0])[:20]
	s.macs.Put(m)
	return sum
}

func (s *signer) issue(ctx context.Context, g *Gateway, serial string, now time.Time) (string, time.Time, error) {
	key, err := s.keyFor(ctx, g)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := now.Add(g.cfg.TokenTTL).Truncate(time.Second)
	payload := serial + ":" + strconv.FormatInt(exp.Unix(), 10)
	return "msd_" + b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(s.mac(key, payload)), exp, nil
}

func (s *signer) verify(ctx context.Context, g *Gateway, token string, now time.Time) (string, error) {
	rest, ok := strings.CutPrefix(token, "msd_")
	if !ok {
		return "", errBadToken
	}
	p64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return "", errBadToken
	}
	payload, err1 := b64.DecodeString(p64)
	sig, err2 := b64.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return "", errBadToken
	}
	key, err := s.keyFor(ctx, g)
	if err != nil {
		return "", err
	}
	if !hmac.Equal(sig, s.mac(key, string(payload))) {
		return "", errBadToken
	}
	serial, expStr, ok := strings.Cut(string(payload), ":")
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if !ok || err != nil || !now.Before(time.Unix(exp, 0)) {
		return "", errBadToken
	}
	return serial, nil
}
