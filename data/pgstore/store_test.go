package pgstore

import (
	"context"
	"os"
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
