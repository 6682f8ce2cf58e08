package data

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"lifecircle/coverage"
)

// loadSample loads an embedded sample once per test binary.
var loadSample = func() func(t *testing.T, name string) (*coverage.Catalog, *coverage.Dataset) {
	type result struct {
		cat *coverage.Catalog
		ds  *coverage.Dataset
		err error
	}
	var mu sync.Mutex
	cache := map[string]result{}
	return func(t *testing.T, name string) (*coverage.Catalog, *coverage.Dataset) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		r, ok := cache[name]
		if !ok {
			in, err := SampleInputs(name)
			if err == nil {
				r.cat, r.ds, err = Load(in)
			}
			r.err = err
			cache[name] = r
		}
		if r.err != nil {
			t.Fatalf("sample %s: %v", name, r.err)
		}
		return r.cat, r.ds
	}
}()

func TestSampleChengdu(t *testing.T) {
	cat, ds := loadSample(t, "chengdu")
	districts := 0
	for _, u := range ds.Units {
		if u.Level == coverage.District {
			districts++
		}
	}
	if districts != 5 {
		t.Errorf("%d districts, want 5", districts)
	}
	if len(ds.Cells) <= 3000 {
		t.Errorf("%d cells, want > 3,000", len(ds.Cells))
	}
	if len(ds.Facilities) <= 200 {
		t.Errorf("%d facilities, want > 200", len(ds.Facilities))
	}
	if !strings.Contains(ds.PopulationNote, "ESTIMATE") {
		t.Errorf("population note %q does not say ESTIMATE", ds.PopulationNote)
	}
	if ds.Resolution != 10 {
		t.Errorf("resolution %d, want 10", ds.Resolution)
	}
	checkedCellMap(t, ds.Cells, 10)
	if err := ds.Validate(cat); err != nil {
		t.Error(err)
	}
	// "" is the default sample, Chengdu.
	def, err := SampleInputs("")
	if err != nil || def.Name != "chengdu-centre-sample" || SampleNames[0] != "chengdu" {
		t.Errorf("default sample %q, %v", def.Name, err)
	}
}

func TestSamplePortoAlegre(t *testing.T) {
	cat, ds := loadSample(t, "porto_alegre")
	if ds.Resolution != 9 {
		t.Errorf("resolution %d, want 9", ds.Resolution)
	}
	if len(ds.Cells) != 1124 {
		t.Errorf("%d cells, want 1,124", len(ds.Cells))
	}
	if p := totalPopulation(ds.Cells); p != 812935 {
		t.Errorf("population %v, want 812,935", p)
	}
	checkedCellMap(t, ds.Cells, 9)
	// The sample's catalogue override widens both radii to 1000 m.
	for _, id := range []string{"primary_school", "community_health_center"} {
		if ft, _ := cat.Type(id); ft.MaxDistM != 1000 {
			t.Errorf("%s max_dist_m %v, want 1000 (the sample's override)", id, ft.MaxDistM)
		}
	}
	if ds.Units != nil {
		t.Errorf("%d units; the sample has no boundaries", len(ds.Units))
	}
}

func TestSampleUnknown(t *testing.T) {
	_, err := SampleInputs("atlantis")
	if !errors.Is(err, coverage.ErrNotFound) {
		t.Errorf("error %v does not wrap ErrNotFound", err)
	}
	wantContains(t, err, `"atlantis"`, "chengdu", "porto_alegre")
	for _, n := range SampleNames {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list sample %s", err, n)
		}
	}
}

func TestSampleFile(t *testing.T) {
	for _, n := range SampleNames {
		b, err := SampleFile("sample/" + n + "/SOURCES.md")
		if err != nil || len(b) == 0 {
			t.Errorf("%s SOURCES.md: %d bytes, %v", n, len(b), err)
		}
	}
	if _, err := SampleFile("sample/atlantis/osm.pbf"); err == nil {
		t.Error("a missing sample file gave no error")
	}
}
