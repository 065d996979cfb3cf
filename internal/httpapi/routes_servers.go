package httpapi

import (
	"net/http"

	"mysystems/internal/acs"
	"mysystems/internal/api"
	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// The routes of ACS Pro servers (SPEC §8): enrolment tokens, monitoring,
// alert settings, the upgrade queue, and the vendor's ACS Pro versions.

func serverHealthJSON(h acs.Health) api.ServerHealthJSON {
	return api.ServerHealthJSON{CPUPercent: h.CPUPercent, MemoryPercent: h.MemoryPercent, StoragePercent: h.StoragePercent,
		Recording: h.Recording, Cameras: h.Cameras, LastError: h.LastError}
}

func serverUpgradeJSON(u acs.Upgrade, lang string) api.ServerUpgradeJSON {
	reason := u.Reason
	if u.ReasonKey != "" {
		reason = i18n.Message{Key: u.ReasonKey, Args: []any{int(acs.MaxInstall.Hours())}}.In(lang)
	}
	return api.ServerUpgradeJSON{ID: u.ID, ServerID: u.ServerID, Version: u.Version.String(), FromVersion: u.FromVersion.String(),
		State: string(u.State), Reason: reason, ReasonKey: u.ReasonKey, NewVersion: u.NewVersion.String(), RequestedBy: u.RequestedBy,
		CreatedAt: u.CreatedAt, StartedAt: u.StartedAt, DoneAt: u.DoneAt}
}

func serverJSON(v acs.View, lang string) api.ServerJSON {
	out := api.ServerJSON{ID: v.ID, Name: v.Name, Version: v.Version.String(), Status: string(v.Status),
		PollSeconds: int(v.PollEvery.Seconds()), EnrolledAt: v.EnrolledAt, LastPollAt: v.LastPollAt,
		Health: serverHealthJSON(v.Health), HealthAt: v.HealthAt,
		Alerts: api.ServerAlertsJSON{Offline: v.Alerts.Offline, Online: v.Alerts.Online, Recipients: append([]string{}, v.Alerts.Recipients...)}}
	if v.Recommended != nil {
		out.RecommendedVersion = v.Recommended.Version.String()
	}
	if v.Upgrade != nil {
		u := serverUpgradeJSON(*v.Upgrade, lang)
		out.Upgrade = &u
	}
	for _, s := range v.History {
		out.History = append(out.History, api.ServerSampleJSON{At: s.At, CPUPercent: s.CPUPercent, MemoryPercent: s.MemoryPercent,
			StoragePercent: s.StoragePercent, Recording: s.Recording, Cameras: s.Cameras})
	}
	for _, u := range v.Upgrades {
		out.Upgrades = append(out.Upgrades, serverUpgradeJSON(u, lang))
	}
	return out
}

func acsVersionJSON(p acs.Published) api.ACSVersionJSON {
	return api.ACSVersionJSON{Version: p.Version.String(), ReleasedAt: p.ReleasedAt, URL: p.URL, CreatedAt: p.CreatedAt}
}

func (a *API) serverRoutes() []Route {
	srv := "/api/v1/orgs/{org}/servers"
	return []Route{
		{Method: "POST", Path: srv + "/enrollment-tokens", Tag: "servers", Summary: "A single-use enrolment token for a new ACS Pro server, shown once (SRV-1; Owner, Admin)",
			Auth: AuthUser, Response: api.EnrollmentTokenJSON{}, Status: http.StatusCreated, handle: func(c *Call) (any, error) {
				tok, exp, err := a.d.ACS.CreateEnrollment(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return api.EnrollmentTokenJSON{Token: tok, ExpiresAt: exp}, nil
			}},
		{Method: "GET", Path: srv, Tag: "servers", Summary: "ACS Pro servers: version, health now, status, recommended upgrade, queued or running upgrade (SRV-1; Owner, Admin, Operator)",
			Auth: AuthUser, Response: api.List[api.ServerJSON]{}, handle: func(c *Call) (any, error) {
				vs, err := a.d.ACS.List(c.R.Context(), c.Actor, c.Org.ID)
				if err != nil {
					return nil, err
				}
				return listOf(vs, "", func(v acs.View) api.ServerJSON { return serverJSON(v, a.lang(c)) }), nil
			}},
		{Method: "GET", Path: srv + "/{id}", Tag: "servers", Summary: "One ACS Pro server with its last 24 hours of health and its latest upgrades (SRV-1)",
			Auth: AuthUser, Response: api.ServerJSON{}, handle: func(c *Call) (any, error) {
				v, err := a.d.ACS.Server(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return serverJSON(v, a.lang(c)), nil
			}},
		{Method: "PATCH", Path: srv + "/{id}", Tag: "servers", Summary: "Change a server's alert settings (SRV-1; Owner, Admin, Operator)",
			Auth: AuthUser, Request: api.ServerPatch{}, Response: api.ServerJSON{}, handle: withBody(func(c *Call, in api.ServerPatch) (any, error) {
				v, err := a.d.ACS.UpdateAlerts(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"),
					acs.AlertsPatch{Offline: in.AlertOffline, Online: in.AlertOnline, Recipients: in.AlertRecipients})
				if err != nil {
					return nil, err
				}
				return serverJSON(v, a.lang(c)), nil
			})},
		{Method: "POST", Path: srv + "/{id}/upgrade", Tag: "servers", Summary: "Queue an upgrade of a server with a recommended upgrade, to the recommended version unless one is given (SRV-2; Owner, Admin)",
			Auth: AuthUser, Request: api.ServerUpgradeRequest{}, Response: api.ServerUpgradeJSON{}, Status: http.StatusAccepted,
			handle: func(c *Call) (any, error) {
				// The body is optional: none asks for the recommended version.
				var in api.ServerUpgradeRequest
				if err := c.Decode(&in); err != nil {
					if e, ok := errs.As(err); !ok || e.Key != "err.api.body_empty" {
						return nil, err
					}
				}
				u, err := a.d.ACS.RequestUpgrade(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"), in.Version)
				if err != nil {
					return nil, err
				}
				return serverUpgradeJSON(u, a.lang(c)), nil
			}},
		{Method: "DELETE", Path: srv + "/{id}/upgrade", Tag: "servers", Summary: "Cancel a server's queued upgrade; 409 once the server picked it up (SRV-3; Owner, Admin)",
			Auth: AuthUser, Response: api.ServerUpgradeJSON{}, handle: func(c *Call) (any, error) {
				u, err := a.d.ACS.CancelUpgrade(c.R.Context(), c.Actor, c.Org.ID, c.R.PathValue("id"))
				if err != nil {
					return nil, err
				}
				return serverUpgradeJSON(u, a.lang(c)), nil
			}},
		{Method: "GET", Path: "/api/v1/acs-versions", Tag: "servers", Summary: "The published ACS Pro versions, newest first (SRV-2)",
			Auth: AuthUser, Response: api.List[api.ACSVersionJSON]{}, handle: func(c *Call) (any, error) {
				ps, err := a.d.ACS.Versions(c.R.Context())
				if err != nil {
					return nil, err
				}
				return listOf(ps, "", acsVersionJSON), nil
			}},
		{Method: "POST", Path: "/api/v1/vendor/acs-versions", Tag: "vendor", Summary: "Publish an ACS Pro version (SRV-2)",
			Auth: AuthVendor, Request: api.ACSVersionRequest{}, Response: api.ACSVersionJSON{}, Status: http.StatusCreated,
			handle: withBody(func(c *Call, in api.ACSVersionRequest) (any, error) {
				p, err := a.d.ACS.PublishVersion(c.R.Context(), c.Actor, acs.PublishInput{Version: in.Version, ReleasedAt: in.ReleasedAt, URL: in.URL})
				if err != nil {
					return nil, err
				}
				return acsVersionJSON(p), nil
			})},
	}
}
