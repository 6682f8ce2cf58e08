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
	a0 := fixture(t)
	divs, err := coverage.NewDivisions("test list", []coverage.Division{
		{Level: coverage.District, Code: "W", Name: "西区"},
		{Level: coverage.District, Code: "E", Name: "东区"},
		{Level: coverage.Street, Code: "E01", Name: "东一街道", Parent: "E"},
		{Level: coverage.Community, Code: "E01001", Name: "新村社区居委会", Parent: "E01"},
		{Level: coverage.Community, Code: "W01001", Name: "新村社区居民委员会", Parent: "W01"},
		{Level: coverage.Street, Code: "W01", Name: "西一街道", Parent: "W"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := coverage.Analyze(a0.Catalog, a0.Data, coverage.Options{Divisions: divs})
	if err != nil {
		t.Fatal(err)
	}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), a).Handler()
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
