package pgstore

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"lifecircle/coverage"
	"lifecircle/data/storetest"
)

var bg = context.Background()

// TestMain stops the throwaway PostgreSQL cluster the tests may have
// started (see storetest.PGAdminURL).
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopPostgres()
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	admin := storetest.PGAdminURL(t)
	storetest.Run(t, func(t *testing.T) (coverage.Store, func(t *testing.T) coverage.Store) {
		url := storetest.PGDatabase(t, admin)
		open := func(t *testing.T) coverage.Store {
			s, err := Open(bg, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		return open(t), open
	})
}

func TestOpenRefusesABadURL(t *testing.T) {
	_, err := Open(bg, "postgres://%zz")
	storetest.WantInvalid(t, err, "PostgreSQL URL")
}

// TestCheckAll: the whole-store check passes on a sound store, says what
// it checked, and finds a dataset whose rows do not match its counts.
func TestCheckAll(t *testing.T) {
	s := openTestStore(t)
	cat, ds := storetest.Tiny(t, "tiny")
	storetest.MustSave(t, s, cat, ds)
	results, err := s.CheckAll(bg)
	if err != nil || len(results) != 5 {
		t.Fatalf("CheckAll: %+v, %v", results, err)
	}
	for _, r := range results {
		if len(r.Problems) > 0 {
			t.Errorf("%s: %v", r.What, r.Problems)
		}
	}
	if _, err := s.pool.Exec(bg, "UPDATE lifecircle.datasets SET cells = cells + 1"); err != nil {
		t.Fatal(err)
	}
	results, _ = s.CheckAll(bg)
	if len(results) < 2 || len(results[1].Problems) != 1 || !strings.Contains(results[1].Problems[0], "should have 5 facilities, 20 cells, 3 units; has 5, 19, 3") {
		t.Errorf("CheckAll of a store with a wrong count: %+v", results)
	}
}

// TestLoadPutsRowsAtTheirSeq: LoadDataset reads rows in the table's order,
// not seq order; rows moved by an update still come back in place, and a
// row missing or numbered twice is a damaged store, not a short dataset.
func TestLoadPutsRowsAtTheirSeq(t *testing.T) {
	s := openTestStore(t)
	cat, ds := storetest.Disk("city", 12, 50)
	storetest.MustSave(t, s, cat, ds)
	unpacked(t, s, "city")
	// an update writes new row versions at the end of the heap
	for _, q := range []string{
		"UPDATE lifecircle.population_cells SET population = population WHERE seq % 3 = 0",
		"UPDATE lifecircle.facilities SET capacity = capacity WHERE seq % 2 = 0",
	} {
		if _, err := s.pool.Exec(bg, q); err != nil {
			t.Fatal(err)
		}
	}
	var first int
	if err := s.pool.QueryRow(bg, "SELECT seq FROM lifecircle.population_cells LIMIT 1").Scan(&first); err != nil || first == 0 {
		t.Fatalf("the first row of the heap is seq %d (%v): the test wants rows out of order", first, err)
	}
	storetest.WantDataset(t, s, cat, ds)

	for _, c := range []struct{ damage, want string }{
		{"DELETE FROM lifecircle.population_cells WHERE seq = 7", `dataset "city" should have 469 population cells; found 468`},
		{"UPDATE lifecircle.population_cells SET seq = 469 WHERE seq = 8", `dataset "city" has 469 population cells; one is numbered 469`},
		{"ALTER TABLE lifecircle.facilities DROP CONSTRAINT facilities_dataset_seq_key; UPDATE lifecircle.facilities SET seq = 3 WHERE seq = 4",
			`dataset "city" has two facilities numbered 3`},
	} {
		if _, err := s.pool.Exec(bg, c.damage); err != nil {
			t.Fatal(err)
		}
		unpacked(t, s, "city")
		_, _, err := s.LoadDataset(bg, "city")
		if err == nil || !strings.Contains(err.Error(), "store is damaged") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("after %s: LoadDataset error %v, want %q", c.damage, err, c.want)
		}
		storetest.MustSave(t, s, cat, ds)
	}
}

// TestSplitLoadSeesOneSnapshot: a big dataset's facilities and units are
// read on a second connection; when a save of the dataset commits before
// that connection's transaction begins, the load still returns the
// dataset it began with, whole (the second transaction takes the first
// one's snapshot).
func TestSplitLoadSeesOneSnapshot(t *testing.T) {
	defer func(n int) { splitCells = n }(splitCells)
	defer func(f func()) { helperStarts = f }(helperStarts)
	splitCells = 1
	s := openTestStore(t)
	// another dataset in the tables: a save then takes no table locks
	tcat, tiny := storetest.Tiny(t, "a-tiny")
	storetest.MustSave(t, s, tcat, tiny)
	cat, old := storetest.Disk("city", 20, 100)
	_, next := storetest.Disk("city", 25, 150)
	storetest.MustSave(t, s, cat, old)
	unpacked(t, s, "city")
	saves := 0
	helperStarts = func() {
		if saves == 0 {
			storetest.MustSave(t, s, cat, next)
		}
		saves++
	}
	storetest.WantDataset(t, s, cat, old)
	if saves != 1 {
		t.Fatalf("the second connection was asked for %d times, want 1", saves)
	}
	storetest.WantDataset(t, s, cat, next)
	storetest.WantDataset(t, s, tcat, tiny)

	// with every connection of the pool taken, the load reads on its own
	helperStarts = func() {}
	unpacked(t, s, "city")
	var held []*pgxpool.Conn
	for i := int32(1); i < s.pool.Config().MaxConns; i++ {
		c, err := s.pool.Acquire(bg)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	storetest.WantDataset(t, s, cat, next)
	for _, c := range held {
		c.Release()
	}
}

// unpacked removes a dataset's packed cells, as a dataset saved before
// they existed has none: LoadDataset then reads the cells' rows.
func unpacked(t *testing.T, s *Store, dataset string) {
	t.Helper()
	if _, err := s.pool.Exec(bg, "UPDATE lifecircle.datasets SET cells_packed = NULL WHERE name = $1", dataset); err != nil {
		t.Fatal(err)
	}
}

// TestPackedCells: a dataset loads from its packed cells, equal to what was
// saved; a packed copy of the wrong length is a damaged store; a row that
// differs from the packed copy is what `check` reports (naming the cell),
// and a dataset without the copy loads from its rows.
func TestPackedCells(t *testing.T) {
	s := openTestStore(t)
	cat, ds := storetest.Disk("city", 12, 50)
	storetest.MustSave(t, s, cat, ds)
	var n int
	if err := s.pool.QueryRow(bg, "SELECT length(cells_packed) FROM lifecircle.datasets WHERE name = 'city'").Scan(&n); err != nil || n != 16*len(ds.Cells) {
		t.Fatalf("packed cells: %d bytes (%v), want %d", n, err, 16*len(ds.Cells))
	}
	storetest.WantDataset(t, s, cat, ds)
	packedProblems := func() []string {
		t.Helper()
		results, err := s.CheckAll(bg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if strings.HasPrefix(r.What, "the packed cells") {
				return r.Problems
			}
		}
		t.Fatalf("CheckAll has no check of the packed cells: %+v", results)
		return nil
	}
	if p := packedProblems(); len(p) != 0 {
		t.Fatalf("CheckAll of a sound store: %v", p)
	}

	if _, err := s.pool.Exec(bg, "UPDATE lifecircle.population_cells SET population = population + 1 WHERE dataset = 'city' AND seq = 3"); err != nil {
		t.Fatal(err)
	}
	if p := packedProblems(); len(p) != 1 || !strings.Contains(p[0], "population cell 3 is") {
		t.Errorf("CheckAll after a row changed behind the packed copy: %v", p)
	}
	if _, err := s.pool.Exec(bg, "DELETE FROM lifecircle.population_cells WHERE dataset = 'city' AND seq = 5"); err != nil {
		t.Fatal(err)
	}
	storetest.MustSave(t, s, cat, ds)
	if _, err := s.pool.Exec(bg, "DELETE FROM lifecircle.population_cells WHERE dataset = 'city' AND seq = 5"); err != nil {
		t.Fatal(err)
	}
	if p := packedProblems(); len(p) != 1 || !strings.Contains(p[0], "rows, ") {
		t.Errorf("CheckAll after a row was deleted: %v", p)
	}

	storetest.MustSave(t, s, cat, ds)
	if _, err := s.pool.Exec(bg, "UPDATE lifecircle.datasets SET cells_packed = substring(cells_packed from 17) WHERE name = 'city'"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LoadDataset(bg, "city"); err == nil || !strings.Contains(err.Error(), "store is damaged") || !strings.Contains(err.Error(), "packed copy holds") {
		t.Errorf("LoadDataset with a cut packed copy: %v", err)
	}
	unpacked(t, s, "city")
	storetest.WantDataset(t, s, cat, ds)
}

// openTestStore opens a store on a new database of the test server,
// closed when the test ends.
func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(bg, storetest.PGDatabase(t, storetest.PGAdminURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
