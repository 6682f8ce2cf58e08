// Package storetest is the conformance suite every coverage.Store passes
// (gpkgstore, pgstore, memstore), in the style of a scanner test suite: a
// store package calls Run with a factory of empty stores. It also holds the
// fixtures the store tests share and a throwaway PostgreSQL cluster for the
// PostGIS tests.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/data/store"
	"lifecircle/data/synth"
	"lifecircle/spatial"
)

// Factory makes an empty store for one test; reopen opens the same
// store again (after the first is closed) to prove what was written lasts.
type Factory func(t *testing.T) (s coverage.Store, reopen func(t *testing.T) coverage.Store)

// Run is the suite every Store implementation must pass.
func Run(t *testing.T, open Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Factory)
	}{
		{"DatasetRoundTrip", testDatasetRoundTrip},
		{"DatasetReplace", testDatasetReplace},
		{"BigDatasetRoundTrip", testBigDataset},
		{"InvalidDatasetLeavesStore", testInvalidDataset},
		{"NotFound", testNotFound},
		{"Scenarios", testScenarios},
		{"Proposals", testProposals},
		{"PlanItems", testPlanItems},
		{"Layers", testLayers},
		{"ReopenKeepsEverything", testReopen},
		{"ReadersNeverSeeHalfAnImport", testConcurrentReaders},
		{"Users", testUsers},
		{"AuditAndReplay", testAuditAndReplay},
		{"Versions", testVersions},
		{"ConcurrentWritersWithVersions", testConcurrentVersionedWriters},
		{"Networks", testNetworks},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var bg = context.Background()

// Tiny is the tiny fixture with a catalogue override that adds a type
// and changes a radius: both must come back.
func Tiny(t testing.TB, name string) (*coverage.Catalog, *coverage.Dataset) {
	t.Helper()
	in := TinyInputs()
	in.Name = name
	in.PopulationNote = "hand-made, " + name
	cat, ds, err := data.Load(in)
	if err != nil {
		t.Fatal(err)
	}
	cat, err = cat.Extend("test override", []byte(`{"types": [
		{"id": "kindergarten", "max_dist_m": 250},
		{"id": "night_school", "name_zh": "夜校", "name_en": "Night school", "category": "education",
		 "level": "lc15", "max_walk_min": 15, "max_dist_m": 1000, "requirement": "optional",
		 "norm": {"value": 1, "unit": "school", "per": 50000, "per_unit": "residents"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ds.Facilities = append(ds.Facilities, coverage.Facility{ID: "N1", Type: "night_school", Location: orb.Point{104.0651, 30.6602}, Status: coverage.Existing})
	return cat, ds
}

// Disk is a synthetic dataset of the H3 disk of radius k around the
// tiny fixture's centre, with nFac facilities.
func Disk(name string, k, nFac int) (*coverage.Catalog, *coverage.Dataset) {
	cat := coverage.DefaultCatalog()
	centre := spatial.CellOf(tianfuSquare, 10)
	cells := spatial.Disk(centre, k)
	ds := &coverage.Dataset{Name: name, Resolution: 10, PopulationNote: fmt.Sprintf("synthetic disk k=%d", k)}
	var b orb.Bound
	for i, c := range cells {
		ds.Cells = append(ds.Cells, coverage.PopulationCell{Cell: c, Population: float64(i%97) + 0.5})
		cb := spatial.Boundary(c).Bound()
		if i == 0 {
			b = cb
		} else {
			b = b.Union(cb)
		}
	}
	ids := cat.IDs()
	for i := 0; i < nFac; i++ {
		c := cells[(i*7919)%len(cells)]
		ds.Facilities = append(ds.Facilities, coverage.Facility{
			ID: fmt.Sprintf("F%d", i), Type: ids[i%len(ids)], Name: fmt.Sprintf("facility %d", i),
			Location: spatial.Center(c), Capacity: float64(i % 300), Status: coverage.Existing,
		})
	}
	ds.Units = []coverage.AdminUnit{{Level: coverage.District, Code: "D1", Name: "Disk district", Geometry: orb.MultiPolygon{b.ToPolygon()}}}
	return cat, ds
}

func MustSave(t testing.TB, s coverage.Store, cat *coverage.Catalog, ds *coverage.Dataset) {
	t.Helper()
	if err := s.SaveDataset(bg, cat, ds); err != nil {
		t.Fatalf("SaveDataset(%s): %v", ds.Name, err)
	}
}

func WantDataset(t testing.TB, s coverage.Store, wantCat *coverage.Catalog, want *coverage.Dataset) {
	t.Helper()
	cat, ds, err := s.LoadDataset(bg, want.Name)
	if err != nil {
		t.Fatalf("LoadDataset(%s): %v", want.Name, err)
	}
	if !reflect.DeepEqual(cat.Types, wantCat.Types) {
		t.Errorf("catalogue of %s differs after the round trip", want.Name)
	}
	if !reflect.DeepEqual(cat.IDs(), wantCat.IDs()) {
		t.Errorf("catalogue ids %v, want %v", cat.IDs(), wantCat.IDs())
	}
	if ds.Name != want.Name || ds.Resolution != want.Resolution || ds.PopulationNote != want.PopulationNote {
		t.Errorf("dataset header %q/%d/%q, want %q/%d/%q", ds.Name, ds.Resolution, ds.PopulationNote, want.Name, want.Resolution, want.PopulationNote)
	}
	if !reflect.DeepEqual(ds.Facilities, want.Facilities) {
		t.Errorf("facilities differ:\n got %+v\nwant %+v", ds.Facilities, want.Facilities)
	}
	if !reflect.DeepEqual(ds.Cells, want.Cells) {
		t.Errorf("cells differ: got %d, want %d", len(ds.Cells), len(want.Cells))
	}
	if !reflect.DeepEqual(ds.Units, want.Units) {
		t.Errorf("units differ:\n got %+v\nwant %+v", ds.Units, want.Units)
	}
	if err := ds.Validate(cat); err != nil {
		t.Errorf("loaded dataset does not validate: %v", err)
	}
}

func testDatasetRoundTrip(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Tiny(t, "tiny")
	MustSave(t, s, cat, ds)
	WantDataset(t, s, cat, ds)
	names, err := s.Datasets(bg)
	if err != nil || !reflect.DeepEqual(names, []string{"tiny"}) {
		t.Errorf("Datasets = %v, %v; want [tiny]", names, err)
	}
	// The loaded dataset analyses like the original.
	lcat, lds, err := s.LoadDataset(bg, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	a1, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := coverage.Analyze(lcat, lds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := json.Marshal(a1.Summary(coverage.District, coverage.DefaultProfile))
	s2, _ := json.Marshal(a2.Summary(coverage.District, coverage.DefaultProfile))
	if string(s1) != string(s2) {
		t.Errorf("summary of the loaded dataset differs:\n%s\n%s", s2, s1)
	}
}

// testBigDataset: a synthetic city of 60,000 cells comes back exactly as
// saved, alone in the store and beside another dataset (stores read big
// datasets their own way: in two parts at once, in the tables' order).
func testBigDataset(t *testing.T, open Factory) {
	s, reopen := open(t)
	big := synth.City(synth.Config{Cells: 60_000, Facilities: 3_000})
	big.Name = "big"
	cat := coverage.DefaultCatalog()
	MustSave(t, s, cat, big)
	WantDataset(t, s, cat, big)
	tcat, tiny := Tiny(t, "a-tiny")
	MustSave(t, s, tcat, tiny)
	WantDataset(t, s, cat, big)
	WantDataset(t, s, tcat, tiny)
	if c, ok := s.(interface{ Close() error }); ok {
		c.Close()
		s = reopen(t)
		WantDataset(t, s, cat, big)
	}
}

func testDatasetReplace(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, a := Disk("city", 8, 40)
	MustSave(t, s, cat, a)
	tcat, other := Tiny(t, "other")
	MustSave(t, s, tcat, other)
	_, b := Disk("city", 5, 12)
	b.Units = nil
	b.PopulationNote = ""
	MustSave(t, s, cat, b)
	WantDataset(t, s, cat, b)
	WantDataset(t, s, tcat, other)
	names, err := s.Datasets(bg)
	if err != nil || !reflect.DeepEqual(names, []string{"city", "other"}) {
		t.Errorf("Datasets = %v, %v; want [city other]", names, err)
	}
}

func testInvalidDataset(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 4, 10)
	MustSave(t, s, cat, ds)
	_, bad := Disk("city", 6, 20)
	bad.Facilities[3].Type = "casino"
	err := s.SaveDataset(bg, cat, bad)
	WantInvalid(t, err, "casino")
	_, bad = Disk("city", 6, 20)
	bad.Cells = append(bad.Cells, bad.Cells[0])
	WantInvalid(t, s.SaveDataset(bg, cat, bad), "appears twice")
	WantInvalid(t, s.SaveDataset(bg, cat, &coverage.Dataset{Resolution: 10}), "dataset name")
	WantDataset(t, s, cat, ds)
}

func WantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, coverage.ErrNotFound) {
		t.Errorf("%s: error %v, want ErrNotFound", what, err)
	}
}

func testNotFound(t *testing.T, open Factory) {
	s, _ := open(t)
	_, _, err := s.LoadDataset(bg, "nope")
	WantNotFound(t, "LoadDataset", err)
	names, err := s.Datasets(bg)
	if err != nil || len(names) != 0 {
		t.Errorf("Datasets of an empty store = %v, %v", names, err)
	}
	_, err = s.Scenario(bg, "nope")
	WantNotFound(t, "Scenario", err)
	_, err = s.Scenarios(bg, "nope")
	WantNotFound(t, "Scenarios", err)
	_, err = s.Proposals(bg, "nope")
	WantNotFound(t, "Proposals", err)
	_, err = s.PlanItems(bg, "nope")
	WantNotFound(t, "PlanItems", err)
	WantNotFound(t, "DeleteScenario", s.DeleteScenario(bg, "nope"))
	WantNotFound(t, "SaveScenario of a missing dataset", s.SaveScenario(bg, coverage.Scenario{ID: "s", Dataset: "nope", Name: "x"}))
	WantNotFound(t, "AddProposal to a missing scenario", s.AddProposal(bg, coverage.Proposal{ID: "p", ScenarioID: "nope"}))
	WantNotFound(t, "SavePlanItems of a missing dataset", s.SavePlanItems(bg, "nope", nil))
	WantNotFound(t, "SaveLayer of a missing dataset", s.SaveLayer(bg, "nope", "gaps/x", nil))
	_, err = s.Layers(bg, "nope")
	WantNotFound(t, "Layers", err)
	cat, ds := Disk("city", 2, 3)
	MustSave(t, s, cat, ds)
	_, err = s.Layer(bg, "city", "gaps/none")
	WantNotFound(t, "Layer", err)
}

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))

func testScenarios(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	later := coverage.Scenario{ID: "b", Dataset: "city", Name: "Later", Author: "Li Wei", Unit: "D1", Created: t0.Add(time.Hour),
		Description: "a second try",
		Changes: []coverage.Change{
			{Kind: coverage.Add, Facility: coverage.Facility{ID: "new1", Type: "kindergarten", Name: "新幼儿园", Location: orb.Point{104.066, 30.66}, Capacity: 180, Status: coverage.Planned, PlanYear: 2027}},
			{Kind: coverage.Move, FacilityID: "F1", Facility: coverage.Facility{Location: orb.Point{104.067, 30.661}}},
			{Kind: coverage.Remove, FacilityID: "F2"},
		}}
	earlier := coverage.Scenario{ID: "a", Dataset: "city", Name: "Earlier", Created: t0}
	for _, sc := range []coverage.Scenario{later, earlier} {
		if err := s.SaveScenario(bg, sc); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Scenario(bg, "b")
	if err != nil {
		t.Fatal(err)
	}
	want := later
	want.Created = t0.Add(time.Hour).UTC().Truncate(time.Microsecond)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scenario(b)\n got %+v\nwant %+v", got, want)
	}
	list, err := s.Scenarios(bg, "city")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("Scenarios: %+v; want a then b (oldest first)", list)
	}
	// Replacing keeps the proposals.
	if err := s.AddProposal(bg, coverage.Proposal{ID: "p1", ScenarioID: "b", Created: t0}); err != nil {
		t.Fatal(err)
	}
	later.Name, later.Changes = "Later, renamed", nil
	if err := s.SaveScenario(bg, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Scenario(bg, "b"); got.Name != "Later, renamed" || got.Changes != nil {
		t.Errorf("after replace: %+v", got)
	}
	if ps, err := s.Proposals(bg, "b"); err != nil || len(ps) != 1 {
		t.Errorf("proposals after replacing the scenario: %v, %v", ps, err)
	}
	WantInvalid(t, s.SaveScenario(bg, coverage.Scenario{ID: "c", Dataset: "city"}), "scenario name")
	WantInvalid(t, s.SaveScenario(bg, coverage.Scenario{ID: "c", Dataset: "city", Name: "x", Changes: []coverage.Change{{Kind: "paint"}}}), "paint")
	// Deleting removes the proposals too.
	if err := s.DeleteScenario(bg, "b"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Scenario(bg, "b")
	WantNotFound(t, "deleted scenario", err)
	_, err = s.Proposals(bg, "b")
	WantNotFound(t, "proposals of a deleted scenario", err)
	if err := s.SaveScenario(bg, coverage.Scenario{ID: "b", Dataset: "city", Name: "again", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if ps, err := s.Proposals(bg, "b"); err != nil || len(ps) != 0 {
		t.Errorf("a re-created scenario has proposals %v, %v", ps, err)
	}
}

func testProposals(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	if err := s.SaveScenario(bg, coverage.Scenario{ID: "sc", Dataset: "city", Name: "Sites for 2027", Created: t0}); err != nil {
		t.Fatal(err)
	}
	p2 := coverage.Proposal{ID: "p2", ScenarioID: "sc", Author: "王芳", Unit: "D1", Created: t0.Add(2 * time.Minute),
		Facilities: []coverage.Facility{
			{ID: "p2-1", Type: "kindergarten", Name: "A", Location: orb.Point{104.0661, 30.6601}, Capacity: 120, Status: coverage.Planned, PlanYear: 2027},
			{ID: "p2-2", Type: "pharmacy", Location: orb.Point{104.0671, 30.6611}, Status: coverage.Planned},
		},
		Shown: []byte(`{"gain": {"kindergarten": 812.5}, "note": "straight line × 1.3"}`)}
	p1 := coverage.Proposal{ID: "p1", ScenarioID: "sc", Author: "Li", Created: t0.Add(time.Minute),
		Facilities: []coverage.Facility{{ID: "p1-1", Type: "elderly_day_care", Location: orb.Point{104.0651, 30.6591}, Status: coverage.Planned}}}
	for _, p := range []coverage.Proposal{p2, p1} {
		if err := s.AddProposal(bg, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Proposals(bg, "sc")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*coverage.Proposal{&p1, &p2} {
		p.Created = store.Time(p.Created)
	}
	if !reflect.DeepEqual(got, []coverage.Proposal{p1, p2}) {
		t.Errorf("Proposals\n got %+v\nwant %+v", got, []coverage.Proposal{p1, p2})
	}
	WantInvalid(t, s.AddProposal(bg, p1), "already exists")
	bad := p1
	bad.ID, bad.Shown = "p3", []byte("{not json")
	WantInvalid(t, s.AddProposal(bg, bad), "not valid JSON")
	bad.Shown, bad.Facilities = nil, []coverage.Facility{{ID: "x", Type: "kindergarten", Location: orb.Point{30.66, 104.06}}}
	WantInvalid(t, s.AddProposal(bg, bad), "swapped")
	if got, _ := s.Proposals(bg, "sc"); len(got) != 2 {
		t.Errorf("refused proposals were stored: %d proposals", len(got))
	}
}

func testPlanItems(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	items := []coverage.PlanItem{
		{ID: "k2", Type: "kindergarten", Name: "B", Location: orb.Point{104.066, 30.66}, Year: 2027, Status: coverage.Planned, Cost: 1500, Unit: "D1"},
		{ID: "k1", Type: "kindergarten", Location: orb.Point{104.067, 30.661}, Year: 2027, Status: coverage.UnderConstruction},
		{ID: "h1", Dataset: "city", Type: "community_health_center", Location: orb.Point{104.065, 30.659}, Year: 2026, Status: coverage.Planned, Cost: 3200.5},
	}
	if err := s.SavePlanItems(bg, "city", items); err != nil {
		t.Fatal(err)
	}
	got, err := s.PlanItems(bg, "city")
	if err != nil {
		t.Fatal(err)
	}
	want := []coverage.PlanItem{items[2], items[1], items[0]}
	for i := range want {
		want[i].Dataset = "city"
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PlanItems\n got %+v\nwant %+v", got, want)
	}
	if err := s.SavePlanItems(bg, "city", items[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PlanItems(bg, "city"); len(got) != 1 || got[0].ID != "k2" {
		t.Errorf("after replace: %+v", got)
	}
	dup := []coverage.PlanItem{items[0], items[0]}
	WantInvalid(t, s.SavePlanItems(bg, "city", dup), "repeated")
	wrong := items[2]
	wrong.Dataset = "elsewhere"
	WantInvalid(t, s.SavePlanItems(bg, "city", []coverage.PlanItem{wrong}), "elsewhere")
	bad := items[1]
	bad.Status = "dreamt"
	err = s.SavePlanItems(bg, "city", []coverage.PlanItem{bad})
	WantInvalid(t, err, "dreamt")
	if got, _ := s.PlanItems(bg, "city"); len(got) != 1 {
		t.Errorf("a refused plan replaced the stored one: %+v", got)
	}
	if err := s.SavePlanItems(bg, "city", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PlanItems(bg, "city"); err != nil || len(got) != 0 {
		t.Errorf("emptied plan: %+v, %v", got, err)
	}
}

// normalizeProps is what a JSON round trip makes of properties.
func normalizeProps(t testing.TB, p map[string]any) map[string]any {
	t.Helper()
	if p == nil {
		return map[string]any{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func WantLayer(t testing.TB, s coverage.Store, dataset, name string, want []coverage.LayerFeature) {
	t.Helper()
	got, err := s.Layer(bg, dataset, name)
	if err != nil {
		t.Fatalf("Layer(%s, %s): %v", dataset, name, err)
	}
	if len(got) != len(want) {
		t.Fatalf("Layer(%s, %s): %d features, want %d", dataset, name, len(got), len(want))
	}
	for i := range want {
		w := want[i]
		if r, ok := w.Geometry.(orb.Ring); ok {
			w.Geometry = orb.Polygon{r}
		}
		if got[i].ID != w.ID || !reflect.DeepEqual(got[i].Geometry, w.Geometry) ||
			!reflect.DeepEqual(got[i].Properties, normalizeProps(t, w.Properties)) {
			t.Errorf("Layer(%s, %s) feature %d:\n got %+v\nwant %+v", dataset, name, i, got[i], w)
		}
	}
}

func CellFeatures(ds *coverage.Dataset, n int) []coverage.LayerFeature {
	var out []coverage.LayerFeature
	for i, c := range ds.Cells[:n] {
		out = append(out, coverage.LayerFeature{
			ID:       c.Cell.String(),
			Geometry: orb.Polygon{spatial.Boundary(c.Cell)},
			Properties: map[string]any{
				"h3": c.Cell.String(), "population": c.Population, "covered": i%2 == 0, "distance_m": nil,
				"rank": i, "level": coverage.LC15, "units": []string{"D1"}, "facility id": "F1", "fid": "clash",
			},
		})
	}
	return out
}

func testLayers(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	tcat, tiny := Tiny(t, "tiny")
	MustSave(t, s, tcat, tiny)
	gaps := CellFeatures(ds, 20)
	if err := s.SaveLayer(bg, "city", "gaps/kindergarten", gaps); err != nil {
		t.Fatal(err)
	}
	mixed := []coverage.LayerFeature{
		{ID: "a", Geometry: orb.MultiPolygon{{spatial.Boundary(ds.Cells[0].Cell)}}, Properties: map[string]any{"rank": 1}},
		{ID: "b", Geometry: orb.Point{104.066, 30.66}},
		{Geometry: nil, Properties: map[string]any{"note": "no geometry"}},
		{ID: "d", Geometry: spatial.Boundary(ds.Cells[1].Cell), Properties: map[string]any{}},
	}
	if err := s.SaveLayer(bg, "city", "gap-areas/kindergarten", mixed); err != nil {
		t.Fatal(err)
	}
	tinyGaps := CellFeatures(tiny, 5)
	if err := s.SaveLayer(bg, "tiny", "gaps/kindergarten", tinyGaps); err != nil {
		t.Fatal(err)
	}
	WantLayer(t, s, "city", "gaps/kindergarten", gaps)
	WantLayer(t, s, "city", "gap-areas/kindergarten", mixed)
	WantLayer(t, s, "tiny", "gaps/kindergarten", tinyGaps)
	names, err := s.Layers(bg, "city")
	if err != nil || !reflect.DeepEqual(names, []string{"gap-areas/kindergarten", "gaps/kindergarten"}) {
		t.Errorf("Layers(city) = %v, %v", names, err)
	}
	// Replace with fewer features and a new property; the other dataset's
	// layer of the same name stays.
	fewer := CellFeatures(ds, 3)
	fewer[0].Properties["new_prop"] = 2.5
	if err := s.SaveLayer(bg, "city", "gaps/kindergarten", fewer); err != nil {
		t.Fatal(err)
	}
	WantLayer(t, s, "city", "gaps/kindergarten", fewer)
	WantLayer(t, s, "tiny", "gaps/kindergarten", tinyGaps)
	if err := s.SaveLayer(bg, "city", "empty", nil); err != nil {
		t.Fatal(err)
	}
	WantLayer(t, s, "city", "empty", nil)
	WantInvalid(t, s.SaveLayer(bg, "city", "", nil), "layer name")
	WantInvalid(t, s.SaveLayer(bg, "city", "x", []coverage.LayerFeature{{Properties: map[string]any{"bad": func() {}}}}), "properties")
}

func testReopen(t *testing.T, open Factory) {
	s, reopen := open(t)
	cat, ds := Tiny(t, "tiny")
	MustSave(t, s, cat, ds)
	sc := coverage.Scenario{ID: "sc", Dataset: "tiny", Name: "n", Created: t0}
	p := coverage.Proposal{ID: "p", ScenarioID: "sc", Created: t0, Facilities: []coverage.Facility{{ID: "x", Type: "pharmacy", Location: orb.Point{104.066, 30.66}, Status: coverage.Planned}}}
	items := []coverage.PlanItem{{ID: "i", Dataset: "tiny", Type: "pharmacy", Location: orb.Point{104.066, 30.66}, Year: 2026, Status: coverage.Planned}}
	layer := CellFeatures(ds, 4)
	for _, err := range []error{s.SaveScenario(bg, sc), s.AddProposal(bg, p), s.SavePlanItems(bg, "tiny", items), s.SaveLayer(bg, "tiny", "coverage/pharmacy", layer)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	WantDataset(t, s, cat, ds)
	sc.Created = store.Time(sc.Created)
	if got, err := s.Scenario(bg, "sc"); err != nil || !reflect.DeepEqual(got, sc) {
		t.Errorf("scenario after reopen: %+v, %v", got, err)
	}
	p.Created = store.Time(p.Created)
	if got, err := s.Proposals(bg, "sc"); err != nil || !reflect.DeepEqual(got, []coverage.Proposal{p}) {
		t.Errorf("proposals after reopen: %+v, %v", got, err)
	}
	if got, err := s.PlanItems(bg, "tiny"); err != nil || !reflect.DeepEqual(got, items) {
		t.Errorf("plan items after reopen: %+v, %v", got, err)
	}
	WantLayer(t, s, "tiny", "coverage/pharmacy", layer)
}

// testConcurrentReaders replaces a big dataset while readers load it in a
// loop: every read must be wholly the old or wholly the new dataset.
func testConcurrentReaders(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, old := Disk("city", 30, 300) // 2,791 cells
	_, next := Disk("city", 45, 700)  // 6,211 cells
	next.Units = append(next.Units, coverage.AdminUnit{Level: coverage.Street, Code: "S1", Parent: "D1"})
	MustSave(t, s, cat, old)
	type counts struct{ f, c, u int }
	oldC := counts{len(old.Facilities), len(old.Cells), len(old.Units)}
	newC := counts{len(next.Facilities), len(next.Cells), len(next.Units)}
	var stop atomic.Bool
	var reads, sawNew atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				_, ds, err := s.LoadDataset(bg, "city")
				if err != nil {
					errc <- err
					return
				}
				got := counts{len(ds.Facilities), len(ds.Cells), len(ds.Units)}
				switch got {
				case oldC:
				case newC:
					sawNew.Add(1)
				default:
					errc <- fmt.Errorf("a reader saw a mix: %+v (old %+v, new %+v)", got, oldC, newC)
					return
				}
				if ds.Cells[0].Population != old.Cells[0].Population && got == oldC {
					errc <- fmt.Errorf("a reader saw old counts with new cells")
					return
				}
				reads.Add(1)
			}
		}()
	}
	for i := 0; i < 2; i++ {
		ds := next
		if i%2 == 1 {
			ds = old
		}
		MustSave(t, s, cat, ds)
	}
	MustSave(t, s, cat, next)
	// Let the readers see the final dataset at least once (slow machines).
	for deadline := time.Now().Add(20 * time.Second); sawNew.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if reads.Load() == 0 || sawNew.Load() == 0 {
		t.Errorf("readers made %d reads, %d of the new dataset; want some of each", reads.Load(), sawNew.Load())
	}
	t.Logf("%d consistent reads during 3 replacements", reads.Load())
	WantDataset(t, s, cat, next)
}

// TinyInputs is the hand-made fixture of data/testdata/tiny.
func TinyInputs() data.Inputs {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "testdata", "tiny")
	return data.Inputs{
		Facilities: filepath.Join(dir, "facilities.csv"),
		Population: filepath.Join(dir, "population.csv"),
		Boundaries: data.BoundaryPaths(filepath.Join(dir, "boundaries.geojson")),
	}
}

// tianfuSquare is the centre of the tiny fixture.
var tianfuSquare = orb.Point{104.0656723, 30.6598477}

// WantInvalid fails unless err is an ErrInvalid error whose message holds
// every one of wants.
func WantInvalid(t testing.TB, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", wants)
	}
	if !errors.Is(err, coverage.ErrInvalid) {
		t.Errorf("error %q does not wrap coverage.ErrInvalid", err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\n\tlacks %q", err, w)
		}
	}
}

func testUsers(t *testing.T, open Factory) {
	s, reopen := open(t)
	_, id1, c1 := coverage.NewToken()
	_, id2, c2 := coverage.NewToken()
	u1 := coverage.User{ID: id1, Name: "张科长", Role: coverage.StreetOfficial, Units: []string{"510108001", "510108002"}, Created: t0}
	u2 := coverage.User{ID: id2, Name: "planner", Role: coverage.Planner, Created: t0.Add(time.Second)}
	for _, x := range []struct {
		u coverage.User
		c coverage.Credential
	}{{u1, c1}, {u2, c2}} {
		if err := s.AddUser(bg, x.u, x.c); err != nil {
			t.Fatal(err)
		}
	}
	_, id3, c3 := coverage.NewToken()
	WantInvalid(t, s.AddUser(bg, coverage.User{ID: id3, Name: "张科长", Role: coverage.Viewer, Created: t0}, c3), "张科长")
	WantInvalid(t, s.AddUser(bg, coverage.User{ID: id3, Name: "x", Role: coverage.StreetOfficial, Created: t0}, c3), "unit")
	WantInvalid(t, s.AddUser(bg, coverage.User{ID: id3, Name: "x", Role: "mayor", Created: t0}, c3), "mayor")
	s.Close()
	s = reopen(t)
	got, cred, err := s.UserByID(bg, id1)
	u1.Created = store.Time(u1.Created)
	if err != nil || !reflect.DeepEqual(got, u1) || !reflect.DeepEqual(cred, c1) {
		t.Errorf("UserByID = %+v, %v, %v; want %+v", got, cred, err, u1)
	}
	_, _, err = s.UserByID(bg, "0000000000000000")
	WantNotFound(t, "UserByID of an unknown id", err)
	WantNotFound(t, "RevokeUser of an unknown name", s.RevokeUser(bg, "nobody"))
	if err := s.RevokeUser(bg, "张科长"); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.UserByID(bg, id1); err != nil || got.Active() {
		t.Errorf("after revoking: %+v, %v; want a revoked user", got, err)
	}
	WantNotFound(t, "RevokeUser twice", s.RevokeUser(bg, "张科长"))
	// The name is free again for a new token.
	if err := s.AddUser(bg, coverage.User{ID: id3, Name: "张科长", Role: coverage.Viewer, Created: t0.Add(time.Minute)}, c3); err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(bg)
	if err != nil || len(users) != 3 || users[0].ID != id1 || users[1].ID != id2 || users[2].ID != id3 || users[0].Active() || !users[2].Active() {
		t.Errorf("Users = %+v, %v", users, err)
	}
}

func testAuditAndReplay(t *testing.T, open Factory) {
	s, reopen := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	note := func(action, scenario, key string, body string) context.Context {
		n := coverage.WriteNote{Audit: &coverage.AuditEntry{At: t0, User: "王芳", Role: coverage.Planner, Action: action,
			Dataset: "city", Scenario: scenario, RequestID: "req-" + action, Detail: []byte(`{"n": 1}`)}}
		if key != "" {
			n.Replay = &coverage.Replay{User: "王芳", Key: key, Method: "POST", Path: "/v1/scenarios", Status: 201, Body: []byte(body), Created: t0,
				RequestSHA256: "sha-of-" + key}
		}
		return coverage.WithWriteNote(bg, n)
	}
	sc := coverage.Scenario{ID: "sc", Dataset: "city", Name: "n", Created: t0}
	if err := s.SaveScenario(note("scenario.create", "sc", "k1", `{"id":"sc"}`), sc); err != nil {
		t.Fatal(err)
	}
	// The same key again: the write is refused and nothing is recorded.
	sc2 := coverage.Scenario{ID: "sc2", Dataset: "city", Name: "n", Created: t0}
	err := s.SaveScenario(note("scenario.create", "sc2", "k1", `{"id":"sc2"}`), sc2)
	if !errors.Is(err, coverage.ErrConflict) {
		t.Errorf("a reused idempotency key: %v, want ErrConflict", err)
	}
	if _, err := s.Scenario(bg, "sc2"); !errors.Is(err, coverage.ErrNotFound) {
		t.Errorf("the write with a reused key was stored: %v", err)
	}
	// A failed write records nothing either.
	if err := s.AddProposal(note("proposal.add", "nope", "k2", `{}`), coverage.Proposal{ID: "p", ScenarioID: "nope"}); err == nil {
		t.Fatal("a proposal for a missing scenario was accepted")
	}
	p := coverage.Proposal{ID: "p", ScenarioID: "sc", Created: t0, Facilities: []coverage.Facility{{ID: "x", Type: "pharmacy", Location: orb.Point{104.066, 30.66}, Status: coverage.Planned}}}
	if err := s.AddProposal(note("proposal.add", "sc", "k2", `{"id":"p"}`), p); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePlanItems(note("plan.replace", "", "", ""), "city", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(bg, []coverage.AuditEntry{{At: t0, User: "lifecircle users", Action: "user.add", Detail: []byte(`{"name":"x"}`)}}); err != nil {
		t.Fatal(err)
	}
	WantInvalid(t, s.AppendAudit(bg, []coverage.AuditEntry{{At: t0, User: "x", Action: "y", Detail: []byte("{")}}), "detail")
	s.Close()
	s = reopen(t)
	all, err := s.Audit(bg, coverage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range all {
		actions = append(actions, e.Action)
	}
	if !reflect.DeepEqual(actions, []string{"scenario.create", "proposal.add", "plan.replace", "user.add"}) {
		t.Fatalf("audit actions %v", actions)
	}
	want := coverage.AuditEntry{Seq: all[0].Seq, At: store.Time(t0), User: "王芳", Role: coverage.Planner, Action: "scenario.create",
		Dataset: "city", Scenario: "sc", RequestID: "req-scenario.create", Detail: []byte(`{"n": 1}`)}
	if !reflect.DeepEqual(all[0], want) {
		t.Errorf("audit entry\n got %+v\nwant %+v", all[0], want)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Errorf("audit sequence not increasing: %d after %d", all[i].Seq, all[i-1].Seq)
		}
	}
	if got, _ := s.Audit(bg, coverage.AuditQuery{Scenario: "sc"}); len(got) != 2 {
		t.Errorf("audit of scenario sc: %d entries, want 2", len(got))
	}
	if got, _ := s.Audit(bg, coverage.AuditQuery{After: all[1].Seq, Limit: 1}); len(got) != 1 || got[0].Action != "plan.replace" {
		t.Errorf("audit after %d, limit 1: %+v", all[1].Seq, got)
	}
	r, err := s.Replay(bg, "王芳", "k1")
	if err != nil || r.Status != 201 || string(r.Body) != `{"id":"sc"}` || r.Path != "/v1/scenarios" || r.RequestSHA256 != "sha-of-k1" {
		t.Errorf("Replay(k1) = %+v, %v", r, err)
	}
	_, err = s.Replay(bg, "someone else", "k1")
	WantNotFound(t, "Replay of another user's key", err)
}

// versioned is a context whose write bumps key, checking expect when check
// is set; got receives the version after the write.
func versioned(key string, check bool, expect int64, got *int64) context.Context {
	return coverage.WithWriteNote(bg, coverage.WriteNote{
		Audit:   &coverage.AuditEntry{At: t0, User: "王芳", Role: coverage.Planner, Action: "test.write", Dataset: "city"},
		Version: &coverage.VersionNote{Key: key, Check: check, Expect: expect, Got: got},
	})
}

// testVersions: a write bumps the version it names; a write expecting
// another version than the stored one is refused (ErrStale, a kind of
// ErrConflict) and leaves nothing behind; versions survive a reopen.
func testVersions(t *testing.T, open Factory) {
	s, reopen := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	key, plan := coverage.ScenarioVersionKey("sc"), coverage.PlanVersionKey("city")
	if v, err := s.Version(bg, key); err != nil || v != 0 {
		t.Fatalf("version of a record never written: %d, %v; want 0", v, err)
	}
	var got int64
	sc := coverage.Scenario{ID: "sc", Dataset: "city", Name: "first", Created: t0}
	if err := s.SaveScenario(versioned(key, true, 0, &got), sc); err != nil || got != 1 {
		t.Fatalf("create at version 0: %v, got %d; want version 1", err, got)
	}
	before, _ := s.Audit(bg, coverage.AuditQuery{})
	stale := sc
	stale.Name = "stale"
	err := s.SaveScenario(versioned(key, true, 0, &got), stale)
	if !errors.Is(err, coverage.ErrStale) || !errors.Is(err, coverage.ErrConflict) {
		t.Errorf("a write expecting version 0 of a scenario at 1: %v, want ErrStale", err)
	}
	if back, _ := s.Scenario(bg, "sc"); back.Name != "first" {
		t.Errorf("the stale write was stored: name %q", back.Name)
	}
	err = s.AddProposal(versioned(key, true, 5, nil), coverage.Proposal{ID: "p0", ScenarioID: "sc", Created: t0})
	if !errors.Is(err, coverage.ErrStale) {
		t.Errorf("a proposal expecting version 5: %v, want ErrStale", err)
	}
	if ps, _ := s.Proposals(bg, "sc"); len(ps) != 0 {
		t.Errorf("the stale proposal was stored: %+v", ps)
	}
	if after, _ := s.Audit(bg, coverage.AuditQuery{}); len(after) != len(before) {
		t.Errorf("refused writes left %d audit entries", len(after)-len(before))
	}
	p := coverage.Proposal{ID: "p1", ScenarioID: "sc", Created: t0, Facilities: []coverage.Facility{{ID: "x", Type: "pharmacy", Location: orb.Point{104.066, 30.66}, Status: coverage.Planned}}}
	if err := s.AddProposal(versioned(key, true, 1, &got), p); err != nil || got != 2 {
		t.Errorf("a proposal at the current version: %v, got %d; want version 2", err, got)
	}
	if err := s.AddProposal(versioned(key, false, 0, &got), coverage.Proposal{ID: "p2", ScenarioID: "sc", Created: t0}); err != nil || got != 3 {
		t.Errorf("an unchecked write: %v, got %d; want version 3", err, got)
	}
	if err := s.SavePlanItems(versioned(plan, true, 0, &got), "city", nil); err != nil || got != 1 {
		t.Errorf("plan at version 0: %v, got %d", err, got)
	}
	WantNotFound(t, "a versioned write of a missing scenario's proposal", s.AddProposal(versioned(coverage.ScenarioVersionKey("nope"), false, 0, nil),
		coverage.Proposal{ID: "p3", ScenarioID: "nope"}))
	s.Close()
	s = reopen(t)
	for k, want := range map[string]int64{key: 3, plan: 1, coverage.ScenarioVersionKey("nope"): 0} {
		if v, err := s.Version(bg, k); err != nil || v != want {
			t.Errorf("after reopening, version of %s = %d, %v; want %d", k, v, err, want)
		}
	}
}

// testConcurrentVersionedWriters: 16 writers each append changes to one
// scenario by read (version, then scenario), append, save expecting the
// version read, and retry on ErrStale. Every acknowledged change is
// stored: none is lost to a concurrent read-modify-write.
func testConcurrentVersionedWriters(t *testing.T, open Factory) {
	s, _ := open(t)
	cat, ds := Disk("city", 3, 5)
	MustSave(t, s, cat, ds)
	key := coverage.ScenarioVersionKey("sc")
	if err := s.SaveScenario(versioned(key, false, 0, nil), coverage.Scenario{ID: "sc", Dataset: "city", Name: "n", Created: t0}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	var retries int
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("%s: no success after 1000 tries", id)
						return
					}
					v, err := s.Version(bg, key)
					if err != nil {
						t.Error(err)
						return
					}
					sc, err := s.Scenario(bg, "sc")
					if err != nil {
						t.Error(err)
						return
					}
					sc.Changes = append(sc.Changes, coverage.Change{Kind: coverage.Remove, FacilityID: id})
					err = s.SaveScenario(versioned(key, true, v, nil), sc)
					if errors.Is(err, coverage.ErrStale) {
						mu.Lock()
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked[id] = true
					mu.Unlock()
					break
				}
			}
		}()
	}
	wg.Wait()
	sc, err := s.Scenario(bg, "sc")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, ch := range sc.Changes {
		stored[ch.FacilityID] = true
	}
	for id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged change %s is not stored", id)
		}
	}
	if len(acked) != writers*each || len(sc.Changes) != writers*each {
		t.Errorf("%d acknowledged, %d stored; want %d each", len(acked), len(sc.Changes), writers*each)
	}
	if v, _ := s.Version(bg, key); v != 1+writers*each {
		t.Errorf("version %d after %d writes", v, 1+writers*each)
	}
	t.Logf("%d writes, %d retries after a stale version", writers*each, retries)
}

// testNetworks: every store keeps a dataset's walking network, given with
// the dataset (one transaction) or afterwards, gives back exactly what
// was stored after a reopen, refuses a network whose hash is not its
// extract's, and drops it when the dataset is replaced without one.
func testNetworks(t *testing.T, open Factory) {
	s, reopen := open(t)
	ns, ok := s.(coverage.NetworkStore)
	if !ok {
		t.Fatalf("%T keeps no walking network (coverage.NetworkStore)", s)
	}
	extract := []byte("<?xml version='1.0'?><osm version='0.6'><node id='1' lat='30.66' lon='104.06'/></osm>\n")
	sum := fmt.Sprintf("%x", sha256.Sum256(extract))
	n := coverage.StoredNetwork{Name: "成都.osm", SHA256: sum, Imported: time.Date(2026, 11, 29, 5, 6, 7, 891234567, time.UTC), Extract: extract}
	want := n
	want.Imported = store.Time(n.Imported)
	WantNotFound(t, "network of a missing dataset", ns.SaveNetwork(bg, "nope", n))
	cat, ds := Tiny(t, "tiny")
	if err := s.SaveDataset(store.WithNetwork(bg, n), cat, ds); err != nil {
		t.Fatal(err)
	}
	if got, err := ns.Network(bg, "tiny"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("network saved with the dataset: %+v, %v", got, err)
	}
	bad := n
	bad.SHA256 = strings.Repeat("0", 64)
	WantInvalid(t, ns.SaveNetwork(bg, "tiny", bad), "sha256")
	WantInvalid(t, s.SaveDataset(store.WithNetwork(bg, bad), cat, ds), "sha256")
	if got, err := ns.Network(bg, "tiny"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("a refused network changed the stored one: %+v, %v", got, err)
	}
	// replaced without a network: the old one goes; SaveNetwork adds one
	MustSave(t, s, cat, ds)
	_, err := ns.Network(bg, "tiny")
	WantNotFound(t, "network of a dataset replaced without one", err)
	if err := ns.SaveNetwork(bg, "tiny", n); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t)
	if got, err := s.(coverage.NetworkStore).Network(bg, "tiny"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("network after reopen: %+v, %v", got, err)
	}
	_, err = s.(coverage.NetworkStore).Network(bg, "other")
	WantNotFound(t, "network of a missing dataset", err)
}
