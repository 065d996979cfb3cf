package api

import "time"

// FirmwareMetadata is the metadata part of POST /api/v1/vendor/firmware
// (FW-1): the release an image is for. Released is YYYY-MM-DD (or RFC
// 3339); empty is today.
type FirmwareMetadata struct {
	Model    string `json:"model"`
	Version  string `json:"version"`
	Track    string `json:"track"` // active or lts-YYYY
	Released string `json:"released,omitempty"`
}

// ReleaseJSON is an AXIS OS release of the catalogue (FW-1). Signature is
// the platform's Ed25519 signature (base64) of the release as
// GET /device/v1/firmware-key's documentation says.
type ReleaseJSON struct {
	ID              string     `json:"id"`
	Model           string     `json:"model"`
	Version         string     `json:"version"`
	Track           string     `json:"track"`
	TrackLabel      string     `json:"track_label"`
	Released        time.Time  `json:"released"`
	SHA256          string     `json:"sha256"`
	Size            int64      `json:"size"`
	Signature       string     `json:"signature"`
	Withdrawn       bool       `json:"withdrawn"`
	WithdrawnAt     *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnReason string     `json:"withdrawn_reason,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
}

// FirmwareTrackJSON is one track of a model and its recommended version:
// the newest release on it not withdrawn (empty when every release on the
// track is withdrawn).
type FirmwareTrackJSON struct {
	Track       string `json:"track"`
	Label       string `json:"label"`
	Recommended string `json:"recommended,omitempty"`
	ReleaseID   string `json:"release_id,omitempty"`
}

// FirmwareModelJSON is a model of the catalogue and its tracks, the active
// track first, then the LTS tracks newest first.
type FirmwareModelJSON struct {
	Model  string              `json:"model"`
	Tracks []FirmwareTrackJSON `json:"tracks"`
}

// FirmwareCatalogueJSON answers GET /api/v1/firmware: every model with its
// tracks and recommended versions, and every release (by model, newest
// version first), withdrawn ones included.
type FirmwareCatalogueJSON struct {
	Models   []FirmwareModelJSON `json:"models"`
	Releases []ReleaseJSON       `json:"releases"`
}

// WithdrawRequest withdraws a release, saying why.
type WithdrawRequest struct {
	Reason string `json:"reason"`
}

// ModelRecommendationJSON is one model's line of
// GET /api/v1/orgs/{org}/firmware/recommendations (FW-2), counted in the
// caller's visible folders: its devices, those on the recommended version
// of their track, and those with a recommended upgrade.
type ModelRecommendationJSON struct {
	Model            string `json:"model"`
	Devices          int    `json:"devices"`
	OnRecommended    int    `json:"on_recommended"`
	UpgradeAvailable int    `json:"upgrade_available"`
}
