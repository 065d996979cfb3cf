package main

import (
	"testing"

	"mysystems/internal/firmware"
)

// TestFW2_DemoFleetHasRecommendedUpgrades: the versions the demo devices
// report give each catalogued model of the demo devices with a recommended
// upgrade (on the active and on the LTS track) and devices up to date.
func TestFW2_DemoFleetHasRecommendedUpgrades(t *testing.T) {
	var releases []firmware.Release
	for _, r := range demoReleases {
		tr, err := firmware.ParseTrack(r.Track)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, firmware.Release{Model: r.Model, Version: firmware.MustVersion(r.Version), Track: tr})
	}
	var devices []firmware.Installed
	for _, model := range demoModels {
		for i := range 8 {
			devices = append(devices, firmware.Installed{Model: model, Firmware: demoFirmware(i)})
		}
	}
	catalogued := map[string]bool{}
	for _, r := range releases {
		catalogued[r.Model] = true
	}
	for _, s := range firmware.Summarize(releases, devices) {
		if catalogued[s.Model] && (s.UpgradeAvailable == 0 || s.OnRecommended == 0) {
			t.Errorf("%s: %+v, want some devices to upgrade and some up to date", s.Model, s)
		}
	}
	lts := firmware.Recommendation(releases, "AXIS P3265-LVE", "10.12.240")
	if !lts.Upgrade || lts.Recommended.String() != "10.12.252" {
		t.Errorf("LTS device: %+v", lts)
	}
}
