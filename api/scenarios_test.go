package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
)

func TestScenarioGainCompareDelta(t *testing.T) {
	srv, st := newStoreServer(t)
	h := withToken(srv.Handler(), addUser(t, st, "planner", coverage.Planner))
	// A scenario limited to district E may not remove K1, which stands in W.
	rec := send(t, h, "POST", "/v1/scenarios", `{"name": "东区", "unit": "E"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var east coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &east)
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/"+east.ID+"/changes", `{"changes": [{"kind": "remove", "facility_id": "K1"}]}`),
		http.StatusBadRequest, "changes[0].facility_id", "outside the scenario's unit E")
	rec = send(t, h, "POST", "/v1/scenarios", `{"name": "东区药店"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	url := "/v1/scenarios/" + sc.ID

	// A pharmacy west of the existing one, still in district E: the gain is shown at once.
	propose := func() []coverage.Gain {
		rec := send(t, h, "POST", url+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`)
		wantStatus(t, rec, http.StatusCreated, "")
		var p struct {
			Shown []coverage.Gain `json:"shown"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Shown) != 1 {
			t.Fatalf("proposal answer %s (%v)", rec.Body, err)
		}
		return p.Shown
	}
	first := propose()
	if first[0].Types[0].ID != "pharmacy" || first[0].Types[0].NewlyCovered <= 0 || len(first[0].Cells) == 0 {
		t.Fatalf("first proposal gains %+v", first[0].Types)
	}
	// The same site again gains nobody: the scenario already has it.
	if again := propose(); again[0].Types[0].NewlyCovered != 0 {
		t.Errorf("a second identical site gains %v", again[0].Types[0].NewlyCovered)
	}
	// Compare: the scenario's pharmacy gain is the first proposal's.
	rec = send(t, h, "GET", url+"/compare", "")
	wantStatus(t, rec, http.StatusOK, "")
	var cmp struct {
		Comparison coverage.Comparison `json:"comparison"`
	}
	json.Unmarshal(rec.Body.Bytes(), &cmp)
	if len(cmp.Comparison.Types) != 1 || cmp.Comparison.Types[0].NewlyCovered != first[0].Types[0].NewlyCovered {
		t.Errorf("comparison %+v, first gain %v", cmp.Comparison.Types, first[0].Types[0].NewlyCovered)
	}
	rec = send(t, h, "GET", url+"/layers/delta?type=pharmacy", "")
	wantStatus(t, rec, http.StatusOK, "")
	fc, err := geojson.UnmarshalFeatureCollection(rec.Body.Bytes())
	if err != nil || len(fc.Features) != first[0].Types[0].Cells {
		t.Errorf("delta layer: %v, %d features, want %d", err, len(fc.Features), first[0].Types[0].Cells)
	}
	// Remove the kindergarten: residents newly uncovered.
	rec = send(t, h, "POST", url+"/changes", `{"changes": [{"kind": "remove", "facility_id": "K1"}]}`)
	wantStatus(t, rec, http.StatusOK, "")
	rec = send(t, h, "GET", url+"/compare", "")
	json.Unmarshal(rec.Body.Bytes(), &cmp)
	lost := 0.0
	for _, td := range cmp.Comparison.Types {
		if td.ID == "kindergarten" {
			lost = td.NewlyUncovered
		}
	}
	if lost <= 0 {
		t.Errorf("removing K1 uncovers nobody: %+v", cmp.Comparison.Types)
	}
	// Bad input.
	wantStatus(t, send(t, h, "POST", "/v1/scenarios/"+east.ID+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.050, "lat": 30.6601}]}`),
		http.StatusBadRequest, "facilities[0].lon", "outside the scenario's jurisdiction E")
	wantStatus(t, send(t, h, "POST", url+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": -51.2, "lat": -30.0, "crs": "gcj02"}]}`),
		http.StatusBadRequest, "facilities[0].crs", "outside China")
	wantStatus(t, send(t, h, "POST", url+"/changes", `{"changes": [{"kind": "remove", "facility_id": "nope"}]}`),
		http.StatusNotFound, "changes[0].facility_id", "does not exist")
	wantStatus(t, send(t, h, "POST", url+"/changes", `{"changes": []}`), http.StatusBadRequest, "changes", "at least one")
	wantStatus(t, send(t, h, "GET", url+"/layers/delta", ""), http.StatusBadRequest, "type", "needs a facility type")
	wantStatus(t, send(t, h, "GET", "/v1/scenarios/nope/compare", ""), http.StatusNotFound, "", "nope")
}

func TestStoredPlanTrajectory(t *testing.T) {
	srv, st := newStoreServer(t)
	h := withToken(srv.Handler(), addUser(t, st, "planner", coverage.Planner))
	rec := send(t, h, "PUT", "/v1/plan/items", `{"items": [
	  {"id": "a", "type": "pharmacy", "year": 2026, "location": [104.0650, 30.6580]},
	  {"id": "b", "type": "kindergarten", "year": 2027, "location": [104.0640, 30.6610], "status": "under_construction"},
	  {"id": "c", "type": "pharmacy", "year": 2025, "location": [104.0660, 30.6600], "status": "existing"}]}`)
	wantStatus(t, rec, http.StatusOK, "")
	rec = send(t, h, "GET", "/v1/plan/trajectory?by=district", "")
	wantStatus(t, rec, http.StatusOK, "")
	var tr coverage.Trajectory
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 3 || tr.Steps[1].Year != 2026 || tr.Steps[2].Year != 2027 || tr.Built != 1 || tr.Planned != 3 {
		t.Errorf("trajectory: %d steps, built %d of %d", len(tr.Steps), tr.Built, tr.Planned)
	}
	wantStatus(t, send(t, h, "PUT", "/v1/plan/items", `{"items": [{"type": "castle", "year": 2026, "location": [104.06, 30.66]}]}`),
		http.StatusBadRequest, "items[0].type", "valid types")
}
