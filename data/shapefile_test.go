package data

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lifecircle/coverage"
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
	in := Inputs{Facilities: fac, Population: "sample/chengdu/population.csv", Boundaries: bnd}
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	in2 := Inputs{Facilities: chengduFacilities, Population: "sample/chengdu/population.csv", Boundaries: chengduBoundaries}
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

	// Boundaries without a level field: named, and --boundaries-level fixes it.
	nolevel := ogr2ogr(t, dir, "nolevel.shp", chengduBoundaries, "-select", "code,name")
	in := Inputs{Facilities: chengduFacilities, Population: "sample/chengdu/population.csv", Boundaries: nolevel}
	_, _, err = Load(in)
	wantInvalid(t, err, "nolevel.shp record 1", "--boundaries-level")
	in.BoundariesLevel = "district"
	if _, ds, err := Load(in); err != nil || len(ds.Units) == 0 {
		t.Errorf("with --boundaries-level: %v", err)
	}
}
