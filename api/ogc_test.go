package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The OGC API – Features / Tiles contract of /ogc, checked in process on
// the api fixture (Tianfu Square, Chengdu) and on a larger disk of cells
// where paging needs more than one default page.

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// ogcKinds has one collection of every kind the registry publishes, on the
// api fixture.
var ogcKinds = []string{"facilities", "population", "admin-units-district", "coverage-kindergarten",
	"gaps-pharmacy", "gap-areas-pharmacy", "catchments-kindergarten"}

var (
	bigOnce     sync.Once
	bigAnalysis *coverage.Analysis
	bigErr      error
)

// bigServer serves the H3 res-10 disk of radius 8 around Tianfu Square
// (217 cells: more than the default page of 100) with a kindergarten and a
// pharmacy.
func bigServer(t testing.TB) http.Handler {
	t.Helper()
	bigOnce.Do(func() {
		centre := spatial.CellOf(orb.Point{104.0657, 30.6595}, 10)
		d := &coverage.Dataset{Name: "api-big-fixture", Resolution: 10, PopulationNote: "test fixture"}
		for i, c := range spatial.Disk(centre, 8) {
			d.Cells = append(d.Cells, coverage.PopulationCell{Cell: c, Population: float64(5 + i%40)})
		}
		cp := spatial.Center(centre)
		d.Facilities = []coverage.Facility{
			{ID: "K1", Type: "kindergarten", Name: "幼儿园一", Location: cp, Status: coverage.Existing, Capacity: 180},
			{ID: "P1", Type: "pharmacy", Name: "药店", Location: orb.Point{cp[0] + 0.006, cp[1] + 0.002}, Status: coverage.Existing},
		}
		bigAnalysis, bigErr = coverage.Analyze(coverage.DefaultCatalog(), d, coverage.Options{})
	})
	if bigErr != nil {
		t.Fatal(bigErr)
	}
	return New(discardLogger(), bigAnalysis).Handler()
}

// ogcPage is the part of an items response the checks read.
type ogcPage struct {
	Type           string `json:"type"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	TimeStamp      string `json:"timeStamp"`
	Links          []link `json:"links"`
	Features       []struct {
		ID       json.RawMessage `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func (p ogcPage) link(rel string) (link, bool) {
	for _, l := range p.Links {
		if l.Rel == rel {
			return l, true
		}
	}
	return link{}, false
}

func (p ogcPage) ids(t testing.TB) []int64 {
	t.Helper()
	var out []int64
	for _, f := range p.Features {
		id, err := strconv.ParseInt(string(f.ID), 10, 64)
		if err != nil {
			t.Fatalf("feature id %s is not a JSON integer", f.ID)
		}
		out = append(out, id)
	}
	return out
}

func getOK(t testing.TB, h http.Handler, u string) *httptest.ResponseRecorder {
	t.Helper()
	rec := get(t, h, http.MethodGet, u)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, rec.Code, rec.Body)
	}
	return rec
}

func items(t testing.TB, h http.Handler, u string) ogcPage {
	t.Helper()
	rec := getOK(t, h, u)
	if ct := rec.Header().Get("Content-Type"); ct != mediaGeoJSON {
		t.Errorf("%s: content type %q", u, ct)
	}
	var p ogcPage
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return p
}

func decodeJSON(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("not JSON: %v: %.300s", err, rec.Body)
	}
	return v
}

func TestOGCLandingAndConformance(t *testing.T) {
	h := newTestServer(t)
	var landing struct{ Links []link }
	json.Unmarshal(getOK(t, h, "/ogc").Body.Bytes(), &landing)
	want := map[string]string{ // rel → exact type, as QGIS 3.22 insists
		"self": mediaJSON, "service-desc": mediaOpenAPI, "data": mediaJSON, "conformance": mediaJSON,
		"service-doc": "text/html", relTiling: mediaJSON,
	}
	for rel, typ := range want {
		i := slices.IndexFunc(landing.Links, func(l link) bool { return l.Rel == rel })
		if i < 0 || landing.Links[i].Type != typ || !strings.HasPrefix(landing.Links[i].Href, "http://example.com/") {
			t.Errorf("landing page link %s: %+v, want type %s and an absolute href", rel, landing.Links, typ)
		}
	}
	for _, l := range landing.Links { // every link resolves
		u, _ := url.Parse(l.Href)
		if rec := get(t, h, http.MethodGet, u.RequestURI()); rec.Code != 200 {
			t.Errorf("landing link %s → %s: %d", l.Rel, l.Href, rec.Code)
		}
	}
	var conf struct{ ConformsTo []string }
	json.Unmarshal(getOK(t, h, "/ogc/conformance").Body.Bytes(), &conf)
	for _, c := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson", "ogcapi-features-1/1.0/conf/oas30",
		"ogcapi-features-2/1.0/conf/crs", "ogcapi-tiles-1/1.0/conf/core", "ogcapi-tiles-1/1.0/conf/mvt"} {
		if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/"+c) {
			t.Errorf("conformance lacks %s: %v", c, conf.ConformsTo)
		}
	}
	if ct := getOK(t, h, "/ogc/api").Header().Get("Content-Type"); ct != mediaOpenAPI {
		t.Errorf("/ogc/api content type %q", ct)
	}
	if ct := getOK(t, h, "/ogc/collections").Header().Get("Content-Type"); !strings.HasPrefix(ct, mediaJSON) {
		t.Errorf("/ogc/collections content type %q", ct)
	}
	// Each collection's metadata: typed items link, both describedby
	// spellings, Part 2 crs list with CRS84.
	col := decodeJSON(t, getOK(t, h, "/ogc/collections/gaps-pharmacy"))
	rels := map[string]string{}
	for _, l := range col["links"].([]any) {
		m := l.(map[string]any)
		rels[m["rel"].(string)] = fmt.Sprint(m["type"])
	}
	if rels["items"] != mediaGeoJSON || rels["describedby"] != mediaSchema || rels["describedBy"] != mediaSchema || rels["self"] != mediaJSON {
		t.Errorf("collection links %v", rels)
	}
	crsList := fmt.Sprint(col["crs"])
	if !strings.Contains(crsList, "http://www.opengis.net/def/crs/OGC/1.3/CRS84") || !strings.Contains(crsList, "EPSG/0/4544") {
		t.Errorf("collection crs %v", col["crs"])
	}
	for _, u := range []string{"/ogc/collections/nosuch", "/ogc/collections/nosuch/items", "/tiles/nosuch/14/0/0.pbf", "/tiles/nosuch.json"} {
		rec := get(t, h, http.MethodGet, u)
		var body errorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 404 || !strings.Contains(body.Error, `"nosuch" does not exist`) || strings.Count(body.Error, "not found") > 1 {
			t.Errorf("%s: %d %q", u, rec.Code, body.Error)
		}
	}
}

func TestOGCItemsLimitAndParams(t *testing.T) {
	h := bigServer(t)
	p := items(t, h, "/ogc/collections/population/items")
	if p.Type != "FeatureCollection" || p.NumberMatched != 217 || p.NumberReturned != itemsLimitDefault || len(p.Features) != itemsLimitDefault {
		t.Errorf("default page: matched %d, returned %d (%d features); want 217 and the default %d", p.NumberMatched, p.NumberReturned, len(p.Features), itemsLimitDefault)
	}
	if ts, err := time.Parse(time.RFC3339, p.TimeStamp); err != nil || time.Since(ts) > time.Hour {
		t.Errorf("timeStamp %q: %v", p.TimeStamp, err)
	}
	if next, ok := p.link("next"); !ok || next.Type != mediaGeoJSON || !strings.Contains(next.Href, "limit=100") || !strings.Contains(next.Href, "offset=100") {
		t.Errorf("next link of the default page: %+v", p.Links)
	}
	if _, ok := p.link("prev"); ok {
		t.Errorf("first page has a prev link: %+v", p.Links)
	}
	// limit above 10,000 is clamped, not refused: the prev link carries the
	// limit in force.
	p = items(t, h, "/ogc/collections/population/items?limit=999999&offset=1")
	prev, ok := p.link("prev")
	if p.NumberReturned != 216 || !ok || !strings.Contains(prev.Href, "limit=10000") || !strings.Contains(prev.Href, "offset=0") {
		t.Errorf("limit=999999: returned %d, prev %+v; want 216 and limit=10000", p.NumberReturned, prev)
	}
	if _, ok := p.link("next"); ok {
		t.Errorf("last page has a next link")
	}
	bad := []struct{ query, param string }{
		{"limit=0", "limit"},
		{"limit=-3", "limit"},
		{"limit=ten", "limit"},
		{"offset=-1", "offset"},
		{"nosuchparam=1", "nosuchparam"},
		{"bbox=1,2,3", "bbox"},
		{"bbox=1,2,3,x", "bbox"},
		{"bbox=104.2,30.6,104,30.7", "bbox"},
		{"crs=http://www.opengis.net/def/crs/EPSG/0/9999", "crs"},
		{"crs=EPSG:4479", "crs"},
		{"bbox=1,2,3,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/27700", "bbox-crs"},
		{"bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", "bbox-crs"},
		{"datetime=yesterday", "datetime"},
		{"datetime=2024-13-45T99:99:99Z", "datetime"},
		{"datetime=2024-02-30", "datetime"},
		{"datetime=2024-01-01T00:00:00Z%2F2024-01-01T25:00:00Z", "datetime"},
		{"limit=5&limit=6", "limit"},
		{"population=12&h3=x&colour=red", "colour"},
	}
	for _, b := range bad {
		u := "/ogc/collections/population/items?" + b.query
		rec := get(t, h, http.MethodGet, u)
		var body errorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body.Parameter != b.param {
			t.Errorf("%s: %d, parameter %q (%s); want 400 naming %q", u, rec.Code, body.Parameter, body.Error, b.param)
		}
	}
	// Property filters declared as queryables are accepted; booleans as
	// true/false or 1/0 (GDAL sends its Boolean fields as 1 and 0), numbers
	// by value.
	for q, want := range map[string]int{"type=kindergarten": 1, "in_force=1": 2, "in_force=true": 2, "in_force=TRUE": 2,
		"in_force=0": 0, "in_force=false": 0, "capacity=180": 1, "capacity=180.0": 1, "capacity=1.8e2": 1, "capacity=181": 0,
		"capacity=": 1, "type=pharmacy&in_force=1": 1} {
		if p := items(t, h, "/ogc/collections/facilities/items?"+q); p.NumberMatched != want {
			t.Errorf("%s matched %d, want %d", q, p.NumberMatched, want)
		}
	}
	for q, param := range map[string]string{"in_force=yes": "in_force", "capacity=many": "capacity", "population=NaN": "population"} {
		u := "/ogc/collections/facilities/items?" + q
		if strings.HasPrefix(q, "population") {
			u = "/ogc/collections/population/items?" + q
		}
		rec := get(t, h, http.MethodGet, u)
		var body errorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body.Parameter != param {
			t.Errorf("%s: %d %+v; want 400 naming %s", u, rec.Code, body, param)
		}
	}
	// QGIS 3.22 sends datetime sentinels instead of open ends; no
	// collection has a time dimension, so every form selects everything.
	for _, dt := range []string{"0000-01-01T00:00:00Z%2F9999-12-31T00:00:00Z", "2024-01-01T00:00:00Z%2F9999-12-31T00:00:00Z",
		"0000-01-01T00:00:00Z%2F2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z%2F..", "..%2F2024-01-01", "2024-05-01T08:00:00%2B08:00"} {
		if p := items(t, h, "/ogc/collections/population/items?limit=1&datetime="+dt); p.NumberMatched != 217 {
			t.Errorf("datetime=%s: matched %d", dt, p.NumberMatched)
		}
	}
}

// TestOGCPaging follows next links through every page and gets exactly
// numberMatched distinct ids, the same as one big page.
func TestOGCPaging(t *testing.T) {
	h := bigServer(t)
	for _, c := range []struct{ start, all string }{
		{"/ogc/collections/population/items?limit=7", "/ogc/collections/population/items?limit=10000"},
		{"/ogc/collections/gaps-pharmacy/items?limit=30", "/ogc/collections/gaps-pharmacy/items?limit=10000"},
		{"/ogc/collections/coverage-kindergarten/items?limit=50&bbox=104.05,30.65,104.08,30.67", "/ogc/collections/coverage-kindergarten/items?limit=10000&bbox=104.05,30.65,104.08,30.67"},
	} {
		start := c.start
		all := items(t, h, c.all)
		seen := map[int64]bool{}
		u, pages, matched := start, 0, -1
		for u != "" {
			p := items(t, h, u)
			pages++
			if matched >= 0 && p.NumberMatched != matched {
				t.Fatalf("%s: numberMatched changed from %d to %d while paging", u, matched, p.NumberMatched)
			}
			matched = p.NumberMatched
			if p.NumberReturned != len(p.Features) {
				t.Errorf("%s: numberReturned %d, %d features", u, p.NumberReturned, len(p.Features))
			}
			if _, ok := p.link("prev"); ok != (pages > 1) {
				t.Errorf("%s (page %d): prev link present %v", u, pages, ok)
			}
			for _, id := range p.ids(t) {
				if seen[id] {
					t.Errorf("%s: id %d seen on an earlier page", u, id)
				}
				seen[id] = true
			}
			u = ""
			if next, ok := p.link("next"); ok {
				nu, err := url.Parse(next.Href)
				if err != nil || next.Type != mediaGeoJSON {
					t.Fatalf("next link %+v: %v", next, err)
				}
				u = nu.RequestURI()
			}
			if pages > 1000 {
				t.Fatal("next links do not end")
			}
		}
		if len(seen) != matched || matched != all.NumberMatched || matched == 0 || pages < 2 {
			t.Errorf("%s: %d distinct ids over %d pages, numberMatched %d (one page: %d)", start, len(seen), pages, matched, all.NumberMatched)
		}
		for _, id := range all.ids(t) {
			if !seen[id] {
				t.Errorf("%s: id %d is in the single page but on no page", start, id)
			}
		}
	}
}

// TestOGCHead: every GET resource answers HEAD with the GET status and
// headers.
func TestOGCHead(t *testing.T) {
	h := newTestServer(t)
	for _, u := range []string{"/ogc", "/ogc/", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/facilities",
		"/ogc/collections/facilities/items", "/ogc/collections/facilities/items/1", "/ogc/collections/population/queryables",
		"/ogc/collections/population/schema", "/ogc/tileMatrixSets", "/ogc/tileMatrixSets/WebMercatorQuad",
		"/ogc/collections/population/tiles", "/ogc/collections/population/tiles/WebMercatorQuad",
		"/ogc/collections/population/tiles/WebMercatorQuad/14/6724/12928", "/tiles/population/14/12928/6724.pbf", "/tiles/population.json"} {
		g, hd := get(t, h, http.MethodGet, u), get(t, h, http.MethodHead, u)
		if g.Code != 200 || hd.Code != 200 || hd.Header().Get("Content-Type") != g.Header().Get("Content-Type") {
			t.Errorf("%s: GET %d %q, HEAD %d %q", u, g.Code, g.Header().Get("Content-Type"), hd.Code, hd.Header().Get("Content-Type"))
		}
		// GDAL's /vsicurl/ learns a tile's size from HEAD, then reads ranges.
		if g.Header().Get("Content-Type") == mediaMVT && (hd.Header().Get("Content-Length") != strconv.Itoa(g.Body.Len()) ||
			hd.Header().Get("Accept-Ranges") != "bytes" || hd.Header().Get("ETag") != g.Header().Get("ETag")) {
			t.Errorf("%s: HEAD Content-Length %q, Accept-Ranges %q, ETag %q; GET %d bytes, ETag %q", u, hd.Header().Get("Content-Length"),
				hd.Header().Get("Accept-Ranges"), hd.Header().Get("ETag"), g.Body.Len(), g.Header().Get("ETag"))
		}
	}
}

func TestOGCItemByID(t *testing.T) {
	h := newTestServer(t)
	for _, kind := range ogcKinds {
		p := items(t, h, "/ogc/collections/"+kind+"/items")
		for i, id := range p.ids(t) {
			rec := getOK(t, h, fmt.Sprintf("/ogc/collections/%s/items/%d", kind, id))
			var f struct {
				ID         json.RawMessage `json:"id"`
				Properties map[string]any  `json:"properties"`
				Links      []link          `json:"links"`
			}
			json.Unmarshal(rec.Body.Bytes(), &f)
			if string(f.ID) != strconv.FormatInt(id, 10) || !slices.ContainsFunc(f.Links, func(l link) bool { return l.Rel == "collection" && l.Type == mediaJSON }) {
				t.Errorf("%s/items/%d: id %s, links %+v", kind, id, f.ID, f.Links)
			}
			if fmt.Sprint(f.Properties) != fmt.Sprint(p.Features[i].Properties) {
				t.Errorf("%s/items/%d: properties differ from the items page", kind, id)
			}
			if ct, crs := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Crs"); ct != mediaGeoJSON || crs != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
				t.Errorf("%s/items/%d: content type %q, Content-Crs %q", kind, id, ct, crs)
			}
		}
	}
	for _, fid := range []string{"abc", "1.5", "8a40e3ce8407fff", "999999", "-1"} {
		if rec := get(t, h, http.MethodGet, "/ogc/collections/population/items/"+fid); rec.Code != 404 {
			t.Errorf("items/%s: %d, want 404", fid, rec.Code)
		}
	}
}

func coords(t testing.TB, raw json.RawMessage) []float64 {
	t.Helper()
	var c []float64
	if err := json.Unmarshal(raw, &c); err != nil || len(c) != 2 {
		t.Fatalf("point coordinates %s: %v", raw, err)
	}
	return c
}

// TestOGCCRS: Part 2 output in EPSG axis order and bbox-crs input.
func TestOGCCRS(t *testing.T) {
	h := newTestServer(t)
	const epsg = "http://www.opengis.net/def/crs/EPSG/0/"
	crs84 := items(t, h, "/ogc/collections/facilities/items")
	lonlat := coords(t, crs84.Features[0].Geometry.Coordinates)
	for _, q := range []string{"crs=" + epsg + "4326", "crs=EPSG:4326", "crs=" + url.QueryEscape("urn:ogc:def:crs:EPSG::4326")} {
		rec := getOK(t, h, "/ogc/collections/facilities/items?"+q)
		if got := rec.Header().Get("Content-Crs"); got != "<"+epsg+"4326>" {
			t.Errorf("%s: Content-Crs %q", q, got)
		}
		var p ogcPage
		json.Unmarshal(rec.Body.Bytes(), &p)
		latlon := coords(t, p.Features[0].Geometry.Coordinates)
		if latlon[0] != lonlat[1] || latlon[1] != lonlat[0] {
			t.Errorf("%s: %v, want the CRS84 %v swapped (lat,lon)", q, latlon, lonlat)
		}
	}
	rec := getOK(t, h, "/ogc/collections/facilities/items/1?crs="+epsg+"4544")
	if got := rec.Header().Get("Content-Crs"); got != "<"+epsg+"4544>" {
		t.Errorf("item in 4544: Content-Crs %q", got)
	}
	var f struct {
		Geometry struct{ Coordinates json.RawMessage }
	}
	json.Unmarshal(rec.Body.Bytes(), &f)
	ne := coords(t, f.Geometry.Coordinates)
	// CGCS2000 / 3-degree GK CM 105E (false easting 500 km): Tianfu Square
	// is about 3,393 km north and 90 km west of the central meridian.
	if math.Abs(ne[0]-3.393e6) > 5e3 || math.Abs(ne[1]-4.10e5) > 5e3 {
		t.Errorf("EPSG:4544 coordinates %v, want northing ≈ 3.393e6, easting ≈ 4.10e5", ne)
	}
	for _, u := range []string{"/ogc/collections/facilities/items", "/ogc/collections/population/items?crs=" + epsg + "3857&limit=2",
		"/ogc/collections/gap-areas-pharmacy/items?crs=" + epsg + "32648", "/ogc/collections/facilities/items/2"} {
		if crs := getOK(t, h, u).Header().Get("Content-Crs"); !strings.HasPrefix(crs, "<http://www.opengis.net/def/crs/") || !strings.HasSuffix(crs, ">") {
			t.Errorf("%s: Content-Crs %q", u, crs)
		}
	}
	// A bbox in Web Mercator selects the same features as the same box in
	// CRS84.
	bh := bigServer(t)
	box := orb.Bound{Min: orb.Point{104.0601, 30.6553}, Max: orb.Point{104.0712, 30.6648}}
	x0, y0 := webMercator(box.Min)
	x1, y1 := webMercator(box.Max)
	for _, c := range []string{"population", "gaps-pharmacy", "gap-areas-pharmacy", "facilities"} {
		plain := items(t, bh, fmt.Sprintf("/ogc/collections/%s/items?limit=10000&bbox=%v,%v,%v,%v", c, box.Min[0], box.Min[1], box.Max[0], box.Max[1]))
		merc := items(t, bh, fmt.Sprintf("/ogc/collections/%s/items?limit=10000&bbox=%f,%f,%f,%f&bbox-crs=%s3857", c, x0, y0, x1, y1, epsg))
		if !slices.Equal(plain.ids(t), merc.ids(t)) || (c == "population" && (plain.NumberMatched == 0 || plain.NumberMatched == 217)) {
			t.Errorf("%s: CRS84 bbox selects %v, the same bbox in EPSG:3857 %v", c, plain.ids(t), merc.ids(t))
		}
		// and in EPSG:4326 (lat,lon order)
		ll := items(t, bh, fmt.Sprintf("/ogc/collections/%s/items?limit=10000&bbox=%v,%v,%v,%v&bbox-crs=%s4326", c, box.Min[1], box.Min[0], box.Max[1], box.Max[0], epsg))
		if !slices.Equal(plain.ids(t), ll.ids(t)) {
			t.Errorf("%s: CRS84 bbox selects %v, the same bbox in EPSG:4326 %v", c, plain.ids(t), ll.ids(t))
		}
	}
}

// webMercator is EPSG:3857 on the sphere of radius 6378137 m.
func webMercator(p orb.Point) (x, y float64) {
	const r = 6378137.0
	return r * p[0] * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360))
}

func tileAt(p orb.Point, z maptile.Zoom) maptile.Tile { return maptile.At(p, z) }

// decodeTile fetches a tile and decodes it with orb's MVT decoder.
func decodeTile(t testing.TB, h http.Handler, u string) mvt.Layers {
	t.Helper()
	rec := getOK(t, h, u)
	if ct := rec.Header().Get("Content-Type"); ct != mediaMVT {
		t.Errorf("%s: content type %q", u, ct)
	}
	layers, err := mvt.Unmarshal(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return layers
}

// TestTilesMatchItems: a gap cell's tile holds that cell, with the items'
// properties, in the XYZ and the OGC addressing alike.
func TestTilesMatchItems(t *testing.T) {
	h := newTestServer(t)
	p := items(t, h, "/ogc/collections/gaps-pharmacy/items")
	if len(p.Features) == 0 {
		t.Fatal("no pharmacy gaps in the fixture")
	}
	gaps := map[string]bool{}
	for _, f := range p.Features {
		gaps[f.Properties["h3"].(string)] = true
	}
	h3 := p.Features[0].Properties["h3"].(string)
	cell, err := spatial.ParseCell(h3)
	if err != nil {
		t.Fatal(err)
	}
	tile := tileAt(spatial.Center(cell), 14)
	for _, u := range []string{fmt.Sprintf("/tiles/gaps-pharmacy/%d/%d/%d.pbf", tile.Z, tile.X, tile.Y),
		fmt.Sprintf("/ogc/collections/gaps-pharmacy/tiles/WebMercatorQuad/%d/%d/%d", tile.Z, tile.Y, tile.X)} {
		layers := decodeTile(t, h, u)
		if len(layers) != 1 || layers[0].Name != "gaps-pharmacy" || layers[0].Version != 2 {
			t.Fatalf("%s: layers %v", u, layers)
		}
		found := false
		for _, f := range layers[0].Features {
			c := fmt.Sprint(f.Properties["h3"])
			if !gaps[c] {
				t.Errorf("%s: cell %s is in the tile but not a gap in the items", u, c)
			}
			found = found || c == h3
			if f.Properties["covered"] != false || f.Properties["type"] != "pharmacy" {
				t.Errorf("%s: feature properties %v", u, f.Properties)
			}
		}
		if !found {
			t.Errorf("%s: gap cell %s is not in its tile", u, h3)
		}
	}
	// Facilities: the tile holding a facility carries it (points from zoom 0).
	fac := items(t, h, "/ogc/collections/facilities/items?type=pharmacy")
	ll := coords(t, fac.Features[0].Geometry.Coordinates)
	ft := tileAt(orb.Point{ll[0], ll[1]}, 9)
	layers := decodeTile(t, h, fmt.Sprintf("/tiles/facilities/%d/%d/%d.pbf", ft.Z, ft.X, ft.Y))
	if len(layers) != 1 || len(layers[0].Features) != 3 {
		t.Errorf("facilities tile %v: %v", ft, layers)
	}
}

func TestTileProtocol(t *testing.T) {
	h := newTestServer(t)
	full := "/tiles/population/14/12928/6724.pbf"
	rec := getOK(t, h, full)
	etag, body := rec.Header().Get("ETag"), rec.Body.Bytes()
	if etag == "" || len(body) < 200 {
		t.Fatalf("tile: ETag %q, %d bytes", etag, len(body))
	}
	req := httptest.NewRequest(http.MethodGet, full, nil)
	req.Header.Set("Range", "bytes=0-99")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusPartialContent || !bytes.Equal(rr.Body.Bytes(), body[:100]) ||
		rr.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-99/%d", len(body)) {
		t.Errorf("Range 0-99: %d, %d bytes, Content-Range %q", rr.Code, rr.Body.Len(), rr.Header().Get("Content-Range"))
	}
	req = httptest.NewRequest(http.MethodGet, full, nil)
	req.Header.Set("If-None-Match", etag)
	rr = httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusNotModified || rr.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", rr.Code, rr.Body.Len())
	}
	for u, want := range map[string]int{
		"/tiles/population/14/0/0.pbf":                                      204, // in range, empty
		"/ogc/collections/population/tiles/WebMercatorQuad/14/0/0":          204,
		"/tiles/facilities/3/0/0.pbf":                                       204,
		"/tiles/population/14/16384/0.pbf":                                  404, // x ≥ 2^14
		"/tiles/population/23/0/0.pbf":                                      404,
		"/tiles/population/14/-1/0.pbf":                                     404,
		"/ogc/collections/population/tiles/WebMercatorQuad/14/12928/99999":  404,
		"/ogc/collections/population/tiles/WorldCRS84Quad/14/6724/12928":    404,
		"/tiles/population/9/403/210.pbf":                                   404, // cells are tiled from zoom 10
		"/tiles/nosuch/14/12928/6724.pbf":                                   404,
		"/tiles/population/14/12928/6724.pbf?colour=red":                    400,
		"/ogc/collections/population/tiles/WebMercatorQuad/14/6724/12928":   200,
		"/ogc/collections/facilities/tiles/WebMercatorQuad/0/0/0":           200,
		"/ogc/collections/admin-units-district/tiles/WebMercatorQuad/5/0/0": 204,
	} {
		if rec := get(t, h, http.MethodGet, u); rec.Code != want {
			t.Errorf("%s: %d, want %d", u, rec.Code, want)
		}
	}
	// TileJSON 3.0.0
	tj := decodeJSON(t, getOK(t, h, "/tiles/gaps-pharmacy.json"))
	tiles, _ := tj["tiles"].([]any)
	vl, _ := tj["vector_layers"].([]any)
	if tj["tilejson"] != "3.0.0" || len(tiles) != 1 || tiles[0] != "http://example.com/tiles/gaps-pharmacy/{z}/{x}/{y}.pbf" ||
		len(vl) != 1 || vl[0].(map[string]any)["id"] != "gaps-pharmacy" || tj["minzoom"] != float64(cellMinZoom) || tj["scheme"] != "xyz" {
		t.Errorf("TileJSON %v", tj)
	}
	if fields := vl[0].(map[string]any)["fields"].(map[string]any); fields["h3"] != "String" || fields["population"] != "Number" {
		t.Errorf("TileJSON fields %v", fields)
	}
	if b, _ := tj["bounds"].([]any); len(b) != 4 || b[0].(float64) < 104 || b[3].(float64) > 30.7 {
		t.Errorf("TileJSON bounds %v", tj["bounds"])
	}
	// Tileset metadata: the templated item link.
	var ts struct {
		DataType string `json:"dataType"`
		Links    []link `json:"links"`
	}
	json.Unmarshal(getOK(t, h, "/ogc/collections/gaps-pharmacy/tiles/WebMercatorQuad").Body.Bytes(), &ts)
	i := slices.IndexFunc(ts.Links, func(l link) bool { return l.Rel == "item" })
	if ts.DataType != "vector" || i < 0 || !ts.Links[i].Templated || ts.Links[i].Type != mediaMVT ||
		ts.Links[i].Href != "http://example.com/ogc/collections/gaps-pharmacy/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}" {
		t.Errorf("tileset %+v", ts)
	}
	var list struct {
		Tilesets []struct {
			Links []link `json:"links"`
		} `json:"tilesets"`
	}
	json.Unmarshal(getOK(t, h, "/ogc/collections/gaps-pharmacy/tiles").Body.Bytes(), &list)
	if len(list.Tilesets) != 1 || !slices.ContainsFunc(list.Tilesets[0].Links, func(l link) bool { return l.Rel == relTilingOne }) {
		t.Errorf("tilesets %+v", list)
	}
}

var timeStampRE = regexp.MustCompile(`"timeStamp":"[^"]*"`)

func stripTimeStamp(b []byte) []byte { return timeStampRE.ReplaceAll(b, []byte(`"timeStamp":"…"`)) }

// TestTilesLeaveItemsAlone: encoding tiles projects and clips geometries;
// the features the items API answers with must not change.
func TestTilesLeaveItemsAlone(t *testing.T) {
	h := newTestServer(t)
	urls := []string{"/ogc/collections/population/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857",
		"/ogc/collections/facilities/items/1", "/v1/layers/gaps?type=pharmacy", "/v1/layers/gap-areas?type=pharmacy"}
	for _, kind := range ogcKinds {
		urls = append(urls, "/ogc/collections/"+kind+"/items")
	}
	before := map[string][]byte{}
	for _, u := range urls {
		before[u] = stripTimeStamp(getOK(t, h, u).Body.Bytes())
	}
	// Every tile from zoom 10 to 16 over the fixture, for every kind.
	centre := orb.Point{104.0657, 30.6595}
	n := 0
	for _, kind := range ogcKinds {
		for z := maptile.Zoom(10); z <= 16; z++ {
			c := tileAt(centre, z)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					u := fmt.Sprintf("/tiles/%s/%d/%d/%d.pbf", kind, z, int(c.X)+dx, int(c.Y)+dy)
					if rec := get(t, h, http.MethodGet, u); rec.Code != 200 && rec.Code != 204 {
						t.Fatalf("%s: %d", u, rec.Code)
					} else if rec.Code == 200 {
						n++
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d non-empty tiles", n)
	}
	for _, u := range urls {
		if after := stripTimeStamp(getOK(t, h, u).Body.Bytes()); !bytes.Equal(before[u], after) {
			t.Errorf("%s changed after %d tiles were served:\nbefore %.300s\nafter  %.300s", u, n, before[u], after)
		}
	}
}

// TestOGCGolden pins /ogc/collections/{id}/items of one collection of each
// kind (timeStamp left out); make golden rewrites them.
func TestOGCGolden(t *testing.T) {
	h := newTestServer(t)
	for _, kind := range ogcKinds {
		t.Run(kind, func(t *testing.T) {
			u := "/ogc/collections/" + kind + "/items"
			rec := getOK(t, h, u)
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, stripTimeStamp(rec.Body.Bytes()), "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", "ogc_items_"+kind+".golden.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run make golden to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from %s; run make golden after an intended change\n got: %.600s", u, path, pretty.String())
			}
		})
	}
}

// TestOGCSchemaCoversItems: every property an item carries is declared in
// the collection's schema (GDAL 3.6 types fields from it, and the OpenAPI
// item schemas come from the same registry) with a type its values fit.
func TestOGCSchemaCoversItems(t *testing.T) {
	h := newTestServer(t)
	var cols struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	json.Unmarshal(getOK(t, h, "/ogc/collections").Body.Bytes(), &cols)
	if len(cols.Collections) < len(ogcKinds) {
		t.Fatalf("%d collections", len(cols.Collections))
	}
	fits := func(typ string, v any) bool {
		switch x := v.(type) {
		case nil:
			return true
		case string:
			return typ == "string"
		case bool:
			return typ == "boolean"
		case float64:
			return typ == "number" || (typ == "integer" && x == math.Trunc(x))
		case []any:
			return typ == "array"
		}
		return false
	}
	for _, c := range cols.Collections {
		var schema struct {
			Properties struct {
				Properties struct {
					Properties map[string]struct {
						Type string `json:"type"`
					} `json:"properties"`
				} `json:"properties"`
			} `json:"properties"`
		}
		json.Unmarshal(getOK(t, h, "/ogc/collections/"+c.ID+"/schema").Body.Bytes(), &schema)
		declared := schema.Properties.Properties.Properties
		if len(declared) == 0 {
			t.Errorf("%s: the schema declares no properties", c.ID)
		}
		p := items(t, h, "/ogc/collections/"+c.ID+"/items?limit=10000")
		for _, f := range p.Features {
			for k, v := range f.Properties {
				d, ok := declared[k]
				if !ok {
					t.Errorf("%s: property %s is not in the schema", c.ID, k)
				} else if !fits(d.Type, v) {
					t.Errorf("%s: property %s = %v does not fit its schema type %s", c.ID, k, v, d.Type)
				}
			}
		}
	}
}

// TestTilesFollowProfile: ?profile= gives the walking minutes of that
// profile in the cell tiles (the items' figures), cached apart from the
// default's; a profile that does not exist is a 400 naming the parameter.
func TestTilesFollowProfile(t *testing.T) {
	h := newTestServer(t)
	p := items(t, h, "/ogc/collections/coverage-pharmacy/items?profile=elderly")
	var h3 string
	want := map[string]map[string]any{}
	for _, f := range p.Features {
		if f.Properties["minutes"] != nil && h3 == "" {
			h3 = f.Properties["h3"].(string)
		}
		want[f.Properties["h3"].(string)] = f.Properties
	}
	if h3 == "" {
		t.Fatal("no pharmacy cell with a distance in the fixture")
	}
	cell, err := spatial.ParseCell(h3)
	if err != nil {
		t.Fatal(err)
	}
	tile := tileAt(spatial.Center(cell), 14)
	base := fmt.Sprintf("/tiles/coverage-pharmacy/%d/%d/%d.pbf", tile.Z, tile.X, tile.Y)
	minutes := func(u string) map[string]float64 {
		out := map[string]float64{}
		for _, f := range decodeTile(t, h, u)[0].Features {
			if m, ok := f.Properties["minutes"].(float64); ok {
				out[fmt.Sprint(f.Properties["h3"])] = m
			}
		}
		return out
	}
	def, eld := minutes(base), minutes(base+"?profile=elderly")
	if eld[h3] == 0 || def[h3] == 0 {
		t.Fatalf("cell %s: default %v, elderly %v minutes", h3, def[h3], eld[h3])
	}
	for c, m := range eld {
		if w, _ := want[c]["minutes"].(float64); w != m {
			t.Errorf("cell %s: elderly tile says %v minutes, items %v", c, m, w)
		}
		// 60 m/min against 50 m/min: the elderly take 6/5 as long (to rounding)
		if d := m - def[c]*6/5; d > 0.15 || d < -0.15 {
			t.Errorf("cell %s: elderly %v minutes, default %v", c, m, def[c])
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, base+"?profile=slow", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"parameter":"profile"`) {
		t.Errorf("?profile=slow: %d %s", rec.Code, rec.Body.String())
	}
	tj := getOK(t, h, "/tiles/coverage-pharmacy.json?profile=elderly").Body.String()
	if !strings.Contains(tj, `.pbf?profile=elderly"`) {
		t.Errorf("TileJSON does not keep the profile in its tile URL: %s", tj)
	}
}
