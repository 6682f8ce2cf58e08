package memstore

import (
	"testing"

	"lifecircle/coverage"
	"lifecircle/data/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (coverage.Store, func(t *testing.T) coverage.Store) {
		s := New()
		return s, func(*testing.T) coverage.Store { return s }
	})
}
