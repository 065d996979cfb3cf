package sim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// DefaultModel is the model of a device whose CSV line names none.
const DefaultModel = "AXIS M3086-V"

// ReadIdentities reads the CSV that `mysystems vendor devices mint` writes:
// a header naming at least the serial and secret columns (serial, model,
// secret, oak; order free, case ignored), then one device a line. The oak
// column is ignored: a device never sends its OAK.
func ReadIdentities(r io.Reader) ([]Identity, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("devices CSV is empty: expected the header serial,model,secret,oak")
	}
	if err != nil {
		return nil, fmt.Errorf("devices CSV: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	si, okS := col["serial"]
	ki, okK := col["secret"]
	mi, okM := col["model"]
	if !okS || !okK {
		return nil, fmt.Errorf("devices CSV: the header %q lacks the serial and secret columns (expected serial,model,secret,oak)", strings.Join(header, ","))
	}
	var out []Identity
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("devices CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		field := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id := Identity{Serial: field(si), Secret: field(ki), Model: DefaultModel}
		if okM && field(mi) != "" {
			id.Model = field(mi)
		}
		if id.Serial == "" || id.Secret == "" {
			return nil, fmt.Errorf("devices CSV line %d: serial and secret are required", line)
		}
		if prev, dup := seen[id.Serial]; dup {
			return nil, fmt.Errorf("devices CSV line %d: serial %s already on line %d", line, id.Serial, prev)
		}
		seen[id.Serial] = line
		out = append(out, id)
	}
	return out, nil
}

// LoadIdentities reads a devices CSV file (see ReadIdentities).
func LoadIdentities(path string) ([]Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIdentities(f)
}
