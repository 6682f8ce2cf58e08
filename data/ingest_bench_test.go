package data

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/synth"
)

// BenchmarkLoadSample: reading and checking the embedded samples.
func BenchmarkLoadSample(b *testing.B) {
	for _, name := range SampleNames {
		b.Run(name, func(b *testing.B) {
			in, _ := SampleInputs(name)
			for b.Loop() {
				if _, _, err := Load(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var synthFiles struct {
	once     sync.Once
	dir      string
	cells    int
	facities int
}

// BenchmarkIngestSynthetic: the 1 M-cell synthetic city written as the
// files a planner would bring (population.csv, facilities.csv) and loaded.
func BenchmarkIngestSynthetic(b *testing.B) {
	if testing.Short() {
		b.Skip("skipped under -short")
	}
	synthFiles.once.Do(func() {
		ds := synth.City(synth.DefaultConfig())
		dir, err := os.MkdirTemp("", "lifecircle-ingest-")
		if err != nil {
			b.Fatal(err)
		}
		synthFiles.dir, synthFiles.cells, synthFiles.facities = dir, len(ds.Cells), len(ds.Facilities)
		write := func(name string, fn func(w *bufio.Writer)) {
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriter(f)
			fn(w)
			w.Flush()
			f.Close()
		}
		write("population.csv", func(w *bufio.Writer) {
			w.WriteString("h3,population\n")
			for _, c := range ds.Cells {
				fmt.Fprintf(w, "%s,%.1f\n", c.Cell, c.Population)
			}
		})
		write("facilities.csv", func(w *bufio.Writer) {
			w.WriteString("id,lon,lat,type,status,plan_year\n")
			for _, f := range ds.Facilities {
				y := ""
				if f.PlanYear > 0 {
					y = fmt.Sprint(f.PlanYear)
				}
				fmt.Fprintf(w, "%s,%.7f,%.7f,%s,%s,%s\n", f.ID, f.Location[0], f.Location[1], f.Type, f.Status, y)
			}
		})
	})
	in := Inputs{Facilities: filepath.Join(synthFiles.dir, "facilities.csv"), Population: filepath.Join(synthFiles.dir, "population.csv")}
	for b.Loop() {
		if _, _, err := Load(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(synthFiles.cells), "cells")
	b.ReportMetric(float64(synthFiles.facities), "facilities")
}

// BenchmarkPortoAlegre: the real-data test bed (1,124 res-9 cells, 335
// facilities), phase by phase, straight line and walking network.
func BenchmarkPortoAlegre(b *testing.B) {
	in, _ := SampleInputs("porto_alegre")
	cat, ds, err := Load(in)
	if err != nil {
		b.Fatal(err)
	}
	centres := coverage.Centres(ds)
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			e := coverage.NewEuclidean(centres, coverage.DefaultDetour)
			e.Reach(orb.Point{0, 0}, 1, func(int, float32) {}) // the R-tree is built on first use
		}
	})
	eu := coverage.NewEuclidean(centres, coverage.DefaultDetour)
	eu.Reach(orb.Point{0, 0}, 1, func(int, float32) {}) // built here, not in the first analysis
	b.Run("coverage-euclidean", func(b *testing.B) {
		for b.Loop() {
			a, err := coverage.Analyze(cat, ds, coverage.Options{Source: eu})
			if err != nil {
				b.Fatal(err)
			}
			a.Types() // types are computed on first use: compute them all
		}
	})
	g, _, err := LoadNetwork(in, DefaultWalkRule())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("snap", func(b *testing.B) {
		for b.Loop() {
			coverage.NewNetwork(g, centres, coverage.DefaultSnapLimitM, 0)
		}
	})
	nw := coverage.NewNetwork(g, centres, coverage.DefaultSnapLimitM, 0)
	b.Run("coverage-network", func(b *testing.B) {
		for b.Loop() {
			a, err := coverage.Analyze(cat, ds, coverage.Options{Source: nw})
			if err != nil {
				b.Fatal(err)
			}
			a.Types() // types are computed on first use: compute them all
		}
	})
}
