package data

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// analyzeTiny analyses the tiny fixture with the default options.
func analyzeTiny(t *testing.T) *coverage.Analysis {
	t.Helper()
	cat, ds, err := Load(tinyInputs())
	if err != nil {
		t.Fatal(err)
	}
	a, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func analyzeSample(t *testing.T, name string) *coverage.Analysis {
	t.Helper()
	cat, ds := loadSample(t, name)
	a, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// noPartials fails if a temporary .partial- directory is left in dir.
func noPartials(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial-") {
			t.Errorf("%s left behind in %s", e.Name(), dir)
		}
	}
}

func listDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteOutputsPortoAlegre(t *testing.T) {
	a := analyzeSample(t, "porto_alegre")
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	files, err := WriteOutputs(dir, a, coverage.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	noPartials(t, parent)

	want := []string{"summary.json", "cells.csv", "facilities.geojson", "population.geojson", "catchments.geojson"}
	for _, tc := range a.Types() { // every type, those without a facility too
		id := tc.Type.ID
		want = append(want, "coverage_"+id+".geojson", "gaps_"+id+".geojson", "gap_areas_"+id+".geojson")
	}
	got := listDirNames(t, dir)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files in %s:\n%v\nwant\n%v", dir, got, want)
	}
	sort.Strings(files)
	if !reflect.DeepEqual(files, want) {
		t.Errorf("WriteOutputs reported %v, want %v", files, want)
	}

	t.Run("geojson", func(t *testing.T) {
		for _, name := range got {
			if filepath.Ext(name) != ".geojson" {
				continue
			}
			fc, err := geojson.UnmarshalFeatureCollection([]byte(readTestText(t, filepath.Join(dir, name))))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if fc.Type != "FeatureCollection" {
				t.Errorf("%s: type %q", name, fc.Type)
			}
			switch name {
			case "facilities.geojson":
				if len(fc.Features) != len(a.Data.Facilities) {
					t.Errorf("%s: %d features, want %d facilities", name, len(fc.Features), len(a.Data.Facilities))
				}
			case "population.geojson":
				if len(fc.Features) != len(a.Data.Cells) {
					t.Errorf("%s: %d features, want %d cells", name, len(fc.Features), len(a.Data.Cells))
				}
			}
		}
	})

	t.Run("summary.json", func(t *testing.T) {
		var s SummaryFile
		if err := json.Unmarshal([]byte(readTestText(t, filepath.Join(dir, "summary.json"))), &s); err != nil {
			t.Fatal(err)
		}
		if s.Cells != 1124 || s.Residents != 812935 || s.Resolution != 9 || s.Dataset != "porto-alegre-sample" {
			t.Errorf("summary: %d cells, %v residents, res %d, dataset %q", s.Cells, s.Residents, s.Resolution, s.Dataset)
		}
		if !strings.Contains(s.PopulationNote, "IBGE") {
			t.Errorf("population note %q", s.PopulationNote)
		}
		if len(s.Types) != len(a.Catalog.Types) {
			t.Errorf("%d types, want %d", len(s.Types), len(a.Catalog.Types))
		}
	})

	t.Run("cells.csv", func(t *testing.T) {
		checkCellsCSV(t, a, readTestText(t, filepath.Join(dir, "cells.csv")),
			"h3,population,community_health_center_m,community_health_center_covered,primary_school_m,primary_school_covered")
	})
}

// checkCellsCSV checks cells.csv against the analysis, row by row.
func checkCellsCSV(t *testing.T, a *coverage.Analysis, text, header string) {
	t.Helper()
	if first := strings.SplitN(text, "\n", 2)[0]; first != header {
		t.Errorf("header\n%s\nwant\n%s", first, header)
	}
	// The columns follow the catalogue, for the types with facilities.
	var types []*coverage.TypeCoverage
	wantHeader := "h3,population"
	for _, tc := range a.Types() {
		if len(tc.Facilities) > 0 {
			types = append(types, tc)
			wantHeader += "," + tc.Type.ID + "_m," + tc.Type.ID + "_covered"
		}
	}
	if header != wantHeader {
		t.Errorf("expected header %s does not follow the catalogue order %s", header, wantHeader)
	}
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:]
	if len(rows) != len(a.Data.Cells) {
		t.Fatalf("%d rows, want %d cells", len(rows), len(a.Data.Cells))
	}
	empty, filled := 0, 0
	for i, row := range rows {
		c := a.Data.Cells[i]
		if row[0] != c.Cell.String() {
			t.Fatalf("row %d: cell %s, want %s", i+1, row[0], c.Cell)
		}
		if p, err := strconv.ParseFloat(row[1], 64); err != nil || p != c.Population {
			t.Errorf("row %d: population %q, want %v", i+1, row[1], c.Population)
		}
		for j, tc := range types {
			dist, cov := row[2+2*j], row[3+2*j]
			h := tc.Hit(i)
			if dist == "" {
				empty++
				if h.Found() {
					t.Errorf("row %d %s: no distance, but the analysis found a facility at %v m", i+1, tc.Type.ID, h.DistM)
				}
			} else {
				filled++
				d, err := strconv.ParseFloat(dist, 64)
				if !h.Found() || err != nil || math.Abs(d-float64(h.DistM)) > 0.051 {
					t.Errorf("row %d %s: distance %q, analysis %v (found %v)", i+1, tc.Type.ID, dist, h.DistM, h.Found())
				}
			}
			if want := map[bool]string{true: "1", false: "0"}[tc.IsCovered(i)]; cov != want {
				t.Errorf("row %d %s: covered %q, want %s", i+1, tc.Type.ID, cov, want)
			}
		}
	}
	t.Logf("%d distances, %d empty", filled, empty)
	if filled == 0 {
		t.Error("no cell has a distance")
	}
}

// cells.csv leaves the distance empty where nothing is within the search
// limit, and lists only the types with facilities in force.
func TestWriteCellsCSVTiny(t *testing.T) {
	cat, ds, err := Load(tinyInputs())
	if err != nil {
		t.Fatal(err)
	}
	// The kindergarten at the centre covers only the centre and ring 1 at
	// 150 m; the search limit (150 m) leaves ring 2 without a distance.
	if cat, err = cat.Extend("radius.json", []byte(`{"types": [{"id": "kindergarten", "max_dist_m": 150}]}`)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		planYear int
		header   string
	}{
		{0, "h3,population,kindergarten_m,kindergarten_covered,primary_school_m,primary_school_covered"},
		{2027, "h3,population,community_health_center_m,community_health_center_covered,pharmacy_m,pharmacy_covered," +
			"kindergarten_m,kindergarten_covered,primary_school_m,primary_school_covered"},
	} {
		a, err := coverage.Analyze(cat, ds, coverage.Options{PlanYear: tt.planYear, Detour: 1, SearchFactor: 1})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteCellsCSV(&b, a); err != nil {
			t.Fatal(err)
		}
		checkCellsCSV(t, a, b.String(), tt.header)
		k, _ := a.Type("kindergarten")
		found := 0
		for i := range ds.Cells {
			if k.Hit(i).Found() {
				found++
			}
		}
		if found != 7 {
			t.Errorf("plan year %d: the kindergarten reaches %d cells, want 7 (centre and ring 1)", tt.planYear, found)
		}
	}
}

func TestWriteOutputsRefusesNonEmptyDir(t *testing.T) {
	a := analyzeTiny(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := writeTestFile(t, dir, "keep.txt", "precious")
	files, err := WriteOutputs(dir, a, coverage.DefaultProfile)
	wantInvalid(t, err, dir, "not empty")
	if files != nil {
		t.Errorf("reported files %v", files)
	}
	if names := listDirNames(t, dir); !reflect.DeepEqual(names, []string{"keep.txt"}) {
		t.Errorf("the directory now holds %v", names)
	}
	if readTestText(t, keep) != "precious" {
		t.Error("keep.txt changed")
	}
	noPartials(t, parent)
	if names := listDirNames(t, parent); !reflect.DeepEqual(names, []string{"out"}) {
		t.Errorf("the parent now holds %v", names)
	}
}

// An existing regular file at the output path is not replaced.
func TestWriteOutputsRefusesFile(t *testing.T) {
	a := analyzeTiny(t)
	parent := t.TempDir()
	path := writeTestFile(t, parent, "out", "not a directory")
	_, err := WriteOutputs(path, a, coverage.DefaultProfile)
	wantInvalid(t, err, path, "not a directory")
	if readTestText(t, path) != "not a directory" {
		t.Error("the file was replaced")
	}
	noPartials(t, parent)
}

func TestWriteOutputsIntoEmptyDirAndAgain(t *testing.T) {
	a := analyzeTiny(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "nested", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := WriteOutputs(dir, a, coverage.DefaultProfile)
	if err != nil {
		t.Fatalf("an existing empty directory: %v", err)
	}
	// The four common files, catchments and three layers for every type
	// (those without a facility in force too).
	if want := 5 + 3*len(a.Types()); len(listDirNames(t, dir)) != len(files) || len(files) != want {
		t.Errorf("%d files reported, %d written, want %d", len(files), len(listDirNames(t, dir)), want)
	}
	noPartials(t, filepath.Dir(dir))
	before := readTestText(t, filepath.Join(dir, "cells.csv"))
	// A second run into the same, now full, directory is refused.
	_, err = WriteOutputs(dir, a, coverage.DefaultProfile)
	if !errors.Is(err, coverage.ErrInvalid) {
		t.Errorf("second write: %v, want ErrInvalid", err)
	}
	if readTestText(t, filepath.Join(dir, "cells.csv")) != before {
		t.Error("the second write changed cells.csv")
	}
	noPartials(t, filepath.Dir(dir))
	// A parent that does not exist yet is made.
	deep := filepath.Join(parent, "a", "b", "c")
	if _, err := WriteOutputs(deep, a, coverage.DefaultProfile); err != nil {
		t.Fatal(err)
	}
	noPartials(t, filepath.Dir(deep))
}

// The gaps layers an export stores are exactly the gaps collections.
func TestAnalysisLayersGapsAreTheGapsCollection(t *testing.T) {
	a := analyzeSample(t, "chengdu")
	layers, err := AnalysisLayers(a, coverage.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	set := collection.NewSet(a, "export")
	n := 0
	for _, l := range layers {
		typ, ok := strings.CutPrefix(l.Name, "gaps/")
		if !ok {
			continue
		}
		fc, err := TypedLayer(set, "gaps", typ, coverage.DefaultProfile)
		if err != nil {
			t.Fatal(err)
		}
		if want := LayerFeatures(fc); !reflect.DeepEqual(l.Features, want) {
			t.Errorf("%s: %d features, the collection has %d (or they differ)", l.Name, len(l.Features), len(want))
		}
		n++
	}
	if n != len(a.Types()) {
		t.Errorf("%d gaps layers for %d types", n, len(a.Types()))
	}
}
