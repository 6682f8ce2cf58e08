package data

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lifecircle/coverage"
)

// TestBadInputCorpusLoad: every geojsonhint bad/ file (the copy in testdata), as facilities and as
// boundaries, is refused with ErrInvalid and a message naming the file.
func TestBadInputCorpusLoad(t *testing.T) {
	files, err := filepath.Glob("testdata/geojsonhint/bad/*.geojson")
	if err != nil || len(files) < 40 {
		t.Fatalf("the corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, in := range []Inputs{
				{Facilities: f, Population: tinyPopulation},
				{Facilities: tinyFacCSV, Population: tinyPopulation, Boundaries: BoundaryPaths(f)},
			} {
				_, _, err := Load(in)
				if err == nil {
					t.Fatalf("accepted as %+v", in)
				}
				if !errors.Is(err, coverage.ErrInvalid) {
					t.Errorf("refused without ErrInvalid: %v", err)
				}
				wantContains(t, err, filepath.Base(f))
			}
		})
	}
}

func TestInputFilesMustBeRegularAndNotEmpty(t *testing.T) {
	_, _, err := Load(Inputs{Facilities: "/dev/zero", Population: tinyPopulation})
	wantInvalid(t, err, "/dev/zero", "not a regular file")
	_, _, err = Load(Inputs{Facilities: t.TempDir(), Population: tinyPopulation})
	wantInvalid(t, err, "not a regular file")
	old := MaxInputBytes
	MaxInputBytes = 10
	_, _, err = Load(tinyInputs())
	MaxInputBytes = old
	wantInvalid(t, err, "over the limit")

	dir := t.TempDir()
	empty := writeTestFile(t, dir, "none.geojson", `{"type": "FeatureCollection", "features": []}`)
	_, _, err = Load(Inputs{Facilities: empty, Population: tinyPopulation})
	wantInvalid(t, err, "none.geojson", "no facility", "--allow-no-facilities")
	if _, ds, err := Load(Inputs{Facilities: empty, Population: tinyPopulation, AllowNoFacilities: true}); err != nil || len(ds.Facilities) != 0 {
		t.Errorf("with AllowNoFacilities: %v", err)
	}

	// GeoJSON with a UTF-8 byte order mark is read like without.
	src, err := os.ReadFile(tinyFacGeoJSON)
	if err != nil {
		t.Fatal(err)
	}
	bom := writeTestFile(t, dir, "bom.geojson", "\ufeff"+string(src))
	_, a, err := Load(Inputs{Facilities: tinyFacGeoJSON, Population: tinyPopulation})
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := Load(Inputs{Facilities: bom, Population: tinyPopulation})
	if err != nil || len(b.Facilities) != len(a.Facilities) {
		t.Errorf("GeoJSON with a BOM: %v, %d facilities, want %d", err, len(b.Facilities), len(a.Facilities))
	}
}
