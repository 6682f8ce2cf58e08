package api

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"lifecircle/coverage"
)

// TestBadInputIsRefused: the HTTP cases of bad input, and every
// geojsonhint bad/ file as the body of every write endpoint: a 4xx with a
// message, never a 5xx, and nothing stored.
func TestBadInputIsRefused(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetLimits(Limits{WritesPerSec: 1e6, WriteBurst: 1e6})
	h := withToken(srv.Handler(), addUser(t, st, "admin", coverage.Admin))
	ctx := context.Background()
	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "坏输入"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	list, _ := st.Scenarios(ctx, "api-fixture")
	id := list[0].ID

	wantStatus(t, sendWith(t, h, "GET", "/v1/layers/facilities?bbox=%ZZ", ""), http.StatusBadRequest, "bbox", "encoding")
	for _, c := range []struct{ method, url, body, param, contains string }{
		{"POST", "/v1/scenarios/" + id + "/changes", `{"changes": [{"kind": "add", "facility": {"type": "pharmacy", "location": [104.066, 30.66, 500]}}]}`, "changes[0].facility.location", "exactly 2"},
		{"POST", "/v1/scenarios/" + id + "/changes", `{"changes": [{"kind": "add", "facility": {"type": "pharmacy", "location": [0, 0]}}]}`, "changes[0].facility.location", "outside dataset"},
		{"POST", "/v1/scenarios/" + id + "/proposals", `{"facilities": [{"type": "pharmacy", "lon": 0, "lat": 0}]}`, "facilities[0].lon", "outside dataset"},
		{"PUT", "/v1/plan/items", `{"items": [{"id": "1", "type": "pharmacy", "year": 2026, "location": [0, 0]}]}`, "items[0].location", "outside dataset"},
		{"PUT", "/v1/plan/items", `{"items": [{"id": "1", "type": "pharmacy", "year": 2026, "location": [104.066]}]}`, "items[0].location", "exactly 2"},
		{"PUT", "/v1/plan/items", `{"items": [{"id": "1", "type": "pharmacy", "year": 2026, "cost": -5, "location": [104.066, 30.66]}]}`, "items[0].cost", "from 0"},
		{"POST", "/v1/scenarios", `{"name": "x"}{"name": "y"}`, "body", "more after"},
		{"POST", "/v1/recommend", `{"types": ["pharmacy"], "k": 1, "candidates": [{"location": [0, 0]}]}`, "candidates[0].location", "outside dataset"},
	} {
		wantStatus(t, sendWith(t, h, c.method, c.url, c.body), http.StatusBadRequest, c.param, c.contains)
	}

	files, err := filepath.Glob("../data/testdata/geojsonhint/bad/*.geojson")
	if err != nil || len(files) < 40 {
		t.Fatalf("the corpus: %d files, %v", len(files), err)
	}
	before, _ := st.Audit(ctx, coverage.AuditQuery{})
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range []struct{ method, url string }{
			{"POST", "/v1/scenarios"}, {"POST", "/v1/scenarios/" + id + "/proposals"},
			{"POST", "/v1/scenarios/" + id + "/changes"}, {"PUT", "/v1/plan/items"},
			{"POST", "/v1/recommend"}, {"POST", "/v1/plan/trajectory"},
		} {
			rec := sendWith(t, h, ep.method, ep.url, string(body))
			if rec.Code < 400 || rec.Code >= 500 || rec.Body.Len() == 0 {
				t.Errorf("%s as %s %s: %d %s", filepath.Base(f), ep.method, ep.url, rec.Code, rec.Body)
			}
		}
	}
	after, _ := st.Audit(ctx, coverage.AuditQuery{})
	sc, _ := st.Scenario(ctx, id)
	ps, _ := st.Proposals(ctx, id)
	items, _ := st.PlanItems(ctx, "api-fixture")
	list, _ = st.Scenarios(ctx, "api-fixture")
	if len(after) != len(before) || len(sc.Changes) != 0 || len(ps) != 0 || len(items) != 0 || len(list) != 1 {
		t.Errorf("bad input was stored: %d audit entries (was %d), %d changes, %d proposals, %d plan items, %d scenarios",
			len(after), len(before), len(sc.Changes), len(ps), len(items), len(list))
	}
}
