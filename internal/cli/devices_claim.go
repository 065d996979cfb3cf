package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"mysystems/internal/api"
)

// maxImport is the largest CSV the server takes in one import.
const maxImport = 4 << 20

func cmdDevicesClaim(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices claim", "ORG SERIAL --oak OAK [--folder ID] [--name N]",
		"Claim a device into the organization (owner or admin) with its serial number and\n"+
			"owner authentication key (OAK), both printed on the device or its box. It goes into\n"+
			"the root folder unless --folder names another. Failed claims are rate limited.", withJSON)
	oak := f.String("oak", "", "the device's owner authentication key (required)")
	folder := f.String("folder", "", "the id of the folder to put it in (default: the root folder)")
	name := f.String("name", "", "a name for the device (default: its model and the end of its serial)")
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	if *oak == "" {
		return usagef(f, "--oak OAK is required")
	}
	body := api.ClaimRequest{Serial: pos[1], OAK: *oak, FolderID: *folder, Name: *name}
	return callOne(ctx, e, "device", http.MethodPost, pathf("/api/v1/orgs/%s/devices", pos[0]), body, func(d api.DeviceJSON) string {
		return fmt.Sprintf("Claimed device %q (%s): %s %s in %s.", clean(d.Name), clean(d.ID), clean(d.Model), clean(d.Serial), clean(d.FolderPath))
	})
}

// importLine is one line of the server's report on a refused import.
type importLine struct {
	Line   int    `json:"line"`
	Serial string `json:"serial"`
	Error  string `json:"error"`
}

// importError is a refused import with the server's report on each line.
type importError struct {
	code  string
	total int
	bad   []importLine
}

func (e *importError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no device was claimed (%s): %d of %d lines have errors:", e.code, len(e.bad), e.total)
	for _, l := range e.bad {
		if l.Serial != "" {
			fmt.Fprintf(&b, "\n  line %d (%s): %s", l.Line, clean(l.Serial), clean(l.Error))
		} else {
			fmt.Fprintf(&b, "\n  line %d: %s", l.Line, clean(l.Error))
		}
	}
	return b.String()
}

// withImportReport turns an API error carrying a per-line report into an
// importError; other errors of the import also say that nothing was claimed.
func withImportReport(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests ||
		ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound {
		return err
	}
	var d struct {
		Lines []importLine `json:"lines"`
	}
	if len(ae.Details) > 0 && json.Unmarshal(ae.Details, &d) == nil && len(d.Lines) > 0 {
		ie := &importError{code: ae.Code, total: len(d.Lines)}
		for _, l := range d.Lines {
			if l.Error != "" {
				ie.bad = append(ie.bad, l)
			}
		}
		if len(ie.bad) > 0 {
			return ie
		}
	}
	if strings.Contains(ae.Message, "no device was claimed") {
		return err
	}
	return fmt.Errorf("no device was claimed: %w", err)
}

func cmdDevicesImport(ctx context.Context, e *env, args []string) error {
	f := e.flags("devices import", "ORG FILE.csv",
		"Claim many devices at once (owner or admin) from a CSV file (- for stdin) with one\n"+
			"device a line: serial,oak,folder path. The header line is optional; the folder\n"+
			"path is folder names below the root joined by / (\"Site A/Lobby\"; empty: the root).\n"+
			"All or nothing: if any line is wrong, no device is claimed and each wrong line is\n"+
			"listed. At most 10000 devices (4 MiB) at once.", withJSON)
	pos, err := e.parse(f, args, 2, 2)
	if err != nil {
		return err
	}
	var r io.Reader = e.in
	name := "stdin"
	if pos[1] != "-" {
		file, err := os.Open(pos[1])
		if err != nil {
			return err
		}
		defer file.Close()
		r, name = file, pos[1]
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImport+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxImport {
		return fmt.Errorf("%s is larger than 4 MiB: split it (at most 10000 devices at once)", name)
	}
	c, err := e.client(true)
	if err != nil {
		return err
	}
	body := rawBody{contentType: "text/csv; charset=utf-8", data: data}
	err = show(ctx, e, c, http.MethodPost, pathf("/api/v1/orgs/%s/devices/import", pos[0]), body, "claimed devices", func(p api.List[api.DeviceJSON]) error {
		if len(p.Items) == 1 {
			fmt.Fprintf(e.out, "Claimed 1 device from %s.\n", clean(name))
		} else {
			fmt.Fprintf(e.out, "Claimed %d devices from %s.\n", len(p.Items), clean(name))
		}
		fmt.Fprintf(e.errw, "See them with: mysystems devices list %s\n", clean(pos[0]))
		return nil
	})
	return withImportReport(err)
}
