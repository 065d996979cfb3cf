package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"mysystems/internal/device"
	"mysystems/internal/edge"
	"mysystems/internal/errs"
)

// /server/v1, the protocol of ACS Pro servers (SPEC §8, device/server.go):
// the transport only; registration, polls and results are the ACS
// service's use cases.

// Servers is what the gateway needs of the ACS Pro service.
type Servers interface {
	Register(ctx context.Context, in device.ServerRegister) (device.ServerRegistered, error)
	Poll(ctx context.Context, token string, in device.ServerPoll) (device.ServerPollReply, error)
	Result(ctx context.Context, token, upgradeID string, in device.ServerUpgradeResult) (device.ServerResultReply, error)
}

// SetServers wires the ACS Pro service; without it /server/v1 answers 404.
func (g *Gateway) SetServers(s Servers) { g.servers = s }

// maxServerBody bounds a /server/v1 body: a poll is well under 2 KiB.
const maxServerBody = 16 << 10

func (g *Gateway) registerServers(mux *http.ServeMux) {
	mux.HandleFunc("POST /server/v1/register", g.serverHandle(func(r *http.Request, body []byte) (any, error) {
		in, err := DecodeServerRegister(body)
		if err != nil {
			return nil, err
		}
		return g.servers.Register(r.Context(), in)
	}, false))
	mux.HandleFunc("POST /server/v1/poll", g.serverHandle(func(r *http.Request, body []byte) (any, error) {
		in, err := DecodeServerPoll(body)
		if err != nil {
			return nil, err
		}
		return g.servers.Poll(r.Context(), bearer(r), in)
	}, true))
	mux.HandleFunc("POST /server/v1/upgrades/{id}/result", g.serverHandle(func(r *http.Request, body []byte) (any, error) {
		in, err := DecodeServerResult(body)
		if err != nil {
			return nil, err
		}
		return g.servers.Result(r.Context(), bearer(r), r.PathValue("id"), in)
	}, true))
	mux.HandleFunc("/server/", func(w http.ResponseWriter, r *http.Request) {
		g.fail(w, r, errs.NotFoundf("err.gateway.no_endpoint", r.Method, r.URL.Path))
	})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (g *Gateway) serverHandle(fn func(*http.Request, []byte) (any, error), auth bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if g.servers == nil {
			g.fail(w, r, errs.NotFoundf("err.gateway.no_endpoint", r.Method, r.URL.Path))
			return
		}
		if err := edge.CheckRequest(r); err != nil {
			g.fail(w, r, err)
			return
		}
		if auth && bearer(r) == "" {
			g.fail(w, r, errs.E(errs.Unauthenticated, "err.server.bad_token"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxServerBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				g.fail(w, r, errs.E(errs.Invalid, "err.gateway.body_large", maxServerBody))
				return
			}
			g.fail(w, r, errs.E(errs.Invalid, "err.gateway.body_json", err))
			return
		}
		if len(body) > 0 {
			if err := edge.CheckJSONType(r); err != nil {
				g.fail(w, r, err)
				return
			}
		}
		out, err := fn(r, body)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
}

// decodeServer reads one JSON object of a /server/v1 body into dst:
// valid UTF-8, one object, nothing after it, each field of its type.
func decodeServer(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errs.E(errs.Invalid, "err.gateway.body_empty")
	}
	if !utf8.Valid(body) {
		return errs.E(errs.Invalid, "err.gateway.body_utf8")
	}
	if err := edge.CheckJSON(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return errs.InvalidField(typ.Field, "err.gateway.field_type", typ.Field)
		}
		return errs.E(errs.Invalid, "err.gateway.body_json", err)
	}
	if dec.More() {
		return errs.E(errs.Invalid, "err.gateway.body_single")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.Invalid, "err.gateway.body_single")
	}
	return nil
}

// DecodeServerRegister reads a registration's body.
func DecodeServerRegister(body []byte) (device.ServerRegister, error) {
	var in device.ServerRegister
	if err := decodeServer(body, &in); err != nil {
		return in, err
	}
	if in.EnrollmentToken == "" {
		return in, errs.InvalidField("enrollment_token", "err.server.enroll_required")
	}
	return in, nil
}

// DecodeServerPoll reads a poll's body; the service checks its values.
func DecodeServerPoll(body []byte) (device.ServerPoll, error) {
	var in device.ServerPoll
	err := decodeServer(body, &in)
	return in, err
}

// DecodeServerResult reads an upgrade result's body.
func DecodeServerResult(body []byte) (device.ServerUpgradeResult, error) {
	var in device.ServerUpgradeResult
	err := decodeServer(body, &in)
	return in, err
}
