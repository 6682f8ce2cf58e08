package data

import (
	"bytes"
	"errors"
	"testing"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The readers must never panic, and every failure must be ErrInvalid with
// a message: run longer with `go test -fuzz FuzzReadFacilitiesCSV ./data`.

func FuzzReadFacilitiesCSV(f *testing.F) {
	f.Add([]byte("lon,lat,type\n104.06,30.66,kindergarten\n"))
	f.Add([]byte("lon,lat,type,name,capacity,status,plan_year\n104.06,30.66,kindergarten,a,10,planned,2027\n"))
	f.Add([]byte("lon,lat,type\n\"104\"06,30.66,kindergarten\n"))
	cat := coverage.DefaultCatalog()
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := ReadFacilities("f.csv", bytes.NewReader(src), spatial.GCJ02, cat)
		if err != nil && !errors.Is(err, coverage.ErrInvalid) {
			t.Fatalf("error not marked invalid: %v", err)
		}
	})
}

func FuzzReadPopulationCSV(f *testing.F) {
	f.Add([]byte("h3,population\n8a40e3ce8997fff,10\n"))
	f.Add([]byte("h3,population\n8940e3ce89bffff,70\n8b40e3ce8997fff,1\n"))
	f.Add([]byte("h3,population\nzzz,NaN\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := ReadPopulation("p.csv", bytes.NewReader(src), spatial.WGS84, 10)
		if err != nil && !errors.Is(err, coverage.ErrInvalid) {
			t.Fatalf("error not marked invalid: %v", err)
		}
	})
}

func FuzzReadGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"kindergarten","population":5,"level":"street","code":"1"},"geometry":{"type":"Point","coordinates":[104.06,30.66]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"population":5,"level":"street","code":"1"},"geometry":{"type":"Polygon","coordinates":[[[104.06,30.66],[104.07,30.66],[104.07,30.67],[104.06,30.66]]]}}]}`))
	cat := coverage.DefaultCatalog()
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, err := range []error{
			func() error {
				_, err := ReadFacilities("f.geojson", bytes.NewReader(src), spatial.WGS84, cat)
				return err
			}(),
			func() error {
				_, err := ReadPopulation("p.geojson", bytes.NewReader(src), spatial.WGS84, 9)
				return err
			}(),
			func() error { _, err := ReadBoundaries("b.geojson", bytes.NewReader(src), spatial.WGS84); return err }(),
		} {
			if err != nil && !errors.Is(err, coverage.ErrInvalid) && !errors.Is(err, coverage.ErrNotFound) {
				t.Fatalf("error not marked invalid: %v", err)
			}
		}
	})
}
