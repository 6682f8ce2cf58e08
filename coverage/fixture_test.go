package coverage

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"lifecircle/spatial"
)

// The tiny fixture: the H3 res-10 disk of radius 3 around Tianfu Square,
// without two cells of the outer ring, so the outer ring falls into two arcs.
// Distances from the centre cell (cheap ruler, metres): ring 1 125–134,
// ring 2 216–268, ring 3 328–402. With detour 1.0 a kindergarten at the
// centre covers rings 0–2 (300 m) and nothing of ring 3.
var (
	fxCentre = "8a40e3ce8997fff"
	fxRing1  = []string{"8a40e3cec6cffff", "8a40e3ce8d67fff", "8a40e3ce8d6ffff", "8a40e3ce899ffff", "8a40e3ce8987fff", "8a40e3ce89b7fff"}
	fxRing2  = []string{"8a40e3cec6effff", "8a40e3cec6c7fff", "8a40e3cec6dffff", "8a40e3ce8d77fff", "8a40e3ce8d47fff", "8a40e3ce8d4ffff",
		"8a40e3ce88b7fff", "8a40e3ce88a7fff", "8a40e3ce898ffff", "8a40e3ce89affff", "8a40e3ce89a7fff", "8a40e3cec65ffff"}
	// ring 3 in order around the ring; #0 8a40e3cec657fff and #7 8a40e3ce8d5ffff are left out
	fxArcA = []string{"8a40e3cec6e7fff", "8a40e3cec6f7fff", "8a40e3cec6d7fff", "8a40e3ce8d2ffff", "8a40e3ce8d0ffff", "8a40e3ce8d57fff"}
	fxArcB = []string{"8a40e3ce8c67fff", "8a40e3ce8897fff", "8a40e3ce8887fff", "8a40e3ce88affff", "8a40e3ce8817fff",
		"8a40e3ce8837fff", "8a40e3ce891ffff", "8a40e3ce8917fff", "8a40e3cec64ffff", "8a40e3cec647fff"}
)

const fxCatalog = `{"types": [
 {"id": "kindergarten", "name_zh": "幼儿园", "category": "education", "level": "lc5", "max_walk_min": 5, "max_dist_m": 300, "requirement": "mandatory", "source": "test", "confidence": "I"},
 {"id": "pharmacy", "name_zh": "药店", "category": "health", "level": "lc5", "max_walk_min": 5, "max_dist_m": 300, "requirement": "mandatory", "source": "test", "confidence": "I"},
 {"id": "primary_school", "name_zh": "小学", "category": "education", "level": "lc10", "max_walk_min": 10, "max_dist_m": 500, "requirement": "mandatory", "source": "test", "confidence": "I"},
 {"id": "supermarket", "name_zh": "综合超市", "category": "commerce", "level": "lc10", "max_walk_min": 10, "max_dist_m": 500, "requirement": "optional", "source": "test", "confidence": "I"}
]}`

func fxDataset(t testing.TB) (*Catalog, *Dataset) {
	t.Helper()
	cat, err := ParseCatalog("fixture catalogue", []byte(fxCatalog))
	if err != nil {
		t.Fatal(err)
	}
	d := &Dataset{Name: "tiny", Resolution: 10, PopulationNote: "hand-made fixture"}
	add := func(ids []string, pop float64) {
		for _, s := range ids {
			c, err := spatial.ParseCell(s)
			if err != nil {
				t.Fatal(err)
			}
			d.Cells = append(d.Cells, PopulationCell{Cell: c, Population: pop})
		}
	}
	add([]string{fxCentre}, 100)
	add(fxRing1, 50)
	add(fxRing2, 20)
	add(fxArcA, 10)
	add(fxArcB, 5)
	d.Facilities = []Facility{
		{ID: "K1", Type: "kindergarten", Location: orb.Point{104.0656723, 30.6598477}, Status: Existing},                // centre cell
		{ID: "K2", Type: "kindergarten", Location: orb.Point{104.0623324, 30.6612382}, Status: Planned, PlanYear: 2026}, // arc B, ring 3 #12
		{ID: "P1", Type: "pharmacy", Location: orb.Point{104.0692497, 30.6603938}, Status: Existing},                    // arc A, ring 3 #3
		{ID: "S1", Type: "supermarket", Location: orb.Point{104.1180, 30.6598}, Status: Existing},                       // 5 km east
	}
	west := orb.MultiPolygon{{orb.Bound{Min: orb.Point{104.05, 30.65}, Max: orb.Point{104.066, 30.67}}.ToRing()}}
	east := orb.MultiPolygon{{orb.Bound{Min: orb.Point{104.066, 30.65}, Max: orb.Point{104.08, 30.67}}.ToRing()}}
	d.Units = []AdminUnit{
		{Level: District, Code: "W", Name: "West", Parent: "C", Geometry: west},
		{Level: District, Code: "E", Name: "East", Parent: "C", Geometry: east},
	}
	return cat, d
}

func TestFixtureKindergartenExact(t *testing.T) {
	cat, d := fxDataset(t)
	a, err := Analyze(cat, d, Options{Detour: 1.0})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := a.Type("kindergarten")
	if a.Population() != 750 || k.Residents != 750 {
		t.Fatalf("population %v / %v, want 750", a.Population(), k.Residents)
	}
	// rings 0–2: 100 + 6×50 + 12×20 = 640
	if k.Covered != 640 || math.Abs(k.Share()-640.0/750) > 1e-12 {
		t.Errorf("kindergarten covers %v (share %v), want 640 (0.8533)", k.Covered, k.Share())
	}
	if len(k.Facilities) != 1 {
		t.Errorf("planned K2 must not count without a plan year; %d facilities count", len(k.Facilities))
	}
	for i, c := range d.Cells {
		ring := fxRingOf(c.Cell.String())
		if got, want := k.IsCovered(i), ring <= 2; got != want {
			t.Errorf("cell %v (ring %d): covered %v, want %v", c.Cell, ring, got, want)
		}
	}
	i, _ := a.CellIndex(mustCell(t, "8a40e3cec6cffff"))
	if h := k.Hit(i); math.Abs(float64(h.DistM)-133.9) > 0.1 || h.Site != 0 {
		t.Errorf("ring-1 cell: %v, want 133.9 m to K1", h)
	}
	areas, err := a.GapAreas("kindergarten")
	if err != nil {
		t.Fatal(err)
	}
	// Arc A (6 cells × 10 residents) lies in E; arc B (10 cells × 5) crosses
	// the W/E boundary and is split there: 8 cells in W, 2 in E.
	if len(areas) != 3 {
		t.Fatalf("%d gap areas, want 3 (arc A, and arc B split at the district boundary)", len(areas))
	}
	want := []struct {
		residents float64
		cells     int
		unit      string
		inUnit    int
	}{{60, 6, "E", 1}, {40, 8, "W", 1}, {10, 2, "E", 2}}
	for i, w := range want {
		g := areas[i]
		if g.Residents != w.residents || len(g.Cells) != w.cells || g.Unit == nil || g.Unit.Code != w.unit ||
			g.Rank != i+1 || g.RankInUnit != w.inUnit || g.ID != fmt.Sprintf("kindergarten-%d", i+1) {
			t.Errorf("gap area %d: %s %v residents, %d cells, unit %+v, rank %d/%d; want %+v", i+1, g.ID, g.Residents, len(g.Cells), g.Unit, g.Rank, g.RankInUnit, w)
		}
		if len(g.Geometry) != 1 || len(g.Geometry[0]) != 1 {
			t.Errorf("%s: want one polygon without holes, got %d polygons", g.ID, len(g.Geometry))
		}
		for _, c := range g.Cells { // never across the boundary
			ci, _ := a.CellIndex(c)
			if u, _ := a.UnitOf(District, ci); u.Code != g.Unit.Code {
				t.Errorf("%s: cell %v lies in %s, not %s", g.ID, c, u.Code, g.Unit.Code)
			}
		}
	}
}

func TestFixtureOtherTypes(t *testing.T) {
	cat, d := fxDataset(t)
	a, err := Analyze(cat, d, Options{Detour: 1.0})
	if err != nil {
		t.Fatal(err)
	}
	// No primary school at all: nobody covered, one gap area of all 35 cells.
	ps, _ := a.Type("primary_school")
	if ps.Covered != 0 || ps.Hits != nil {
		t.Errorf("primary_school covered %v", ps.Covered)
	}
	// The whole fixture is one gap, split at the district boundary.
	areas, _ := a.GapAreas("primary_school")
	if len(areas) != 2 || len(areas[0].Cells)+len(areas[1].Cells) != 35 || areas[0].Residents+areas[1].Residents != 750 ||
		areas[0].Unit.Code == areas[1].Unit.Code {
		t.Fatalf("primary_school gap areas %+v, want 35 cells and 750 residents in one area per district", areas)
	}
	// The supermarket is 5 km away: beyond the 2 × 500 m search limit.
	sm, _ := a.Type("supermarket")
	for i := range d.Cells {
		if sm.Hit(i).Found() {
			t.Fatalf("cell %d found a supermarket %v m away beyond the search limit", i, sm.Hit(i).DistM)
		}
	}
	// The pharmacy: check every cell against an independent haversine brute force.
	ph, _ := a.Type("pharmacy")
	p1 := d.Facilities[2].Location
	want := 0.0
	for i, c := range d.Cells {
		dist := geo.Distance(spatial.Center(c.Cell), p1)
		if dist > 2*300*1.005 { // beyond the search limit: no distance
			if ph.Hit(i).Found() {
				t.Errorf("cell %v: pharmacy found at %v m beyond the 600 m search limit", c.Cell, ph.Hit(i).DistM)
			}
			continue
		}
		if math.Abs(float64(ph.Hit(i).DistM)-dist) > 0.005*dist+0.01 {
			t.Errorf("cell %v: pharmacy at %v m, haversine %v m", c.Cell, ph.Hit(i).DistM, dist)
		}
		if dist <= 300 {
			want += c.Population
		}
	}
	if ph.Covered != want || want == 0 {
		t.Errorf("pharmacy covers %v, brute force %v", ph.Covered, want)
	}
	// Completeness lc5 of the centre cell: kindergarten yes, pharmacy (348 m) no.
	ci, _ := a.CellIndex(mustCell(t, fxCentre))
	if c := a.Completeness(ci, LC5); c != 0.5 {
		t.Errorf("centre completeness lc5 = %v, want 0.5", c)
	}
	if c := a.Completeness(ci, LC10); c != 0 {
		t.Errorf("centre completeness lc10 = %v, want 0 (only primary_school is mandatory and there is none)", c)
	}
	if c := a.Completeness(ci, LC15); !math.IsNaN(c) {
		t.Errorf("lc15 has no mandatory type in the fixture catalogue: want NaN, got %v", c)
	}
}

func TestFixtureUnitsAndSummary(t *testing.T) {
	cat, d := fxDataset(t)
	a, err := Analyze(cat, d, Options{Detour: 1.0})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Summary(District, DefaultProfile)
	if s.Method != "euclidean" || !s.Approximate || s.Detour != 1.0 || s.Residents != 750 {
		t.Errorf("summary header %+v", s)
	}
	if len(s.Units) != 2 || s.Unassigned != nil {
		t.Fatalf("units %+v, unassigned %+v", s.Units, s.Unassigned)
	}
	total, covered := 0.0, 0.0
	for _, u := range s.Units {
		total += u.Residents
		// independent: residents of the unit by the cell centre's longitude
		want, wantCov := 0.0, 0.0
		for _, c := range d.Cells {
			p := spatial.Center(c.Cell)
			if (u.Code == "W") == (p[0] < 104.066) {
				want += c.Population
				if spatial.DistanceM(p, d.Facilities[0].Location) <= 300 {
					wantCov += c.Population
				}
			}
		}
		if u.Residents != want {
			t.Errorf("unit %s: %v residents, want %v", u.Code, u.Residents, want)
		}
		for _, ts := range u.Types {
			if ts.ID == "kindergarten" {
				covered += ts.Covered
				if ts.Covered != wantCov {
					t.Errorf("unit %s kindergarten covered %v, want %v", u.Code, ts.Covered, wantCov)
				}
			}
		}
	}
	if total != 750 || covered != 640 {
		t.Errorf("units add up to %v residents, %v covered; want 750 and 640", total, covered)
	}
	if s.Completeness[LC5] <= 0 || s.Completeness[LC5] >= 1 {
		t.Errorf("citywide lc5 completeness %v", s.Completeness[LC5])
	}
}

func TestPlanYearCountsPlannedFacilities(t *testing.T) {
	cat, d := fxDataset(t)
	base, _ := Analyze(cat, d, Options{Detour: 1.0})
	plan, err := Analyze(cat, d, Options{Detour: 1.0, PlanYear: 2026})
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := base.Type("kindergarten")
	kp, _ := plan.Type("kindergarten")
	if len(kp.Facilities) != 2 || kp.Covered <= kb.Covered {
		t.Errorf("with plan year 2026: %d kindergartens covering %v (baseline %v)", len(kp.Facilities), kp.Covered, kb.Covered)
	}
	early, _ := Analyze(cat, d, Options{Detour: 1.0, PlanYear: 2025})
	if ke, _ := early.Type("kindergarten"); ke.Covered != kb.Covered {
		t.Errorf("a 2026 facility must not count in 2025")
	}
}

func TestDetourShrinksCoverage(t *testing.T) {
	cat, d := fxDataset(t)
	a, err := Analyze(cat, d, Options{}) // default detour 1.3: 300 m walk = 230.8 m straight
	if err != nil {
		t.Fatal(err)
	}
	k, _ := a.Type("kindergarten")
	i, _ := a.CellIndex(mustCell(t, "8a40e3cec6cffff"))
	if h := k.Hit(i); math.Abs(float64(h.DistM)-133.9*1.3) > 0.2 {
		t.Errorf("ring-1 distance %v, want 174.1 (133.9 × 1.3)", h.DistM)
	}
	// ring 2 cells at 215.9–231.3 m straight stay in (≤ 230.8) except the 231.3 ones.
	for j, c := range d.Cells {
		straight := spatial.DistanceM(spatial.Center(c.Cell), d.Facilities[0].Location)
		if got, want := k.IsCovered(j), straight*1.3 <= 300; got != want {
			t.Errorf("cell %v at %.1f m straight: covered %v, want %v", c.Cell, straight, got, want)
		}
	}
}

func TestAnalyzeRejectsBadInput(t *testing.T) {
	cat, d := fxDataset(t)
	if _, err := Analyze(cat, d, Options{Detour: 0.5}); err == nil {
		t.Error("detour 0.5 accepted")
	}
	d.Facilities = append(d.Facilities, Facility{ID: "X", Type: "hospital", Location: orb.Point{104, 30}})
	_, err := Analyze(cat, d, Options{})
	if err == nil || !strings.Contains(err.Error(), "valid types: kindergarten, pharmacy, primary_school, supermarket") {
		t.Errorf("unknown type error %v does not list the valid ids", err)
	}
}

func fxRingOf(id string) int {
	if id == fxCentre {
		return 0
	}
	for ring, ids := range [][]string{fxRing1, fxRing2, fxArcA, fxArcB} {
		for _, s := range ids {
			if s == id {
				return min(ring+1, 3)
			}
		}
	}
	return -1
}

func mustCell(t testing.TB, s string) spatial.Cell {
	c, err := spatial.ParseCell(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
