package account

import (
	"context"
	"strings"

	"mysystems/internal/clock"
	"mysystems/internal/errs"
)

// PlatformStore runs platform-token transactions.
type PlatformStore interface {
	Read(ctx context.Context, fn func(PlatformTx) error) error
	Write(ctx context.Context, fn func(PlatformTx) error) error
}

// Platform manages vendor-operator tokens.
type Platform struct {
	store PlatformStore
	clock clock.Clock
}

// NewPlatform returns the platform-token service.
func NewPlatform(s PlatformStore, c clock.Clock) *Platform { return &Platform{store: s, clock: c} }

// CreateToken makes a platform token; the secret is returned once. Only an
// operator with shell access to the database runs this (mysystems vendor token).
func (p *Platform) CreateToken(ctx context.Context, name string) (PlatformToken, string, error) {
	name, err := CheckName("name", name)
	if err != nil {
		return PlatformToken{}, "", err
	}
	secret := NewSecret(PlatformPrefix)
	t := PlatformToken{ID: NewID("plt_"), Name: name, CreatedAt: p.clock.Now()}
	err = p.store.Write(ctx, func(tx PlatformTx) error { return tx.CreatePlatformToken(ctx, t, HashSecret(secret)) })
	return t, secret, err
}

// Authenticate resolves a platform token.
func (p *Platform) Authenticate(ctx context.Context, secret string) (PlatformToken, error) {
	if !strings.HasPrefix(secret, PlatformPrefix) {
		return PlatformToken{}, errBadCredential
	}
	var t PlatformToken
	err := p.store.Read(ctx, func(tx PlatformTx) error {
		var err error
		t, err = tx.PlatformTokenByHash(ctx, HashSecret(secret))
		return err
	})
	if errs.Is(err, errs.NotFound) {
		return PlatformToken{}, errBadCredential
	}
	return t, err
}
