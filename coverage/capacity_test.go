package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// A hand-computed 2SFCA / E2SFCA example on three cells of the tiny fixture
// (straight-line distances, detour 1.0, radius 300 m):
//
//	C0 centre, 100 residents; R1 ring 1 east, 50; R3 ring 3 east, 10.
//	A at C0 (capacity 100): reaches C0 (0 m) and R1 (133.9 m).
//	B at R3 (capacity 50): reaches R3 (0 m) and R1 (≈ 268 m); not C0 (401.7 m).
//
// 2SFCA:  R_A = 100/150 = 0.6667, R_B = 50/60 = 0.8333
//
//	A(C0) = 0.6667, A(R1) = 1.5, A(R3) = 0.8333
//
// E2SFCA (1 / 0.68 / 0.22 by thirds of 300 m): R1 is in A's middle third
// (133.9 m) and B's far third (268 m):
//
//	R_A = 100/(100 + 0.68·50) = 0.746269, R_B = 50/(0.22·50 + 10) = 2.380952
//	A(C0) = 0.746269, A(R1) = 0.68·0.746269 + 0.22·2.380952 = 1.031269,
//	A(R3) = 2.380952
func TestCapacityHandComputed(t *testing.T) {
	cat, err := ParseCatalog("capacity test", []byte(`{"types":[{"id":"kindergarten","name_zh":"幼儿园","category":"education",
	 "level":"lc5","max_walk_min":5,"max_dist_m":300,"requirement":"mandatory","source":"test","confidence":"I",
	 "norm":{"value":0.8,"unit":"seats","per":1,"per_unit":"residents"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := &Dataset{Name: "capacity", Resolution: 10}
	for _, c := range []struct {
		id  string
		pop float64
	}{{"8a40e3ce8997fff", 100}, {"8a40e3cec6cffff", 50}, {"8a40e3cec6f7fff", 10}} {
		d.Cells = append(d.Cells, PopulationCell{Cell: mustCell(t, c.id), Population: c.pop})
	}
	d.Facilities = []Facility{
		{ID: "A", Type: "kindergarten", Location: orb.Point{104.0656723, 30.6598477}, Capacity: 100, Status: Existing},
		{ID: "B", Type: "kindergarten", Location: orb.Point{104.0698227, 30.6593409}, Capacity: 50, Status: Existing},
	}
	a, err := Analyze(cat, d, Options{Detour: 1})
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-4 }
	r, err := a.Capacity("kindergarten", CapacityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.FacilityRatio[0], 100.0/150) || !near(r.FacilityRatio[1], 50.0/60) {
		t.Errorf("2SFCA R_j = %v, want [0.6667 0.8333]", r.FacilityRatio)
	}
	for i, want := range []float64{100.0 / 150, 100.0/150 + 50.0/60, 50.0 / 60} {
		if !near(r.Ratio[i], want) {
			t.Errorf("2SFCA A(cell %d) = %v, want %v", i, r.Ratio[i], want)
		}
	}
	// norm 0.8: C0 (0.667) is short, R1 and R3 served
	if r.Status[0] != CapacityShort || r.Status[1] != Served || r.Status[2] != Served || r.Short != 100 || r.Served != 60 {
		t.Errorf("statuses %v, short %v, served %v", r.Status, r.Short, r.Served)
	}
	sum := a.Summary("", DefaultProfile)
	if k := sum.Types[0]; k.Served != 60 || k.CapacityShort != 100 || k.Covered != 160 {
		t.Errorf("summary: served %v, capacity-short %v of %v covered; want 60 and 100 of 160", k.Served, k.CapacityShort, k.Covered)
	}
	e, err := a.Capacity("kindergarten", CapacityOptions{Steps: E2SFCASteps})
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.FacilityRatio[0], 0.746269) || !near(e.FacilityRatio[1], 2.380952) {
		t.Errorf("E2SFCA R_j = %v, want [0.746269 2.380952]", e.FacilityRatio)
	}
	for i, want := range []float64{0.746269, 1.031269, 2.380952} {
		if !near(e.Ratio[i], want) {
			t.Errorf("E2SFCA A(cell %d) = %v, want %v", i, e.Ratio[i], want)
		}
	}
	if e.Status[0] != CapacityShort || e.Method != "e2sfca" {
		t.Errorf("E2SFCA: C0 %v (0.746 < 0.8 is short), method %s", e.Status[0], e.Method)
	}
	// Unknown capacity: B without one takes no part; R3 is reached only by
	// it and counts as served (assumed).
	d.Facilities[1].Capacity = 0
	a2, _ := Analyze(cat, d, Options{Detour: 1})
	u, _ := a2.Capacity("kindergarten", CapacityOptions{})
	if u.UnknownCapacity != 1 || u.Status[2] != Served || u.AssumedServed != 10 || !near(u.Ratio[1], 100.0/150) {
		t.Errorf("unknown capacity: %+v ratios %v", u, u.Ratio)
	}
	if _, err := a.Capacity("kindergarten", CapacityOptions{Steps: []DecayStep{{0.5, 1}, {0.4, 0.5}}}); err == nil {
		t.Error("decreasing decay steps accepted")
	}
}
