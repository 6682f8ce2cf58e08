package api

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"lifecircle/coverage"
	"lifecircle/data/synth"
)

// Benchmarks of the collection endpoints over the Chengdu-sized synthetic
// city (synth.ChengduConfig: 1.3 M populated res-10 cells, 30,000
// facilities), analysed by straight-line distance once per test binary and
// served through the Gin handler (httptest, no network). Each reports the
// p50 and p99 of single requests besides the mean.
var benchCity struct {
	once sync.Once
	a    *coverage.Analysis
}

func chengduServer(b *testing.B) *Server {
	b.Helper()
	if testing.Short() {
		b.Skip("the 1.3 M-cell city takes a few seconds and ~1 GB to build; skipped under -short")
	}
	benchCity.once.Do(func() {
		a, err := coverage.Analyze(coverage.DefaultCatalog(), synth.City(synth.ChengduConfig()), coverage.Options{})
		if err != nil {
			panic(err)
		}
		a.Types() // computed up front, as before types were computed on first use: the benchmarks measure answers
		benchCity.a = a
		runtime.GC() // the city's garbage is not the first benchmark's to collect
	})
	return New(slog.New(slog.NewTextHandler(io.Discard, nil)), benchCity.a)
}

// serveTimed answers one GET and returns how long it took; anything but
// want fails the benchmark.
func serveTimed(b *testing.B, h http.Handler, url string, want int) time.Duration {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	t := time.Now()
	h.ServeHTTP(rec, req)
	d := time.Since(t)
	if rec.Code != want {
		b.Fatalf("GET %s: %d, want %d: %s", url, rec.Code, want, rec.Body.String())
	}
	return d
}

// cpuTime is the CPU time (user + system) the process has used: per
// request it counts the garbage collector's share and, unlike wall time,
// not the time other processes on a busy machine take.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLatency reports the p50 and p99 of lat and the CPU per request
// since cpu0.
func reportLatency(b *testing.B, lat []time.Duration, cpu0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(len(lat)), "cpu_ms/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(q float64) float64 { return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)]) / 1e6 }
	b.ReportMetric(at(0.50), "p50_ms")
	b.ReportMetric(at(0.99), "p99_ms")
}

// cityTiles lists n distinct z14 tiles that hold cells of the city.
func cityTiles(a *coverage.Analysis, n int) []maptile.Tile {
	rng := rand.New(rand.NewPCG(14, 14))
	seen := map[maptile.Tile]bool{}
	var out []maptile.Tile
	for len(out) < n {
		t := maptile.At(a.Centre(rng.IntN(len(a.Data.Cells))), 14)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func tileURL(id string, t maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.pbf", id, t.Z, t.X, t.Y)
}

// BenchmarkItemsPage1000: a 1,000-feature OGC API items page of
// coverage-kindergarten (1.3 M features) at offsets spread over the whole
// collection, GeoJSON written to the response.
func BenchmarkItemsPage1000(b *testing.B) {
	s := chengduServer(b)
	h := s.Handler()
	n := len(benchCity.a.Data.Cells)
	rng := rand.New(rand.NewPCG(10, 10))
	offsets := make([]int, 1000)
	for i := range offsets {
		offsets[i] = rng.IntN(n - 1000)
	}
	serveTimed(b, h, "/ogc/collections/coverage-kindergarten/items?limit=1000", http.StatusOK)
	lat := make([]time.Duration, 0, 1024)
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		// a page never asked for before in this process: a response-cache
		// miss (the hexagon outlines of the first 262,144 cells drawn are
		// kept, so later runs of a -count draw fewer of them)
		k := pageSeq.Add(1)
		lat = append(lat, serveTimed(b, h, fmt.Sprintf("/ogc/collections/coverage-kindergarten/items?limit=1000&offset=%d", offsets[int(k)%len(offsets)]+int(k/1000)), http.StatusOK))
	}
	reportLatency(b, lat, cpu0)
}

// pageSeq numbers the pages BenchmarkItemsPage1000 asks for across runs.
var pageSeq atomic.Int64

// BenchmarkItemsPage1000Cached: 64 such pages in turn, each already in the
// response cache (what a client asking for a page again gets).
func BenchmarkItemsPage1000Cached(b *testing.B) {
	s := chengduServer(b)
	h := s.Handler()
	n := len(benchCity.a.Data.Cells)
	var urls []string
	for i := 0; i < 64; i++ {
		urls = append(urls, fmt.Sprintf("/ogc/collections/coverage-kindergarten/items?limit=1000&offset=%d", i*(n-1000)/63))
		serveTimed(b, h, urls[i], http.StatusOK)
	}
	lat := make([]time.Duration, 0, 1<<16)
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		lat = append(lat, serveTimed(b, h, urls[i%len(urls)], http.StatusOK))
	}
	reportLatency(b, lat, cpu0)
}

// BenchmarkMixedReadsCold / Cached: the reads of make load's mix other
// than items pages (summaries, gap areas, a gaps page) on the 1.3 M-cell
// city, with the response cache off (each request computed and encoded;
// gap areas are memoised in the analysis after their first request) and on.
var mixedReads = []string{
	"/v1/summary", "/v1/summary?by=district", "/v1/summary?by=district&profile=elderly",
	"/v1/layers/gap-areas?type=kindergarten&limit=1000", "/v1/layers/gap-areas?type=primary_school&limit=100",
	"/v1/layers/gap-areas?type=community_health_center&limit=1000", "/v1/layers/gaps?type=pharmacy&limit=500",
}

func benchMixed(b *testing.B, cache bool) {
	s := chengduServer(b)
	if !cache {
		s.SetResponseCache(0)
	}
	h := s.Handler()
	for _, u := range mixedReads {
		serveTimed(b, h, u, http.StatusOK) // gap areas drawn once per analysis
	}
	lat := make([]time.Duration, 0, 1<<16)
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		lat = append(lat, serveTimed(b, h, mixedReads[i%len(mixedReads)], http.StatusOK))
	}
	reportLatency(b, lat, cpu0)
}

func BenchmarkMixedReadsCold(b *testing.B)   { benchMixed(b, false) }
func BenchmarkMixedReadsCached(b *testing.B) { benchMixed(b, true) }

// BenchmarkTileUncached: a z14 vector tile of coverage-kindergarten (about
// 300 hexagons) that is not in the cache: every request is a distinct tile
// (the cache is emptied, outside the timer, if the list runs out).
func BenchmarkTileUncached(b *testing.B) {
	s := chengduServer(b)
	h := s.Handler()
	tiles := cityTiles(benchCity.a, 2000)
	serveTimed(b, h, tileURL("coverage-kindergarten", maptile.At(benchCity.a.Centre(0), 10)), http.StatusOK) // builds the index
	lat := make([]time.Duration, 0, 1024)
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if i > 0 && i%len(tiles) == 0 {
			b.StopTimer()
			s.tiles = newTileCache(64 << 20)
			b.StartTimer()
		}
		lat = append(lat, serveTimed(b, h, tileURL("coverage-kindergarten", tiles[i%len(tiles)]), http.StatusOK))
	}
	reportLatency(b, lat, cpu0)
}

// BenchmarkTileCached: the same tiles, already encoded (64 tiles in turn).
func BenchmarkTileCached(b *testing.B) {
	s := chengduServer(b)
	h := s.Handler()
	tiles := cityTiles(benchCity.a, 64)
	for _, t := range tiles {
		serveTimed(b, h, tileURL("coverage-kindergarten", t), http.StatusOK)
	}
	lat := make([]time.Duration, 0, 1<<16)
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		lat = append(lat, serveTimed(b, h, tileURL("coverage-kindergarten", tiles[i%len(tiles)]), http.StatusOK))
	}
	reportLatency(b, lat, cpu0)
}
