package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"lifecircle/coverage"
)

// /v1/units lists the official divisions beside the polygons; unit= and
// by= answer for divisions without polygons with a 404 naming what is
// missing. (The Chengdu sample's real list is tested end to end in
// cmd/lifecircle and data.)
func TestUnitsAndDivisions(t *testing.T) {
	h := withDivisions(t,
		coverage.Division{Level: coverage.District, Code: "W", Name: "西区"},
		coverage.Division{Level: coverage.District, Code: "E", Name: "东区"},
		coverage.Division{Level: coverage.Street, Code: "E01", Name: "东一街道", Parent: "E"},
		coverage.Division{Level: coverage.Community, Code: "E01001", Name: "新村社区居委会", Parent: "E01"},
		coverage.Division{Level: coverage.Community, Code: "W01001", Name: "新村社区居民委员会", Parent: "W01"},
		coverage.Division{Level: coverage.Street, Code: "W01", Name: "西一街道", Parent: "W"},
	)
	var body struct {
		Count  int
		Levels map[string]struct{ Official, Boundaries int }
		Units  []coverage.UnitEntry
	}
	rec := get(t, h, http.MethodGet, "/v1/units?level=community&parent=东区")
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if body.Count != 1 || body.Units[0].Code != "E01001" || body.Units[0].Short != "新村社区" || body.Units[0].ParentName != "东一街道" ||
		body.Units[0].District != "东区" || body.Units[0].Boundary || body.Levels["district"].Boundaries != 2 || body.Levels["street"].Official != 2 {
		t.Errorf("units: %s", rec.Body)
	}
	for _, c := range []struct {
		url    string
		status int
		param  string
		want   string
	}{
		{"/v1/layers/gaps?type=幼儿园&unit=东一街道", 404, "unit", "no street boundaries"},
		{"/v1/layers/gaps?type=幼儿园&unit=E01", 404, "unit", "东一街道 E01 (street, 东区)"},
		{"/v1/layers/gaps?type=幼儿园&unit=新村社区", 400, "unit", "新村社区 W01001 (community, 西区)"},
		{"/v1/layers/gaps?type=幼儿园&unit=E99", 400, "unit", "neither among its 2 boundaries nor among the 6 official divisions"},
		{"/v1/summary?by=street", 404, "by", "the 2 official street units"},
		{"/v1/units?level=province", 400, "level", "not one of"},
		{"/v1/units?parent=北区", 400, "parent", "北区"},
	} {
		wantStatus(t, get(t, h, http.MethodGet, c.url), c.status, c.param, c.want)
	}
	if rec := get(t, h, http.MethodGet, "/v1/layers/gaps?type=幼儿园&unit=东区"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "FeatureCollection") {
		t.Errorf("unit with a polygon: %d", rec.Code)
	}
}

// A level the divisions know but the data has no polygons for answers the
// same 404 as by= on every route that names it: the OGC collection (and
// its items, queryables and tiles) and the units layer, naming the missing
// boundaries and the --boundaries fix in Chinese and English. An id that
// is no level keeps the generic "no such collection" 404.
func TestMissingLevelCollections(t *testing.T) {
	h := withDivisions(t,
		coverage.Division{Level: coverage.District, Code: "E", Name: "东区"},
		coverage.Division{Level: coverage.Street, Code: "E01", Name: "东一街道", Parent: "E"},
	)
	byStreet := get(t, h, http.MethodGet, "/v1/summary?by=street")
	var want errorBody
	if byStreet.Code != 404 || json.Unmarshal(byStreet.Body.Bytes(), &want) != nil {
		t.Fatalf("by=street: %d %s", byStreet.Code, byStreet.Body)
	}
	for _, c := range []struct{ url, param string }{
		{"/ogc/collections/admin-units-street", "collectionId"},
		{"/ogc/collections/admin-units-street/items?limit=5", "collectionId"},
		{"/ogc/collections/admin-units-street/queryables", "collectionId"},
		{"/tiles/admin-units-street/14/13000/6000.pbf", "collectionId"},
		{"/v1/layers/units?level=street", "level"},
		{"/ogc/collections/admin-units-community", "collectionId"},
	} {
		rec := get(t, h, http.MethodGet, c.url)
		wantStatus(t, rec, http.StatusNotFound, c.param, "no ", "boundaries", "--boundaries FILE")
		var body errorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if !strings.Contains(body.ErrorZH, "边界") || !strings.Contains(body.ErrorZH, "--boundaries") || strings.Contains(body.ErrorEN, "does not exist") {
			t.Errorf("%s: %s / %s", c.url, body.ErrorZH, body.ErrorEN)
		}
		if strings.Contains(c.url, "street") && (body.ErrorEN != want.ErrorEN || body.ErrorZH != want.ErrorZH || !strings.Contains(body.ErrorEN, "/v1/units?level=street")) {
			t.Errorf("%s answers %q, by=street %q", c.url, body.ErrorEN, want.ErrorEN)
		}
	}
	for _, id := range []string{"admin-units-province", "no-such"} {
		rec := get(t, h, http.MethodGet, "/ogc/collections/"+id)
		wantStatus(t, rec, http.StatusNotFound, "", "does not exist", "/ogc/collections", "没有集合「"+id+"」")
	}
	if rec := get(t, h, http.MethodGet, "/ogc/collections/admin-units-district"); rec.Code != 200 {
		t.Errorf("admin-units-district: %d", rec.Code)
	}
}

// withDivisions serves the test fixture with these official divisions.
func withDivisions(t *testing.T, divisions ...coverage.Division) http.Handler {
	t.Helper()
	a0 := fixture(t)
	divs, err := coverage.NewDivisions("test list", divisions)
	if err != nil {
		t.Fatal(err)
	}
	a, err := coverage.Analyze(a0.Catalog, a0.Data, coverage.Options{Divisions: divs})
	if err != nil {
		t.Fatal(err)
	}
	return New(slog.New(slog.NewTextHandler(io.Discard, nil)), a).Handler()
}
