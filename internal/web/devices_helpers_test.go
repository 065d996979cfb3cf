package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"mysystems/internal/fleet"
	"mysystems/internal/harness"
)

const testModel = harness.Model

var deviceLocation = regexp.MustCompile(`^/orgs/org_[a-z0-9]+/devices/(dev_[a-z0-9]+)$`)

// claim adds a device through the Add device form and returns its id.
func claim(t *testing.T, c *client, orgID string, m fleet.Minted, folderID, name string) string {
	t.Helper()
	r := c.post("/orgs/"+orgID+"/devices/add", url.Values{"serial": {m.Serial}, "oak": {m.OAK},
		"folder_id": {folderID}, "name": {name}})
	loc := deviceLocation.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || loc == nil {
		t.Fatalf("add device %s: got %d to %q; body:\n%s", m.Serial, r.status, r.location(), r.body)
	}
	return loc[1]
}

// csvOf joins import lines.
func csvOf(lines ...string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
