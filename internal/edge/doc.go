// Package edge is the HTTP edge shared by the API (httpapi), the web UI
// (web) and the device gateway (gateway): the one mapping of an error to an
// HTTP status and the JSON error body, the request id, the client's
// address, the JSON writer, CSV exports with their cell escaping, and the
// checks that keep every input to text the databases hold (input.go).
//
// It is a leaf: it imports nothing of ours but errs, i18n and text, so every
// adapter can use it without importing another adapter.
package edge
