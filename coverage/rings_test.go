package coverage

import (
	"reflect"
	"testing"

	"lifecircle/spatial"
)

// TestCellRing: a kept outline is the cell's H3 boundary, a scenario
// derived from the analysis shares it, and every call hands out a ring of
// the caller's own (changing it changes nothing kept).
func TestCellRing(t *testing.T) {
	cat, ds := fxDataset(t)
	a, err := Analyze(cat, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data.Cells {
		want := spatial.Boundary(a.Data.Cells[i].Cell)
		first := a.CellRing(i)
		if !reflect.DeepEqual(first, want) {
			t.Fatalf("cell %d: ring %v, want %v", i, first, want)
		}
		first[0][0] = 0 // the caller's own
		if again := a.CellRing(i); !reflect.DeepEqual(again, want) {
			t.Fatalf("cell %d: the kept ring changed with the caller's: %v", i, again)
		}
	}
	if n := a.rings.kept.Load(); n != int64(len(a.Data.Cells)) {
		t.Errorf("%d rings kept, want %d", n, len(a.Data.Cells))
	}
	b, err := a.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.rings != a.rings {
		t.Error("a derived analysis does not share the outlines")
	}
}

// TestOutlinesFromKeptRings: gap areas and catchments outline the kept
// hexagons, and get the outline spatial.Outline draws from H3 itself.
func TestOutlinesFromKeptRings(t *testing.T) {
	cat, ds := fxDataset(t)
	a, err := Analyze(cat, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tc := range a.Types() {
		areas, err := a.GapAreas(tc.Type.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range areas {
			n++
			if want := spatial.Outline(g.Cells); !reflect.DeepEqual(g.Geometry, want) {
				t.Fatalf("gap area %s: outline %v, want %v", g.ID, g.Geometry, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("the fixture has no gap areas to outline")
	}
	if a.rings.kept.Load() == 0 {
		t.Error("no outline was kept while outlining the gap areas")
	}
	f := a.Data.Facilities[0]
	c, err := a.Catchment(f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := spatial.Outline(c.Cells); len(c.Cells) == 0 || !reflect.DeepEqual(c.Geometry, want) {
		t.Fatalf("catchment of %s (%d cells): outline %v, want %v", f.ID, len(c.Cells), c.Geometry, want)
	}
}
