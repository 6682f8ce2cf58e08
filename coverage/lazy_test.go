package coverage_test

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/synth"
)

// A type's coverage is computed on first use (coverage/analysis.go): these
// tests hold that what a lazily computed analysis answers is bit for bit
// what one with every type computed up front answers, and that concurrent
// first uses compute each type once.

func smallCity(t testing.TB) *coverage.Dataset {
	t.Helper()
	return synth.City(synth.Config{Seed: 7, Cells: 20_000, Facilities: 2_000})
}

// sameType fails unless x and y are the same coverage, bit for bit.
func sameType(t *testing.T, what string, x, y *coverage.TypeCoverage) {
	t.Helper()
	if x.Type.ID != y.Type.ID || !slices.Equal(x.Facilities, y.Facilities) || !slices.Equal(x.Hits, y.Hits) ||
		x.Residents != y.Residents || x.Covered != y.Covered {
		t.Fatalf("%s: %s differs: %d vs %d facilities, %d vs %d hits, residents %v vs %v, covered %v vs %v",
			what, x.Type.ID, len(x.Facilities), len(y.Facilities), len(x.Hits), len(y.Hits), x.Residents, y.Residents, x.Covered, y.Covered)
	}
}

func TestLazyAnalysisEqualsEager(t *testing.T) {
	cat, ds := coverage.DefaultCatalog(), smallCity(t)
	eager, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := eager.Types() // every type, computed in parallel
	if eager.Computed() != len(cat.Types) {
		t.Fatalf("Types computed %d of %d types", eager.Computed(), len(cat.Types))
	}
	lazy, err := coverage.Analyze(cat, ds, coverage.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := lazy.Computed(); n != 0 {
		t.Fatalf("Analyze computed %d types; want none before first use", n)
	}
	// the audit and the type list need no distances
	if _, err := lazy.QualityAll(""); err != nil {
		t.Fatal(err)
	}
	_ = lazy.QualitySummary()
	if ft, err := lazy.ResolveType(all[3].Type.NameZH); err != nil || ft.ID != all[3].Type.ID {
		t.Fatalf("ResolveType(%s) = %v, %v", all[3].Type.NameZH, ft.ID, err)
	}
	if n := lazy.Computed(); n != 0 {
		t.Fatalf("the audit computed %d types; want none", n)
	}
	withHits := 0
	for k := len(all) - 1; k >= 0; k-- { // backwards, one at a time
		tc, err := lazy.Type(all[k].Type.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := lazy.Computed(); n != len(all)-k {
			t.Fatalf("after asking for %d types, %d are computed", len(all)-k, n)
		}
		sameType(t, "lazy vs eager", all[k], tc)
		if tc.Hits != nil {
			withHits++
		}
	}
	if withHits < len(all)/2 {
		t.Fatalf("only %d of %d types have facilities: the city does not exercise the comparison", withHits, len(all))
	}
	// whole-analysis answers: a lazy analysis whose types come in one at a
	// time from several readers gives the eager one's summary
	fresh, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.GapAreas(all[5].Type.ID); err != nil {
		t.Fatal(err)
	}
	for _, by := range []coverage.UnitLevel{"", coverage.District} {
		if x, y := eager.Summary(by, coverage.DefaultProfile), fresh.Summary(by, coverage.DefaultProfile); !reflect.DeepEqual(x, y) {
			t.Fatalf("summary by %q differs between the eager and the lazy analysis", by)
		}
	}
	if x, y := eager.CellInfo(17, coverage.DefaultProfile), fresh.CellInfo(17, coverage.DefaultProfile); !reflect.DeepEqual(x, y) {
		t.Fatalf("cell info differs: %+v vs %+v", x, y)
	}
}

// TestLazyScenarioEqualsEager applies the same changes to an analysis with
// every type computed and to one with none computed: every type of the two
// scenarios, and their comparisons with the baseline, are the same.
func TestLazyScenarioEqualsEager(t *testing.T) {
	cat, ds := coverage.DefaultCatalog(), smallCity(t)
	eager, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eager.Types()
	lazy, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f0, f1 := ds.Facilities[0], ds.Facilities[1]
	centre := ds.Facilities[len(ds.Facilities)/2].Location
	changes := []coverage.Change{
		{Kind: coverage.Add, Facility: coverage.Facility{ID: "new-kg", Type: "kindergarten", Location: orb.Point{centre[0] + 0.003, centre[1]}}},
		{Kind: coverage.Add, Facility: coverage.Facility{ID: "new-ph", Type: "pharmacy", Location: orb.Point{centre[0], centre[1] + 0.003}}},
		{Kind: coverage.Move, FacilityID: f0.ID, Facility: coverage.Facility{Location: orb.Point{f0.Location[0] + 0.004, f0.Location[1]}}},
		{Kind: coverage.Remove, FacilityID: f1.ID},
	}
	se, err := eager.Apply(changes)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := lazy.Apply(changes)
	if err != nil {
		t.Fatal(err)
	}
	if n := sl.Computed(); n != 0 {
		t.Fatalf("Apply on a lazy analysis computed %d types", n)
	}
	if x, y := coverage.Compare(eager, se), coverage.Compare(lazy, sl); !reflect.DeepEqual(x, y) {
		t.Fatalf("comparisons differ:\n%+v\n%+v", x, y)
	}
	if len(coverage.Compare(eager, se).Types) == 0 {
		t.Fatal("the changes changed nothing: the test does not exercise the scenario")
	}
	ye, yl := se.Types(), sl.Types()
	for i := range ye {
		sameType(t, "scenario", ye[i], yl[i])
	}
	// and a scenario of a scenario, from an uncomputed one
	lazy2, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := lazy2.Apply(changes[:2])
	if err != nil {
		t.Fatal(err)
	}
	s2, err := s1.Apply(changes[2:])
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range s2.Types() {
		sameType(t, "scenario of a scenario", ye[i], tc)
	}
}

// countingSource counts the searches a distance source does.
type countingSource struct {
	coverage.DistanceSource
	nearest atomic.Int64
}

func (c *countingSource) Nearest(sites []orb.Point, limitM float64, out []coverage.Hit) {
	c.nearest.Add(1)
	c.DistanceSource.Nearest(sites, limitM, out)
}

// TestLazyTypesConcurrent asks for types from many goroutines at once
// (run it with -race): each type is computed once, and every reader sees
// the same, complete coverage.
func TestLazyTypesConcurrent(t *testing.T) {
	cat, ds := coverage.DefaultCatalog(), smallCity(t)
	ref, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := ref.Types()
	withFacilities := 0
	for _, tc := range want {
		if len(tc.Facilities) > 0 {
			withFacilities++
		}
	}
	for round := range 3 {
		src := &countingSource{DistanceSource: coverage.NewEuclidean(coverage.Centres(ds), coverage.DefaultDetour)}
		a, err := coverage.Analyze(cat, ds, coverage.Options{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([][]*coverage.TypeCoverage, 16)
		for g := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				switch g % 4 {
				case 0: // every type at once
					got[g] = a.Types()
				case 1: // a cell looked up, and a summary, which needs them all
					if i, ok := a.CellIndex(ds.Cells[g].Cell); !ok || i != g {
						t.Errorf("CellIndex of cell %d = %d, %v", g, i, ok)
					}
					a.Summary("", coverage.DefaultProfile)
					got[g] = a.Types()
				default: // types one by one, in a random order
					out := make([]*coverage.TypeCoverage, len(want))
					for _, k := range r.Perm(len(want)) {
						tc, err := a.Type(want[k].Type.ID)
						if err != nil {
							t.Error(err)
							return
						}
						out[k] = tc
					}
					got[g] = out
				}
			}()
		}
		wg.Wait()
		if n := src.nearest.Load(); n != int64(withFacilities) {
			t.Fatalf("round %d: %d searches for %d types with facilities: a type was computed more than once", round, n, withFacilities)
		}
		for _, out := range got {
			for k := range want {
				sameType(t, "concurrent", want[k], out[k])
			}
		}
	}
}

// A repeated cell is refused whether the cells come in id order (the fast
// path of the check, as stores load them) or not.
func TestValidateRefusesRepeatedCells(t *testing.T) {
	ds := smallCity(t)
	sorted := *ds
	sorted.Cells = slices.Clone(ds.Cells)
	slices.SortFunc(sorted.Cells, func(x, y coverage.PopulationCell) int {
		return cmp.Compare(x.Cell, y.Cell)
	})
	if err := sorted.Validate(coverage.DefaultCatalog()); err != nil {
		t.Fatalf("the cells in id order: %v", err)
	}
	for _, at := range []int{1, 500, len(sorted.Cells) - 1} {
		rep := sorted
		rep.Cells = slices.Clone(sorted.Cells)
		rep.Cells[at] = rep.Cells[at-1] // next to its twin: still in order, not increasing
		if err := rep.Validate(coverage.DefaultCatalog()); err == nil || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("cell %d repeated in id order: %v", at, err)
		}
		far := sorted
		far.Cells = slices.Clone(sorted.Cells)
		far.Cells[at] = far.Cells[0] // twins apart
		if err := far.Validate(coverage.DefaultCatalog()); err == nil || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("cell 1 repeated at %d: %v", at, err)
		}
	}
}
