package gpkgstore

import (
	"context"
	"path/filepath"
	"testing"

	"lifecircle/coverage"
	"lifecircle/data/storetest"
)

var bg = context.Background()

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (coverage.Store, func(t *testing.T) coverage.Store) {
		path := filepath.Join(t.TempDir(), "store.gpkg")
		open := func(t *testing.T) coverage.Store {
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return open(t), open
	})
}

// TestConformanceSplitLoad runs the suite with every dataset loaded on two
// connections (see LoadDataset), which the suite's small datasets do not
// reach otherwise; its concurrent readers and writers meet the case where
// a save commits between the two read transactions.
func TestConformanceSplitLoad(t *testing.T) {
	defer func(n int) { splitCells = n }(splitCells)
	splitCells = 1
	TestConformance(t)
}

// TestSplitLoadSeesOneSnapshot: when a save of the dataset commits after
// a load began and before its helper's transaction did, the load returns
// the dataset it began with, whole.
func TestSplitLoadSeesOneSnapshot(t *testing.T) {
	defer func(n int) { splitCells = n }(splitCells)
	defer func(f func()) { helperStarts = f }(helperStarts)
	splitCells = 1
	s, err := Open(filepath.Join(t.TempDir(), "store.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, old := storetest.Disk("city", 20, 100)
	_, next := storetest.Disk("city", 25, 150)
	storetest.MustSave(t, s, cat, old)
	saves := 0
	helperStarts = func() {
		if saves == 0 {
			storetest.MustSave(t, s, cat, next)
		}
		saves++
	}
	storetest.WantDataset(t, s, cat, old)
	if saves != 1 {
		t.Fatalf("the helper started %d times, want 1", saves)
	}
	storetest.WantDataset(t, s, cat, next)
}
