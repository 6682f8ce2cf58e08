package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gbkStreets writes the street fixture (real street codes on synthetic
// squares, data/testdata/streets/NOTE.md) as a GBK Shapefile with GDAL.
func gbkStreets(t *testing.T) string {
	t.Helper()
	ogr := needTool(t, "ogr2ogr", "deps-gdal")
	shp := filepath.Join(t.TempDir(), "街道.shp")
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", shp, "../../data/testdata/streets/streets_synthetic.geojson").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	return shp
}

// unitNames reads /v1/summary?by=level: code → name/parent name.
func unitNames(t *testing.T, base, level string) map[string]string {
	t.Helper()
	s := getJSON(t, base+"/v1/summary?by="+level)
	units, _ := s["units"].([]any)
	out := map[string]string{}
	for _, u := range units {
		m, _ := u.(map[string]any)
		code, _ := m["code"].(string)
		name, _ := m["name"].(string)
		parent, _ := m["parent_name"].(string)
		out[code] = name + "/" + parent
	}
	return out
}

// TestSeveralBoundaryFiles: districts from the sample's GeoJSON and streets
// from a GBK Shapefile (with its own level and encoding given after it)
// in one run, imported into a store and served: by=district and by=street
// both answer with the Chinese names, the streets with their districts as
// parents. The streets also go beside the embedded sample's districts. A
// code in both files is refused naming both.
func TestSeveralBoundaryFiles(t *testing.T) {
	shp := gbkStreets(t)
	districts := "../../data/sample/chengdu/boundaries.geojson"
	inputs := []string{"--facilities", "../../data/sample/chengdu/facilities.geojson", "--population", "../../data/sample/chengdu/population.csv",
		"--boundaries", districts, "--boundaries-crs", "wgs84",
		"--boundaries", shp, "--boundaries-level", "street", "--boundaries-encoding", "gbk"}
	store := filepath.Join(t.TempDir(), "s.gpkg")
	msg := runOK(t, append([]string{"import", "--store", store, "--no-network", "--name", "two"}, inputs...)...)
	if !strings.Contains(msg, "12 admin units") {
		t.Errorf("import: %s", msg)
	}
	base := serveInProcess(t, "--store", store, "--no-network")
	d := unitNames(t, base, "district")
	s := unitNames(t, base, "street")
	if len(d) != 5 || !strings.HasPrefix(d["510108"], "成华区/") || !strings.HasPrefix(d["510104"], "锦江区/") {
		t.Errorf("by=district: %v", d)
	}
	if len(s) != 7 || s["510108002"] != "猛追湾街道/成华区" || s["510105005"] != "少城街道/青羊区" {
		t.Errorf("by=street: %v", s)
	}

	// the same files straight from the command line
	base = serveInProcess(t, append([]string{"--no-network"}, inputs...)...)
	if s := unitNames(t, base, "street"); len(s) != 7 || s["510104022"] != "春熙路街道/锦江区" {
		t.Errorf("serve with two files, by=street: %v", s)
	}

	// the streets beside the embedded sample's districts
	base = serveInProcess(t, "--sample", "chengdu", "--no-network", "--boundaries", shp)
	if s, d := unitNames(t, base, "street"), unitNames(t, base, "district"); len(s) != 7 || s["510106030"] != "驷马桥街道/金牛区" || len(d) != 5 {
		t.Errorf("sample + streets: by=street %v, by=district %v", s, d)
	}
	runErr(t, "sample/chengdu/boundaries.geojson", "analyze", "--out", filepath.Join(t.TempDir(), "o"), "--sample", "chengdu", "--no-network", "--boundaries", districts)

	runErr(t, "also in", append([]string{"analyze", "--out", filepath.Join(t.TempDir(), "o"), "--no-network"}, append(inputs, "--boundaries", "../../data/testdata/streets/streets_synthetic.geojson")...)...)
	runErr(t, "--boundaries-level is given but no --boundaries file", "analyze", "--out", filepath.Join(t.TempDir(), "o"), "--boundaries-level", "street")
	runErr(t, "given twice for "+shp, append([]string{"analyze", "--out", filepath.Join(t.TempDir(), "o"), "--no-network"}, append(inputs, "--boundaries-level", "street")...)...)
}

// The command line prints an error as a person reads it: no sentinel words
// (…: invalid, …: not found) trail the text; the exit status says it failed.
func TestCLIErrorText(t *testing.T) {
	bin := buildBinary(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--no-network", "--snap-m", "5000", "--out", filepath.Join(t.TempDir(), "o")}, "--snap-m 5000 must be in (0, 2000] metres\n"},
		{[]string{"analyze", "--sample", "nowhere", "--out", filepath.Join(t.TempDir(), "o")}, "no sample \"nowhere\"; samples: chengdu, porto_alegre\n"},
		{[]string{"import", "--store", filepath.Join(t.TempDir(), "s.gpkg"), "--no-network", "--facilities", "../../data/sample/chengdu/facilities.geojson",
			"--population", "../../data/sample/chengdu/population.csv", "--boundaries", "../../data/testdata/crs/districts_central5_gcj02.geojson"},
			"--boundaries-crs wgs84 确认确为 WGS84\n"},
	} {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		if err == nil {
			t.Errorf("lifecircle %s: no error", strings.Join(c.args, " "))
			continue
		}
		s := string(out)
		if !strings.HasSuffix(s, c.want) || strings.Contains(s, ": invalid") || strings.Contains(s, ": not found") {
			t.Errorf("lifecircle %s printed:\n%.2000s\nwant it to end %q", strings.Join(c.args, " "), s, c.want)
		}
	}
}
