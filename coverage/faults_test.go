package coverage

import (
	"testing"

	"github.com/paulmach/orb"
)

// Planners write "built": it means existing.
func TestStatusBuilt(t *testing.T) {
	for in, want := range map[string]Status{"built": Existing, "已建": Existing, "在建": UnderConstruction, "规划": Planned, "": Existing} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseStatus("demolished"); err == nil || MessageZH(err) == "" {
		t.Errorf("unknown status: %v", err)
	}
}

// An existing item dated in a future year goes into its year, not the
// baseline.
func TestTrajectoryFutureExistingItem(t *testing.T) {
	defer func(f func() int) { thisYear = f }(thisYear)
	thisYear = func() int { return 2025 }
	cat, d := gridDataset(t)
	a, _ := Analyze(cat, d, Options{})
	items := []PlanItem{
		{ID: "now", Type: "kindergarten", Location: orb.Point{104.0612, 30.6628}, Year: 2024, Status: Existing},
		{ID: "later", Type: "kindergarten", Location: orb.Point{104.0700, 30.6650}, Year: 2027, Status: Existing},
	}
	tr, err := a.Trajectory(items, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 2 || tr.Steps[0].Items != 1 || tr.Steps[1].Year != 2027 || tr.Steps[1].Items != 2 {
		t.Fatalf("steps %+v", tr.Steps)
	}
	share := func(s TrajectoryStep) float64 {
		for _, ts := range s.Types {
			if ts.ID == "kindergarten" {
				return ts.Share
			}
		}
		return -1
	}
	if !(share(tr.Steps[1]) > share(tr.Steps[0])) {
		t.Errorf("the 2027 item must raise coverage in 2027, not at baseline: %v → %v", share(tr.Steps[0]), share(tr.Steps[1]))
	}
}

// compare's per-unit shares are the unit's own, never 0 beside a gain.
func TestCompareUnitShares(t *testing.T) {
	cat, d := fxDataset(t)
	a, err := Analyze(cat, d, Options{Detour: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.Apply([]Change{{Kind: Add, Facility: Facility{ID: "new", Type: "pharmacy", Location: orb.Point{104.0600, 30.6598}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := Compare(a, b)
	if len(c.Units) == 0 {
		t.Fatal("no unit changed")
	}
	for _, u := range c.Units {
		for _, td := range u.Types {
			if td.NewlyCovered > 0 && !(td.ShareAfter > td.ShareBefore && td.ShareAfter > 0) {
				t.Errorf("unit %s %s: newly covered %v but share %v → %v", u.Code, td.ID, td.NewlyCovered, td.ShareBefore, td.ShareAfter)
			}
		}
	}
}

// summary?by= lists units in code order with their facility counts.
func TestSummaryByUnitsSorted(t *testing.T) {
	cat, d := fxDataset(t)
	a, _ := Analyze(cat, d, Options{})
	s := a.Summary(District, DefaultProfile)
	total := 0
	for i, u := range s.Units {
		if i > 0 && s.Units[i-1].Code >= u.Code {
			t.Errorf("units out of order: %s before %s", s.Units[i-1].Code, u.Code)
		}
		total += u.Facilities
	}
	if total == 0 {
		t.Error("no facility counted in any unit")
	}
}
