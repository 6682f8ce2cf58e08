package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestGeoPackageDownload: GET /ogc/collections/{id}/items?f=gpkg, opened
// by GDAL's ogrinfo (an independent reader): the file holds exactly the
// features the same filters select in GeoJSON (numberMatched), with their
// OGC ids as fids, the collection's geometry type and Chinese text intact.
func TestGeoPackageDownload(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo", "deps-gdal")
	base := serveInProcess(t)
	dir := t.TempDir()
	download := func(path string) (string, *http.Response) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		p := filepath.Join(dir, strconv.Itoa(len(body))+".gpkg")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return p, resp
	}
	ogr := func(args ...string) string {
		t.Helper()
		out := runTool(t, ogrinfo, append([]string{"-ro"}, args...)...)
		if strings.Contains(out, "ERROR") || strings.Contains(out, "Warning") {
			t.Errorf("ogrinfo %v complains:\n%.2000s", args, out)
		}
		return out
	}
	countRE := regexp.MustCompile(`Feature Count: (\d+)`)

	unit := url.QueryEscape("成华区")
	for _, tc := range []struct{ collection, query, geom string }{
		{"gap-areas-kindergarten", "unit=" + unit, "Multi Polygon"},
		{"facilities", "type=kindergarten", "Point"},
		{"coverage-kindergarten", "bbox=104.06,30.66,104.09,30.69&profile=elderly", "Polygon"},
		{"admin-units-district", "", "Multi Polygon"},
	} {
		items := "/ogc/collections/" + tc.collection + "/items?" + tc.query
		want := matched(t, base+items+"&limit=1")
		if want == 0 {
			t.Fatalf("%s selects nothing: a test of nothing", items)
		}
		path, resp := download(items + "&f=gpkg")
		if ct := resp.Header.Get("Content-Type"); ct != "application/geopackage+sqlite3" {
			t.Errorf("%s: Content-Type %q", tc.collection, ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, tc.collection) || !strings.Contains(cd, ".gpkg") {
			t.Errorf("%s: Content-Disposition %q", tc.collection, cd)
		}
		if cd := resp.Header.Get("Content-Disposition"); tc.collection == "facilities" && !strings.Contains(cd, `filename="facilities_kindergarten.gpkg"`) ||
			strings.Contains(tc.query, "unit=") && !strings.Contains(cd, "_510108.gpkg") {
			t.Errorf("%s: the file name does not say what was selected: %q", tc.collection, cd)
		}
		table := strings.ReplaceAll(tc.collection, "-", "_")
		out := ogr("-so", path, table)
		m := countRE.FindStringSubmatch(out)
		if m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("%s: ogrinfo counts %v features, the server matched %d\n%s", tc.collection, m, want, out)
		}
		if !strings.Contains(out, "Geometry: "+tc.geom) {
			t.Errorf("%s: want geometry %s:\n%s", tc.collection, tc.geom, out)
		}
		if !strings.Contains(out, "EPSG") || !strings.Contains(out, "4326") {
			t.Errorf("%s: not in EPSG:4326:\n%.800s", tc.collection, out)
		}
		// fids are the OGC API ids
		ids, _ := serverIDs(t, base+items+"&limit=10000")
		slices.Sort(ids)
		all := ogr("-al", "-q", "-geom=NO", path)
		if got := ogrFIDs(all); !slices.Equal(got, ids) {
			t.Errorf("%s: fids %v…, OGC ids %v…", tc.collection, got[:min(5, len(got))], ids[:min(5, len(ids))])
		}
		t.Logf("%s?%s: %d features, %d bytes", tc.collection, tc.query, want, resp.ContentLength)
	}

	// Chinese names come through: every kindergarten's name as GeoJSON gives it.
	path, _ := download("/ogc/collections/facilities/items?type=kindergarten&f=gpkg")
	all := ogr("-al", "-q", "-geom=NO", path)
	fc := getJSON(t, base+"/ogc/collections/facilities/items?type=kindergarten")
	n := 0
	for _, f := range fc["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		if name, _ := p["name"].(string); name != "" {
			n++
			if !strings.Contains(all, "name (String) = "+name) {
				t.Errorf("kindergarten %q is not in the GeoPackage as written", name)
			}
		}
		if tz, _ := p["type_name_zh"].(string); tz != "" && !strings.Contains(all, tz) {
			t.Errorf("type_name_zh %q lost", tz)
		}
	}
	if n == 0 || !strings.Contains(all, "幼儿园") {
		t.Errorf("no Chinese name to check (%d names)", n)
	}

	// Bad requests are 400s naming the parameter.
	for q, param := range map[string]string{
		"f=shp": "f", "f=gpkg&crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"): "crs", "f=gpkg&bbox=1,2": "bbox",
	} {
		resp, err := http.Get(base + "/ogc/collections/facilities/items?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"parameter":"`+param+`"`) {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
}
