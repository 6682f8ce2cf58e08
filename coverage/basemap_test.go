package coverage

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestBasemapQuery checks that Query visits exactly the features whose
// bound meets the query bound and whose MinZoom is reached, lower MinZoom
// first, and stops when fn says so.
func TestBasemapQuery(t *testing.T) {
	line := func(x0, x1 float64) orb.Geometry { return orb.LineString{{x0, 30}, {x1, 30.01}} }
	b := NewBasemap([]BasemapFeature{
		{ID: 1, Layer: BasemapRoads, Class: "primary", MinZoom: 9, Geometry: line(104.00, 104.02)},
		{ID: 2, Layer: BasemapRoads, Class: "footway", MinZoom: 15, Geometry: line(104.00, 104.001)},
		{ID: 3, Layer: BasemapPlaces, Class: "suburb", MinZoom: 10, Geometry: orb.Point{104.05, 30.005}},
		{ID: 4, Layer: BasemapBuildings, MinZoom: 14, Geometry: orb.Polygon{{{104.01, 30}, {104.011, 30}, {104.011, 30.001}, {104.01, 30}}}},
		{ID: 5, Layer: BasemapWater, MinZoom: 9}, // no geometry: dropped
	})
	if b.Len() != 4 {
		t.Fatalf("Len %d, want 4 (the feature without geometry dropped)", b.Len())
	}
	if got := b.Bound(); got != (orb.Bound{Min: orb.Point{104, 30}, Max: orb.Point{104.05, 30.01}}) {
		t.Errorf("Bound %v", got)
	}
	ids := func(bound orb.Bound, z int) []uint64 {
		var out []uint64
		b.Query(bound, z, func(f *BasemapFeature) bool { out = append(out, f.ID); return true })
		return out
	}
	all := orb.Bound{Min: orb.Point{103, 29}, Max: orb.Point{105, 31}}
	west := orb.Bound{Min: orb.Point{103.9, 29.9}, Max: orb.Point{104.0105, 30.1}}
	for _, c := range []struct {
		bound orb.Bound
		z     int
		want  []uint64
	}{
		{all, 8, nil},
		{all, 9, []uint64{1}},
		{all, 12, []uint64{1, 3}},
		{all, 14, []uint64{1, 3, 4}},
		{all, 16, []uint64{1, 3, 4, 2}},
		{west, 16, []uint64{1, 4, 2}},
		{orb.Bound{Min: orb.Point{104.03, 29}, Max: orb.Point{104.04, 31}}, 16, nil},
	} {
		if got := ids(c.bound, c.z); !equalIDs(got, c.want) {
			t.Errorf("Query(%v, z%d) = %v, want %v", c.bound, c.z, got, c.want)
		}
	}
	n := 0
	b.Query(all, 20, func(*BasemapFeature) bool { n++; return false })
	if n != 1 {
		t.Errorf("Query went on after fn returned false: %d calls", n)
	}
	layers := b.Layers()
	if len(layers) != 3 || layers[0].ID != BasemapBuildings || layers[1] != (BasemapLayerInfo{ID: BasemapRoads, Features: 2, MinZoom: 9}) || layers[2].ID != BasemapPlaces {
		t.Errorf("Layers %+v", layers)
	}
	var none *Basemap
	none.Query(all, 20, func(*BasemapFeature) bool { t.Error("nil basemap visited a feature"); return true })
	if none.Len() != 0 || none.Layers() != nil {
		t.Error("nil basemap is not empty")
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestScenarioKeepsBasemap: an analysis carries Options.Basemap and its
// scenarios share it.
func TestScenarioKeepsBasemap(t *testing.T) {
	cat, ds := fxDataset(t)
	bm := NewBasemap([]BasemapFeature{{ID: 1, Layer: BasemapPlaces, Name: "玉林", Geometry: orb.Point{104.05, 30.6}}})
	a, err := Analyze(cat, ds, Options{Basemap: bm})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Basemap != bm || b.Basemap != bm {
		t.Errorf("basemap not carried: analysis %p, scenario %p, want %p", a.Basemap, b.Basemap, bm)
	}
}
