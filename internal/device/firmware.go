package device

import (
	"crypto/ed25519"
	"encoding/base64"
	"strconv"
	"strings"
)

// FirmwareKeyAlgorithm names the signature scheme of AXIS OS images.
const FirmwareKeyAlgorithm = "ed25519"

// FirmwareKey answers GET /device/v1/firmware-key: the platform's public key
// that signs every published AXIS OS image (FW-1, GW-3), base64 (standard
// alphabet, padded) of the 32-byte Ed25519 public key.
type FirmwareKey struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
}

// FirmwareSignedMessage is exactly what the platform signs for a release
// (FW-1): the lines
//
//	mysystems-firmware-v1
//	<release id>
//	<model>
//	<version>
//	<sha256 of the image, 64 lower-case hex digits>
//	<size of the image in bytes, decimal>
//
// each ended by "\n", in UTF-8. A device checks the signature against this
// message rebuilt from the release it was told to install and the SHA-256
// and size it computed of the bytes it downloaded, so an image tampered
// with, cut short, or meant for another model or version is refused.
func FirmwareSignedMessage(id, model, version, sha256 string, size int64) []byte {
	var b strings.Builder
	for _, line := range []string{"mysystems-firmware-v1", id, model, version, sha256, strconv.FormatInt(size, 10)} {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// VerifyFirmware reports whether signature (base64) is the platform's
// signature, under publicKey (base64, as FirmwareKey serves it), of the
// release's FirmwareSignedMessage.
func VerifyFirmware(publicKey, signature, id, model, version, sha256 string, size int64) bool {
	pub, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(pub), FirmwareSignedMessage(id, model, version, sha256, size), sig)
}
