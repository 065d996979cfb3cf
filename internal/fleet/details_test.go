package fleet

import (
	"encoding/json"
	"testing"

	"mysystems/internal/errs"
)

// The import report marshals to the JSON the API has always answered.
func TestImportReportJSON(t *testing.T) {
	err := &errs.Error{Code: errs.Invalid, Details: ImportReport{Lines: []ImportLine{{Line: 2, Serial: "S1", Error: "bad"}, {Line: 3, Serial: "S2"}}}}
	rep, ok := errs.DetailsAs[ImportReport](errs.Wrap(err, "import"))
	if !ok || len(rep.Lines) != 2 {
		t.Fatalf("DetailsAs[ImportReport]: got %v, %v", rep, ok)
	}
	b, _ := json.Marshal(rep)
	if want := `{"lines":[{"line":2,"serial":"S1","error":"bad"},{"line":3,"serial":"S2"}]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
