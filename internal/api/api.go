// Package api holds the wire types of the REST API /api/v1: the JSON bodies
// of its requests and answers, written once for the server (httpapi) and its
// command-line client (cli), the way internal/device holds the device
// protocol for the gateway and the simulator.
//
// The types are separate from the domain types so the contract changes only
// on purpose: httpapi converts domain values to them, and the OpenAPI
// document is built from them (a type's name is its schema's name, so a
// rename changes the document). The package imports only the standard
// library.
package api

// List is the JSON shape of every paginated list.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
