package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"mysystems/internal/device"
	"mysystems/internal/fleet"
	"mysystems/internal/harness"
)

// upgradeSeed is what the crawl's organization holds of AXIS OS upgrades: a
// failed task and its retry that succeeded, a task downloading, a canceled
// one, and a paused phased rollout with queued tasks.
type upgradeSeed struct {
	failed, running, canceled, queued string // tasks
	rollout                           string
}

// seedUpgrades upgrades the crawl's devices: d (the device of ms[0], s.dev)
// and the device of ms[1] (s.moved) have said hello.
func seedUpgrades(t *testing.T, s *crawlSeed, owner harness.User, ms []fleet.Minted, d *harness.Device) *upgradeSeed {
	t.Helper()
	a := s.a
	ctx := context.Background()
	o := "/api/v1/orgs/" + s.org
	up := &upgradeSeed{}
	a.Publish(harness.Model, "12.2.35", "active", nil)
	if err := a.App.Gateway.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	start := func(body any) []string {
		r := s.call("POST", o+"/upgrades", owner.Token, body, 202)
		var out struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		}
		if err := r.Decode(&out); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tk := range out.Tasks {
			ids = append(ids, tk.ID)
		}
		return ids
	}
	command := func() string {
		t.Helper()
		if err := a.App.Upgrades.Dispatch(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Poll(0) {
			if c.Type == device.CmdUpgrade {
				var args device.UpgradeArgs
				if err := json.Unmarshal(c.Args, &args); err != nil {
					t.Fatal(err)
				}
				return c.ID
			}
		}
		t.Fatal("the device got no upgrade command")
		return ""
	}
	up.failed = start(map[string]any{"device_ids": []string{s.dev}})[0]
	cmd := command()
	d.Progress(cmd, device.StageDownloading, 100)
	d.Progress(cmd, device.StageInstalling, 0)
	d.Result(cmd, device.Result{OK: false, Message: "flash write error"})
	s.call("POST", o+"/tasks/"+up.failed+"/retry", owner.Token, nil, 202)
	cmd = command()
	d.Progress(cmd, device.StageInstalling, 0)
	d.Result(cmd, device.Result{OK: true, Firmware: "12.2.35"})
	d.Hello()

	a.Publish(harness.Model, "12.3.0", "active", nil)
	up.running = start(map[string]any{"device_ids": []string{s.dev}})[0]
	cmd = command()
	d.Progress(cmd, device.StageDownloading, 40)

	up.canceled = start(map[string]any{"device_ids": []string{s.moved}})[0]
	s.call("POST", o+"/tasks/"+up.canceled+"/cancel", owner.Token, nil, 200)
	ids := start(map[string]any{"model": harness.Model, "folder_id": s.garage, "rollout": map[string]any{"ring_count": 1, "soak_minutes": 30}})
	up.queued = ids[0]
	r := s.call("GET", o+"/rollouts", owner.Token, nil, 200)
	var rs struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := r.Decode(&rs); err != nil || len(rs.Items) != 1 {
		t.Fatalf("rollouts: %v %s", err, r.Body)
	}
	up.rollout = rs.Items[0].ID
	s.call("POST", o+"/rollouts/"+up.rollout+"/pause", owner.Token, nil, 200)
	s.call("PUT", o+"/upgrade-schedule", owner.Token, map[string]any{"device_ids": []string{s.moved},
		"mode": "window", "window": map[string]any{"days": []string{"mon", "wed"}, "start": "22:00", "duration_minutes": 180, "time_zone": "Europe/Paris"}}, 200)
	s.data = append(s.data, "flash write error", "12.2.35", "12.3.0", "Europe/Paris")
	return up
}

func inUpgrades(pages ...string) func(*crawlSeed, harness.User) []string {
	return func(s *crawlSeed, me harness.User) []string {
		var out []string
		for _, p := range pages {
			out = append(out, inOrg(p)(s, me)...)
		}
		return out
	}
}

func init() {
	crawlRoutes = append(crawlRoutes,
		crawlRoute{"GET /orgs/{org}/tasks", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/tasks", "/tasks?state=failed", "/tasks?state=queued,scheduled,downloading,installing&folder="+s.hall,
				"/tasks?rollout="+s.up.rollout, "/tasks?device="+s.dev, "/tasks?state=bogus", "/tasks?since=yesterday", "/tasks?cursor=bogus",
				"/tasks?model=zzz")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/tasks/progress", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/tasks/progress?id="+s.up.running+"&id="+s.up.failed+"&id=upg_nope", "/tasks/progress")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/tasks/export.csv", inUpgrades("/tasks/export.csv")},
		crawlRoute{"GET /orgs/{org}/tasks/{id}/cancel", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/tasks/"+s.up.running+"/cancel", "/tasks/"+s.up.failed+"/cancel", "/tasks/tsk_nope/cancel")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/tasks/{id}/retry", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/tasks/"+s.up.failed+"/retry", "/tasks/"+s.up.running+"/retry")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/upgrade-limits", inUpgrades("/upgrade-limits")},
		crawlRoute{"GET /orgs/{org}/upgrades", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/upgrades", "/upgrades?folder="+s.hall, "/upgrades?device="+s.dev+"&device="+s.moved,
				"/upgrades?upgrade=yes", "/upgrades?folder=fld_nope", "/upgrades?device=dev_nope")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/upgrades/new", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/upgrades/new?model="+url.QueryEscape(harness.Model), "/upgrades/new?model="+url.QueryEscape(harness.Model)+"&folder="+s.hall,
				"/upgrades/new?device="+s.dev+"&device="+s.silent, "/upgrades/new?status=offline", "/upgrades/new", "/upgrades/new?q=zzz")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/upgrade-schedule", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/upgrade-schedule?device="+s.moved, "/upgrade-schedule?device="+s.dev+"&device="+s.moved,
				"/upgrade-schedule?folder="+s.garage, "/upgrade-schedule", "/upgrade-schedule?device=dev_nope")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/upgrade-schedule/next", inUpgrades("/upgrade-schedule/next?days=mon&days=fri&start=22:00&duration_hours=3&duration_minutes=0&time_zone=Europe/Paris",
			"/upgrade-schedule/next?start=22:00&duration_hours=3&time_zone=Europe/Paris", "/upgrade-schedule/next?days=mon&start=22:00&duration_hours=3&time_zone=Mars/Base")},
		crawlRoute{"GET /orgs/{org}/rollouts", inUpgrades("/rollouts", "/rollouts?cursor=bogus")},
		crawlRoute{"GET /orgs/{org}/rollouts/{id}", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/rollouts/"+s.up.rollout, "/rollouts/rol_nope")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/rollouts/{id}/progress", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/rollouts/"+s.up.rollout+"/progress", "/rollouts/rol_nope/progress")(s, me)
		}},
		crawlRoute{"GET /orgs/{org}/rollouts/{id}/abort", func(s *crawlSeed, me harness.User) []string {
			return inUpgrades("/rollouts/"+s.up.rollout+"/abort")(s, me)
		}},
	)
}
