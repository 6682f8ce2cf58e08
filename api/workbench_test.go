package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
}

func TestCellInfo(t *testing.T) {
	h := newTestServer(t)
	centre := spatial.CellOf(orb.Point{104.0657, 30.6595}, 10)
	cp := spatial.Center(centre)
	var byID, byPoint coverage.CellInfo
	rec := get(t, h, http.MethodGet, "/v1/cells/"+centre.String())
	wantStatus(t, rec, http.StatusOK, "")
	decode(t, rec.Body.Bytes(), &byID)
	rec = get(t, h, http.MethodGet, "/v1/cells?lon="+ftoa(cp[0]+0.0001)+"&lat="+ftoa(cp[1]))
	wantStatus(t, rec, http.StatusOK, "")
	decode(t, rec.Body.Bytes(), &byPoint)
	if byID.H3 != centre.String() || byPoint.H3 != byID.H3 {
		t.Fatalf("cells %s and %s, want %s", byID.H3, byPoint.H3, centre)
	}
	if byID.Population != 10 || len(byID.Units) != 1 || byID.Units[0].Name != "西区" {
		t.Errorf("population %v, units %+v", byID.Population, byID.Units)
	}
	types := map[string]coverage.CellType{}
	for _, ct := range byID.Types {
		types[ct.ID] = ct
	}
	if len(types) != len(coverage.DefaultCatalog().Types) {
		t.Errorf("%d types, want every catalogue type", len(types))
	}
	kg := types["kindergarten"]
	if !kg.Covered || kg.FacilityID != "K1" || kg.FacilityName != "幼儿园一" || kg.DistM == nil || *kg.DistM > 1 || kg.Reason != "" {
		t.Errorf("kindergarten %+v", kg)
	}
	// the pharmacy is 350 m east: beyond its 300 m radius, within twice it
	ph := types["pharmacy"]
	if ph.Covered || ph.FacilityID != "P1" || ph.DistM == nil || *ph.DistM < 300 || ph.Reason != coverage.ReasonNoFacility || ph.Minutes == nil {
		t.Errorf("pharmacy %+v", ph)
	}
	if sc := types["primary_school"]; sc.Covered || sc.DistM != nil || sc.Reason != coverage.ReasonNoFacility {
		t.Errorf("primary school %+v", sc)
	}
	// minutes follow the profile
	var elderly coverage.CellInfo
	rec = get(t, h, http.MethodGet, "/v1/cells/"+centre.String()+"?profile=elderly")
	decode(t, rec.Body.Bytes(), &elderly)
	for _, ct := range elderly.Types {
		if ct.ID == "pharmacy" && (ct.Minutes == nil || *ct.Minutes <= *ph.Minutes) {
			t.Errorf("elderly minutes %v, default %v", ct.Minutes, *ph.Minutes)
		}
	}

	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells?lon=104.5&lat=30.6595"), http.StatusNotFound, "", "nobody lives")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells?lon=east&lat=30.6"), http.StatusBadRequest, "lon")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells?lat=30.6"), http.StatusBadRequest, "lon")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells?lon=104&lat=95"), http.StatusBadRequest, "lat")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells/zzz"), http.StatusBadRequest, "h3")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells/"+spatial.CellOf(cp, 9).String()), http.StatusBadRequest, "h3", "resolution 9")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells/"+spatial.CellOf(orb.Point{104.5, 30.6}, 10).String()), http.StatusNotFound, "")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/cells/"+centre.String()+"?radius=3"), http.StatusBadRequest, "radius")
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestUnitsLayer(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/v1/layers/units?level=district&type=kindergarten")
	wantStatus(t, rec, http.StatusOK, "")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	decode(t, rec.Body.Bytes(), &fc)
	if len(fc.Features) != 2 {
		t.Fatalf("%d units", len(fc.Features))
	}
	var residents float64
	for _, f := range fc.Features {
		p := f.Properties
		residents += p["residents"].(float64)
		if s, ok := p["share"].(float64); !ok || s < 0 || s > 1 || p["covered"].(float64) > p["residents"].(float64) {
			t.Errorf("unit %v", p)
		}
		if _, ok := p["completeness_lc5"]; !ok {
			t.Errorf("unit %v lacks completeness_lc5", p)
		}
	}
	// the 19 fixture cells hold 10+11+…+28 residents, each in one district
	if residents != 361 {
		t.Errorf("units hold %v residents, want 361", residents)
	}
	// a level the data has no polygons of is a 404 naming it, as everywhere
	wantStatus(t, get(t, h, http.MethodGet, "/v1/layers/units?level=street"), http.StatusNotFound, "level")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/layers/units?level=province"), http.StatusBadRequest, "level")
}

// The workbench shows a site's gain before it is saved: the what-if answer
// must be exactly what the proposal then stores, and must store nothing.
func TestWhatIfIsWhatTheProposalStores(t *testing.T) {
	bare := New(slog.New(slog.NewTextHandler(io.Discard, nil)), fixture(t)).Handler()
	wantStatus(t, send(t, bare, "POST", "/v1/scenarios/x/whatif", `{}`), http.StatusServiceUnavailable, "")
	var health map[string]any
	decode(t, get(t, bare, http.MethodGet, "/healthz").Body.Bytes(), &health)
	if health["store"] != false {
		t.Errorf("healthz store %v without a store", health["store"])
	}
	s, st := newStoreServer(t)
	h := withToken(s.Handler(), addUser(t, st, "workbench", coverage.Planner))
	decode(t, get(t, h, http.MethodGet, "/healthz").Body.Bytes(), &health)
	if health["store"] != true {
		t.Errorf("healthz store %v with a store", health["store"])
	}
	rec := send(t, h, "POST", "/v1/scenarios", `{"name": "东区补缺", "unit": "E"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	decode(t, rec.Body.Bytes(), &sc)
	send(t, h, "POST", "/v1/scenarios", `{"name": "second"}`)
	var list struct {
		Dataset   string              `json:"dataset"`
		Scenarios []coverage.Scenario `json:"scenarios"`
	}
	decode(t, get(t, h, http.MethodGet, "/v1/scenarios").Body.Bytes(), &list)
	if list.Dataset != "api-fixture" || len(list.Scenarios) != 2 || list.Scenarios[0].ID != sc.ID || list.Scenarios[0].Changes == nil {
		t.Errorf("scenario list %+v", list)
	}

	cp := spatial.Center(spatial.CellOf(orb.Point{104.0657, 30.6595}, 10))
	body := `{"facilities": [{"type": "pharmacy", "lon": ` + ftoa(cp[0]+0.0015) + `, "lat": ` + ftoa(cp[1]) + `}, {"type": "primary_school", "lon": ` + ftoa(cp[0]+0.0015) + `, "lat": ` + ftoa(cp[1]) + `}]}`
	rec = send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/whatif", body)
	wantStatus(t, rec, http.StatusOK, "")
	var preview struct {
		Shown json.RawMessage `json:"shown"`
	}
	decode(t, rec.Body.Bytes(), &preview)
	if ps, _ := st.Proposals(t.Context(), sc.ID); len(ps) != 0 {
		t.Fatalf("what-if stored %d proposals", len(ps))
	}
	rec = send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/proposals", body)
	wantStatus(t, rec, http.StatusCreated, "")
	var saved struct {
		Shown json.RawMessage `json:"shown"`
	}
	decode(t, rec.Body.Bytes(), &saved)
	if !bytes.Equal(preview.Shown, saved.Shown) {
		t.Errorf("what-if showed\n%s\nthe proposal stored\n%s", preview.Shown, saved.Shown)
	}
	if !strings.Contains(string(saved.Shown), `"id":"primary_school"`) || !strings.Contains(string(saved.Shown), `"residents_newly_covered"`) {
		t.Errorf("shown %s", saved.Shown)
	}
	// the next what-if is scored against the scenario with the saved site
	rec = send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/whatif", body)
	decode(t, rec.Body.Bytes(), &preview)
	if bytes.Equal(preview.Shown, saved.Shown) {
		t.Errorf("a second identical site gains the same as the first: %s", preview.Shown)
	}
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/whatif", `{"facilities": [{"type": "pharmacy", "lon": 104.0, "lat": 30.65}]}`), http.StatusBadRequest, "facilities[0].lon", "jurisdiction")
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/whatif", `{"facilities": []}`), http.StatusBadRequest, "facilities")
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/"+sc.ID+"/whatif", `{"facilities": [{"type": "casino", "lon": 104.07, "lat": 30.66}]}`), http.StatusBadRequest, "facilities[0].type")
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/nope/whatif", body), http.StatusNotFound, "")
}

func TestWebPage(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "/web/app.js") {
		t.Fatalf("/: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for path, ctype := range map[string]string{
		"/web/app.js": "text/javascript",
		"/web/vendor/maplibre-gl/maplibre-gl.mjs":        "text/javascript",
		"/web/vendor/maplibre-gl/maplibre-gl-worker.mjs": "text/javascript",
		"/web/vendor/maplibre-gl/maplibre-gl.css":        "text/css",
		"/web/vendor/maplibre-gl/LICENSE.txt":            "text/plain",
		"/favicon.ico":                                   "image/svg+xml",
	} {
		rec := get(t, h, http.MethodGet, path)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q, want 200 %s", path, rec.Code, rec.Header().Get("Content-Type"), ctype)
		}
	}
	if rec := get(t, h, http.MethodHead, "/web/app.js"); rec.Code != http.StatusOK {
		t.Errorf("HEAD /web/app.js: %d", rec.Code)
	}
	// Nothing on the page comes from the internet.
	for _, f := range []string{"/", "/web/app.js", "/web/workbench.js", "/web/app.css"} {
		if b := get(t, h, http.MethodGet, f).Body.String(); strings.Contains(b, "http://") || strings.Contains(b, "https://") {
			t.Errorf("%s refers to another site", f)
		}
	}
	wantStatus(t, get(t, h, http.MethodGet, "/web/nope.js"), http.StatusNotFound, "")
	wantStatus(t, get(t, h, http.MethodGet, "/web/"), http.StatusNotFound, "")
	wantStatus(t, get(t, h, http.MethodGet, "/v1/nope"), http.StatusNotFound, "")
}

// The map's own page writes with the user's token: its origin (the
// server itself) passes the CORS rule; another page's does not.
func TestSameOriginWrites(t *testing.T) {
	s, _ := newStoreServer(t)
	h := s.Handler()
	for origin, want := range map[string]int{"http://example.com": http.StatusUnauthorized, "http://evil.test": http.StatusForbidden} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/scenarios", strings.NewReader(`{"name": "x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin) // httptest requests are for host example.com
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("write from %s: %d, want %d: %s", origin, rec.Code, want, rec.Body)
		}
	}
}
