package device

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"

	"mysystems/internal/errs"
)

// Seal encrypts a secret for one device (an anonymous "sealed box"): an
// ephemeral X25519 key agreed with the device's public key, HKDF-SHA256, then
// AES-256-GCM. Only the device's private key opens it, so the portal stores
// and logs nothing it could read back (DEV-6).
func Seal(devicePublicKey string, secret []byte) (string, error) {
	pub, err := parsePublicKey(devicePublicKey)
	if err != nil {
		return "", errs.E(errs.Conflict, "err.device.no_public_key")
	}
	raw := pub.Bytes()
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", errs.Wrap(err, "ephemeral key")
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return "", errs.Wrap(err, "key agreement")
	}
	aead, err := sealAEAD(shared, eph.PublicKey().Bytes(), raw)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", errs.Wrap(err, "nonce")
	}
	out := append(append(eph.PublicKey().Bytes(), nonce...), aead.Seal(nil, nonce, secret, nil)...)
	return base64.StdEncoding.EncodeToString(out), nil
}

// CheckPublicKey validates the public key a device reports in its hello:
// the base64 (standard alphabet, padded) of a 32-byte X25519 public key.
func CheckPublicKey(k string) error {
	if _, err := parsePublicKey(k); err != nil {
		return errs.InvalidField("public_key", "err.device.public_key")
	}
	return nil
}

func parsePublicKey(k string) (*ecdh.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		return nil, err
	}
	return ecdh.X25519().NewPublicKey(raw)
}

// Open decrypts what Seal sealed for the holder of priv.
func Open(priv *ecdh.PrivateKey, sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < 32+12+16 {
		return nil, errors.New("sealed secret is malformed")
	}
	ephPub, err := ecdh.X25519().NewPublicKey(raw[:32])
	if err != nil {
		return nil, err
	}
	shared, err := priv.ECDH(ephPub)
	if err != nil {
		return nil, err
	}
	aead, err := sealAEAD(shared, raw[:32], priv.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, raw[32:32+aead.NonceSize()], raw[32+aead.NonceSize():], nil)
}

func sealAEAD(shared, ephPub, devPub []byte) (cipher.AEAD, error) {
	info := append(append([]byte("mysystems sealed secret v1"), ephPub...), devPub...)
	key, err := hkdf.Key(sha256.New, shared, nil, string(info), 32)
	if err != nil {
		return nil, errs.Wrap(err, "hkdf")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errs.Wrap(err, "aes")
	}
	return cipher.NewGCM(block)
}
