package coverage_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/synth"
	"lifecircle/spatial"
)

// The 1 M-cell synthetic city (synth.DefaultConfig), made once per test
// binary, with its cell centres and Euclidean index.
var big struct {
	once    sync.Once
	ds      *coverage.Dataset
	centres []orb.Point

	srcOnce sync.Once
	src     *coverage.Euclidean
}

func bigCity(b *testing.B) (*coverage.Dataset, []orb.Point) {
	b.Helper()
	if testing.Short() {
		b.Skip("the 1 M-cell city takes a few seconds and ~1 GB to build and analyse; skipped under -short")
	}
	big.once.Do(func() {
		big.ds = synth.City(synth.DefaultConfig())
		big.centres = coverage.Centres(big.ds)
	})
	return big.ds, big.centres
}

func bigSource(b *testing.B) (*coverage.Dataset, *coverage.Euclidean) {
	ds, centres := bigCity(b)
	big.srcOnce.Do(func() { big.src = buildIndex(coverage.NewEuclidean(centres, coverage.DefaultDetour)) })
	return ds, big.src
}

// buildIndex builds e's R-tree (built on first use) by measuring once.
func buildIndex(e *coverage.Euclidean) *coverage.Euclidean {
	e.Reach(orb.Point{0, 0}, 1, func(int, float32) {})
	return e
}

// BenchmarkSyntheticCentres measures coverage.Centres (one H3 cell-to-point
// per cell), which Analyze runs when it is given no Source.
func BenchmarkSyntheticCentres(b *testing.B) {
	ds, _ := bigCity(b)
	for b.Loop() {
		coverage.Centres(ds)
	}
	b.ReportMetric(float64(len(ds.Cells)), "cells")
}

// BenchmarkSyntheticIndexBuild measures the R-tree of 1 M cell centres.
func BenchmarkSyntheticIndexBuild(b *testing.B) {
	ds, centres := bigCity(b)
	for b.Loop() {
		buildIndex(coverage.NewEuclidean(centres, coverage.DefaultDetour))
	}
	b.ReportMetric(float64(len(ds.Cells)), "cells")
}

// BenchmarkSyntheticCoverageAllTypes analyses all catalogue types over the
// 1 M-cell city with a prebuilt index: with the city's 12 districts and 48
// streets ("units"), and with the same cells and facilities but no units
// ("nounits"), which leaves out assigning cells to units.
func BenchmarkSyntheticCoverageAllTypes(b *testing.B) {
	ds, src := bigSource(b)
	bare := *ds
	bare.Units = nil
	b.Run("units", func(b *testing.B) { benchAnalyze(b, ds, src) })
	b.Run("nounits", func(b *testing.B) { benchAnalyze(b, &bare, src) })
}

func benchAnalyze(b *testing.B, ds *coverage.Dataset, src coverage.DistanceSource) {
	cat := coverage.DefaultCatalog()
	var a *coverage.Analysis
	for b.Loop() {
		var err error
		a, err = coverage.Analyze(cat, ds, coverage.Options{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		a.Types() // types are computed on first use: compute them all
	}
	inForce := 0
	for _, tc := range a.Types() {
		inForce += len(tc.Facilities)
	}
	pairs := float64(len(ds.Cells) * len(cat.Types))
	b.ReportMetric(float64(len(ds.Cells)), "cells")
	b.ReportMetric(float64(len(cat.Types)), "types")
	b.ReportMetric(float64(len(ds.Units)), "units")
	b.ReportMetric(float64(inForce), "facilities")
	b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkDetailedUnitsCoverageAllTypes is BenchmarkSyntheticCoverageAllTypes
// with unit boundaries drawn like real ones (a vertex every 250 m, ~23,000
// vertices for the 60 units): it shows what assigning cells to units costs
// with real outlines. Not matched by -bench Synthetic, as it can take a
// minute per Analyze.
func BenchmarkDetailedUnitsCoverageAllTypes(b *testing.B) {
	ds, src := bigSource(b)
	cfg := synth.DefaultConfig()
	cfg.BoundaryStepM = 250
	detailed := *ds
	detailed.Units = synth.City(cfg).Units // same cells and facilities, only the units differ
	b.ResetTimer()
	benchAnalyze(b, &detailed, src)
}

// BenchmarkSyntheticGapAreas finds and outlines the kindergarten gap areas of
// a 200 k-cell city. Gap areas are cached per analysis, so every iteration
// gets a fresh analysis, made outside the timer.
func BenchmarkSyntheticGapAreas(b *testing.B) {
	ds := synth.City(synth.Config{Seed: 1, Cells: 200_000, Facilities: 30_000, TotalPopulation: 20_900_000})
	cat := coverage.DefaultCatalog()
	src := coverage.NewEuclidean(coverage.Centres(ds), coverage.DefaultDetour)
	var areas []coverage.GapArea
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a, err := coverage.Analyze(cat, ds, coverage.Options{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Type("kindergarten"); err != nil { // its coverage, computed on first use
			b.Fatal(err)
		}
		b.StartTimer()
		if areas, err = a.GapAreas("kindergarten"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	gapCells, largest := 0, 0
	for _, g := range areas {
		gapCells += len(g.Cells)
		largest = max(largest, len(g.Cells))
	}
	b.ReportMetric(float64(len(ds.Cells)), "cells")
	b.ReportMetric(float64(len(areas)), "areas")
	b.ReportMetric(float64(gapCells), "gapcells")
	b.ReportMetric(float64(largest), "largest")
}

// TestEuclideanMatchesNearestOne checks that Euclidean.Nearest, where every
// facility marks the cells within its reach, finds for each cell the same
// facility as a nearest-neighbour search from the cell.
//
// Two references: a brute force over all facilities with Nearest's own
// metric (a ruler at the facility's latitude) must agree exactly (same
// facility, same float32 distance); coverage.NearestOne (R-tree nearest
// search, ruler at the cell's latitude) must agree up to the ruler's
// latitude term, below 1e-4 of the distance (≤ 0.2 m at 2 km).
func TestEuclideanMatchesNearestOne(t *testing.T) {
	ds := synth.City(synth.Config{Seed: 11, Cells: 50_000, Facilities: 30_000, TotalPopulation: 5_000_000, Districts: -1})
	cat := coverage.DefaultCatalog()
	a, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	centres := coverage.Centres(ds)
	rng := rand.New(rand.NewPCG(1, 2))
	sample := rng.Perm(len(ds.Cells))[:2000]
	const detour = coverage.DefaultDetour

	for _, id := range []string{"kindergarten", "primary_school", "middle_school"} {
		tc, err := a.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		limit := tc.Type.MaxDistM * a.SearchFactor
		sites := make([]orb.Point, len(tc.Facilities))
		var ix spatial.PointIndex[int32]
		for s, fi := range tc.Facilities {
			sites[s] = ds.Facilities[fi].Location
			ix.Insert(sites[s], int32(s))
		}
		// Nearest's metric: straight-line metres by a ruler at the site.
		siteDist := func(s int, p orb.Point) float64 {
			return spatial.NewRuler(sites[s][1]).Distance(sites[s], p)
		}
		found, ties, worst := 0, 0, 0.0
		for _, i := range sample {
			p := centres[i]
			got := tc.Hit(i)

			want := coverage.NoHit
			for s := range sites {
				if d := siteDist(s, p); d <= limit/detour {
					if dm := float32(d * detour); dm < want.DistM || (dm == want.DistM && int32(s) < want.Site) {
						want = coverage.Hit{DistM: dm, Site: int32(s)}
					}
				}
			}
			if got != want {
				t.Fatalf("%s, cell %d: Analyze %+v, brute force %+v", id, i, got, want)
			}

			one := coverage.NearestOne(&ix, p, limit, detour)
			if got.Found() != one.Found() {
				// only where the nearest lies on the limit, within the rulers' difference
				d := math.Min(float64(got.DistM), float64(one.DistM))
				if math.Abs(d-limit) > 1e-4*limit+0.01 {
					t.Fatalf("%s, cell %d: Analyze %+v, NearestOne %+v (limit %v m)", id, i, got, one, limit)
				}
				continue
			}
			if !got.Found() {
				continue
			}
			found++
			diff := math.Abs(float64(got.DistM) - float64(one.DistM))
			worst = math.Max(worst, diff)
			if diff > 0.01+1e-4*float64(got.DistM) {
				t.Fatalf("%s, cell %d: Analyze %+v, NearestOne %+v: %.3f m apart", id, i, got, one, diff)
			}
			if got.Site != one.Site {
				// a tie: both sites equally near, by either ruler
				d1, d2 := siteDist(int(got.Site), p), siteDist(int(one.Site), p)
				if math.Abs(d1-d2)*detour > 0.01+1e-4*float64(got.DistM) {
					t.Fatalf("%s, cell %d: Analyze site %d at %.3f m, NearestOne site %d at %.3f m", id, i, got.Site, d1*detour, one.Site, d2*detour)
				}
				ties++
			}
		}
		t.Logf("%s: %d sites, %d of %d sampled cells with a facility within %.0f m, %d ties, largest distance difference to NearestOne %.4f m",
			id, len(sites), found, len(sample), limit, ties, worst)
		if found == 0 || found == len(sample) {
			t.Errorf("%s: %d of %d cells found a facility; want a mix of hits and misses", id, found, len(sample))
		}
	}
}

// BenchmarkSyntheticSummaryByStreet: the roll-up per street (48 units) and
// citywide of an analysed 1 M-cell city, one pass over the cells.
func BenchmarkSyntheticSummaryByStreet(b *testing.B) {
	ds, src := bigSource(b)
	a, err := coverage.Analyze(coverage.DefaultCatalog(), ds, coverage.Options{Source: src})
	if err != nil {
		b.Fatal(err)
	}
	a.Summary(coverage.Street, coverage.DefaultProfile) // the 2SFCA split is computed once per analysis
	for b.Loop() {
		a.Summary(coverage.Street, coverage.DefaultProfile)
	}
}
