package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"lifecircle/coverage"
	"lifecircle/data/gpkgstore"
)

// TestBadRequestsSpeakChinese walks one bad request (or missing thing) per
// checked parameter and wants each answer to carry its own Chinese text
// (not the generic "see the English" one) naming what the English names.
func TestBadRequestsSpeakChinese(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetGeoPackageWriter(gpkgstore.WriteCollectionFile)
	h := withToken(srv.Handler(), addUser(t, st, "zh", coverage.Planner))
	rec := send(t, h, "POST", "/v1/scenarios", `{"name": "东区补缺", "unit": "E"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	decode(t, rec.Body.Bytes(), &sc)
	scn := "/v1/scenarios/" + sc.ID
	epsg3857 := url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857")

	for _, c := range []struct {
		method, url, body string
		status            int
		param             string
		want              []string // in both texts
	}{
		// /v1 layers
		{"GET", "/v1/layers/gap-areas?type=幼儿园&bbox=1,2,3", "", 400, "bbox", []string{"1,2,3"}},
		{"GET", "/v1/layers/gap-areas?type=kindergarten&bbox=a,2,3,4", "", 400, "bbox", []string{`a`}},
		{"GET", "/v1/layers/gap-areas?type=kindergarten&bbox=200,0,201,1", "", 400, "bbox", []string{"200,0,201,1"}},
		{"GET", "/v1/layers/gap-areas?type=kindergarten&bbox=3,3,1,1", "", 400, "bbox", []string{"3,3,1,1"}},
		{"GET", "/v1/layers/facilities?limit=x", "", 400, "limit", []string{"limit", "x"}},
		{"GET", "/v1/layers/facilities?offset=-1", "", 400, "offset", []string{"offset", "-1"}},
		{"GET", "/v1/layers/nope", "", 404, "", []string{"nope", "gap-areas"}},
		{"GET", "/v1/layers/coverage", "", 400, "type", []string{"coverage", "type="}},
		{"GET", "/v1/layers/catchment?type=kindergarten", "", 400, "facility", []string{"facility="}},
		{"GET", "/v1/cells?lat=30.66", "", 400, "lon", []string{"lon", "/v1/cells/{h3}"}},
		{"GET", "/v1/cells?lon=abc&lat=30.66", "", 400, "lon", []string{"abc"}},
		{"GET", "/v1/cells?lon=104&lat=95", "", 400, "lat", []string{"95"}},
		// OGC API
		{"GET", "/ogc/collections/facilities/items?limit=0", "", 400, "limit", []string{"limit", "0"}},
		{"GET", "/ogc/collections/facilities/items?offset=x", "", 400, "offset", []string{"offset", "x"}},
		{"GET", "/ogc/collections/facilities/items?bbox-crs=" + epsg3857, "", 400, "bbox-crs", []string{"bbox-crs"}},
		{"GET", "/ogc/collections/facilities/items?datetime=yesterday", "", 400, "datetime", []string{"yesterday"}},
		{"GET", "/ogc/collections/facilities/items?datetime=2024-13-45", "", 400, "datetime", []string{"2024-13-45"}},
		{"GET", "/ogc/collections/facilities/items?bbox=1,2,3", "", 400, "bbox", []string{"1,2,3"}},
		{"GET", "/ogc/collections/facilities/items?bbox=1,b,3,4", "", 400, "bbox", []string{"b"}},
		{"GET", "/ogc/collections/facilities/items?bbox=3,3,1,1", "", 400, "bbox", []string{"3,3,1,1"}},
		{"GET", "/ogc/collections/facilities/items?bbox=0,0,1e9,1e9&bbox-crs=" + epsg3857, "", 400, "bbox", []string{"EPSG:3857"}},
		{"GET", "/ogc/collections/facilities/items?crs=EPSG:9999", "", 400, "crs", []string{"EPSG:9999"}},
		{"GET", "/ogc/collections/facilities/items?f=gpkg&crs=" + epsg3857, "", 400, "crs", []string{"crs", "EPSG:4326"}},
		{"GET", "/ogc/collections/nope", "", 404, "", []string{"nope", "/ogc/collections"}},
		{"GET", "/ogc/collections/facilities/items/999999", "", 404, "", []string{"facilities", "999999"}},
		{"GET", "/ogc/collections/facilities/items/abc", "", 404, "", []string{"abc"}},
		{"GET", "/v1/layers/catchment?type=kindergarten&facility=ZZ9", "", 404, "facility", []string{"ZZ9"}},
		{"GET", "/v1/nope", "", 404, "", []string{"/v1/nope", "/v1/layers"}},
		{"GET", "/tiles/facilities/30/0/0.pbf", "", 404, "", []string{"30/0/0"}},
		{"GET", "/ogc/tileMatrixSets/Foo", "", 404, "", []string{"Foo", "WebMercatorQuad"}},
		{"GET", "/fonts/NoSuchFont/0-255.pbf", "", 404, "fontstack", []string{"NoSuchFont"}},
		{"GET", "/fonts/Go%20Regular/1-2.pbf", "", 404, "range", []string{"1-2"}},
		{"GET", "/v1/layers/coverage?type=kindergarten&profile=runner", "", 400, "profile", []string{"runner", "elderly"}},
		{"GET", "/v1/cells/abc", "", 400, "h3", []string{"abc"}},
		{"GET", "/v1/cells?lon=0.5&lat=0.5", "", 404, "", []string{"api-fixture"}},
		{"POST", "/v1/recommend", `{"types": ["pharmacy"], "k": 20000}`, 400, "types", []string{"20000"}},
		{"POST", "/v1/recommend", `{"types": ["pharmacy"]}`, 400, "types", []string{"k", "target_share"}},
		{"POST", "/v1/recommend", `{"types": ["pharmacy"], "k": 1, "min_spacing_m": -1}`, 400, "types", []string{"min_spacing_m"}},
		{"GET", "/v1/summary?by=city", "", 400, "by", []string{"city", "district"}},
		// planning
		{"GET", "/v1/equity", "", 400, "type", []string{"type="}},
		{"GET", "/v1/capacity", "", 400, "type", []string{"type="}},
		{"GET", "/v1/capacity?type=kindergarten&decay=gauss", "", 400, "decay", []string{"gauss", "e2sfca"}},
		{"PUT", "/v1/plan/items", `{}`, 400, "items", []string{"items"}},
		// workbook and CSV
		{"GET", "/v1/summary.xlsx?lang=fr", "", 400, "lang", []string{"fr"}},
		{"GET", "/v1/summary.csv?bom=yes", "", 400, "bom", []string{"yes"}},
		{"GET", "/v1/summary.xlsx?rec=pharmacy&rec_k=21", "", 400, "rec_k", []string{"21"}},
		{"GET", "/v1/summary.xlsx?rec=pharmacy&rec_spacing_m=-5", "", 400, "rec_spacing_m", []string{"-5", "10000"}},
		// scenarios and the workbench what-if
		{"GET", "/v1/audit?after=-1", "", 400, "after", []string{"-1"}},
		{"POST", scn + "/whatif", `{"facilities": []}`, 400, "facilities", []string{"facilities"}},
		{"POST", scn + "/whatif", `{"facilities": [{"lon": 104.07, "lat": 30.66}]}`, 400, "facilities[0].type", []string{"facilities[0].type", "/v1/catalog"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lat": 30.66}]}`, 400, "facilities[0].lon", []string{"facilities[0].lon"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 104.07}]}`, 400, "facilities[0].lat", []string{"facilities[0].lat"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 200, "lat": 30.66}]}`, 400, "facilities[0].lon", []string{"facilities[0].lon", "200"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 30.66, "lat": 104.07}]}`, 400, "facilities[0].lat", []string{"facilities[0].lat", "104.07"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "capacity": -1}]}`, 400, "facilities[0].capacity", []string{"facilities[0].capacity", "-1"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "plan_year": 1999}]}`, 400, "facilities[0].plan_year", []string{"facilities[0].plan_year", "1999"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "crs": "utm"}]}`, 400, "facilities[0].crs", []string{"utm", "gcj02"}},
		{"POST", scn + "/whatif", `{"facilities": [{"type": "pharmacy", "lon": 4.07, "lat": 30.66, "crs": "gcj02"}]}`, 400, "facilities[0].crs", []string{"4.07", "gcj02"}},
		{"POST", scn + "/changes", `{"changes": []}`, 400, "changes", []string{"changes"}},
		{"POST", scn + "/changes", `{"changes": [{"kind": "remove", "facility_id": "NOPE"}]}`, 404, "changes[0].facility_id", []string{"NOPE"}},
		{"GET", "/v1/scenarios/nope", "", 404, "", []string{"nope"}},
		{"GET", scn + "/layers/delta", "", 400, "type", []string{"type="}},
	} {
		t.Run(c.method+" "+c.url+" "+c.body, func(t *testing.T) {
			rec := send(t, h, c.method, c.url, c.body)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body is not JSON: %s", rec.Body)
			}
			if body.Parameter != c.param {
				t.Errorf("parameter %q, want %q", body.Parameter, c.param)
			}
			if body.ErrorZH == "" || strings.Contains(body.ErrorZH, "详见英文说明") {
				t.Errorf("no Chinese text of its own: error_zh %q (error_en %q)", body.ErrorZH, body.ErrorEN)
			}
			for _, w := range c.want {
				if !strings.Contains(body.ErrorEN, w) {
					t.Errorf("error_en %q lacks %q", body.ErrorEN, w)
				}
				if !strings.Contains(body.ErrorZH, w) {
					t.Errorf("error_zh %q lacks %q (error_en %q)", body.ErrorZH, w, body.ErrorEN)
				}
			}
		})
	}
}
