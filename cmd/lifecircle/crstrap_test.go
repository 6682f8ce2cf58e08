package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoordinateTrap: the sample's facilities shifted into GCJ-02 and given
// without --crs are caught at ingest with the numbers and the flag that
// fixes it; import refuses to write the store until the CRS is confirmed.
func TestCoordinateTrap(t *testing.T) {
	dir := t.TempDir()
	gcj := gcjFacilities(t, dir)
	args := []string{"--facilities", gcj, "--population", "../../data/sample/chengdu/population.csv", "--osm", "../../data/sample/chengdu/osm.pbf"}

	var stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"analyze", "--out", filepath.Join(dir, "a")}, args...), &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "look like gcj02") || !strings.Contains(stderr.String(), "--facilities-crs gcj02") {
		t.Errorf("analyze did not warn of the GCJ-02 trap:\n%.2000s", stderr.String())
	}
	store := filepath.Join(dir, "s.gpkg")
	runErr(t, "--facilities-crs gcj02 to convert them", append([]string{"import", "--store", store}, args...)...)
	if _, err := os.Stat(store); err == nil {
		runErr(t, "holds no dataset", "serve", "--store", store)
	}
	// converting fixes it, and raises nothing
	stderr.Reset()
	if err := run(context.Background(), append([]string{"import", "--store", store, "--facilities-crs", "gcj02"}, args...), &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "COORDINATES") {
		t.Errorf("converted input still flagged:\n%.1000s", stderr.String())
	}
	// confirming WGS84 explicitly writes the store (the user's word)
	runOK(t, append([]string{"import", "--store", filepath.Join(dir, "s2.gpkg"), "--facilities-crs", "wgs84"}, args...)...)
}

// TestCoordinateTrapWithoutNetwork: no --osm at all. GCJ-02 facilities
// declared WGS84 are still caught (against the districts and the shipped
// extract) and import refuses them; the GCJ-02 district polygons
// (data/testdata/crs) declared WGS84 are caught against the shipped
// district polygons; the WGS84 ones raise nothing.
func TestCoordinateTrapWithoutNetwork(t *testing.T) {
	dir := t.TempDir()
	gcj := gcjFacilities(t, dir)
	pop := "../../data/sample/chengdu/population.csv"
	bounds := "../../data/sample/chengdu/boundaries.geojson"

	analyze := func(name string, args ...string) string {
		t.Helper()
		var stderr bytes.Buffer
		if err := run(context.Background(), append([]string{"analyze", "--out", filepath.Join(dir, name), "--population", pop}, args...), &bytes.Buffer{}, &stderr); err != nil {
			t.Fatal(err)
		}
		return stderr.String()
	}
	if s := analyze("a", "--facilities", gcj, "--boundaries", bounds); !strings.Contains(s, "look like gcj02") || !strings.Contains(s, "--facilities-crs gcj02") || !strings.Contains(s, "lie outside every boundary polygon") {
		t.Errorf("analyze without --osm did not catch GCJ-02 facilities:\n%.3000s", s)
	}
	// import refuses before writing anything (and so is quick)
	runErr(t, "--facilities-crs gcj02 to convert them", "import", "--store", filepath.Join(dir, "s.gpkg"), "--facilities", gcj, "--population", pop, "--boundaries", bounds)
	fac := "../../data/sample/chengdu/facilities.geojson"
	runErr(t, "lie on those polygons' edges (within 30 m); converted from gcj02", "import", "--store", filepath.Join(dir, "s.gpkg"), "--facilities", fac, "--population", pop,
		"--boundaries", "../../data/testdata/crs/districts_central5_gcj02.geojson")
	if s := analyze("ok", "--facilities", fac, "--boundaries", "../../data/testdata/crs/districts_central5_wgs84.geojson"); strings.Contains(s, "COORDINATES") {
		t.Errorf("WGS84 inputs flagged:\n%.2000s", s)
	}
}
