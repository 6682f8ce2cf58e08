package collection_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/data/synth"
)

// TestBBoxReadsOnlyNearbyCells: a bbox query finds exactly the cells whose
// centre lies in the box (checked against a scan of every cell), and reads
// only the cells of the index groups around the box, not the city.
func TestBBoxReadsOnlyNearbyCells(t *testing.T) {
	ds := synth.City(synth.Config{Seed: 3, Cells: 40_000, Facilities: 500})
	a, err := coverage.Analyze(coverage.DefaultCatalog(), ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	col, err := collection.NewSet(a, "t").Collection("coverage-kindergarten")
	if err != nil {
		t.Fatal(err)
	}
	for k, ci := range []int{0, 777, 12345, 39999} {
		b := maptile.At(a.Centre(ci), 14).Bound()
		page, err := col.Query(collection.Query{Bound: &b})
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := range ds.Cells {
			if b.Contains(a.Centre(i)) {
				want = append(want, int64(i)+1)
			}
		}
		if len(page.Features) != len(want) || page.Matched != len(want) {
			t.Fatalf("box %d: %d features (matched %d), a scan finds %d", k, len(page.Features), page.Matched, len(want))
		}
		for i, f := range page.Features {
			if f.ID != want[i] {
				t.Fatalf("box %d: feature %d is %d, the scan's is %d", k, i, f.ID, want[i])
			}
		}
		// A z14 box holds a few hundred res-10 cells; the groups it
		// touches (res 7, up to 343 cells each) a few thousand at most.
		if page.Scanned < len(want) || page.Scanned > 10*len(want)+3000 || page.Scanned > len(ds.Cells)/5 {
			t.Errorf("box %d: read %d cells to find %d of %d", k, page.Scanned, len(want), len(ds.Cells))
		}
	}
	none := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	page, err := col.Query(collection.Query{Bound: &none})
	if err != nil || page.Matched != 0 || page.Scanned != 0 {
		t.Errorf("a box far away: matched %d, read %d, err %v", page.Matched, page.Scanned, err)
	}
}
