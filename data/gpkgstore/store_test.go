package gpkgstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"strings"
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

// TestCellCollector: the aggregate LoadDataset reads cells with keeps
// them in fid order, says when they are not (the load then reads row by
// row), and names a row whose values are not a cell's.
func TestCellCollector(t *testing.T) {
	id, sink := newCellSink(nil)
	defer dropCellSink(id)
	c := &cellCollector{}
	step := func(fid int64, h3, pop any) {
		if err := c.Step(nil, []driver.Value{id, fid, h3, pop}); err != nil {
			t.Fatal(err)
		}
	}
	step(3, int64(0x8a4b5c0fffffff), 12.5)
	step(7, int64(0x8a4b5c1fffffff), int64(4))
	if v, _ := c.WindowValue(nil); v != int64(2) || sink.err != nil || len(sink.cells) != 2 || sink.cells[1].Population != 4 {
		t.Fatalf("collected %v: %+v, %v", v, sink.cells, sink.err)
	}
	step(5, int64(0x8a4b5c2fffffff), 1.0)
	if !errors.Is(sink.err, errCellOrder) {
		t.Errorf("out of fid order: %v", sink.err)
	}
	id2, sink2 := newCellSink(nil)
	defer dropCellSink(id2)
	c = &cellCollector{}
	if err := c.Step(nil, []driver.Value{id2, int64(1), "8a4b5c0fffffff", 1.0}); err != nil {
		t.Fatal(err)
	}
	if sink2.err == nil || !strings.Contains(sink2.err.Error(), "store is damaged: population cell fid 1") {
		t.Errorf("a text h3: %v", sink2.err)
	}
	if err := (&cellCollector{}).Step(nil, []driver.Value{int64(-1), int64(1), int64(1), 1.0}); err == nil {
		t.Error("no error for a sink that is not there")
	}
}

// TestSplitLoadWithEveryReaderTaken: a load whose helper finds no free
// reader connection reads on its own instead of waiting for one (loads
// holding every connection would otherwise wait for each other).
func TestSplitLoadWithEveryReaderTaken(t *testing.T) {
	defer func(n int) { splitCells = n }(splitCells)
	splitCells = 1
	s, err := Open(filepath.Join(t.TempDir(), "store.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, ds := storetest.Disk("city", 20, 100)
	storetest.MustSave(t, s, cat, ds)
	for i := 1; i < s.r.Stats().MaxOpenConnections; i++ {
		c, err := s.r.Conn(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	storetest.WantDataset(t, s, cat, ds)
}
