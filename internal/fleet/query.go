package fleet

import (
	"net/url"
	"strings"
)

// ParseFilter reads the device list's filters from a query, the same way
// for the API and the web UI: spaces around values are ignored.
func ParseFilter(q url.Values) Filter {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return Filter{FolderID: get("folder"), Model: get("model"), Firmware: get("firmware"), Status: get("status"),
		Query: get("q"), Sort: get("sort"), Upgrade: get("upgrade")}
}
