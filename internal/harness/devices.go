package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"mysystems/internal/audit"
	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/sim"
)

// Model is the model of the devices Mint makes.
const Model = "AXIS P3265-LVE"

// Firmware is the firmware version simulated devices report.
const Firmware = "11.11.0"

// Vendor is the vendor operator who mints devices.
var Vendor = audit.Actor{Kind: audit.KindVendor, ID: "plt_test"}

// Mint makes n device identities as the vendor does.
func (s *Server) Mint(n int) []fleet.Minted {
	s.T.Helper()
	ms, err := s.App.Fleet.Mint(context.Background(), Vendor, Model, n)
	if err != nil {
		s.T.Fatal(err)
	}
	return ms
}

// Claim claims a minted device into folder (DEV-3) through the API and
// returns the device's JSON.
func (s *Server) Claim(token, orgID string, m fleet.Minted, folder string) Resp {
	s.T.Helper()
	r := s.Call("POST", "/api/v1/orgs/"+orgID+"/devices", token, map[string]string{"serial": m.Serial, "oak": m.OAK, "folder_id": folder})
	if r.Status != http.StatusCreated {
		s.T.Fatalf("claim %s: %d %s", m.Serial, r.Status, r.Body)
	}
	return r
}

// Device is a simulated device for a minted identity that the test steps
// itself (sim.Stepped): Hello, Poll, Apply, Step.
func (s *Server) Device(m fleet.Minted) *Device {
	s.T.Helper()
	d, err := sim.NewStepped(sim.Config{Server: s.URL, Firmware: Firmware}, sim.Identity{Serial: m.Serial, Model: m.Model, Secret: m.Secret})
	if err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(d.Close)
	return &Device{Stepped: d, t: s.T, server: s.URL}
}

// Device is a stepped simulated device whose steps fail the test on error.
type Device struct {
	*sim.Stepped
	server string
	t      interface {
		Helper()
		Fatalf(string, ...any)
		Errorf(string, ...any)
		Cleanup(func())
	}
}

// Hello says hello and returns the welcome.
func (d *Device) Hello() device.Welcome {
	d.t.Helper()
	w, err := d.Stepped.Hello(context.Background())
	if err != nil || w.Token == "" {
		d.t.Fatalf("hello of %s: %v", d.Serial(), err)
	}
	return w
}

// Poll polls for commands, waiting up to wait seconds.
func (d *Device) Poll(wait int) []sim.Command {
	d.t.Helper()
	cmds, err := d.Stepped.Poll(context.Background(), wait)
	if err != nil {
		d.t.Fatalf("poll of %s: %v", d.Serial(), err)
	}
	return cmds
}

// Apply applies a command and posts its result.
func (d *Device) Apply(c sim.Command) device.ResultReply {
	d.t.Helper()
	r, err := d.Stepped.Apply(context.Background(), c)
	if err != nil {
		d.t.Fatalf("result of %s from %s: %v", c.ID, d.Serial(), err)
	}
	return r
}

// Step polls without waiting and applies what came.
func (d *Device) Step() []sim.Command {
	d.t.Helper()
	cmds, err := d.Stepped.Step(context.Background())
	if err != nil {
		d.t.Fatalf("step of %s: %v", d.Serial(), err)
	}
	return cmds
}

// Get sends GET path to the gateway with the device's token and, unless
// rng is empty, a Range header; it returns the status and the body.
func (d *Device) Get(path, rng string) (int, []byte) {
	d.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "GET", d.server+path, nil)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+d.Token())
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	return res.StatusCode, b
}

// Serve makes the device long-poll and apply commands on its own until the
// test ends.
func (d *Device) Serve() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		if err := d.Stepped.Run(ctx, 5); err != nil {
			d.t.Errorf("device %s: %v", d.Serial(), err)
		}
	}()
}

// Post sends POST path with the JSON body to the gateway with the device's
// token and decodes the answer into out (when not nil); it returns the
// status.
func (d *Device) Post(path string, body, out any) int {
	d.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		d.t.Fatalf("POST %s: %v", path, err)
	}
	req, err := http.NewRequestWithContext(context.Background(), "POST", d.server+path, bytes.NewReader(b))
	if err != nil {
		d.t.Fatalf("POST %s: %v", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+d.Token())
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		d.t.Fatalf("POST %s: %v", path, err)
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			d.t.Fatalf("POST %s: %v: %s", path, err, raw)
		}
	}
	return res.StatusCode
}

// Progress reports an upgrade's progress on command id (GW-3).
func (d *Device) Progress(id, stage string, percent int) device.ProgressReply {
	d.t.Helper()
	var r device.ProgressReply
	if st := d.Post("/device/v1/commands/"+id+"/progress", device.Progress{Stage: stage, Percent: percent}, &r); st != http.StatusOK {
		d.t.Fatalf("progress of %s: %d", id, st)
	}
	return r
}

// Result posts a command's result.
func (d *Device) Result(id string, res device.Result) device.ResultReply {
	d.t.Helper()
	var r device.ResultReply
	if st := d.Post("/device/v1/commands/"+id+"/result", res, &r); st != http.StatusOK {
		d.t.Fatalf("result of %s: %d", id, st)
	}
	return r
}
