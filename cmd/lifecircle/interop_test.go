package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The proof with real, independent clients: the built binary serves the
// embedded Chengdu sample on a loopback port, and GDAL (ogrinfo, ogr2ogr:
// the OAPIF and MVT drivers) and OWSLib read it as a GIS user would. Every
// count and id is compared with the server's own answers, never with a
// number written here.

func TestRealClients(t *testing.T) {
	_, gdalErr := exec.LookPath("ogrinfo")
	if gdalErr != nil && !haveOWSLib() && os.Getenv("CI") != "true" {
		t.Skip("neither GDAL's ogrinfo nor python3-owslib is installed: run `make deps-gdal deps-owslib`")
	}
	bin := buildBinary(t)
	base := startServer(t, bin)
	t.Run("GDAL", func(t *testing.T) { gdalChecks(t, base) })
	t.Run("OWSLib", func(t *testing.T) { owslibChecks(t, base) })
}

// clientEnv keeps the clients off any proxy: the server is on loopback.
func clientEnv() []string {
	return append(os.Environ(), "no_proxy=127.0.0.1,localhost", "NO_PROXY=127.0.0.1,localhost", "GDAL_HTTP_TIMEOUT=60")
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = clientEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%.3000s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// line returns the first line of out that matches re (for the log).
func line(out string, re *regexp.Regexp) string {
	return strings.TrimSpace(re.FindString(out))
}

// serverIDs are the integer ids of an items response.
func serverIDs(t *testing.T, url string) (ids []int64, matched int) {
	t.Helper()
	fc := getJSON(t, url)
	for _, f := range fc["features"].([]any) {
		ids = append(ids, int64(f.(map[string]any)["id"].(float64)))
	}
	return ids, int(fc["numberMatched"].(float64))
}

func matched(t *testing.T, url string) int {
	t.Helper()
	_, n := serverIDs(t, url)
	return n
}

var ogrFIDRE = regexp.MustCompile(`(?m)^OGRFeature\([^)]*\):(\d+)$`)

func ogrFIDs(out string) []int64 {
	var ids []int64
	for _, m := range ogrFIDRE.FindAllStringSubmatch(out, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

var extentRE = regexp.MustCompile(`Extent: \(([-0-9.e+]+), ([-0-9.e+]+)\) - \(([-0-9.e+]+), ([-0-9.e+]+)\)`)

func ogrExtent(t *testing.T, out string) orb.Bound {
	t.Helper()
	m := extentRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no extent in\n%.2000s", out)
	}
	var v [4]float64
	for i := range v {
		v[i], _ = strconv.ParseFloat(m[i+1], 64)
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
}

func mercator(p orb.Point) orb.Point {
	const r = 6378137.0
	return orb.Point{r * p[0] * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360))}
}

func gdalChecks(t *testing.T, base string) {
	needTool(t, "ogrinfo", "deps-gdal")
	needTool(t, "ogr2ogr", "deps-gdal")
	t.Log(strings.TrimSpace(runTool(t, "ogrinfo", "--version")))
	ogc := base + "/ogc"
	src := "OAPIF:" + ogc

	// Every collection is a layer.
	var ids []string
	for _, c := range getJSON(t, ogc+"/collections")["collections"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	out := runTool(t, "ogrinfo", "-ro", src)
	var layers []string
	for _, m := range regexp.MustCompile(`(?m)^\d+: (\S+)`).FindAllStringSubmatch(out, -1) {
		layers = append(layers, m[1])
	}
	if !slices.Equal(layers, ids) || len(ids) < 7 {
		t.Errorf("ogrinfo lists %d layers, /ogc/collections %d:\n%v\n%v", len(layers), len(ids), layers, ids)
	}
	t.Logf("ogrinfo %s: %d layers; %s", src, len(layers), line(out, regexp.MustCompile(`(?m)^1: .*$`)))

	// Facilities: points, typed from the schema, counted from numberMatched.
	out = runTool(t, "ogrinfo", "-ro", "-so", src, "facilities")
	n := matched(t, ogc+"/collections/facilities/items?limit=1")
	for _, want := range []string{"Geometry: Point", fmt.Sprintf("Feature Count: %d", n), "\ncapacity: Real", "\nplan_year: Integer ", "\nname: String", "\nin_force: Integer(Boolean)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo -so facilities lacks %q:\n%s", want, out)
		}
	}
	// The layer extent is the collection's extent.spatial.bbox.
	var bb []float64
	for _, v := range getJSON(t, ogc+"/collections/facilities")["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any) {
		bb = append(bb, v.(float64))
	}
	if ext := ogrExtent(t, out); math.Abs(ext.Min[0]-bb[0]) > 1e-5 || math.Abs(ext.Min[1]-bb[1]) > 1e-5 || math.Abs(ext.Max[0]-bb[2]) > 1e-5 || math.Abs(ext.Max[1]-bb[3]) > 1e-5 {
		t.Errorf("ogrinfo extent %v, collection bbox %v", ext, bb)
	}
	t.Logf("facilities: %s; %s; %s", line(out, regexp.MustCompile(`Feature Count: \d+`)), line(out, regexp.MustCompile(`(?m)^capacity: .*$`)), line(out, regexp.MustCompile(`(?m)^plan_year: .*$`)))
	out = runTool(t, "ogrinfo", "-ro", "-so", src, "population")
	n = matched(t, ogc+"/collections/population/items?limit=1")
	for _, want := range []string{"Geometry: Polygon", fmt.Sprintf("Feature Count: %d", n), "\npopulation: Real", "\nh3: String"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo -so population lacks %q:\n%s", want, out)
		}
	}
	t.Logf("population: %s; %s", line(out, regexp.MustCompile(`Feature Count: \d+`)), line(out, regexp.MustCompile(`(?m)^population: .*$`)))

	// ogr2ogr pages through a whole collection via the next links.
	const gaps = "gaps-kindergarten"
	gpkg := filepath.Join(t.TempDir(), "out.gpkg")
	runTool(t, "ogr2ogr", "-f", "GPKG", gpkg, src, gaps, "-oo", "PAGE_SIZE=100")
	n = matched(t, ogc+"/collections/"+gaps+"/items?limit=1")
	out = runTool(t, "ogrinfo", "-ro", "-so", gpkg, gaps)
	if !strings.Contains(out, fmt.Sprintf("Feature Count: %d\n", n)) || n < 200 {
		t.Errorf("ogr2ogr copied: %s; the server matches %d", line(out, regexp.MustCompile(`Feature Count: \d+`)), n)
	}
	sql := runTool(t, "ogrinfo", "-ro", gpkg, "-sql", `SELECT COUNT(DISTINCT h3) AS cells FROM "`+gaps+`"`)
	if !strings.Contains(sql, fmt.Sprintf("cells (Integer) = %d\n", n)) {
		t.Errorf("distinct cells in the copy: %s; want %d", line(sql, regexp.MustCompile(`cells \(Integer\) = \d+`)), n)
	}
	t.Logf("ogr2ogr -oo PAGE_SIZE=100 %s: %s, %s (server numberMatched %d)", gaps, line(out, regexp.MustCompile(`Feature Count: \d+`)),
		line(sql, regexp.MustCompile(`cells \(Integer\) = \d+`)), n)

	// -spat goes to the server as bbox: the same ids as the server's own bbox.
	ext := getJSON(t, ogc+"/collections/population")["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
	var e [4]float64
	for i := range e {
		e[i] = ext[i].(float64)
	}
	w, h := e[2]-e[0], e[3]-e[1]
	box := [4]float64{e[0] + w*0.3, e[1] + h*0.3, e[0] + w*0.6, e[1] + h*0.6}
	bbox := fmt.Sprintf("%v,%v,%v,%v", box[0], box[1], box[2], box[3])
	// GDAL also filters what it gets with its own geometry test (GEOS), so
	// a polygon whose bound meets the box but whose outline does not
	// would show here.
	for _, c := range []string{"facilities", gaps, "gap-areas-kindergarten", "catchments-kindergarten", "admin-units-district", "catchments-primary_school"} {
		want, _ := serverIDs(t, ogc+"/collections/"+c+"/items?limit=10000&bbox="+bbox)
		slices.Sort(want)
		out := runTool(t, "ogrinfo", "-ro", "-q", src, c, "-oo", "PAGE_SIZE=1000", "-spat",
			fmt.Sprint(box[0]), fmt.Sprint(box[1]), fmt.Sprint(box[2]), fmt.Sprint(box[3]))
		got := ogrFIDs(out)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s -spat %s: GDAL %d features %v, server bbox %d %v", c, bbox, len(got), got, len(want), want)
		}
		t.Logf("%s -spat %s: GDAL %d features, server bbox %d", c, bbox, len(got), len(want))
	}

	// -fid N → /items/N, and a declared queryable goes to the server.
	fac, _ := serverIDs(t, ogc+"/collections/facilities/items?limit=1&offset=7")
	key := getJSON(t, fmt.Sprintf("%s/collections/facilities/items/%d", ogc, fac[0]))["properties"].(map[string]any)["id"].(string)
	out = runTool(t, "ogrinfo", "-ro", "-q", src, "facilities", "-fid", strconv.FormatInt(fac[0], 10))
	if !strings.Contains(out, fmt.Sprintf("OGRFeature(facilities):%d\n", fac[0])) || !strings.Contains(out, "id (String) = "+key) {
		t.Errorf("ogrinfo -fid %d:\n%.1500s", fac[0], out)
	}
	// GDAL sends these to the server (declared in /ogc/api), a Boolean
	// field as in_force=1.
	for where, query := range map[string]string{"type = 'kindergarten'": "type=kindergarten", "in_force = 1": "in_force=true",
		"type = 'kindergarten' AND in_force = 1": "type=kindergarten&in_force=true"} {
		want, _ := serverIDs(t, ogc+"/collections/facilities/items?limit=10000&"+query)
		slices.Sort(want)
		out = runTool(t, "ogrinfo", "-ro", "-q", src, "facilities", "-oo", "PAGE_SIZE=1000", "-where", where)
		if got := ogrFIDs(out); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("-where %q: GDAL %d features %v, server (%s) %d", where, len(got), got, query, len(want))
		}
	}

	// Vector tiles: the tile of a gap cell holds it, over /vsicurl/ (HEAD
	// and Range) and as a downloaded OGC API – Tiles tile.
	gap := getJSON(t, ogc+"/collections/"+gaps+"/items?limit=1&offset=100")["features"].([]any)[0].(map[string]any)
	h3 := gap["properties"].(map[string]any)["h3"].(string)
	var ring orb.Ring
	for _, c := range gap["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any) {
		ring = append(ring, orb.Point{c.([]any)[0].(float64), c.([]any)[1].(float64)})
	}
	centre := ring.Bound().Center()
	tile := maptile.At(centre, 14)
	tb := tile.Bound()
	tileM := orb.Bound{Min: mercator(tb.Min), Max: mercator(tb.Max)}
	check := func(what, out string) orb.Bound {
		t.Helper()
		if !strings.Contains(out, "Layer name: "+gaps) || !strings.Contains(out, "h3 (String) = "+h3+"\n") {
			t.Errorf("%s: no layer %s with cell %s:\n%.1500s", what, gaps, h3, out)
		}
		ext := ogrExtent(t, out)
		c := mercator(centre)
		pad := (tileM.Max[0] - tileM.Min[0]) / 8 // features are clipped with a buffer around the tile
		if !ext.Contains(c) || ext.Min[0] < tileM.Min[0]-pad || ext.Max[0] > tileM.Max[0]+pad || ext.Min[1] < tileM.Min[1]-pad || ext.Max[1] > tileM.Max[1]+pad {
			t.Errorf("%s: extent %v (EPSG:3857) should cover the cell centre %v and stay within tile %v", what, ext, c, tileM)
		}
		return ext
	}
	xyz := fmt.Sprintf("/vsicurl/%s/tiles/%s/%d/%d/%d.pbf", base, gaps, tile.Z, tile.X, tile.Y)
	out = runTool(t, "ogrinfo", "-ro", "-al", xyz)
	e1 := check(xyz, out)
	n1 := line(out, regexp.MustCompile(`Feature Count: \d+`))
	t.Logf("ogrinfo %s: %s, Extent %v", xyz, n1, e1)

	resp, err := http.Get(fmt.Sprintf("%s/collections/%s/tiles/WebMercatorQuad/%d/%d/%d", ogc, gaps, tile.Z, tile.Y, tile.X))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mvtFile := filepath.Join(t.TempDir(), "tile.mvt")
	if err := os.WriteFile(mvtFile, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out = runTool(t, "ogrinfo", "-ro", "-al", mvtFile, "-oo", fmt.Sprintf("Z=%d", tile.Z), "-oo", fmt.Sprintf("X=%d", tile.X), "-oo", fmt.Sprintf("Y=%d", tile.Y))
	e2 := check("OGC tile "+mvtFile, out)
	if n2 := line(out, regexp.MustCompile(`Feature Count: \d+`)); n2 != n1 || math.Abs(e2.Min[0]-e1.Min[0]) > 1e-3 || math.Abs(e2.Max[1]-e1.Max[1]) > 1e-3 {
		t.Errorf("the OGC path tile (%s, %v) differs from the XYZ tile (%s, %v)", n2, e2, n1, e1)
	}
}

func owslibChecks(t *testing.T, base string) {
	if !haveOWSLib() {
		missing(t, "python3-owslib is not installed for /usr/bin/python3: run `make deps-owslib` to install it")
	}
	ogc := base + "/ogc"
	const coll = "population"
	bbox := "104.06,30.66,104.08,30.68"
	cmd := exec.Command("/usr/bin/python3", "testdata/owslib_features.py", ogc, coll, "500", bbox)
	cmd.Env = clientEnv()
	raw, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("owslib_features.py: %v\n%s", err, msg)
	}
	var got struct {
		OWSLib         string    `json:"owslib"`
		ConformsTo     []string  `json:"conformsTo"`
		Collections    []string  `json:"collections"`
		APIOpenAPI     string    `json:"api_openapi"`
		APIItemsPath   bool      `json:"api_items_path"`
		CollectionID   string    `json:"collection_id"`
		CollectionBBox []float64 `json:"collection_bbox"`
		Pages          int       `json:"pages"`
		IDs            []int64   `json:"ids"`
		NumberMatched  int       `json:"numberMatched"`
		Item           struct {
			ID         int64    `json:"id"`
			Geometry   string   `json:"geometry"`
			Properties []string `json:"properties"`
		} `json:"item"`
		BBoxIDs    []int64  `json:"bbox_ids"`
		Queryables []string `json:"queryables"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("owslib_features.py printed %.500s: %v", raw, err)
	}
	var ids []string
	for _, c := range getJSON(t, ogc+"/collections")["collections"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	if !slices.Equal(got.Collections, ids) {
		t.Errorf("OWSLib collections %v, server %v", got.Collections, ids)
	}
	if !slices.Contains(got.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core") ||
		!slices.Contains(got.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson") {
		t.Errorf("OWSLib conformance %v", got.ConformsTo)
	}
	if !strings.HasPrefix(got.APIOpenAPI, "3.0") || !got.APIItemsPath || got.CollectionID != coll || len(got.CollectionBBox) != 4 {
		t.Errorf("OWSLib api %q (items path %v), collection %q bbox %v", got.APIOpenAPI, got.APIItemsPath, got.CollectionID, got.CollectionBBox)
	}
	all, n := serverIDs(t, ogc+"/collections/"+coll+"/items?limit=10000")
	distinct := slices.Clone(got.IDs)
	sort.Slice(distinct, func(i, j int) bool { return distinct[i] < distinct[j] })
	distinct = slices.Compact(distinct)
	if got.NumberMatched != n || len(got.IDs) != n || len(distinct) != n || !slices.Equal(got.IDs, all) || got.Pages != (n+499)/500 {
		t.Errorf("OWSLib paged %d pages, %d ids (%d distinct), numberMatched %d; server %d", got.Pages, len(got.IDs), len(distinct), got.NumberMatched, n)
	}
	if got.Item.ID != all[0] || got.Item.Geometry != "Polygon" || !slices.Contains(got.Item.Properties, "h3") {
		t.Errorf("OWSLib item %+v", got.Item)
	}
	inBox, _ := serverIDs(t, ogc+"/collections/"+coll+"/items?limit=10000&bbox="+bbox)
	if !slices.Equal(got.BBoxIDs, inBox) || len(inBox) == 0 {
		t.Errorf("OWSLib bbox %s: %d ids, server %d", bbox, len(got.BBoxIDs), len(inBox))
	}
	if !slices.Contains(got.Queryables, "population") || !slices.Contains(got.Queryables, "h3") {
		t.Errorf("OWSLib queryables %v", got.Queryables)
	}
	t.Logf("OWSLib %s: %d collections, %s paged in %d pages of 500 = %d ids (numberMatched %d), item %d %s, bbox %d features",
		got.OWSLib, len(got.Collections), coll, got.Pages, len(got.IDs), got.NumberMatched, got.Item.ID, got.Item.Geometry, len(got.BBoxIDs))
}
