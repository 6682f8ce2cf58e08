package pgstore

import (
	"context"
	"os"
	"strings"
	"testing"

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
	url := storetest.PGDatabase(t, storetest.PGAdminURL(t))
	s, err := Open(bg, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, ds := storetest.Tiny(t, "tiny")
	storetest.MustSave(t, s, cat, ds)
	results, err := s.CheckAll(bg)
	if err != nil || len(results) != 4 {
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
