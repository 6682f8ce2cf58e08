package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture: the H3 res-10 disk of radius 2 around Tianfu Square (19 cells),
// a kindergarten at the centre, a pharmacy 350 m east, two districts.
func fixture(t testing.TB) *coverage.Analysis {
	t.Helper()
	centre := spatial.CellOf(orb.Point{104.0657, 30.6595}, 10)
	d := &coverage.Dataset{Name: "api-fixture", Resolution: 10, PopulationNote: "test fixture"}
	for i, c := range spatial.Disk(centre, 2) {
		d.Cells = append(d.Cells, coverage.PopulationCell{Cell: c, Population: float64(10 + i)})
	}
	cp := spatial.Center(centre)
	d.Facilities = []coverage.Facility{
		{ID: "K1", Type: "kindergarten", Name: "幼儿园一", Location: cp, Status: coverage.Existing, Capacity: 180},
		{ID: "P1", Type: "pharmacy", Name: "药店", Location: orb.Point{cp[0] + 0.0036, cp[1]}, Status: coverage.Existing},
		{ID: "K2", Type: "kindergarten", Location: orb.Point{cp[0] - 0.003, cp[1]}, Status: coverage.Planned, PlanYear: 2027},
	}
	d.Units = []coverage.AdminUnit{
		{Level: coverage.District, Code: "W", Name: "西区", Geometry: orb.MultiPolygon{{orb.Bound{Min: orb.Point{104.0, 30.6}, Max: orb.Point{cp[0], 30.7}}.ToRing()}}},
		{Level: coverage.District, Code: "E", Name: "东区", Geometry: orb.MultiPolygon{{orb.Bound{Min: orb.Point{cp[0] + 1e-9, 30.6}, Max: orb.Point{104.2, 30.7}}.ToRing()}}},
	}
	a, err := coverage.Analyze(coverage.DefaultCatalog(), d, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestServer(t testing.TB) http.Handler {
	return New(slog.New(slog.NewTextHandler(io.Discard, nil)), fixture(t)).Handler()
}

func get(t testing.TB, h http.Handler, method, url string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, nil))
	return rec
}

func TestGolden(t *testing.T) {
	h := newTestServer(t)
	cases := map[string]string{
		"layer_facilities":         "/v1/layers/facilities",
		"layer_population":         "/v1/layers/population",
		"layer_coverage_kg":        "/v1/layers/coverage?type=kindergarten",
		"layer_gaps_pharmacy":      "/v1/layers/gaps?type=pharmacy",
		"layer_gap_areas_pharmacy": "/v1/layers/gap-areas?type=pharmacy",
		"summary_district":         "/v1/summary?by=district",
	}
	for name, url := range cases {
		t.Run(name, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, url)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", url, rec.Code, rec.Body)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./api -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from %s; run go test ./api -update after an intended change\n got: %.600s", url, path, pretty.String())
			}
		})
	}
}

func TestLayersAreGeoJSON(t *testing.T) {
	h := newTestServer(t)
	for _, url := range []string{"/v1/layers/facilities", "/v1/layers/population", "/v1/layers/coverage?type=kindergarten",
		"/v1/layers/gaps?type=pharmacy", "/v1/layers/gap-areas?type=pharmacy"} {
		rec := get(t, h, http.MethodGet, url)
		if ct := rec.Header().Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("%s: content type %q", url, ct)
		}
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil || len(fc.Features) == 0 {
			t.Errorf("%s: %v, %d features", url, err, len(fc.Features))
		}
		if head := get(t, h, http.MethodHead, url); head.Code != http.StatusOK {
			t.Errorf("HEAD %s: %d", url, head.Code)
		}
	}
}

func TestFilters(t *testing.T) {
	h := newTestServer(t)
	count := func(url string) int {
		rec := get(t, h, http.MethodGet, url)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", url, rec.Code, rec.Body)
		}
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return len(fc.Features)
	}
	all := count("/v1/layers/coverage?type=kindergarten")
	w, e := count("/v1/layers/coverage?type=kindergarten&unit=W"), count("/v1/layers/coverage?type=kindergarten&unit=E")
	if all != 19 || w+e != all || w == 0 || e == 0 {
		t.Errorf("all %d, west %d, east %d: want 19 split between the two", all, w, e)
	}
	if n := count("/v1/layers/coverage?type=kindergarten&bbox=0,0,1,1"); n != 0 {
		t.Errorf("bbox far away matched %d", n)
	}
	if n := count("/v1/layers/coverage?type=kindergarten&bbox=104,30.6,104.2,30.7"); n != 19 {
		t.Errorf("bbox around everything matched %d", n)
	}
	if n := count("/v1/layers/facilities?type=kindergarten"); n != 2 {
		t.Errorf("kindergartens: %d, want 2 (one planned)", n)
	}
	if n := count("/v1/layers/population?limit=5&offset=17"); n != 2 {
		t.Errorf("limit 5 offset 17 of 19: %d, want 2", n)
	}
	gaps := count("/v1/layers/gaps?type=pharmacy")
	rec := get(t, h, http.MethodGet, "/v1/summary")
	var s coverage.Summary
	json.Unmarshal(rec.Body.Bytes(), &s)
	for _, ts := range s.Types {
		if ts.ID == "pharmacy" && (ts.Covered == 0 || ts.Uncovered == 0 || gaps == 0 || gaps == 19) {
			t.Errorf("pharmacy should cover part of the fixture: %+v, %d gap cells", ts, gaps)
		}
	}
}

// TestGapAreasInView: the map's side list asks for the gap areas of its
// view (bbox=, limit=): exactly those whose extent meets the box, in rank
// order (residents unserved, most first), the count of all of them in
// numberMatched.
func TestGapAreasInView(t *testing.T) {
	h := newTestServer(t)
	page := func(url string) ([]*geojson.Feature, int) {
		t.Helper()
		rec := get(t, h, http.MethodGet, url)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", url, rec.Code, rec.Body)
		}
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var n struct {
			Matched int `json:"numberMatched"`
		}
		json.Unmarshal(rec.Body.Bytes(), &n)
		return fc.Features, n.Matched
	}
	all, _ := page("/v1/layers/gap-areas?type=pharmacy")
	if len(all) < 2 {
		t.Fatalf("the fixture has %d pharmacy gap areas, want several", len(all))
	}
	// a box around the first area's extent only
	b := all[0].Geometry.Bound()
	box := fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	var want []any
	for _, f := range all {
		if f.Geometry.Bound().Intersects(b) {
			want = append(want, f.Properties["id"])
		}
	}
	got, matched := page("/v1/layers/gap-areas?type=pharmacy&limit=20&bbox=" + box)
	var ids []any
	for i, f := range got {
		ids = append(ids, f.Properties["id"])
		if i > 0 && f.Properties.MustFloat64("residents") > got[i-1].Properties.MustFloat64("residents") {
			t.Errorf("bbox=%s: not ranked by residents unserved: %v after %v", box, f.Properties["residents"], got[i-1].Properties["residents"])
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) || matched != len(want) {
		t.Errorf("bbox=%s: %v (matched %d), want the areas meeting the box %v", box, ids, matched, want)
	}
	if got, matched := page("/v1/layers/gap-areas?type=pharmacy&limit=1&bbox=103,29,105,32"); len(got) != 1 || matched != len(all) || got[0].Properties["id"] != all[0].Properties["id"] {
		t.Errorf("limit=1 over the whole city: %d areas, matched %d; want the first of %d", len(got), matched, len(all))
	}
	if got, _ := page("/v1/layers/gap-areas?type=pharmacy&bbox=0,0,1,1"); len(got) != 0 {
		t.Errorf("a box far away holds %d gap areas", len(got))
	}
}

func TestBadRequests(t *testing.T) {
	h := newTestServer(t)
	cases := []struct {
		url    string
		status int
		param  string
		says   string
	}{
		{"/v1/layers/gaps", 400, "type", "needs a facility type"},
		{"/v1/layers/gaps?type=hospital", 404, "type", "valid types:"},
		{"/v1/layers/rivers", 404, "", "layers: facilities, population"},
		{"/v1/layers/gaps?type=kindergarten&bbox=1,2,3", 400, "bbox", "four numbers"},
		{"/v1/layers/gaps?type=kindergarten&bbox=a,2,3,4", 400, "bbox", "not a number"},
		{"/v1/layers/gaps?type=kindergarten&bbox=30.6,104,30.7,104.2", 400, "bbox", "outside WGS84"},
		{"/v1/layers/gaps?type=kindergarten&bbox=104.2,30.6,104,30.7", 400, "bbox", "min greater than max"},
		{"/v1/layers/gap-areas?type=kindergarten&bbox=104.2,30.6,104,30.7", 400, "bbox", "min greater than max"},
		{"/v1/layers/gap-areas?type=kindergarten&bbox=104,30.6,104.2", 400, "bbox", "four numbers"},
		{"/v1/layers/gaps?type=kindergarten&unit=XX", 400, "unit", "does not exist"},
		{"/v1/layers/gaps?type=kindergarten&limit=-1", 400, "limit", "whole number"},
		{"/v1/layers/gaps?type=kindergarten&bbbox=1", 400, "bbbox", "unknown query parameter"},
		{"/v1/summary?by=province", 400, "by", "not one of district, street"},
		{"/v1/summary?by=district&by=street", 400, "by", "given 2 times"},
		{"/v1/catalog?f=xml", 400, "f", "not supported"},
		{"/v2/anything", 404, "", "no such endpoint"},
		{"/v1/layers/catchment", 400, "facility", "needs a facility id"},
		{"/v1/layers/catchment?facility=NOPE", 404, "facility", "does not exist"},
		{"/v1/layers/coverage?type=kindergarten&profile=runner", 400, "profile", "not one of default, elderly, adult"},
		{"/v1/summary?profile=fast", 400, "profile", "not one of"},
	}
	for _, c := range cases {
		rec := get(t, h, http.MethodGet, c.url)
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s: body is not JSON: %s", c.url, rec.Body)
			continue
		}
		if rec.Code != c.status || body.Parameter != c.param || !strings.Contains(body.Error, c.says) {
			t.Errorf("%s: %d %+v; want %d, parameter %q, message containing %q", c.url, rec.Code, body, c.status, c.param, c.says)
		}
	}
}

func TestCatalogAndHealth(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/v1/catalog")
	var cat struct {
		Types []coverage.FacilityType `json:"types"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &cat); err != nil || len(cat.Types) != 35 {
		t.Fatalf("catalog: %v, %d types", err, len(cat.Types))
	}
	rec = get(t, h, http.MethodGet, "/healthz")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz: %d %s", rec.Code, rec.Body)
	}
	rec = get(t, h, http.MethodOptions, "/v1/catalog")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", rec.Code, rec.Header())
	}
}

func TestCatchmentAndProfile(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/v1/layers/catchment?facility=K1")
	fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
	if rec.Code != 200 || err != nil || len(fc.Features) != 1 {
		t.Fatalf("catchment: %d %v %s", rec.Code, err, rec.Body)
	}
	p := fc.Features[0].Properties
	if p["facility_id"] != "K1" || p["type"] != "kindergarten" || p.MustFloat64("residents") <= 0 || p.MustFloat64("farthest_m") > 300 {
		t.Errorf("catchment properties %v", p)
	}
	minutes := func(profile string) float64 {
		rec := get(t, h, http.MethodGet, "/v1/layers/coverage?type=kindergarten&limit=1&offset=3&profile="+profile)
		fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
		if err != nil || len(fc.Features) != 1 {
			t.Fatalf("%s: %v %s", profile, err, rec.Body)
		}
		return fc.Features[0].Properties.MustFloat64("minutes")
	}
	if d, e := minutes("default"), minutes("elderly"); !(e > d) || math.Abs(e/d-1.2) > 0.02 {
		t.Errorf("minutes default %v, elderly %v: elderly (50 m/min) should take 1.2 × as long as default (60)", d, e)
	}
	rec = get(t, h, http.MethodGet, "/v1/layers/gaps?type=pharmacy&limit=1")
	fc, _ = geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
	if r := fc.Features[0].Properties["reason"]; r != coverage.ReasonNoFacility {
		t.Errorf("gap reason %v", r)
	}
}
