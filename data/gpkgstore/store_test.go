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
