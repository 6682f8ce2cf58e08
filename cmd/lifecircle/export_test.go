package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/data/gpkgstore"
)

// exportFixture imports the Chengdu sample into a store and computes the
// layers an export writes, as runExport does.
func exportFixture(tb testing.TB) (*gpkgstore.Store, string, map[string][]data.NamedLayer) {
	tb.Helper()
	dir := tb.TempDir()
	storePath := filepath.Join(dir, "s.gpkg")
	var out, errs io.Writer = io.Discard, io.Discard
	if err := run(context.Background(), []string{"import", "--store", storePath, "--sample", "chengdu"}, out, errs); err != nil {
		tb.Fatal(err)
	}
	st, err := gpkgstore.Open(storePath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ctx := context.Background()
	names, err := st.Datasets(ctx)
	if err != nil || len(names) != 1 {
		tb.Fatalf("datasets %v, %v", names, err)
	}
	cat, ds, err := st.LoadDataset(ctx, names[0])
	if err != nil {
		tb.Fatal(err)
	}
	var in inputFlags
	in.snapM, in.detour, in.searchFactor, in.minComponent = coverage.DefaultSnapLimitM, coverage.DefaultDetour, coverage.DefaultSearchFactor, coverage.DefaultMinComponent
	a, err := in.analyzeStored(ctx, st, cat, ds, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	layers, err := data.AnalysisLayers(a, coverage.DefaultProfile)
	if err != nil {
		tb.Fatal(err)
	}
	return st, dir, map[string][]data.NamedLayer{names[0]: layers}
}

// BenchmarkExportWrite: writing the export of the Chengdu sample with every
// layer (35 types × coverage, gaps, gap areas; catchments; metadata) and
// the dataset, network and audit, from the analysis already built — the
// write alone, as `lifecircle export --no-save` does it.
func BenchmarkExportWrite(b *testing.B) {
	st, dir, layers := exportFixture(b)
	names := []string{}
	for n := range layers {
		names = append(names, n)
	}
	ctx := context.Background()
	i := 0
	var size int64
	for b.Loop() {
		i++
		out := filepath.Join(dir, "e"+string(rune('a'+i%26))+".gpkg")
		os.Remove(out)
		if _, err := writeExport(ctx, st, names, layers, out); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}
