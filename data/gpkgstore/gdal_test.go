package gpkgstore

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/storetest"
)

// needTool returns the path of a command-line tool the test needs. A missing
// tool fails the test under CI=true and skips it otherwise, naming the make
// target that installs it.
func needTool(t testing.TB, name, target string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true): run `make %s`", name, target)
		}
		t.Skipf("%s is not installed: run `make %s` to install it", name, target)
	}
	return p
}

// OGRLayer is what ogrinfo says about one layer.
type OGRLayer struct {
	Geometry string
	Count    int
}

var (
	ogrListLine  = regexp.MustCompile(`^\d+: (\S+)(?: \((.+)\))?$`)
	ogrLayerName = regexp.MustCompile(`^Layer name: (.+)$`)
	ogrGeometry  = regexp.MustCompile(`^Geometry: (.+)$`)
	ogrCount     = regexp.MustCompile(`^Feature Count: (\d+)$`)
)

// OGRInfo runs ogrinfo on a GeoPackage and returns the layer list of
// `ogrinfo -ro FILE` and the summary of `ogrinfo -ro -so -al FILE`. Any
// ERROR or Warning GDAL prints fails the test.
func OGRInfo(t testing.TB, ogrinfo, path string) (list map[string]string, summary map[string]OGRLayer) {
	t.Helper()
	run := func(args ...string) string {
		out, err := exec.Command(ogrinfo, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "Warning") {
				t.Errorf("ogrinfo %s: %s", strings.Join(args, " "), line)
			}
		}
		return string(out)
	}
	list = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(run("-ro", path)))
	for sc.Scan() {
		if m := ogrListLine.FindStringSubmatch(sc.Text()); m != nil {
			list[m[1]] = m[2]
		}
	}
	summary = map[string]OGRLayer{}
	var layer string
	sc = bufio.NewScanner(strings.NewReader(run("-ro", "-so", "-al", path)))
	for sc.Scan() {
		line := sc.Text()
		if m := ogrLayerName.FindStringSubmatch(line); m != nil {
			layer = m[1]
			summary[layer] = OGRLayer{}
		} else if m := ogrGeometry.FindStringSubmatch(line); m != nil && layer != "" {
			l := summary[layer]
			l.Geometry = m[1]
			summary[layer] = l
		} else if m := ogrCount.FindStringSubmatch(line); m != nil && layer != "" {
			l := summary[layer]
			l.Count, _ = strconv.Atoi(m[1])
			summary[layer] = l
		}
	}
	return list, summary
}

// ogrCountIn is how many features of a layer ogrinfo returns inside a box.
func ogrCountIn(t testing.TB, ogrinfo, path, layer string, b orb.Bound) int {
	t.Helper()
	args := []string{"-ro", "-spat", fmt.Sprint(b.Min[0]), fmt.Sprint(b.Min[1]), fmt.Sprint(b.Max[0]), fmt.Sprint(b.Max[1]), path, layer}
	out, err := exec.Command(ogrinfo, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Count(string(out), "OGRFeature("+layer+"):")
}

// TestGDALReadsGeoPackageStore writes a store with every kind of record and
// checks what GDAL (ogrinfo) sees: every table as a layer with the right
// geometry type and count, and spatial filters answered through the R-tree
// the triggers maintain.
func TestGDALReadsGeoPackageStore(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo", "deps-gdal")
	path := filepath.Join(t.TempDir(), "store.gpkg")
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tcat, tiny := storetest.Tiny(t, "tiny")
	cat, disk := storetest.Disk("disk", 10, 40)
	storetest.MustSave(t, g, tcat, tiny)
	storetest.MustSave(t, g, cat, disk)
	for _, sc := range []coverage.Scenario{
		{ID: "s1", Dataset: "disk", Name: "one", Created: time.Now()},
		{ID: "s2", Dataset: "tiny", Name: "two", Created: time.Now()},
	} {
		if err := g.SaveScenario(bg, sc); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		p := coverage.Proposal{ID: fmt.Sprint("p", i), ScenarioID: "s1", Created: time.Now(), Facilities: []coverage.Facility{
			{ID: "a", Type: "pharmacy", Location: orb.Point{104.066 + float64(i)/1000, 30.66}, Status: coverage.Planned},
			{ID: "b", Type: "kindergarten", Location: orb.Point{104.067, 30.661 + float64(i)/1000}, Status: coverage.Planned},
		}}
		if err := g.AddProposal(bg, p); err != nil {
			t.Fatal(err)
		}
	}
	items := []coverage.PlanItem{
		{ID: "i1", Type: "pharmacy", Location: orb.Point{104.066, 30.66}, Year: 2026, Status: coverage.Planned},
		{ID: "i2", Type: "kindergarten", Location: orb.Point{104.067, 30.661}, Year: 2027, Status: coverage.Planned, Cost: 900},
	}
	if err := g.SavePlanItems(bg, "disk", items); err != nil {
		t.Fatal(err)
	}
	gaps := storetest.CellFeatures(disk, 30)
	areas := []coverage.LayerFeature{{ID: "1", Geometry: disk.Units[0].Geometry, Properties: map[string]any{"rank": 1, "residents": 1234.5}}}
	for name, fs := range map[string][]coverage.LayerFeature{"gaps/kindergarten": gaps, "gap-areas/kindergarten": areas} {
		if err := g.SaveLayer(bg, "disk", name, fs); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.SaveLayer(bg, "tiny", "gaps/kindergarten", storetest.CellFeatures(tiny, 7)); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}

	list, summary := OGRInfo(t, ogrinfo, path)
	want := map[string]OGRLayer{
		"facilities":                   {"Point", len(tiny.Facilities) + len(disk.Facilities)},
		"population_cells":             {"Polygon", len(tiny.Cells) + len(disk.Cells)},
		"admin_units":                  {"Multi Polygon", len(tiny.Units) + len(disk.Units)},
		"proposals":                    {"Multi Point", 3},
		"plan_items":                   {"Point", 2},
		"layer_gaps_kindergarten":      {"Polygon", 30 + 7},
		"layer_gap_areas_kindergarten": {"Multi Polygon", 1},
		"datasets":                     {"None", 2},
		"scenarios":                    {"None", 2},
		"lifecircle_layers":            {"None", 3},
		"lifecircle_migrations":        {"None", len(migrations)},
		"audit":                        {"None", 0},
		"lifecircle_users":             {"None", 0},
		"lifecircle_replays":           {"None", 0},
		"lifecircle_networks":          {"None", 0},
		"lifecircle_versions":          {"None", 0},
		"lifecircle_cells":             {"Polygon", 30 + 7},
		"lifecircle_cell_values":       {"None", 30 + 7},
		"lifecircle_cell_layers":       {"None", 2},
	}
	for name, w := range want {
		if _, ok := list[name]; !ok {
			t.Errorf("ogrinfo does not list %s (it lists %v)", name, list)
		}
		if got := summary[name]; got != w {
			t.Errorf("ogrinfo -so -al: %s is %+v, want %+v", name, got, w)
		}
	}
	if len(summary) != len(want) {
		t.Errorf("ogrinfo lists %d layers, want %d: %v", len(summary), len(want), summary)
	}
	t.Logf("ogrinfo -ro: %v", list)

	// A spatial filter: GDAL must find exactly the facilities inside.
	box := orb.Bound{Min: orb.Point{104.060, 30.655}, Max: orb.Point{104.066, 30.662}}
	inside := 0
	for _, f := range append(append([]coverage.Facility{}, tiny.Facilities...), disk.Facilities...) {
		if box.Contains(f.Location) {
			inside++
		}
	}
	if inside == 0 || inside == len(tiny.Facilities)+len(disk.Facilities) {
		t.Fatalf("the test box holds %d facilities; want a proper subset", inside)
	}
	if got := ogrCountIn(t, ogrinfo, path, "facilities", box); got != inside {
		t.Errorf("ogrinfo -spat found %d facilities, want %d", got, inside)
	}
	// GDAL reports the index, and answers through it: with one entry taken
	// out of the R-tree (a damaged index) the same filter finds one fewer.
	out, err := exec.Command(ogrinfo, "-ro", path, "-sql", "SELECT HasSpatialIndex('facilities','geom')").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "= 1") {
		t.Errorf("HasSpatialIndex: %v\n%s", err, out)
	}
	broken := filepath.Join(t.TempDir(), "broken.gpkg")
	b, _ := os.ReadFile(path)
	os.WriteFile(broken, b, 0o644)
	db := rawDB(t, broken)
	if _, err := db.Exec(`DELETE FROM rtree_facilities_geom WHERE id = (SELECT fid FROM facilities
		WHERE ST_MinX(geom) BETWEEN ? AND ? AND ST_MinY(geom) BETWEEN ? AND ? LIMIT 1)`, box.Min[0], box.Max[0], box.Min[1], box.Max[1]); err != nil {
		t.Fatal(err)
	}
	db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	db.Close()
	if got := ogrCountIn(t, ogrinfo, broken, "facilities", box); got != inside-1 {
		t.Errorf("with one R-tree entry removed ogrinfo -spat found %d, want %d: it does not read through the index", got, inside-1)
	}
}
