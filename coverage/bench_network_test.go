package coverage_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/synth"
	"lifecircle/spatial/network"
)

// The Chengdu-sized synthetic city with its street network: ≥ 1.3 M
// populated res-10 cells, ≥ 30 k facilities over the 35 types, > 2 M streets.
var city struct {
	once  sync.Once
	ds    *coverage.Dataset
	g     *network.Graph
	src   *coverage.Network
	base  *coverage.Analysis
	times map[string]time.Duration
}

func chengduSized(b testing.TB) {
	if testing.Short() {
		b.Skip("the Chengdu-sized city takes ~1 minute and a few GB; skipped under -short")
	}
	city.once.Do(func() {
		city.times = map[string]time.Duration{}
		t := time.Now()
		city.ds = synth.City(synth.ChengduConfig())
		city.times["city"] = time.Since(t)
		t = time.Now()
		ways := synth.Streets(city.ds, 1)
		city.times["streets"] = time.Since(t)
		t = time.Now()
		g, err := network.Build(ways)
		if err != nil {
			panic(err)
		}
		city.g = g
		city.times["graph"] = time.Since(t)
		t = time.Now()
		city.src = coverage.NewNetwork(g, coverage.Centres(city.ds), coverage.DefaultSnapLimitM, 0)
		city.times["snap"] = time.Since(t)
		t = time.Now()
		city.base, err = coverage.Analyze(coverage.DefaultCatalog(), city.ds, coverage.Options{Source: city.src})
		if err != nil {
			panic(err)
		}
		city.base.Types() // computed on first use: all of them now
		city.times["analyze"] = time.Since(t)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "heap in use after set-up: %.0f MB\n", float64(ms.HeapInuse)/1e6)
		fmt.Fprintf(os.Stderr, "chengdu-sized city: %d cells, %d facilities, %d nodes, %d edges, %d unsnapped; phases %v\n",
			len(city.ds.Cells), len(city.ds.Facilities), g.NumNodes(), g.NumEdges(), city.src.Unsnapped(), city.times)
	})
}

// BenchmarkNetworkBuild: the CSR graph from > 2 M synthetic streets.
func BenchmarkNetworkBuild(b *testing.B) {
	chengduSized(b)
	ways := synth.Streets(city.ds, 1) // the streets are not kept: they would count in the process's peak memory
	for b.Loop() {
		if _, err := network.Build(ways); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(city.g.NumEdges()), "edges")
	b.ReportMetric(float64(city.g.NumNodes()), "nodes")
}

// BenchmarkNetworkSnapCells: every populated cell joins the network.
func BenchmarkNetworkSnapCells(b *testing.B) {
	chengduSized(b)
	centres := coverage.Centres(city.ds)
	for b.Loop() {
		coverage.NewNetwork(city.g, centres, coverage.DefaultSnapLimitM, 0)
	}
	b.ReportMetric(float64(len(centres)), "cells")
}

// BenchmarkNetworkAllTypes: all 35 types recomputed by network distance
// over ≥ 1.3 M cells (goal ≤ 5 s on 2 cores).
func BenchmarkNetworkAllTypes(b *testing.B) {
	chengduSized(b)
	cat := coverage.DefaultCatalog()
	for b.Loop() {
		a, err := coverage.Analyze(cat, city.ds, coverage.Options{Source: city.src})
		if err != nil {
			b.Fatal(err)
		}
		a.Types() // types are computed on first use: compute them all
	}
	b.ReportMetric(float64(len(city.ds.Cells)), "cells")
	b.ReportMetric(float64(len(city.ds.Facilities)), "facilities")
	b.ReportMetric(float64(city.g.NumEdges()), "edges")
}

// BenchmarkWhatIf: one proposed site (three types) scored against the
// Chengdu-sized city; reports p50 and p99 over 2,000 random sites.
func BenchmarkWhatIf(b *testing.B) {
	chengduSized(b)
	rng := rand.New(rand.NewPCG(7, 7))
	sites := make([]orb.Point, 2000)
	for i := range sites {
		sites[i] = city.src.Graph().Nodes[rng.IntN(city.g.NumNodes())]
	}
	types := []string{"kindergarten", "elderly_day_care", "community_health_center"}
	lat := make([]time.Duration, 0, len(sites))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		if _, err := city.base.WhatIf(coverage.Site{Types: types, Location: sites[i%len(sites)]}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkRecommend: 100 sites from ≥ 50 k candidates over ≥ 1.3 M cells
// (goal ≤ 5 s on 2 cores).
func BenchmarkRecommend(b *testing.B) {
	chengduSized(b)
	rng := rand.New(rand.NewPCG(8, 8))
	cands := make([]coverage.Candidate, 50_000)
	for i := range cands {
		c := city.ds.Cells[rng.IntN(len(city.ds.Cells))]
		cands[i] = coverage.Candidate{ID: fmt.Sprint("c", i), Location: city.src.CellSnap(0).Point}
		cands[i].Location = cellCentre(c)
	}
	var rec *coverage.Recommendation
	for b.Loop() {
		var err error
		rec, err = city.base.Recommend(coverage.RecommendRequest{Types: []coverage.WeightedType{{ID: "kindergarten"}}, K: 100, Candidates: cands})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rec.Sites)), "sites")
	b.ReportMetric(float64(rec.Candidates), "candidates")
	b.ReportMetric(float64(rec.Evaluations), "evaluations")
	b.ReportMetric(float64(rec.Swaps), "swaps")
	b.ReportMetric(rec.Sites[len(rec.Sites)-1].CumulativeWeightedShare, "share")
}

// BenchmarkScenarioCompare: a scenario of 50 changes over three types,
// applied to the city and compared with the baseline.
func BenchmarkScenarioCompare(b *testing.B) {
	chengduSized(b)
	rng := rand.New(rand.NewPCG(9, 9))
	var changes []coverage.Change
	for i := 0; i < 40; i++ {
		c := city.ds.Cells[rng.IntN(len(city.ds.Cells))]
		changes = append(changes, coverage.Change{Kind: coverage.Add, Facility: coverage.Facility{
			ID: fmt.Sprint("s", i), Type: []string{"kindergarten", "elderly_day_care", "pharmacy"}[i%3], Location: cellCentre(c)}})
	}
	for _, f := range city.ds.Facilities[:200] {
		if len(changes) == 50 {
			break
		}
		if f.Type == "kindergarten" && f.Status == coverage.Existing {
			changes = append(changes, coverage.Change{Kind: coverage.Remove, FacilityID: f.ID})
		}
	}
	for b.Loop() {
		scen, err := city.base.Apply(changes)
		if err != nil {
			b.Fatal(err)
		}
		coverage.Compare(city.base, scen)
	}
	b.ReportMetric(float64(len(changes)), "changes")
}

func cellCentre(c coverage.PopulationCell) orb.Point {
	return coverage.Centres(&coverage.Dataset{Cells: []coverage.PopulationCell{c}})[0]
}
