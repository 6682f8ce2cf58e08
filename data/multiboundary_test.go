package data

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// sampleFileInputs are the sample's facilities and population as files
// (the boundary files are the test's).
func sampleFileInputs(bounds ...BoundaryFile) Inputs {
	return Inputs{Name: "two-files", Facilities: chengduFacilities, Population: "sample/chengdu/population.csv", Resolution: 10, Boundaries: bounds}
}

// Districts from one file, streets from another (a GBK Shapefile with
// Chinese field names and no level): both levels roll up with Chinese
// names, and the streets get their parents from the official list.
func TestSeveralBoundaryFiles(t *testing.T) {
	shp := writeGBKStreets(t, t.TempDir(), "")
	in := sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: shp, Level: "street", Encoding: "gbk"})
	a, info, err := BuildInputs(in, BuildOptions{NoNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range info.Warnings {
		if strings.Contains(w, "official") {
			t.Errorf("official codes warned: %s", w)
		}
	}
	d := a.Summary(coverage.District, coverage.DefaultProfile)
	names := map[string]string{}
	for _, u := range d.Units {
		names[u.Code] = u.Name
	}
	if len(d.Units) != 5 || names["510108"] != "成华区" || names["510104"] != "锦江区" {
		t.Errorf("by=district: %v", names)
	}
	s := a.Summary(coverage.Street, coverage.DefaultProfile)
	if len(s.Units) != 7 {
		t.Fatalf("by=street: %d units", len(s.Units))
	}
	for _, u := range s.Units {
		if u.Code == "510108002" && (u.Name != "猛追湾街道" || u.Parent != "510108" || u.ParentName != "成华区") {
			t.Errorf("510108002 = %s, parent %s %s", u.Name, u.Parent, u.ParentName)
		}
		if u.Residents <= 0 {
			t.Errorf("%s %s: no residents", u.Code, u.Name)
		}
	}
	if u, err := a.ResolveUnit("猛追湾街道"); err != nil || u.Code != "510108002" {
		t.Errorf("猛追湾街道: %v %v", u.Code, err)
	}
	if u, err := a.ResolveUnit("成华区"); err != nil || u.Code != "510108" {
		t.Errorf("成华区: %v %v", u.Code, err)
	}
	// each file's units are kept apart for the per-file checks
	ld, err := LoadInputs(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Boundaries) != 2 || len(ld.Boundaries[0].Units) != 5 || len(ld.Boundaries[1].Units) != 7 || ld.Boundaries[1].File.Path != shp || len(ld.Dataset.Units) != 12 {
		t.Errorf("sets: %d files, dataset %d units", len(ld.Boundaries), len(ld.Dataset.Units))
	}
}

// A code in two files is refused, naming both files.
func TestBoundaryFilesDuplicateCode(t *testing.T) {
	shp := writeGBKStreets(t, t.TempDir(), "")
	_, _, err := Load(sampleFileInputs(BoundaryFile{Path: streetsFixture}, BoundaryFile{Path: shp}))
	wantInvalid(t, err, streetsFixture, shp, "510104022", "also in", "one boundary file")
	_, _, err = Load(sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: chengduBoundaries}))
	wantInvalid(t, err, chengduBoundaries, "the same file given twice")
}

// Each file in its own CRS: streets given in GCJ-02 (and declared so) load
// where the WGS84 ones do, beside WGS84 districts.
func TestBoundaryFilesOwnCRS(t *testing.T) {
	gcj := writeTestFile(t, t.TempDir(), "streets_gcj02.geojson", toGCJ02GeoJSON(t, []byte(readTestText(t, streetsFixture))))
	_, ds, err := Load(sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: gcj, CRS: spatial.GCJ02}))
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := Load(sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: streetsFixture}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Units) != len(want.Units) {
		t.Fatalf("%d units, want %d", len(ds.Units), len(want.Units))
	}
	for i, u := range ds.Units {
		p, q := u.Geometry[0][0][0], want.Units[i].Geometry[0][0][0]
		if d := spatial.DistanceM(p, q); u.Code != want.Units[i].Code || d > 1 {
			t.Errorf("%s: first vertex %v, want %v (%.1f m off)", u.Code, p, q, d)
		}
	}
}

// The coordinate trap is checked per file and names the file: GCJ-02
// districts declared WGS84 beside WGS84 streets are caught, with the option
// that fixes that file; the streets raise nothing; declaring the districts'
// CRS for that file confirms it.
func TestCRSTrapPerBoundaryFile(t *testing.T) {
	gcjDistricts := "testdata/crs/districts_central5_gcj02.geojson"
	in := sampleFileInputs(BoundaryFile{Path: gcjDistricts}, BoundaryFile{Path: streetsFixture})
	ld, err := LoadInputs(in)
	if err != nil {
		t.Fatal(err)
	}
	var caught []CRSCheck
	for _, c := range CheckDatasetCRS(in, ld.Dataset, ld.Boundaries, nil) {
		if !c.Suspect() || c.Input != "boundaries" {
			continue
		}
		if c.File != gcjDistricts {
			t.Errorf("a file other than the GCJ-02 districts flagged: %+v", c)
			continue
		}
		caught = append(caught, c)
		if c.Likely != spatial.GCJ02 || !strings.HasPrefix(c.Message, gcjDistricts+": ") || !strings.Contains(c.Message, "--boundaries "+gcjDistricts+" --boundaries-crs gcj02") ||
			!strings.HasPrefix(c.MessageZH, gcjDistricts+"：边界") {
			t.Errorf("message: %s / %s", c.Message, c.MessageZH)
		}
		if in.Confirmed(c) {
			t.Errorf("confirmed without a CRS given")
		}
		confirmed := in
		confirmed.Boundaries = []BoundaryFile{{Path: gcjDistricts, CRS: spatial.WGS84}, {Path: streetsFixture}}
		if !confirmed.Confirmed(c) {
			t.Errorf("--boundaries %s --boundaries-crs wgs84 does not confirm it", gcjDistricts)
		}
		other := in
		other.Boundaries = []BoundaryFile{{Path: gcjDistricts}, {Path: streetsFixture, CRS: spatial.WGS84}}
		if other.Confirmed(c) {
			t.Errorf("the streets' CRS confirmed the districts")
		}
	}
	if len(caught) == 0 {
		t.Fatal("GCJ-02 districts declared WGS84 beside WGS84 streets: not caught")
	}
	t.Logf("caught: %s", caught[0].Message)
	// declared as they are: nothing
	in.Boundaries[0].CRS = spatial.GCJ02
	ld, err = LoadInputs(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range CheckDatasetCRS(in, ld.Dataset, ld.Boundaries, nil) {
		if c.Suspect() {
			t.Errorf("declared GCJ-02 districts: %+v", c)
		}
	}
}

// A wrong option names its file; a file that does not overlap the
// population is named among several.
func TestBoundaryFilesErrorsNameTheFile(t *testing.T) {
	_, _, err := Load(sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: streetsFixture, Level: "quarter"}))
	wantInvalid(t, err, streetsFixture, "--boundaries-level", "quarter")
	missing := filepath.Join(t.TempDir(), "none.geojson")
	_, _, err = Load(sampleFileInputs(BoundaryFile{Path: chengduBoundaries}, BoundaryFile{Path: missing}))
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing second file: %v", err)
	}
}
