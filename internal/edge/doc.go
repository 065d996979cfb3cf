// Package edge is the HTTP edge shared by the API (httpapi), the web UI
// (web) and the device gateway (gateway): the one mapping of an error to an
// HTTP status and the JSON error body, the request id, the client's
// address, the JSON writer, and CSV exports with their cell escaping.
//
// It is a leaf: it imports nothing of ours but errs and i18n, so every adapter can
// use it without importing another adapter.
package edge
