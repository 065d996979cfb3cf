package access

import "testing"

// The SPEC §3 table, row by row: which roles may do each action.
func TestAllowsMatrix(t *testing.T) {
	want := map[Action][4]bool{ // owner, admin, operator, viewer
		ViewMembers:      {true, true, true, true},
		ViewDevices:      {true, true, true, true},
		ControlDevices:   {true, true, true, false},
		AccessRecordings: {true, true, true, false},
		ManageServers:    {true, true, true, false},
		ManageMembers:    {true, true, false, false},
		ManageFleet:      {true, true, false, false},
		ManageUpgrades:   {true, true, false, false},
		ViewLicenses:     {true, true, true, true},
		ManageLicenses:   {true, true, false, false},
		EditOrg:          {true, true, false, false},
		ViewAudit:        {true, true, false, false},
		OwnerOnly:        {true, false, false, false},
	}
	if len(want) != len(Actions) {
		t.Fatalf("table covers %d actions, want %d", len(want), len(Actions))
	}
	for _, a := range Actions {
		for i, r := range Roles {
			if got := Allows(r, a); got != want[a][i] {
				t.Errorf("Allows(%s, %s) = %v, want %v", r, a, got, want[a][i])
			}
			if err := Check(r, a); (err == nil) != want[a][i] {
				t.Errorf("Check(%s, %s) = %v", r, a, err)
			}
		}
		if Allows("", a) || Allows("root", a) {
			t.Errorf("unknown role allowed %s", a)
		}
	}
	if Allows(Owner, "nonsense") {
		t.Error("unknown action allowed")
	}
}

// ACC-1: grants cover the folder and everything below.
func TestACC1_Sees(t *testing.T) {
	granted := map[string]bool{"b": true}
	cases := []struct {
		role     Role
		ancestry []string
		want     bool
	}{
		{Viewer, []string{"root", "a"}, false},
		{Viewer, []string{"root", "b"}, true},
		{Viewer, []string{"root", "b", "c"}, true},
		{Operator, []string{"root"}, false},
		{Admin, []string{"root", "a"}, true},
		{Owner, []string{"root", "a"}, true},
	}
	for _, c := range cases {
		if got := Sees(c.role, granted, c.ancestry); got != c.want {
			t.Errorf("Sees(%s, %v) = %v, want %v", c.role, c.ancestry, got, c.want)
		}
	}
	if !Sees(Viewer, map[string]bool{"root": true}, []string{"root", "x", "y"}) {
		t.Error("granting root must grant everything")
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %v, %v", r, got, err)
		}
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("ParseRole accepted superuser")
	}
}
