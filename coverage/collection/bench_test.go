package collection_test

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/data/synth"
)

// The Chengdu-sized synthetic city (synth.ChengduConfig: 1.3 M populated
// res-10 cells, 30,000 facilities, 48 streets in 12 districts), analysed by
// straight-line distance and published as collections once per test binary.
// The distance method does not change what a query reads.
var chengdu struct {
	once sync.Once
	set  *collection.Set
}

func chengduSet(b *testing.B) *collection.Set {
	b.Helper()
	if testing.Short() {
		b.Skip("the 1.3 M-cell city takes a few seconds and ~1 GB to build; skipped under -short")
	}
	chengdu.once.Do(func() {
		ds := synth.City(synth.ChengduConfig())
		a, err := coverage.Analyze(coverage.DefaultCatalog(), ds, coverage.Options{})
		if err != nil {
			panic(err)
		}
		a.Types() // computed up front: the benchmarks measure queries
		chengdu.set = collection.NewSet(a, "bench")
		runtime.GC() // the city's garbage is not the first benchmark's to collect
	})
	return chengdu.set
}

// z14Bounds returns the bounds of n z14 tiles, each around a random cell of
// the city (so none is empty).
func z14Bounds(a *coverage.Analysis, n int) []orb.Bound {
	rng := rand.New(rand.NewPCG(14, 14))
	out := make([]orb.Bound, n)
	for i := range out {
		out[i] = maptile.At(a.Centre(rng.IntN(len(a.Data.Cells))), 14).Bound()
	}
	return out
}

// BenchmarkCollectionBBox: a bbox the size of a z14 tile (about 2.1 × 2.4
// km at Chengdu's latitude) on the 1.3 M-cell city, on coverage (every
// cell) and gaps (the uncovered cells) of kindergartens, all features of the
// box in one page. cells_tested/op counts the cells the index read (every
// cell of the H3 res-7 groups whose bound the R-tree returned),
// cells_matched/op those whose centre lies in the box: the query reads about
// five times the cells it finds (whole groups around the box), not the 1.3 M
// of the city.
func BenchmarkCollectionBBox(b *testing.B) {
	set := chengduSet(b)
	bounds := z14Bounds(set.Analysis(), 1000)
	for _, id := range []string{"coverage-kindergarten", "gaps-kindergarten"} {
		b.Run(id, func(b *testing.B) {
			col, err := set.Collection(id)
			if err != nil {
				b.Fatal(err)
			}
			col.Query(collection.Query{Bound: &bounds[0], Limit: 1}) // builds the index
			var scanned, matched, returned int
			lat := make([]time.Duration, 0, 1024)
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for i := 0; b.Loop(); i++ {
				bb := bounds[i%len(bounds)]
				t := time.Now()
				page, err := col.Query(collection.Query{Bound: &bb})
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				scanned += page.Scanned
				matched += page.Matched
				returned += len(page.Features)
			}
			n := float64(len(lat))
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			cpu := ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			b.ReportMetric(float64(cpu)/1e6/n, "cpu_ms/op") // user + system, GC included
			b.ReportMetric(float64(scanned)/n, "cells_tested/op")
			b.ReportMetric(float64(matched)/n, "cells_matched/op")
			b.ReportMetric(float64(len(set.Analysis().Data.Cells)), "cells_total")
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(q float64) float64 { return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)]) / 1e6 }
	b.ReportMetric(at(0.50), "p50_ms")
	b.ReportMetric(at(0.99), "p99_ms")
}
