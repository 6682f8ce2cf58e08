package data

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/spatial"
)

// needOgr2ogr: the Shapefile tests read files GDAL wrote. Without GDAL
// they fail under CI=true and are skipped otherwise, naming make deps-gdal.
func needOgr2ogr(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogr2ogr (gdal-bin) is needed for the Shapefile tests: make deps-gdal")
		}
		t.Skip("ogr2ogr missing: make deps-gdal installs gdal-bin")
	}
}

// ogr2ogr converts the sample's GeoJSON into a Shapefile in dir.
func ogr2ogr(t *testing.T, dir, name, src string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("ogr2ogr", append(append([]string{"-f", "ESRI Shapefile"}, args...), out, src)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, b)
	}
	return out
}

const (
	chengduBoundaries = "sample/chengdu/boundaries.geojson"
	chengduFacilities = "sample/chengdu/facilities.geojson"
)

// The natural-resources bureau's file: GBK attributes, CGCS2000
// Gauss-Krüger CM 105°E (EPSG:4544). It must load as the GeoJSON does.
func TestShapefileBoundariesGBKGaussKruger(t *testing.T) {
	needOgr2ogr(t)
	dir := t.TempDir()
	shp := ogr2ogr(t, dir, "streets.shp", chengduBoundaries, "-lco", "ENCODING=GBK", "-t_srs", "EPSG:4544")
	f, err := os.Open(chengduBoundaries)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := ReadBoundaries(chengduBoundaries, f, spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	for _, cpg := range []string{"GBK", ""} { // with the .cpg, then detected without it
		if cpg == "" {
			os.Remove(filepath.Join(dir, "streets.cpg"))
		}
		sf, err := ReadShapefile(os.ReadFile, shp, "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sf.Encoding, "GBK") || !strings.Contains(sf.CRS, "CM 105°E") {
			t.Errorf("encoding %q, CRS %q", sf.Encoding, sf.CRS)
		}
		got, err := boundariesFromFeatures(shp, sf.Features, spatial.WGS84)
		if err != nil {
			t.Fatal(err)
		}
		compareUnits(t, got, want)
	}
	// Forcing the wrong encoding is an error naming the record and field.
	_, err = ReadShapefile(os.ReadFile, shp, "utf-8")
	wantInvalid(t, err, "streets.dbf record 1 field name", "not valid UTF-8", "--encoding gbk")
}

func compareUnits(t *testing.T, got, want []coverage.AdminUnit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d units, want %d", len(got), len(want))
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Code < got[j].Code })
	sort.Slice(want, func(i, j int) bool { return want[i].Code < want[j].Code })
	for i := range want {
		g, w := got[i], want[i]
		if g.Code != w.Code || g.Name != w.Name || g.Level != w.Level || g.Parent != w.Parent {
			t.Errorf("unit %d: %s %s %s %s; want %s %s %s %s", i, g.Code, g.Name, g.Level, g.Parent, w.Code, w.Name, w.Level, w.Parent)
		}
		ga, wa := 0.0, 0.0
		for _, p := range g.Geometry {
			ga += spatial.PolygonAreaM2(p)
		}
		for _, p := range w.Geometry {
			wa += spatial.PolygonAreaM2(p)
		}
		if math.Abs(ga-wa) > 1e-6*wa {
			t.Errorf("unit %s: area %.1f m², want %.1f", w.Code, ga, wa)
		}
		// Every vertex back within 1 mm of the original (PROJ forward, our inverse).
		gp, wp := g.Geometry[0][0], w.Geometry[0][0]
		if len(gp) != len(wp) {
			t.Errorf("unit %s: %d vertices, want %d", w.Code, len(gp), len(wp))
			continue
		}
		worst := 0.0
		for k := range wp {
			// The Shapefile winds the other way: compare as sets by nearest.
			best := math.Inf(1)
			for _, q := range gp {
				best = math.Min(best, spatial.DistanceM(q, wp[k]))
			}
			worst = math.Max(worst, best)
		}
		if worst > 0.001 {
			t.Errorf("unit %s: a vertex is %.4f m from the original", w.Code, worst)
		}
	}
}

func TestShapefileFacilitiesAndLoad(t *testing.T) {
	needOgr2ogr(t)
	dir := t.TempDir()
	fac := ogr2ogr(t, dir, "fac.shp", chengduFacilities, "-lco", "ENCODING=GBK", "-t_srs", "EPSG:4490")
	bnd := ogr2ogr(t, dir, "bnd.shp", chengduBoundaries, "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:4326")
	in := Inputs{Facilities: fac, Population: "sample/chengdu/population.csv", Boundaries: BoundaryPaths(bnd)}
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	in2 := Inputs{Facilities: chengduFacilities, Population: "sample/chengdu/population.csv", Boundaries: BoundaryPaths(chengduBoundaries)}
	_, want, err := Load(in2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Facilities) != len(want.Facilities) || len(ds.Units) != len(want.Units) {
		t.Fatalf("%d facilities / %d units, want %d / %d", len(ds.Facilities), len(ds.Units), len(want.Facilities), len(want.Units))
	}
	for i, f := range want.Facilities {
		g := ds.Facilities[i]
		if g.ID != f.ID || g.Name != f.Name || g.Type != f.Type || spatial.DistanceM(g.Location, f.Location) > 0.001 {
			t.Errorf("facility %d: %+v, want %+v", i, g, f)
		}
	}
}

func TestShapefileRefusals(t *testing.T) {
	needOgr2ogr(t)
	dir := t.TempDir()
	merc := ogr2ogr(t, dir, "merc.shp", chengduBoundaries, "-t_srs", "EPSG:3857")
	_, err := ReadShapefile(os.ReadFile, merc, "")
	wantInvalid(t, err, "merc.prj", "Web_Mercator", "not one lifecircle reads", "ogr2ogr -t_srs EPSG:4326")

	lines := ogr2ogr(t, dir, "lines.shp", chengduBoundaries, "-nlt", "MULTILINESTRING")
	_, err = ReadShapefile(os.ReadFile, lines, "")
	wantInvalid(t, err, "lines.shp record 1", "boundaries must be polygons")

	noDBF := ogr2ogr(t, dir, "nodbf.shp", chengduFacilities)
	os.Remove(filepath.Join(dir, "nodbf.dbf"))
	_, err = ReadShapefile(os.ReadFile, noDBF, "")
	wantInvalid(t, err, "nodbf.dbf is missing")

	// Boundaries without a level field: told from the official divisions
	// (6-digit district codes); a level that cannot be told is refused
	// naming --boundaries-level (TestBoundaryFileFieldsNamed).
	nolevel := ogr2ogr(t, dir, "nolevel.shp", chengduBoundaries, "-select", "code,name")
	in := Inputs{Facilities: chengduFacilities, Population: "sample/chengdu/population.csv", Boundaries: BoundaryPaths(nolevel)}
	if _, ds, err := Load(in); err != nil || len(ds.Units) != 5 || ds.Units[0].Level != coverage.District || ds.Units[0].Parent != "510100" {
		t.Errorf("level told from the codes: %v", err)
	}
	in.Boundaries[0].Level = "district"
	if _, ds, err := Load(in); err != nil || len(ds.Units) == 0 {
		t.Errorf("with --boundaries-level: %v", err)
	}
}

// A layer written as a Shapefile (GBK and UTF-8) opens in GDAL with its
// Chinese text, and reads back with the same values and geometry.
func TestWriteShapefileOpensInGDAL(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo (gdal-bin) is needed: make deps-gdal")
		}
		t.Skip("ogrinfo missing: make deps-gdal installs gdal-bin")
	}
	in, err := SampleInputs("chengdu")
	if err != nil {
		t.Fatal(err)
	}
	cat, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	a, err := coverage.Analyze(cat, ds, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := collection.NewSet(a, "test")
	dir := t.TempDir()
	for _, c := range []struct{ layer, typ, enc string }{
		{"facilities", "", "gbk"},
		{"gap-areas", "kindergarten", "utf-8"},
		{"gap-areas", "kindergarten", "gbk"},
	} {
		fc, err := TypedLayer(set, c.layer, c.typ, coverage.DefaultProfile)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, c.layer+"-"+c.enc+".shp")
		st, err := WriteShapefile(path, fc, c.enc)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ogrinfo", "-ro", "-al", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
		}
		s := string(out)
		if !strings.Contains(s, fmt.Sprintf("Feature Count: %d", len(fc.Features))) {
			t.Errorf("%s: ogrinfo does not count %d features:\n%.2000s", path, len(fc.Features), s)
		}
		// A Chinese value from the layer appears as text in GDAL's output.
		zh := ""
		for _, f := range fc.Features {
			for _, k := range []string{"name", "unit_name", "type_name_zh"} {
				if v, ok := f.Properties[k].(string); ok && v != "" && !isASCII(v) && zh == "" {
					zh = v
				}
			}
		}
		if zh == "" || !strings.Contains(s, zh) {
			t.Errorf("%s (%s): ogrinfo output lacks %q", path, c.enc, zh)
		}
		back, err := ReadShapefile(os.ReadFile, path, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Features.Features) != len(fc.Features) || !strings.HasPrefix(back.Encoding, strings.ToUpper(strings.ReplaceAll(c.enc, "utf-8", "UTF-8"))) {
			t.Errorf("%s: read back %d features (%s)", path, len(back.Features.Features), back.Encoding)
		}
		for i, f := range fc.Features {
			g := back.Features.Features[i]
			if math.Abs(planarArea(g.Geometry)-planarArea(f.Geometry)) > 1e-12 || g.Geometry.Bound() != f.Geometry.Bound() {
				t.Errorf("%s feature %d: geometry changed", path, i+1)
				break
			}
		}
		_ = st
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func planarArea(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Polygon:
		return spatial.PolygonAreaM2(g)
	case orb.MultiPolygon:
		a := 0.0
		for _, p := range g {
			a += spatial.PolygonAreaM2(p)
		}
		return a
	}
	return 0
}
