package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

func sendWith(t testing.TB, h http.Handler, method, url, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRolesAndJurisdiction tries every role against every write endpoint,
// inside and outside its units. The fixture has two districts: W (west of
// the centre) and E (east).
func TestRolesAndJurisdiction(t *testing.T) {
	srv, st := newStoreServer(t)
	h := srv.Handler()
	ctx := context.Background()
	cp := spatial.Center(spatial.CellOf(orb.Point{104.0657, 30.6595}, 10))
	east := orb.Point{cp[0] + 0.002, cp[1] + 0.0005}
	west := orb.Point{cp[0] - 0.002, cp[1] + 0.0005}
	type user struct {
		name  string
		role  coverage.Role
		units []string
		home  string // the unit its scenarios are limited to
	}
	users := []user{
		{"viewer", coverage.Viewer, nil, ""},
		{"street_E", coverage.StreetOfficial, []string{"E"}, "E"},
		{"planner_W", coverage.Planner, []string{"W"}, "W"},
		{"planner_city", coverage.Planner, nil, ""},
		{"admin", coverage.Admin, nil, ""},
	}
	// inside/outside: a point and an existing facility in and out of the
	// user's units (for city-wide users "outside" is just elsewhere).
	place := map[string][2]orb.Point{"E": {east, west}, "W": {west, east}, "": {east, west}}
	facility := map[string][2]string{"E": {"P1", "K2"}, "W": {"K2", "P1"}, "": {"P1", "K2"}}
	n := 0
	scenarioFor := func(u user) string {
		n++
		id := fmt.Sprintf("s-%s-%d", u.name, n)
		if err := st.SaveScenario(ctx, coverage.Scenario{ID: id, Dataset: "api-fixture", Name: id, Unit: u.home, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	otherUnit := map[string]string{"E": "W", "W": "E", "": "W"}
	pt := func(p orb.Point) string { return fmt.Sprintf("[%f, %f]", p[0], p[1]) }
	type endpoint struct {
		name          string
		method        string
		url, body     func(u user, inside bool) string
		ok            int
		needsPlanRole bool
	}
	idx := func(inside bool) int {
		if inside {
			return 0
		}
		return 1
	}
	endpoints := []endpoint{
		{"create scenario", "POST", func(user, bool) string { return "/v1/scenarios" }, func(u user, in bool) string {
			unit := u.home
			if !in {
				unit = otherUnit[u.home]
			}
			return fmt.Sprintf(`{"name": "x", "unit": %q}`, unit)
		}, 201, false},
		{"proposal", "POST", func(u user, _ bool) string { return "/v1/scenarios/" + scenarioFor(u) + "/proposals" }, func(u user, in bool) string {
			p := place[strings.Join(u.units, "")][idx(in)]
			return fmt.Sprintf(`{"facilities": [{"type": "pharmacy", "lon": %f, "lat": %f}]}`, p[0], p[1])
		}, 201, false},
		{"change add", "POST", func(u user, _ bool) string { return "/v1/scenarios/" + scenarioFor(u) + "/changes" }, func(u user, in bool) string {
			return fmt.Sprintf(`{"changes": [{"kind": "add", "facility": {"type": "pharmacy", "location": %s}}]}`, pt(place[strings.Join(u.units, "")][idx(in)]))
		}, 200, false},
		{"change move", "POST", func(u user, _ bool) string { return "/v1/scenarios/" + scenarioFor(u) + "/changes" }, func(u user, in bool) string {
			// from inside to outside or from outside to inside: both refused
			k := strings.Join(u.units, "")
			from, to := facility[k][0], place[k][0]
			if !in {
				from = facility[k][1]
			}
			return fmt.Sprintf(`{"changes": [{"kind": "move", "facility_id": %q, "facility": {"location": %s}}]}`, from, pt(to))
		}, 200, false},
		{"change move out", "POST", func(u user, _ bool) string { return "/v1/scenarios/" + scenarioFor(u) + "/changes" }, func(u user, in bool) string {
			k := strings.Join(u.units, "")
			to := place[k][idx(in)]
			return fmt.Sprintf(`{"changes": [{"kind": "move", "facility_id": %q, "facility": {"location": %s}}]}`, facility[k][0], pt(to))
		}, 200, false},
		{"change remove", "POST", func(u user, _ bool) string { return "/v1/scenarios/" + scenarioFor(u) + "/changes" }, func(u user, in bool) string {
			return fmt.Sprintf(`{"changes": [{"kind": "remove", "facility_id": %q}]}`, facility[strings.Join(u.units, "")][idx(in)])
		}, 200, false},
		{"plan items", "PUT", func(user, bool) string { return "/v1/plan/items" }, func(u user, in bool) string {
			return fmt.Sprintf(`{"items": [{"id": "1", "type": "kindergarten", "year": 2026, "location": %s}]}`, pt(place[strings.Join(u.units, "")][idx(in)]))
		}, 200, true},
	}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u.name] = addUser(t, st, u.name, u.role, u.units...)
	}
	for _, ep := range endpoints {
		for _, u := range users {
			for _, in := range []bool{true, false} {
				where := map[bool]string{true: "inside", false: "outside"}[in]
				t.Run(ep.name+"/"+u.name+"/"+where, func(t *testing.T) {
					url, body := ep.url(u, in), ep.body(u, in)
					want := ep.ok
					switch {
					case u.role == coverage.Viewer:
						want = http.StatusForbidden
					case ep.needsPlanRole && u.role == coverage.StreetOfficial:
						want = http.StatusForbidden
					case !in && len(u.units) > 0:
						want = http.StatusForbidden
					}
					rec := sendWith(t, h, ep.method, url, body, "Authorization", "Bearer "+tokens[u.name])
					if rec.Code != want {
						t.Fatalf("%s %s as %s (%s): status %d, want %d: %s", ep.method, url, u.name, where, rec.Code, want, rec.Body)
					}
					if want == http.StatusForbidden {
						var e errorBody
						json.Unmarshal(rec.Body.Bytes(), &e)
						if e.Rule == "" || e.ErrorZH == "" || e.ErrorEN == "" || e.ErrorZH == e.ErrorEN {
							t.Errorf("a 403 must name the rule in Chinese and English: %s", rec.Body)
						}
					}
					// Without a token, or with a wrong one: 401.
					wantStatus(t, sendWith(t, h, ep.method, ep.url(u, in), body), http.StatusUnauthorized, "", "Bearer")
					bad, _, _ := coverage.NewToken()
					rec = sendWith(t, h, ep.method, ep.url(u, in), body, "Authorization", "Bearer "+bad)
					wantStatus(t, rec, http.StatusUnauthorized, "", "not valid")
					if rec.Header().Get("WWW-Authenticate") == "" {
						t.Error("a 401 lacks WWW-Authenticate")
					}
				})
			}
		}
	}
	// The author is the authenticated user, whatever the body says.
	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x", "unit": "E"}`, "Authorization", "Bearer "+tokens["street_E"])
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	if sc.Author != "street_E" {
		t.Errorf("scenario author %q, want street_E", sc.Author)
	}
	// A revoked token is refused.
	if err := st.RevokeUser(ctx, "admin"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x"}`, "Authorization", "Bearer "+tokens["admin"]), http.StatusUnauthorized, "", "revoked")
}

// TestPrivateServerAndAudit: with SetPrivate reads need a token; the audit
// lists every write for planners and admins only.
func TestPrivateServerAndAudit(t *testing.T) {
	srv, st := newStoreServer(t)
	h := srv.Handler()
	viewer := addUser(t, st, "看客", coverage.Viewer)
	planner := addUser(t, st, "规划师", coverage.Planner)
	wantStatus(t, sendWith(t, h, "GET", "/v1/catalog", ""), http.StatusOK, "")
	srv.SetPrivate(true)
	wantStatus(t, sendWith(t, h, "GET", "/v1/catalog", ""), http.StatusUnauthorized, "", "token")
	wantStatus(t, sendWith(t, h, "GET", "/v1/catalog", "", "Authorization", "Bearer "+viewer), http.StatusOK, "")
	wantStatus(t, sendWith(t, h, "GET", "/healthz", ""), http.StatusOK, "")
	srv.SetPrivate(false)

	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "审计"}`, "Authorization", "Bearer "+planner, "X-Request-Id", "req-42")
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios/"+sc.ID+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`,
		"Authorization", "Bearer "+planner), http.StatusCreated, "")
	wantStatus(t, sendWith(t, h, "GET", "/v1/audit", "", "Authorization", "Bearer "+viewer), http.StatusForbidden, "", "planner")
	wantStatus(t, sendWith(t, h, "GET", "/v1/audit", ""), http.StatusUnauthorized, "")
	rec = sendWith(t, h, "GET", "/v1/audit?scenario="+sc.ID, "", "Authorization", "Bearer "+planner)
	wantStatus(t, rec, http.StatusOK, "")
	var got struct {
		Entries []struct {
			Action, User string
			RequestID    string `json:"request_id"`
			Scenario     string `json:"scenario_id"`
			Detail       map[string]any
		} `json:"entries"`
	}
	json.Unmarshal(rec.Body.Bytes(), &got)
	if len(got.Entries) != 2 || got.Entries[0].Action != "scenario.create" || got.Entries[0].User != "规划师" ||
		got.Entries[0].RequestID != "req-42" || got.Entries[1].Action != "proposal.add" || got.Entries[1].Detail["proposal_id"] == nil {
		t.Errorf("audit %s", rec.Body)
	}
}

// TestConcurrentWritersLoseNothing: 16 writers × 5 changes on one
// scenario; every acknowledged change is stored.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetLimits(Limits{WritesPerSec: 1000, WriteBurst: 1000})
	h := srv.Handler()
	tok := addUser(t, st, "planner", coverage.Planner)
	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "并发"}`, "Authorization", "Bearer "+tok)
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`{"changes": [{"kind": "add", "facility": {"id": %q, "type": "pharmacy", "location": [104.066, 30.66]}}]}`, id)
				rec := sendWith(t, h, "POST", "/v1/scenarios/"+sc.ID+"/changes", body, "Authorization", "Bearer "+tok)
				if rec.Code/100 == 2 {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	stored, err := st.Scenario(context.Background(), sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ch := range stored.Changes {
		have[ch.Facility.ID] = true
	}
	for id := range acked {
		if !have[id] {
			t.Errorf("acknowledged change %s is not stored", id)
		}
	}
	if len(acked) != 80 || len(stored.Changes) != 80 {
		t.Errorf("%d acknowledged, %d stored; want 80 and 80", len(acked), len(stored.Changes))
	}
}

// TestIdempotencyKey: a retried POST with the same key gets the first
// answer and stores nothing new; PUT /v1/plan/items without items is a 400.
func TestIdempotencyKey(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetLimits(Limits{Expensive: 16})
	h := srv.Handler()
	tok := addUser(t, st, "planner", coverage.Planner)
	auth := []string{"Authorization", "Bearer " + tok, "Idempotency-Key", "create-1"}
	first := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "重试"}`, auth...)
	wantStatus(t, first, http.StatusCreated, "")
	again := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "重试"}`, auth...)
	wantStatus(t, again, http.StatusCreated, "")
	if again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry answered %s, first %s", again.Body, first.Body)
	}
	list, _ := st.Scenarios(context.Background(), "api-fixture")
	if len(list) != 1 {
		t.Errorf("%d scenarios after a retry, want 1", len(list))
	}
	var sc coverage.Scenario
	json.Unmarshal(first.Body.Bytes(), &sc)
	// The same key on another endpoint is a conflict.
	rec := sendWith(t, h, "POST", "/v1/scenarios/"+sc.ID+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`, auth...)
	wantStatus(t, rec, http.StatusConflict, "", "create-1")
	// Concurrent tries with one key: one proposal stored, one answer for all.
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := sendWith(t, h, "POST", "/v1/scenarios/"+sc.ID+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`,
				"Authorization", "Bearer "+tok, "Idempotency-Key", "prop-1")
			bodies[i] = fmt.Sprint(rec.Code, rec.Body.String())
		}()
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answers differ:\n%s\n%s", b, bodies[0])
		}
	}
	if ps, _ := st.Proposals(context.Background(), sc.ID); len(ps) != 1 {
		t.Errorf("%d proposals stored for one key, want 1", len(ps))
	}
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x"}`, "Authorization", "Bearer "+tok, "Idempotency-Key", "bad key!"),
		http.StatusBadRequest, "Idempotency-Key")
	wantStatus(t, sendWith(t, h, "PUT", "/v1/plan/items", `{}`, "Authorization", "Bearer "+tok), http.StatusBadRequest, "items", "required")
}
