package synth_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"lifecircle/coverage"
	"lifecircle/data/synth"
	"lifecircle/spatial"
)

func small(seed uint64) synth.Config {
	return synth.Config{Seed: seed, Cells: 20_000, Facilities: 3_000, TotalPopulation: 2_000_000}
}

func TestCitySmall(t *testing.T) {
	cfg := small(7)
	ds := synth.City(cfg)
	cat := coverage.DefaultCatalog()
	if err := ds.Validate(cat); err != nil {
		t.Fatal(err)
	}
	if len(ds.Cells) != cfg.Cells {
		t.Errorf("%d cells, want %d", len(ds.Cells), cfg.Cells)
	}
	if ds.Resolution != synth.Resolution || ds.Name != "synthetic" || ds.PopulationNote == "" {
		t.Errorf("resolution %d, name %q, note %q", ds.Resolution, ds.Name, ds.PopulationNote)
	}
	total := 0.0
	for i, c := range ds.Cells {
		if !(c.Population > 0) || math.IsInf(c.Population, 0) {
			t.Fatalf("cell %d (%v): population %v", i, c.Cell, c.Population)
		}
		if c.Cell.Resolution() != synth.Resolution {
			t.Fatalf("cell %d (%v) at resolution %d", i, c.Cell, c.Cell.Resolution())
		}
		if i > 0 && c.Cell <= ds.Cells[i-1].Cell {
			t.Fatalf("cells not in ascending id order at %d", i)
		}
		total += c.Population
	}
	if math.Abs(total-cfg.TotalPopulation) > 0.01*cfg.TotalPopulation {
		t.Errorf("total population %.0f, want %.0f ± 1 %%", total, cfg.TotalPopulation)
	}

	if len(ds.Facilities) != cfg.Facilities {
		t.Errorf("%d facilities, want %d", len(ds.Facilities), cfg.Facilities)
	}
	perType := map[string]int{}
	planned := 0
	for _, f := range ds.Facilities {
		perType[f.Type]++
		switch f.Status {
		case coverage.Existing:
			if f.PlanYear != 0 {
				t.Errorf("%s: existing with plan year %d", f.ID, f.PlanYear)
			}
		case coverage.Planned:
			planned++
			if f.PlanYear < 2026 || f.PlanYear > 2028 {
				t.Errorf("%s: plan year %d", f.ID, f.PlanYear)
			}
		default:
			t.Errorf("%s: status %q", f.ID, f.Status)
		}
	}
	if ds.Facilities[0].ID != "f000001" {
		t.Errorf("first id %q", ds.Facilities[0].ID)
	}
	for _, ty := range cat.Types {
		if perType[ty.ID] == 0 {
			t.Errorf("no facility of type %s", ty.ID)
		}
	}
	if len(perType) != len(cat.Types) {
		t.Errorf("%d types, want %d", len(perType), len(cat.Types))
	}
	// shorter radius, at least as many facilities
	if perType["waste_collection_point"] <= perType["kindergarten"] || perType["kindergarten"] <= perType["middle_school"] {
		t.Errorf("counts not ordered by radius: waste %d, kindergarten %d, middle school %d",
			perType["waste_collection_point"], perType["kindergarten"], perType["middle_school"])
	}
	if share := float64(planned) / float64(len(ds.Facilities)); share < 0.03 || share > 0.07 {
		t.Errorf("planned share %.3f, want about 0.05", share)
	}

	districts, streets := 0, 0
	for _, u := range ds.Units {
		switch u.Level {
		case coverage.District:
			districts++
		case coverage.Street:
			streets++
			if u.Parent == "" {
				t.Errorf("street %s has no parent", u.Code)
			}
		}
	}
	if districts != 12 || streets != 48 {
		t.Errorf("%d districts, %d streets; want 12, 48", districts, streets)
	}
}

// Every cell lies in exactly one district and one street of that district,
// so unit roll-ups add up (checked on a sample: a full Analyze would spend
// most of its time on the units' many vertices).
func TestCityUnitsPartition(t *testing.T) {
	for _, step := range []float64{0, 250} {
		cfg := small(3)
		cfg.BoundaryStepM = step
		samples := 2000
		if step > 0 {
			samples = 500 // detailed outlines are slow to test
		}
		checkPartition(t, synth.City(cfg), samples)
	}
}

func checkPartition(t *testing.T, ds *coverage.Dataset, samples int) {
	t.Helper()
	var ix spatial.PolygonIndex[int]
	for i, u := range ds.Units {
		ix.Insert(u.Geometry, i)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for range samples {
		c := ds.Cells[rng.IntN(len(ds.Cells))].Cell
		var districts, streets []coverage.AdminUnit
		ix.Containing(spatial.Center(c), func(ui int) bool {
			switch u := ds.Units[ui]; u.Level {
			case coverage.District:
				districts = append(districts, u)
			case coverage.Street:
				streets = append(streets, u)
			}
			return true
		})
		if len(districts) != 1 || len(streets) != 1 {
			t.Fatalf("cell %v: in %d districts and %d streets, want 1 and 1", c, len(districts), len(streets))
		}
		if streets[0].Parent != districts[0].Code {
			t.Fatalf("cell %v: street %s (of %s) in district %s", c, streets[0].Code, streets[0].Parent, districts[0].Code)
		}
	}
	for _, u := range ds.Units {
		r := u.Geometry[0][0]
		if len(u.Geometry) != 1 || len(u.Geometry[0]) != 1 || len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("unit %s: want one closed ring", u.Code)
		}
	}
}

func TestCityDeterministic(t *testing.T) {
	a, b := synth.City(small(42)), synth.City(small(42))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different datasets")
	}
	// The same whatever the number of CPUs generating it.
	prev := runtime.GOMAXPROCS(1)
	one := synth.City(small(42))
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(a, one) {
		t.Fatal("same seed, different datasets on 1 CPU")
	}
	c := synth.City(small(43))
	if reflect.DeepEqual(a.Cells, c.Cells) || reflect.DeepEqual(a.Facilities, c.Facilities) {
		t.Fatal("different seeds, same dataset")
	}
}

func TestCityDefaults(t *testing.T) {
	d := synth.DefaultConfig()
	if d.Cells != 1_000_000 || d.Facilities != 30_000 || d.TotalPopulation != 20_900_000 {
		t.Errorf("DefaultConfig() = %+v", d)
	}
	// Fewer facilities than types still gives one of each.
	ds := synth.City(synth.Config{Seed: 1, Cells: 2_000, Facilities: 10, Districts: -1})
	if n := len(coverage.DefaultCatalog().Types); len(ds.Facilities) != n {
		t.Errorf("%d facilities, want one per type (%d)", len(ds.Facilities), n)
	}
	if len(ds.Units) != 0 {
		t.Errorf("%d units with Districts < 0", len(ds.Units))
	}
}

// BenchmarkCity builds the default 1 M-cell city.
func BenchmarkCity(b *testing.B) {
	var ds *coverage.Dataset
	for b.Loop() {
		ds = synth.City(synth.DefaultConfig())
	}
	b.ReportMetric(float64(len(ds.Cells)), "cells")
	b.ReportMetric(float64(len(ds.Facilities)), "facilities")
}
