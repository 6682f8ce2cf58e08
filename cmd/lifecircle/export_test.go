package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/data/gpkgstore"
)

// exportFixture imports the Chengdu sample into a store and computes the
// layers an export writes, as runExport does.
func exportFixture(tb testing.TB) (*gpkgstore.Store, string, map[string][]data.NamedLayer) {
	tb.Helper()
	storePath, _ := newStore(tb, "--sample", "chengdu")
	st, err := gpkgstore.Open(storePath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ctx := context.Background()
	names, err := st.Datasets(ctx)
	if err != nil || len(names) != 1 {
		tb.Fatalf("datasets %v, %v", names, err)
	}
	cat, ds, err := st.LoadDataset(ctx, names[0])
	if err != nil {
		tb.Fatal(err)
	}
	var in inputFlags
	in.snapM, in.detour, in.searchFactor, in.minComponent = coverage.DefaultSnapLimitM, coverage.DefaultDetour, coverage.DefaultSearchFactor, coverage.DefaultMinComponent
	a, err := in.analyzeStored(ctx, st, cat, ds, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	layers, err := data.AnalysisLayers(a, coverage.DefaultProfile)
	if err != nil {
		tb.Fatal(err)
	}
	return st, filepath.Dir(storePath), map[string][]data.NamedLayer{names[0]: layers}
}

// BenchmarkExportWrite: writing the export of the Chengdu sample with every
// layer (35 types × coverage, gaps, gap areas; catchments; metadata) and
// the dataset, network and audit, from the analysis already built — the
// write alone, as `lifecircle export --no-save` does it.
func BenchmarkExportWrite(b *testing.B) {
	st, dir, layers := exportFixture(b)
	names := []string{}
	for n := range layers {
		names = append(names, n)
	}
	ctx := context.Background()
	i := 0
	var size int64
	cpu0 := processCPU()
	for b.Loop() {
		i++
		out := filepath.Join(dir, "e"+string(rune('a'+i%26))+".gpkg")
		os.Remove(out)
		if _, err := writeExport(ctx, st, names, layers, out); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s")
	b.ReportMetric(float64(size)/1e6, "MB")
}

// processCPU is this process's CPU time (user and system) so far: on a
// shared machine a better measure of the work than the wall clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	ogrGeomLine   = regexp.MustCompile(`^Geometry: (.+)$`)
	ogrExtentLine = regexp.MustCompile(`^Extent: \(([-0-9.]+), ([-0-9.]+)\) - \(([-0-9.]+), ([-0-9.]+)\)$`)
	ogrFieldLine  = regexp.MustCompile(`^([A-Za-z0-9_]+): ([A-Za-z0-9()]+) \(`)
)

// ogrLayerInfo is what `ogrinfo -so` says of one layer.
type ogrLayerInfo struct {
	geometry string
	count    int
	extent   [4]float64
	fields   map[string]string
}

// ogrSummary runs `ogrinfo -ro -so -al` and parses every layer; any ERROR
// or Warning GDAL prints fails the test.
func ogrSummary(t *testing.T, ogrinfo, path string) map[string]*ogrLayerInfo {
	t.Helper()
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	layers := map[string]*ogrLayerInfo{}
	var cur *ogrLayerInfo
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "Warning") {
			t.Errorf("ogrinfo: %s", line)
		}
		if m := ogrLayerName.FindStringSubmatch(line); m != nil {
			cur = &ogrLayerInfo{fields: map[string]string{}}
			layers[m[1]] = cur
		} else if cur == nil {
			continue
		} else if m := ogrGeomLine.FindStringSubmatch(line); m != nil {
			cur.geometry = m[1]
		} else if m := ogrCount.FindStringSubmatch(line); m != nil {
			cur.count, _ = strconv.Atoi(m[1])
		} else if m := ogrExtentLine.FindStringSubmatch(line); m != nil {
			for i := range 4 {
				cur.extent[i], _ = strconv.ParseFloat(m[1+i], 64)
			}
		} else if m := ogrFieldLine.FindStringSubmatch(line); m != nil {
			cur.fields[m[1]] = m[2]
		}
	}
	return layers
}

// TestExportGDAL: GDAL (the client QGIS reads GeoPackages through) opens
// every layer of an export of the Chengdu sample: the per-type cell layers
// are spatial views, with the counts the API gives as numberMatched, their
// geometry type, extent and typed fields; ogr2ogr turns a view into
// GeoJSON with the API's features.
func TestExportGDAL(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo", "deps-gdal")
	ogr2ogr := needTool(t, "ogr2ogr", "deps-gdal")
	store, _ := newStore(t, "--sample", "chengdu")
	dir := t.TempDir()
	out := filepath.Join(dir, "e.gpkg")
	if msg := runOK(t, "export", "--store", store, "--out", out); !strings.Contains(msg, "exported 1 datasets") {
		t.Errorf("export printed %q", msg)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() > 20<<20 {
		t.Errorf("export: %v, %d bytes (the target is ≤ 20 MB)", err, fi.Size())
	}

	// the API over the same store: numberMatched of each layer
	base := serveInProcess(t, "--store", store)
	var types []string
	for _, ty := range getJSON(t, base+"/v1/catalog")["types"].([]any) {
		types = append(types, ty.(map[string]any)["id"].(string))
	}
	if len(types) != 35 {
		t.Fatalf("%d types in the catalogue", len(types))
	}
	layers := ogrSummary(t, ogrinfo, out)
	cells := layers["lifecircle_cells"]
	if cells == nil || cells.geometry != "Polygon" || cells.count != 3853 {
		t.Fatalf("lifecircle_cells: %+v", cells)
	}
	for _, ty := range types {
		for _, l := range []struct{ api, table, geom string }{
			{"coverage", "layer_coverage_" + ty, "Polygon"},
			{"gaps", "layer_gaps_" + ty, "Polygon"},
			{"gap-areas", "layer_gap_areas_" + ty, "Multi Polygon"},
		} {
			matched := int(getJSON(t, base+"/v1/layers/"+l.api+"?type="+ty+"&limit=1")["numberMatched"].(float64))
			got := layers[l.table]
			if got == nil {
				t.Errorf("ogrinfo does not list %s", l.table)
				continue
			}
			if got.count != matched {
				t.Errorf("%s: GDAL counts %d features, the API's numberMatched is %d", l.table, got.count, matched)
			}
			if matched > 0 && got.geometry != l.geom {
				t.Errorf("%s: geometry %q, want %q", l.table, got.geometry, l.geom)
			}
		}
		// a coverage view covers every cell: its extent is the cells' (which
		// GDAL reads from the R-tree: 32-bit floats rounded outwards)
		cov := layers["layer_coverage_"+ty]
		for i := range 4 {
			if cov != nil && math.Abs(cov.extent[i]-cells.extent[i]) > 1e-5 {
				t.Errorf("layer_coverage_%s: extent %v, the cells' %v", ty, cov.extent, cells.extent)
				break
			}
		}
		if cov != nil {
			for f, typ := range map[string]string{"h3": "String", "population": "Real", "distance_m": "Real", "covered": "Integer(Boolean)",
				"minutes": "Real", "within_minutes": "Integer(Boolean)", "type": "String", "type_name_zh": "String", "data_quality": "String", "dataset": "String", "properties": "String"} {
				if cov.fields[f] != typ {
					t.Errorf("layer_coverage_%s: field %s is %q, want %s (fields %v)", ty, f, cov.fields[f], typ, cov.fields)
				}
			}
		}
	}
	for _, name := range []string{"facilities", "population_cells", "admin_units", "layer_catchments", "layer_metadata", "datasets", "audit"} {
		if layers[name] == nil {
			t.Errorf("ogrinfo does not list %s", name)
		}
	}

	// a view's feature id (OGC_FID) is stable: the feature found by a
	// filter is the one fetched by its id (what QGIS selects by)
	q, err := exec.Command(ogrinfo, "-ro", out, "layer_gaps_kindergarten", "-where", "h3 = '8a40e3cc0007fff'").CombinedOutput()
	fid := regexp.MustCompile(`OGRFeature\(layer_gaps_kindergarten\):(\d+)`).FindSubmatch(q)
	if err != nil || fid == nil {
		t.Fatalf("ogrinfo -where: %v\n%s", err, q)
	}
	q, err = exec.Command(ogrinfo, "-ro", out, "layer_gaps_kindergarten", "-fid", string(fid[1])).CombinedOutput()
	if err != nil || !strings.Contains(string(q), "h3 (String) = 8a40e3cc0007fff") {
		t.Errorf("ogrinfo -fid %s: %v\n%s", fid[1], err, q)
	}

	// ogr2ogr: a view to GeoJSON holds the API's gaps, property for property
	gj := filepath.Join(dir, "gaps.geojson")
	if b, err := exec.Command(ogr2ogr, "-f", "GeoJSON", gj, out, "layer_gaps_kindergarten").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	b, err := os.ReadFile(gj)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	api := getJSON(t, base+"/v1/layers/gaps?type=kindergarten&limit=10000")
	want := map[string]map[string]any{}
	for _, f := range api["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		want[p["h3"].(string)] = p
	}
	if len(fc.Features) != len(want) || len(want) == 0 {
		t.Fatalf("ogr2ogr wrote %d features, the API has %d gaps", len(fc.Features), len(want))
	}
	for _, f := range fc.Features {
		p := f.Properties
		w := want[fmt.Sprint(p["h3"])]
		if w == nil || f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) != 1 || len(f.Geometry.Coordinates[0]) < 6 {
			t.Fatalf("ogr2ogr feature %v (geometry %s) is not one of the API's gaps", p, f.Geometry.Type)
		}
		for _, k := range []string{"population", "type", "type_name_zh", "distance_m", "minutes", "facility_id", "reason", "district", "within_minutes"} {
			if fmt.Sprint(p[k]) != fmt.Sprint(w[k]) {
				t.Errorf("%s: %s is %v in the GeoPackage, %v in the API", p["h3"], k, p[k], w[k])
			}
		}
		if p["covered"] != false || p["dataset"] != "chengdu-centre-sample" || p["feature_id"] != p["h3"] || p["data_quality"] != "likely_incomplete" {
			t.Errorf("%s: covered %v, dataset %v, feature_id %v, data_quality %v", p["h3"], p["covered"], p["dataset"], p["feature_id"], p["data_quality"])
		}
		// the JSON of the properties, as the tables had it (GDAL writes it
		// as an object when it knows it for JSON)
		props, ok := p["properties"].(map[string]any)
		if s, isString := p["properties"].(string); isString {
			ok = json.Unmarshal([]byte(s), &props) == nil
		}
		if !ok || props["h3"] != p["h3"] || props["covered"] != false || props["type"] != "kindergarten" {
			t.Errorf("%s: properties %v", p["h3"], p["properties"])
		}
	}
}

// BenchmarkExportCommand: the whole `lifecircle export --store S --out F
// --no-save` of the Chengdu sample: open the store, load the dataset and
// its network, build the analysis and its layers, write the file.
func BenchmarkExportCommand(b *testing.B) {
	store, _ := newStore(b, "--sample", "chengdu")
	dir := filepath.Dir(store)
	i := 0
	cpu0 := processCPU()
	defer func() { b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s") }()
	for b.Loop() {
		i++
		out := filepath.Join(dir, fmt.Sprintf("e%d.gpkg", i))
		if err := run(context.Background(), []string{"export", "--store", store, "--out", out, "--no-save"}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		os.Remove(out)
	}
}
