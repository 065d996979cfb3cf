package harness

import (
	"context"
	"net/http"

	"mysystems/internal/acs"
	"mysystems/internal/audit"
	"mysystems/internal/sim"
)

// PublishACS publishes ACS Pro versions as a vendor operator would.
func (s *Server) PublishACS(versions ...string) {
	s.T.Helper()
	for _, v := range versions {
		if _, err := s.App.ACS.PublishVersion(context.Background(), audit.Actor{Kind: audit.KindVendor, ID: "plt_test"},
			acs.PublishInput{Version: v}); err != nil {
			s.T.Fatalf("publish ACS Pro %s: %v", v, err)
		}
	}
}

// EnrollmentToken creates an enrolment token through the API as token's
// person.
func (s *Server) EnrollmentToken(token, orgID string) string {
	s.T.Helper()
	r := s.Call("POST", "/api/v1/orgs/"+orgID+"/servers/enrollment-tokens", token, nil)
	if r.Status != http.StatusCreated {
		s.T.Fatalf("enrolment token: %d %s", r.Status, r.Body)
	}
	return r.Str("token")
}

// ACSServer returns a simulated ACS Pro server speaking to this server's
// gateway, not yet registered.
func (s *Server) ACSServer(name string, cfg sim.ServerConfig) *sim.Server {
	cfg.Server = s.URL
	if cfg.Client == nil {
		cfg.Client = s.HTTP.Client()
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	return sim.NewServer(cfg, name)
}

// EnrolledServer returns a simulated server enrolled in orgID with an
// enrolment token token's person created.
func (s *Server) EnrolledServer(token, orgID, name string, cfg sim.ServerConfig) *sim.Server {
	s.T.Helper()
	srv := s.ACSServer(name, cfg)
	if err := srv.Register(context.Background(), s.EnrollmentToken(token, orgID)); err != nil {
		s.T.Fatalf("register %s: %v", name, err)
	}
	return srv
}
