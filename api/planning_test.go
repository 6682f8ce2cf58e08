package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lifecircle/coverage"
)

func post(t testing.TB, h http.Handler, url, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	return rec
}

func TestRecommendEndpoint(t *testing.T) {
	h := newTestServer(t)
	rec := post(t, h, "/v1/recommend", `{"types":[{"id":"pharmacy"}],"k":2,
	  "phase":{"first_year":2026,"years":2,"per_year":1}}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var ans struct {
		coverage.Recommendation
		Phases []coverage.PhaseYear `json:"phases"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Sites) == 0 || !ans.Generated || len(ans.Phases) == 0 || ans.Phases[0].Year != 2026 {
		t.Errorf("recommendation %+v", ans)
	}
	// candidates in GCJ-02 are converted
	rec = post(t, h, "/v1/recommend", `{"types":[{"id":"pharmacy","weight":2}],"k":1,"crs":"gcj02",
	  "candidates":[{"id":"a","location":[104.0682,30.6571]}]}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"candidates":1`) {
		t.Errorf("gcj02 candidates: %d %s", rec.Code, rec.Body)
	}
}

func TestPlanningBadRequests(t *testing.T) {
	h := newTestServer(t)
	cases := []struct {
		method, url, body string
		status            int
		param, says       string
	}{
		{"POST", "/v1/recommend", ``, 400, "body", "empty"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}],"kk":2}`, 400, "kk", "unknown field"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}],"k":"two"}`, 400, "k", "must be a whole number"},
		{"POST", "/v1/recommend", `{"types":[{"id":"castle"}],"k":2}`, 400, "types[0].id", "valid types"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}]}`, 400, "types", "give k"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}],"k":1,"unit":"ZZ"}`, 400, "unit", "does not exist"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}],"k":1,"candidates":[{"location":[30.6,104.1]}]}`, 400, "candidates[0].location", "swapped"},
		{"POST", "/v1/recommend", `{"types":[{"id":"pharmacy"}],"k":1,"phase":{"years":2}}`, 400, "phase", "per-year count or a per-year budget"},
		{"POST", "/v1/plan/trajectory", `{"items":[{"type":"castle","year":2026,"location":[104.06,30.66]}]}`, 400, "items[0].type", "valid types"},
		{"POST", "/v1/plan/trajectory", `{"items":[{"type":"pharmacy","year":2026,"status":"dreamt","location":[104.06,30.66]}]}`, 400, "items[0].status", "not one of"},
		{"GET", "/v1/equity", ``, 400, "type", "needs a facility type"},
		{"GET", "/v1/equity?type=pharmacy&by=street", ``, 404, "by", "no street boundaries"},
		{"GET", "/v1/capacity?type=pharmacy&decay=cubic", ``, 400, "decay", "not none or e2sfca"},
	}
	for _, c := range cases {
		var rec *httptest.ResponseRecorder
		if c.method == "POST" {
			rec = post(t, h, c.url, c.body)
		} else {
			rec = get(t, h, http.MethodGet, c.url)
		}
		var body errorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || body.Parameter != c.param || !strings.Contains(body.Error, c.says) {
			t.Errorf("%s %s %s: %d %+v; want %d, parameter %q, saying %q", c.method, c.url, c.body, rec.Code, body, c.status, c.param, c.says)
		}
	}
}

func TestTrajectoryEquityCapacityEndpoints(t *testing.T) {
	h := newTestServer(t)
	rec := post(t, h, "/v1/plan/trajectory", `{"by":"district","items":[
	  {"id":"p1","type":"pharmacy","year":2026,"location":[104.0650,30.6580]},
	  {"id":"p2","type":"pharmacy","year":2099,"location":[104.0640,30.6610],"status":"existing"}]}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var tr coverage.Trajectory
	json.Unmarshal(rec.Body.Bytes(), &tr)
	// p2 is built but dated 2099, after this year: it enters in 2099, not at baseline
	if len(tr.Steps) != 3 || tr.Steps[2].Year != 2099 || tr.ImplementationRate != 0.5 || len(tr.Steps[0].Units) != 2 {
		t.Errorf("trajectory %+v", tr)
	}
	if rec := get(t, h, http.MethodGet, "/v1/plan/trajectory"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"baseline"`) {
		t.Errorf("GET trajectory without a plan: %d %s", rec.Code, rec.Body)
	}
	rec = get(t, h, http.MethodGet, "/v1/equity?type=pharmacy&by=district")
	var e coverage.Equity
	if json.Unmarshal(rec.Body.Bytes(), &e); rec.Code != 200 || e.Units != 2 {
		t.Errorf("equity %d %+v", rec.Code, e)
	}
	rec = get(t, h, http.MethodGet, "/v1/capacity?type=kindergarten&decay=e2sfca")
	var cr coverage.CapacityResult
	if json.Unmarshal(rec.Body.Bytes(), &cr); rec.Code != 200 || cr.Method != "e2sfca" || cr.Served+cr.Short+cr.Uncovered == 0 {
		t.Errorf("capacity %d %+v", rec.Code, cr)
	}
}
