package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lifecircle/coverage"
	"lifecircle/data/memstore"
)

// newStoreServer is a server over the fixture with an in-memory store that
// holds the fixture's dataset.
func newStoreServer(t testing.TB) (*Server, *memstore.Store) {
	t.Helper()
	a := fixture(t)
	st := memstore.New()
	if err := st.SaveDataset(context.Background(), a.Catalog, a.Data); err != nil {
		t.Fatal(err)
	}
	srv := New(slog.New(slog.NewTextHandler(io.Discard, nil)), a)
	srv.SetStore(st)
	return srv, st
}

// addUser adds a user to the store and returns their token.
func addUser(t testing.TB, st coverage.Store, name string, role coverage.Role, units ...string) string {
	t.Helper()
	token, id, cred := coverage.NewToken()
	if err := st.AddUser(context.Background(), coverage.User{ID: id, Name: name, Role: role, Units: units, Created: time.Now()}, cred); err != nil {
		t.Fatal(err)
	}
	return token
}

// withToken sends every request with the token unless it has its own
// Authorization header.
func withToken(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		h.ServeHTTP(w, r)
	})
}

// failingStore is a real store whose proposal writes fail, as a full disk would.
type failingStore struct {
	coverage.Store
	err error
}

func (f failingStore) AddProposal(context.Context, coverage.Proposal) error { return f.err }

func send(t testing.TB, h http.Handler, method, url, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	return rec
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, status int, param string, contains ...string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if param == "" && len(contains) == 0 {
		return
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body is not JSON: %s", rec.Body)
	}
	if body.Parameter != param {
		t.Errorf("parameter %q, want %q (%s)", body.Parameter, param, body.Error)
	}
	for _, c := range contains {
		if !strings.Contains(body.Error, c) {
			t.Errorf("error %q lacks %q", body.Error, c)
		}
	}
}

func TestProposalsNeedAStore(t *testing.T) {
	h := newTestServer(t)
	for _, r := range []struct{ method, url string }{
		{"POST", "/v1/scenarios"}, {"GET", "/v1/scenarios/x"}, {"POST", "/v1/scenarios/x/proposals"}, {"GET", "/v1/scenarios/x/proposals"},
	} {
		rec := send(t, h, r.method, r.url, `{}`)
		wantStatus(t, rec, http.StatusServiceUnavailable, "", "--store")
	}
}

func TestScenarioAndProposalEndpoints(t *testing.T) {
	srv, st := newStoreServer(t)
	h := withToken(srv.Handler(), addUser(t, st, "李伟", coverage.Admin))

	rec := send(t, h, "POST", "/v1/scenarios", `{"name": "西区补短板", "unit": "E", "description": "kindergartens first"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	if err := json.Unmarshal(rec.Body.Bytes(), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.ID == "" || sc.Dataset != "api-fixture" || sc.Name != "西区补短板" || sc.Unit != "E" || sc.Created.IsZero() {
		t.Errorf("created scenario %+v", sc)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/scenarios/"+sc.ID {
		t.Errorf("Location %q", loc)
	}
	if !strings.Contains(rec.Body.String(), `"changes":[]`) {
		t.Errorf("changes should be an empty list: %s", rec.Body)
	}
	rec = send(t, h, "GET", "/v1/scenarios/"+sc.ID, "")
	wantStatus(t, rec, http.StatusOK, "")
	var got coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &got)
	if !got.Created.Equal(sc.Created) || got.ID != sc.ID {
		t.Errorf("GET scenario %+v, want %+v", got, sc)
	}
	wantStatus(t, send(t, h, "GET", "/v1/scenarios/nope", ""), http.StatusNotFound, "", "nope")

	for _, c := range []struct{ body, param, contains string }{
		{`{"description": "x"}`, "name", "name is required"},
		{`{"name": "x", "author": "someone else"}`, "author", "unknown field"},
		{`{"name": "x", "colour": "red"}`, "colour", "unknown field"},
		{`{"name": "x", "unit": "NOWHERE"}`, "unit", "NOWHERE"},
		{`{"name": 5}`, "name", "must be"},
		{`{"name": "x"`, "body", "not valid JSON"},
		{``, "body", "empty"},
	} {
		t.Run("scenario "+c.param, func(t *testing.T) {
			wantStatus(t, send(t, h, "POST", "/v1/scenarios", c.body), http.StatusBadRequest, c.param, c.contains)
		})
	}

	url := "/v1/scenarios/" + sc.ID + "/proposals"
	rec = send(t, h, "POST", url, `{"unit": "E", "facilities": [
		{"type": "kindergarten", "lon": 104.0665, "lat": 30.6601, "name": "新幼儿园", "capacity": 180, "plan_year": 2027},
		{"type": "pharmacy", "lon": 104.0712, "lat": 30.6573, "crs": "gcj02"}]}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var p proposalResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Facilities) != 2 || p.ScenarioID != sc.ID || p.Author != "李伟" || p.Facilities[0].Capacity != 180 ||
		p.Facilities[0].Status != coverage.Planned || p.Facilities[0].PlanYear != 2027 || p.Facilities[0].ID != p.ID+"-1" {
		t.Errorf("created proposal %+v", p)
	}
	if d := math.Hypot(p.Facilities[1].Location[0]-104.0712, p.Facilities[1].Location[1]-30.6573); d < 1e-3 || d > 1e-2 {
		t.Errorf("GCJ-02 site not converted to WGS84: %v", p.Facilities[1].Location)
	}
	if stored, _ := st.Proposals(context.Background(), sc.ID); len(stored) != 1 || stored[0].ID != p.ID {
		t.Errorf("store holds %+v", stored)
	}
	rec = send(t, h, "GET", url, "")
	wantStatus(t, rec, http.StatusOK, "")
	var list struct {
		ScenarioID string             `json:"scenario_id"`
		Proposals  []proposalResponse `json:"proposals"`
	}
	json.Unmarshal(rec.Body.Bytes(), &list)
	if list.ScenarioID != sc.ID || len(list.Proposals) != 1 || list.Proposals[0].ID != p.ID {
		t.Errorf("GET proposals %s", rec.Body)
	}
	wantStatus(t, send(t, h, "GET", "/v1/scenarios/nope/proposals", ""), http.StatusNotFound, "", "nope")
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/nope/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66}]}`), http.StatusNotFound, "", "nope")

	site := `{"type": "pharmacy", "lon": 104.07, "lat": 30.66}`
	for _, c := range []struct{ body, param, contains string }{
		{`{"facilities": []}`, "facilities", "1 to 100"},
		{`{}`, "facilities", "1 to 100"},
		{`{"facilities": [{"type": "casino", "lon": 104.07, "lat": 30.66}]}`, "facilities[0].type", "kindergarten"},
		{`{"facilities": [{"lon": 104.07, "lat": 30.66}]}`, "facilities[0].type", "required"},
		{`{"facilities": [` + site + `, {"type": "pharmacy", "lat": 30.66}]}`, "facilities[1].lon", "required"},
		{`{"facilities": [{"type": "pharmacy", "lon": 104.07}]}`, "facilities[0].lat", "required"},
		{`{"facilities": [{"type": "pharmacy", "lon": 30.66, "lat": 104.07}]}`, "facilities[0].lat", "swapped"},
		{`{"facilities": [{"type": "pharmacy", "lon": 181, "lat": 30.66}]}`, "facilities[0].lon", "outside"},
		{`{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "crs": "epsg:3857"}]}`, "facilities[0].crs", "unknown crs"},
		{`{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "capacity": -1}]}`, "facilities[0].capacity", "from 0"},
		{`{"facilities": [{"type": "pharmacy", "lon": 104.07, "lat": 30.66, "plan_year": 27}]}`, "facilities[0].plan_year", "year"},
		{`{"facilities": [{"type": "pharmacy", "lon": "104.07", "lat": 30.66}]}`, "facilities.lon", "must be"},
		{`{"unit": "NOWHERE", "facilities": [` + site + `]}`, "unit", "NOWHERE"},
		{`{"facilities": [` + site + `], "shown": {}}`, "shown", "unknown field"},
	} {
		t.Run("proposal "+c.param, func(t *testing.T) {
			wantStatus(t, send(t, h, "POST", url, c.body), http.StatusBadRequest, c.param, c.contains)
		})
	}
	// A store that fails: no 201, and the failure is not described to the client.
	srv.SetStore(failingStore{st, errors.New("disk full")})
	wantStatus(t, send(t, h, "POST", url, `{"facilities": [`+site+`]}`), http.StatusInternalServerError, "", "internal error")
	srv.SetStore(st)
	if stored, _ := st.Proposals(context.Background(), sc.ID); len(stored) != 1 {
		t.Errorf("%d proposals stored after the refused ones; want 1", len(stored))
	}
}
