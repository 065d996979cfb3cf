package httpapi

import (
	"errors"
	"io"
	"net/http"

	"mysystems/internal/api"
	"mysystems/internal/errs"
	"mysystems/internal/firmware"
)

func releaseJSON(p firmware.Published) api.ReleaseJSON {
	return api.ReleaseJSON{ID: p.ID, Model: p.Model, Version: p.Version.String(), Track: string(p.Track),
		TrackLabel: p.Track.Label(), Released: p.Released, SHA256: p.SHA256, Size: p.Size, Signature: p.Signature,
		Withdrawn: p.Withdrawn, WithdrawnAt: p.WithdrawnAt, WithdrawnReason: p.WithdrawnReason, CreatedAt: p.CreatedAt}
}

func catalogueJSON(c firmware.Catalogue) api.FirmwareCatalogueJSON {
	out := api.FirmwareCatalogueJSON{Models: []api.FirmwareModelJSON{}, Releases: []api.ReleaseJSON{}}
	for _, m := range c.Models {
		mj := api.FirmwareModelJSON{Model: m.Model, Tracks: []api.FirmwareTrackJSON{}}
		for _, t := range m.Tracks {
			tj := api.FirmwareTrackJSON{Track: string(t.Track), Label: t.Track.Label()}
			if t.Recommended != nil {
				tj.Recommended, tj.ReleaseID = t.Recommended.Version.String(), t.Recommended.ID
			}
			mj.Tracks = append(mj.Tracks, tj)
		}
		out.Models = append(out.Models, mj)
	}
	for _, r := range c.Releases {
		out.Releases = append(out.Releases, releaseJSON(r))
	}
	return out
}

// firmwareParts documents the multipart body of a publication.
var firmwareParts = []Part{
	{Name: "metadata", Description: "first part: JSON {model, version, track (active or lts-YYYY), released (YYYY-MM-DD, optional: today)}"},
	{Name: "image", Description: "second part: the image file (at most 1 GiB); the server computes its SHA-256 and signs the release", File: true},
}

func (a *API) firmwareRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/firmware", Tag: "firmware", Summary: "The AXIS OS catalogue: models, tracks, recommended versions, releases (FW-1)",
			Auth: AuthUser, Response: api.FirmwareCatalogueJSON{}, handle: func(c *Call) (any, error) {
				cat, err := a.d.Firmware.Catalogue(c.R.Context())
				if err != nil {
					return nil, err
				}
				return catalogueJSON(cat), nil
			}},
		{Method: "GET", Path: "/api/v1/orgs/{org}/firmware/recommendations", Tag: "firmware",
			Summary: "Per model, the devices I can see, those on the recommended version and those with a recommended upgrade (FW-2)",
			Auth:    AuthUser, Response: api.List[api.ModelRecommendationJSON]{}, handle: func(c *Call) (any, error) {
				ms, err := a.d.Fleet.Recommendations(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return listOf(ms, "", func(m firmware.ModelSummary) api.ModelRecommendationJSON {
					return api.ModelRecommendationJSON{Model: m.Model, Devices: m.Devices, OnRecommended: m.OnRecommended, UpgradeAvailable: m.UpgradeAvailable}
				}), nil
			}},
		{Method: "POST", Path: "/api/v1/vendor/firmware", Tag: "vendor", Summary: "Publish an AXIS OS release: metadata and image, stored by SHA-256 and signed (FW-1)",
			Auth: AuthVendor, Form: firmwareParts, Response: api.ReleaseJSON{}, Status: http.StatusCreated, handle: a.publishFirmware},
		{Method: "POST", Path: "/api/v1/vendor/firmware/{id}/withdraw", Tag: "vendor", Summary: "Withdraw an AXIS OS release: no longer recommended (FW-1)",
			Auth: AuthVendor, Request: api.WithdrawRequest{}, Response: api.ReleaseJSON{},
			handle: withBody(func(c *Call, in api.WithdrawRequest) (any, error) {
				p, err := a.d.Firmware.Withdraw(c.R.Context(), c.Actor, c.R.PathValue("id"), in.Reason)
				if err != nil {
					return nil, err
				}
				return releaseJSON(p), nil
			})},
	}
}

// publishFirmware reads the multipart body as a stream: the metadata part
// first (so a mistake is refused before the image is uploaded), then the
// image part, handed to the service as it arrives.
func (a *API) publishFirmware(c *Call) (any, error) {
	c.R.Body = http.MaxBytesReader(c.W, c.R.Body, a.d.Firmware.MaxImage()+2<<20)
	mr, err := c.R.MultipartReader()
	if err != nil {
		return nil, errs.E(errs.Invalid, "err.firmware.multipart")
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "metadata" {
		return nil, errs.InvalidField("metadata", "err.firmware.metadata_required")
	}
	var meta api.FirmwareMetadata
	raw, err := io.ReadAll(io.LimitReader(part, 64<<10))
	if err != nil {
		return nil, decodeError(err)
	}
	if err := decodeJSON(raw, &meta); err != nil {
		return nil, err
	}
	image, err := mr.NextPart()
	if err != nil || image.FormName() != "image" {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, decodeError(err)
		}
		return nil, errs.InvalidField("image", "err.firmware.image_required")
	}
	p, err := a.d.Firmware.Publish(c.R.Context(), c.Actor, firmware.PublishInput{
		Model: meta.Model, Version: meta.Version, Track: meta.Track, Released: meta.Released}, image)
	if err != nil {
		return nil, err
	}
	return releaseJSON(p), nil
}
