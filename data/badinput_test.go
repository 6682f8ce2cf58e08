package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// TestBadInputCorpus: every file of the shared geojsonhint corpus (bad and
// good: the good ones are valid GeoJSON but no valid facility, population
// or boundary input) is refused by each GeoJSON reader with an error that
// names the file and wraps ErrInvalid — never a panic, never accepted.
func TestBadInputCorpus(t *testing.T) {
	dir := filepath.Join(sharedDataDir, "data", "bad-input", "geojsonhint")
	var files []string
	for _, sub := range []string{"bad", "good"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.geojson"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no corpus at %s (the shared data beside the repository)", dir)
	}
	cat := coverage.DefaultCatalog()
	readers := map[string]func(name string, b []byte) error{
		"facilities": func(name string, b []byte) error {
			_, err := ReadFacilities(name, bytes.NewReader(b), spatial.WGS84, cat)
			return err
		},
		"population": func(name string, b []byte) error {
			_, err := ReadPopulation(name, bytes.NewReader(b), spatial.WGS84, 10)
			return err
		},
		"boundaries": func(name string, b []byte) error {
			_, err := ReadBoundaries(name, bytes.NewReader(b), spatial.WGS84)
			return err
		},
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		for what, read := range readers {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s as %s: panic %v", name, what, r)
					}
				}()
				err := read(name, b)
				switch {
				case err == nil:
					t.Errorf("%s accepted as %s", name, what)
				case !errors.Is(err, coverage.ErrInvalid):
					t.Errorf("%s as %s: %v does not wrap ErrInvalid", name, what, err)
				}
			}()
		}
	}
}
