package httpapi

import "testing"

// The tables the OpenAPI document is built with name served routes only,
// so that a renamed or removed route cannot leave its errors behind.
func TestOpenAPITablesNameRoutes(t *testing.T) {
	a := New(Deps{})
	served, paths := map[string]bool{}, map[string]bool{}
	limits := map[string]bool{}
	for _, rt := range a.Routes() {
		served[rt.Method+" "+rt.Path], paths[rt.Path] = true, true
		for _, q := range rt.Query {
			if q.Name == "limit" {
				limits[rt.Path] = true
			}
		}
	}
	for k, sts := range operationErrors {
		if !served[k] {
			t.Errorf("operationErrors names %s, which is not served", k)
		}
		for _, st := range sts {
			if _, ok := errorResponses[st]; !ok {
				t.Errorf("%s: status %d has no documented error response", k, st)
			}
		}
	}
	for k := range optionalBody {
		if !served[k] {
			t.Errorf("optionalBody names %s, which is not served", k)
		}
	}
	for p := range pageSizes {
		if !limits[p] {
			t.Errorf("pageSizes names %s, which is not a list with a limit", p)
		}
	}
	for p := range limits {
		if _, ok := pageSizes[p]; !ok {
			t.Errorf("%s takes a limit but pageSizes has no page size for it", p)
		}
	}
}
