package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

func tinyInputs() Inputs {
	return Inputs{Facilities: tinyFacCSV, Population: tinyPopulation, Boundaries: BoundaryPaths(tinyBoundaries)}
}

func TestLoadTinyFixture(t *testing.T) {
	for _, fac := range []string{tinyFacCSV, tinyFacGeoJSON} {
		t.Run(filepath.Base(fac), func(t *testing.T) {
			in := tinyInputs()
			in.Facilities = fac
			in.PopulationNote = "hand-made"
			cat, ds, err := Load(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cat.IDs(), coverage.DefaultCatalog().IDs()) {
				t.Error("without an override the catalogue is not the default one")
			}
			if ds.Name != tinyPopulation || ds.Resolution != 10 || ds.PopulationNote != "hand-made" {
				t.Errorf("name %q, resolution %d, note %q; want %q, 10 (the default), %q", ds.Name, ds.Resolution, ds.PopulationNote, tinyPopulation, "hand-made")
			}
			if !reflect.DeepEqual(ds.Facilities, tinyFacilities) {
				t.Errorf("facilities\n%+v\nwant\n%+v", ds.Facilities, tinyFacilities)
			}
			checkedCellMap(t, ds.Cells, 10)
			if len(ds.Cells) != tinyCells || totalPopulation(ds.Cells) != tinyTotal {
				t.Errorf("%d cells, %v people; want %d, %v", len(ds.Cells), totalPopulation(ds.Cells), tinyCells, tinyTotal)
			}
			if len(ds.Units) != 3 {
				t.Errorf("%d units, want 3", len(ds.Units))
			}
			if err := ds.Validate(cat); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadOptions(t *testing.T) {
	t.Run("name and resolution", func(t *testing.T) {
		in := tinyInputs()
		in.Name, in.Resolution = "tiny", 9
		_, ds, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		checkedCellMap(t, ds.Cells, 9)
		if ds.Name != "tiny" || ds.Resolution != 9 || totalPopulation(ds.Cells) != tinyTotal {
			t.Errorf("name %q, resolution %d, %v people; want tiny, 9, %v", ds.Name, ds.Resolution, totalPopulation(ds.Cells), tinyTotal)
		}
	})
	t.Run("boundaries are optional", func(t *testing.T) {
		in := tinyInputs()
		in.Boundaries = nil
		_, ds, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Units != nil {
			t.Errorf("%d units without a boundaries file", len(ds.Units))
		}
	})
	t.Run("from an fs.FS", func(t *testing.T) {
		in := Inputs{FS: os.DirFS(tinyDir), Facilities: "facilities.geojson", Population: "population.csv", Boundaries: BoundaryPaths("boundaries.geojson")}
		_, ds, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Facilities) != 4 || len(ds.Cells) != tinyCells || len(ds.Units) != 3 {
			t.Errorf("%d facilities, %d cells, %d units", len(ds.Facilities), len(ds.Cells), len(ds.Units))
		}
	})
}

// toGCJ02GeoJSON converts every coordinate of a GeoJSON file to GCJ-02.
func toGCJ02GeoJSON(t *testing.T, src []byte) string {
	t.Helper()
	fc, err := geojson.UnmarshalFeatureCollection(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		switch g := f.Geometry.(type) {
		case orb.Point:
			f.Geometry = spatial.WGS84ToGCJ02(g)
		case orb.Polygon:
			f.Geometry = mapPolygon(g, spatial.WGS84ToGCJ02)
		case orb.MultiPolygon:
			mp := make(orb.MultiPolygon, len(g))
			for i, p := range g {
				mp[i] = mapPolygon(p, spatial.WGS84ToGCJ02)
			}
			f.Geometry = mp
		default:
			t.Fatalf("geometry %s", g.GeoJSONType())
		}
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CRS applies to every file; FacilitiesCRS and the like override it per file.
func TestLoadCRS(t *testing.T) {
	dir := t.TempDir()
	fac := writeTestFile(t, dir, "facilities_gcj02.geojson", toGCJ02GeoJSON(t, []byte(readTestText(t, tinyFacGeoJSON))))
	bnd := writeTestFile(t, dir, "boundaries_gcj02.geojson", toGCJ02GeoJSON(t, []byte(readTestText(t, tinyBoundaries))))
	_, want, err := Load(tinyInputs())
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, ds *coverage.Dataset, boundariesConverted bool) {
		t.Helper()
		for i, f := range ds.Facilities {
			if d := spatial.DistanceM(f.Location, want.Facilities[i].Location); d > 1 {
				t.Errorf("facility %s is %.2f m from its WGS84 place", f.ID, d)
			}
		}
		off := medianOf(vertexOffsets(t, ds.Units, want.Units))
		if boundariesConverted && off > 1 {
			t.Errorf("boundary vertices are off by %.2f m (median)", off)
		}
		if !boundariesConverted && off != 0 {
			t.Errorf("WGS84 boundaries moved by %.2f m (median)", off)
		}
	}
	t.Run("all gcj02", func(t *testing.T) {
		_, ds, err := Load(Inputs{Facilities: fac, Population: tinyPopulation, Boundaries: BoundaryPaths(bnd), CRS: spatial.GCJ02})
		if err != nil {
			t.Fatal(err)
		}
		check(t, ds, true)
	})
	t.Run("facilities gcj02 only", func(t *testing.T) {
		_, ds, err := Load(Inputs{Facilities: fac, Population: tinyPopulation, Boundaries: BoundaryPaths(tinyBoundaries), FacilitiesCRS: spatial.GCJ02})
		if err != nil {
			t.Fatal(err)
		}
		check(t, ds, false)
	})
	t.Run("gcj02 except the boundaries", func(t *testing.T) {
		_, ds, err := Load(Inputs{Facilities: fac, Population: tinyPopulation, Boundaries: []BoundaryFile{{Path: tinyBoundaries, CRS: spatial.WGS84}}, CRS: spatial.GCJ02})
		if err != nil {
			t.Fatal(err)
		}
		check(t, ds, false)
	})
}

func TestLoadCatalogOverride(t *testing.T) {
	dir := t.TempDir()
	def, _ := coverage.DefaultCatalog().Type("kindergarten")
	if def.MaxDistM == 500 {
		t.Fatal("the default kindergarten radius is already 500 m")
	}
	for name, body := range map[string]string{
		"override.json": `{"types": [{"id": "kindergarten", "max_dist_m": 500}]}`,
		"override.yaml": "types:\n  - id: kindergarten\n    max_dist_m: 500\n",
	} {
		t.Run(name, func(t *testing.T) {
			in := tinyInputs()
			in.Catalog = writeTestFile(t, dir, name, body)
			cat, _, err := Load(in)
			if err != nil {
				t.Fatal(err)
			}
			k, ok := cat.Type("kindergarten")
			if !ok || k.MaxDistM != 500 {
				t.Errorf("kindergarten max_dist_m %v, want 500", k.MaxDistM)
			}
			if k.MaxWalkMin != def.MaxWalkMin || k.Level != def.Level || k.NameZH != def.NameZH {
				t.Errorf("fields the override does not give changed: %+v", k)
			}
			if !reflect.DeepEqual(cat.IDs(), coverage.DefaultCatalog().IDs()) {
				t.Error("the override changed the list of types")
			}
		})
	}
	t.Run("new type used by a facility", func(t *testing.T) {
		in := tinyInputs()
		in.Catalog = writeTestFile(t, dir, "new.json", `{"types": [{"id": "water_station", "name_en": "Water station", "category": "municipal",
			"level": "lc5", "max_walk_min": 5, "max_dist_m": 300, "requirement": "optional", "source": "test", "confidence": "I"}]}`)
		in.Facilities = writeTestFile(t, dir, "water.csv", "lon,lat,type\n104.0656723,30.6598477,water_station\n")
		cat, ds, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cat.Type("water_station"); !ok || len(ds.Facilities) != 1 || ds.Facilities[0].Type != "water_station" {
			t.Errorf("the new type did not reach the facilities: %+v", ds.Facilities)
		}
	})
	t.Run("from the inputs' FS", func(t *testing.T) {
		in := Inputs{FS: os.DirFS(dir), Catalog: "override.json", Facilities: "f.csv", Population: "p.csv"}
		writeTestFile(t, dir, "override.json", `{"types": [{"id": "kindergarten", "max_dist_m": 450}]}`)
		writeTestFile(t, dir, "f.csv", readTestText(t, tinyFacCSV))
		writeTestFile(t, dir, "p.csv", readTestText(t, tinyPopulation))
		cat, _, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := cat.Type("kindergarten"); k.MaxDistM != 450 {
			t.Errorf("kindergarten max_dist_m %v, want 450", k.MaxDistM)
		}
	})
}

// swapColumns rewrites a lon,lat,... CSV header as lat,lon,...: every
// coordinate is then read with its axes swapped.
func swapColumns(t *testing.T, csv string) string {
	t.Helper()
	if !strings.HasPrefix(csv, "lon,lat,") {
		t.Fatalf("header %q", strings.SplitN(csv, "\n", 2)[0])
	}
	return "lat,lon," + strings.TrimPrefix(csv, "lon,lat,")
}

// Each file is valid, but they do not describe the same place.
func TestLoadOverlap(t *testing.T) {
	dir := t.TempDir()
	poaFac := readTestText(t, "sample/porto_alegre/facilities.csv")
	poaPop := writeTestFile(t, dir, "poa_population.csv", readTestText(t, "sample/porto_alegre/population.csv"))
	if _, _, err := Load(Inputs{Facilities: writeTestFile(t, dir, "poa_facilities.csv", poaFac), Population: poaPop, Resolution: 9}); err != nil {
		t.Fatalf("the unswapped Porto Alegre files: %v", err)
	}
	t.Run("facilities with lon and lat swapped", func(t *testing.T) {
		fac := writeTestFile(t, dir, "swapped.csv", swapColumns(t, poaFac))
		cat, ds, err := Load(Inputs{Facilities: fac, Population: poaPop, Resolution: 9})
		wantInvalid(t, err, fac, poaPop, "no facility lies within 5 km of the population", "swapped", "--crs")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
	t.Run("facilities in the wrong CRS", func(t *testing.T) {
		fac := writeTestFile(t, dir, "poa_facilities.csv", poaFac)
		cat, ds, err := Load(Inputs{Facilities: fac, Population: poaPop, Resolution: 9, CRS: spatial.GCJ02})
		wantInvalid(t, err, fac, "line 2", "outside China", "--crs")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
	t.Run("facilities elsewhere", func(t *testing.T) {
		// Chengdu facilities with Porto Alegre's population.
		cat, ds, err := Load(Inputs{Facilities: tinyFacCSV, Population: poaPop, Resolution: 9})
		wantInvalid(t, err, tinyFacCSV, "no facility lies within 5 km", "--crs")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
	t.Run("one facility near is enough", func(t *testing.T) {
		fac := writeTestFile(t, dir, "mixed.csv", readTestText(t, tinyFacCSV)+"-51.2177,-30.0346,primary_school,,,,,far\n")
		if _, _, err := Load(Inputs{Facilities: fac, Population: tinyPopulation}); err != nil {
			t.Error(err)
		}
	})
	t.Run("boundaries elsewhere", func(t *testing.T) {
		// A Shanghai district with the Chengdu population.
		bnd := writeTestFile(t, dir, "shanghai.geojson", unitFC(unitFeature(
			`{"type": "Polygon", "coordinates": [[[121.46, 31.22], [121.49, 31.22], [121.49, 31.24], [121.46, 31.24], [121.46, 31.22]]]}`,
			`"level": "district", "code": "310101"`)))
		in := tinyInputs()
		in.Boundaries = BoundaryPaths(bnd)
		cat, ds, err := Load(in)
		wantInvalid(t, err, bnd, "do not overlap the population", "--crs")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
	t.Run("Porto Alegre boundaries with lon and lat swapped", func(t *testing.T) {
		// Swapped, Porto Alegre's coordinates are still valid degrees
		// (in the South Atlantic), so only the overlap check catches them.
		good := `{"type": "Polygon", "coordinates": [[[-51.30, -30.25], [-51.05, -30.25], [-51.05, -29.95], [-51.30, -29.95], [-51.30, -30.25]]]}`
		swapped := `{"type": "Polygon", "coordinates": [[[-30.25, -51.30], [-30.25, -51.05], [-29.95, -51.05], [-29.95, -51.30], [-30.25, -51.30]]]}`
		fac := writeTestFile(t, dir, "poa_facilities.csv", poaFac)
		in := Inputs{Facilities: fac, Population: poaPop, Resolution: 9,
			Boundaries: BoundaryPaths(writeTestFile(t, dir, "poa_good.geojson", unitFC(unitFeature(good, `"level": "district", "code": "4314902"`))))}
		if _, _, err := Load(in); err != nil {
			t.Fatalf("unswapped: %v", err)
		}
		in.Boundaries = BoundaryPaths(writeTestFile(t, dir, "poa_swapped.geojson", unitFC(unitFeature(swapped, `"level": "district", "code": "4314902"`))))
		cat, ds, err := Load(in)
		wantInvalid(t, err, in.Boundaries[0].Path, "do not overlap the population", "swapped lon/lat", "--crs")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
	t.Run("boundaries with lon and lat swapped", func(t *testing.T) {
		fc, err := geojson.UnmarshalFeatureCollection([]byte(readTestText(t, tinyBoundaries)))
		if err != nil {
			t.Fatal(err)
		}
		swap := func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }
		for _, f := range fc.Features {
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				f.Geometry = mapPolygon(g, swap)
			case orb.MultiPolygon:
				f.Geometry = orb.MultiPolygon{mapPolygon(g[0], swap)}
			}
		}
		b, _ := fc.MarshalJSON()
		bnd := writeTestFile(t, dir, "swapped.geojson", string(b))
		in := tinyInputs()
		in.Boundaries = BoundaryPaths(bnd)
		cat, ds, err := Load(in)
		// Swapped Chengdu latitudes (104°) are out of range: the reader says so.
		wantInvalid(t, err, bnd, "feature 1", "swapped")
		if cat != nil || ds != nil {
			t.Error("a failed load returned a catalogue or a dataset")
		}
	})
}

// A failed load returns nil, nil and an error: nothing is half-loaded.
func TestLoadFailsAsAWhole(t *testing.T) {
	dir := t.TempDir()
	badFac := writeTestFile(t, dir, "bad_facilities.csv", readTestText(t, tinyFacCSV)+"104.06,30.66,spaceport,,,,,X\n")
	badPop := writeTestFile(t, dir, "bad_population.csv", readTestText(t, tinyPopulation)+"8a40e3ce8997fff,3\n")
	badBnd := writeTestFile(t, dir, "bad_boundaries.geojson", strings.Replace(readTestText(t, tinyBoundaries), `"code": "510104001"`, `"code": "510104"`, 1))
	badCat := writeTestFile(t, dir, "bad_catalog.json", `{"types": [{"id": "kindergarten", "max_dist_m": 500, "colour": "red"}]}`)
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name   string
		mod    func(*Inputs)
		wants  []string
		notErr error // the error wraps this instead of ErrInvalid
	}{
		{"bad facilities", func(in *Inputs) { in.Facilities = badFac }, []string{badFac, "line 6", "spaceport"}, nil},
		{"bad population", func(in *Inputs) { in.Population = badPop }, []string{badPop, "line 21", "already appeared on line 2"}, nil},
		{"bad boundaries", func(in *Inputs) { in.Boundaries = BoundaryPaths(badBnd) }, []string{badBnd, "feature 2", "already used by feature 1"}, nil},
		{"bad catalogue", func(in *Inputs) { in.Catalog = badCat }, []string{badCat, "colour"}, nil},
		{"bad resolution", func(in *Inputs) { in.Resolution = 3 }, []string{tinyPopulation, "resolution 3"}, nil},
		{"no facilities file", func(in *Inputs) { in.Facilities = "" }, []string{"facilities file"}, nil},
		{"no population file", func(in *Inputs) { in.Population = "" }, []string{"population file"}, nil},
		{"missing facilities file", func(in *Inputs) { in.Facilities = missing }, []string{missing}, fs.ErrNotExist},
		{"missing population file", func(in *Inputs) { in.Population = missing }, []string{missing}, fs.ErrNotExist},
		{"missing boundaries file", func(in *Inputs) { in.Boundaries = BoundaryPaths(missing) }, []string{missing}, fs.ErrNotExist},
		{"missing catalogue file", func(in *Inputs) { in.Catalog = missing }, []string{"catalogue", missing}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tinyInputs()
			tt.mod(&in)
			cat, ds, err := Load(in)
			if tt.notErr != nil {
				if !errors.Is(err, tt.notErr) {
					t.Errorf("error %v does not wrap %v", err, tt.notErr)
				}
				wantContains(t, err, tt.wants...)
			} else {
				wantInvalid(t, err, tt.wants...)
			}
			if cat != nil || ds != nil {
				t.Errorf("a failed load returned catalogue %v, dataset %v", cat != nil, ds != nil)
			}
		})
	}
}
