package storetest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"context"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/data"
	"lifecircle/data/gpkgstore"
	"lifecircle/data/pgstore"
	"lifecircle/data/storetest"
	"lifecircle/data/synth"
)

// Store benchmarks (make bench-store; they are skipped unless
// LIFECIRCLE_BENCH_STORE=1, because they take minutes). The synthetic city
// has LIFECIRCLE_BENCH_CELLS populated cells (default 200,000).
//
//	BenchmarkStoreImport/<store>/<dataset>: one SaveDataset into an empty store
//	(cpu-s: this process's CPU seconds in it; the PostgreSQL server's are not counted).
//	BenchmarkStoreFirstLayer/<store>/<dataset>: open a store that holds the
//	dataset, load it, build its analysis as serve does (data.Build,
//	straight line; a type's coverage is computed on first use) and encode
//	the first layer (facilities) with encoding/json, slower than the API's
//	encoder: what `lifecircle serve --store` does before it can answer.
//	BenchmarkServeStoreFirstLayer (cmd/lifecircle) runs serve itself.
//	BenchmarkStoreLoad/<store>/<dataset>: LoadDataset alone, from a store
//	opened once (profile the load with -cpuprofile; the server's share of a
//	PostgreSQL load is not in this process's profile).

type benchDataset struct {
	name string
	cat  *coverage.Catalog
	ds   *coverage.Dataset
}

func benchDatasets(b *testing.B) []benchDataset {
	b.Helper()
	cells := storetest.BenchStore(b)
	var out []benchDataset
	for _, s := range []string{"porto_alegre", "chengdu"} {
		in, err := data.SampleInputs(s)
		if err != nil {
			b.Fatal(err)
		}
		in.OSM = ""
		cat, ds, err := data.Load(in)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchDataset{s, cat, ds})
	}
	start := time.Now()
	ds := synth.City(synth.Config{Cells: cells})
	b.Logf("synthetic city: %d cells, %d facilities, %d units (built in %v)", len(ds.Cells), len(ds.Facilities), len(ds.Units), time.Since(start).Round(time.Millisecond))
	out = append(out, benchDataset{"synth" + strconv.Itoa(cells/1000) + "k", coverage.DefaultCatalog(), ds})
	return out
}

// savedStore makes a store of the kind holding the dataset, closes it (as
// a server finds it: a GeoPackage's WAL checkpointed) and returns the
// function that opens it again.
func savedStore(b *testing.B, kind string, d benchDataset) func() (coverage.Store, error) {
	b.Helper()
	open := benchStores(b)[kind](b)
	s, err := open()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SaveDataset(bg, d.cat, d.ds); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return open
}

// benchStores are the stores to measure; each opener makes an empty store
// and returns a function that opens it again.
func benchStores(b *testing.B) map[string]func(b *testing.B) func() (coverage.Store, error) {
	return map[string]func(b *testing.B) func() (coverage.Store, error){
		"gpkg": func(b *testing.B) func() (coverage.Store, error) {
			path := filepath.Join(b.TempDir(), "bench.gpkg")
			return func() (coverage.Store, error) { return gpkgstore.Open(path) }
		},
		"postgis": func(b *testing.B) func() (coverage.Store, error) {
			url := storetest.PGDatabase(b, storetest.PGAdminURL(b))
			return func() (coverage.Store, error) { return pgstore.Open(bg, url) }
		},
	}
}

var bg = context.Background()

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopPostgres()
	os.Exit(code)
}

func rowsOf(ds *coverage.Dataset) int { return len(ds.Facilities) + len(ds.Cells) + len(ds.Units) }

func BenchmarkStoreImport(b *testing.B) {
	datasets := benchDatasets(b)
	for _, kind := range []string{"gpkg", "postgis"} {
		for _, d := range datasets {
			b.Run(kind+"/"+d.name, func(b *testing.B) {
				var cpu time.Duration // this process's CPU time in SaveDataset (not the PostgreSQL server's)
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					open := benchStores(b)[kind](b)
					s, err := open()
					if err != nil {
						b.Fatal(err)
					}
					cpu0 := processCPU()
					b.StartTimer()
					if err := s.SaveDataset(bg, d.cat, d.ds); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					cpu += processCPU() - cpu0
					s.Close()
					if g, ok := s.(*gpkgstore.Store); ok {
						if fi, err := os.Stat(g.Path()); err == nil {
							b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
						}
					}
				}
				b.ReportMetric(float64(rowsOf(d.ds))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
				b.ReportMetric(float64(len(d.ds.Cells)), "cells")
			})
		}
	}
}

func BenchmarkStoreFirstLayer(b *testing.B) {
	datasets := benchDatasets(b)
	for _, kind := range []string{"gpkg", "postgis"} {
		for _, d := range datasets {
			b.Run(kind+"/"+d.name, func(b *testing.B) {
				open := savedStore(b, kind, d)
				var tOpen, tLoad, tAnalyze, tLayer time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					s, err := open()
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					cat, ds, err := s.LoadDataset(bg, d.ds.Name)
					if err != nil {
						b.Fatal(err)
					}
					t2 := time.Now()
					// what serve --store does with a loaded dataset: the
					// stored network (none here), then the one builder
					if ns, ok := s.(coverage.NetworkStore); ok {
						if _, err := ns.Network(bg, ds.Name); err != nil && !errors.Is(err, coverage.ErrNotFound) {
							b.Fatal(err)
						}
					}
					a, _, err := data.Build(cat, ds, nil, "the stored dataset "+ds.Name, data.BuildOptions{})
					if err != nil {
						b.Fatal(err)
					}
					t3 := time.Now()
					fc, err := data.LayerFC(collection.NewSet(a, "bench"), "facilities", "", coverage.DefaultProfile)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := json.Marshal(fc); err != nil {
						b.Fatal(err)
					}
					t4 := time.Now()
					tOpen += t1.Sub(t0)
					tLoad += t2.Sub(t1)
					tAnalyze += t3.Sub(t2)
					tLayer += t4.Sub(t3)
					b.StopTimer()
					s.Close()
					b.StartTimer()
				}
				n := float64(b.N)
				b.ReportMetric(tOpen.Seconds()*1000/n, "open-ms")
				b.ReportMetric(tLoad.Seconds()*1000/n, "load-ms")
				b.ReportMetric(tAnalyze.Seconds()*1000/n, "analyze-ms")
				b.ReportMetric(tLayer.Seconds()*1000/n, "layer-ms")
			})
		}
	}
}

func BenchmarkStoreLoad(b *testing.B) {
	datasets := benchDatasets(b)
	for _, kind := range []string{"gpkg", "postgis"} {
		for _, d := range datasets {
			b.Run(kind+"/"+d.name, func(b *testing.B) {
				s, err := savedStore(b, kind, d)()
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var cpu time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					cpu0 := processCPU()
					if _, _, err := s.LoadDataset(bg, d.ds.Name); err != nil {
						b.Fatal(err)
					}
					cpu += processCPU() - cpu0
				}
				b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms")
				b.ReportMetric(float64(len(d.ds.Cells)), "cells")
			})
		}
	}
}

// processCPU is the user and system CPU time this process has used: on a
// machine shared with other work, the figure that does not depend on the
// load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
