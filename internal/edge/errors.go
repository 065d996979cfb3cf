package edge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"mysystems/internal/errs"
	"mysystems/internal/i18n"
)

// statuses is the HTTP status of each error code ("": no error); any other
// code is an internal error.
var statuses = map[errs.Code]int{
	"":                    http.StatusOK,
	errs.Invalid:          http.StatusBadRequest,
	errs.Unauthenticated:  http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.NotFound:         http.StatusNotFound,
	errs.Conflict:         http.StatusConflict,
	errs.RateLimited:      http.StatusTooManyRequests,
	errs.UnsupportedMedia: http.StatusUnsupportedMediaType,
	errs.Timeout:          http.StatusRequestTimeout,
}

// Status maps an error code to its HTTP status. This is the only place the
// mapping is made: the API, the web UI and the device gateway use it.
func Status(err error) int {
	if status, ok := statuses[errs.CodeOf(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code and a human message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Details is structured detail for some errors (e.g. per-item reasons).
	Details any `json:"details,omitempty"`
	// RequestID lets support find the log line of an internal error.
	RequestID string `json:"request_id,omitempty"`
}

// Public returns what a client may see of err: its code and message, with
// internal causes replaced by a generic message. The message, and the texts
// of its details (errs.LocalDetails), are English unless the request's
// Accept-Language asks for another language of the catalogues. It logs
// internal errors.
func Public(log *slog.Logger, r *http.Request, err error) (int, ErrorDetail) {
	status := Status(err)
	lang := i18n.Match(r.Header.Get("Accept-Language"))
	msg := errs.LocalMessage(err, lang)
	d := ErrorDetail{Code: string(errs.CodeOf(err)), Message: msg, RequestID: RequestID(r.Context())}
	if e, ok := errs.As(err); ok && e.Code != errs.Internal {
		d.Field, d.Details = e.Field, e.DetailsIn(lang)
		d.RequestID = ""
	} else {
		d.Code = string(errs.Internal)
		if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
			// The client went away (timeout, closed connection): nothing
			// broke in the server and nobody reads this answer.
			log.DebugContext(r.Context(), "request canceled by the client", "err", err, "method", r.Method, "path", r.URL.Path)
			return status, d
		}
		log.ErrorContext(r.Context(), "internal error", "err", err, "method", r.Method, "path", r.URL.Path)
	}
	return status, d
}

// WriteError answers err as the JSON error body, with its status and, for a
// rate limit, Retry-After.
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	status, d := Public(log, r, err)
	if e, ok := errs.As(err); ok && e.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds))
	}
	WriteJSON(w, status, ErrorBody{Error: d})
}

// WriteJSON answers v as JSON with status; answers are never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v == nil || status == http.StatusNoContent {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
