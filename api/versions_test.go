package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"lifecircle/coverage"
	"lifecircle/data/gpkgstore"
)

// TestIfMatchWriters: 16 writers append changes to one scenario through
// two servers over one store (as two processes would: the per-process
// lock does not span them), each reading the scenario's ETag and writing
// with If-Match, retrying on 409. Every 2xx is stored, and the version
// counts every write. Half the writers send no If-Match: the server checks
// the version it read itself, so they cannot lose a write either.
func TestIfMatchWriters(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetLimits(Limits{WritesPerSec: 1e6, WriteBurst: 1e6})
	other := New(slog.New(slog.NewTextHandler(io.Discard, nil)), srv.current())
	other.SetStore(st)
	other.SetLimits(Limits{WritesPerSec: 1e6, WriteBurst: 1e6})
	tok := addUser(t, st, "planner", coverage.Planner)
	hs := []http.Handler{srv.Handler(), other.Handler()}
	rec := sendWith(t, hs[0], "POST", "/v1/scenarios", `{"name": "并发 If-Match"}`, "Authorization", "Bearer "+tok)
	wantStatus(t, rec, http.StatusCreated, "")
	if rec.Header().Get("ETag") != `"1"` {
		t.Errorf("created scenario: ETag %q, want \"1\"", rec.Header().Get("ETag"))
	}
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	const writers, each = 16, 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	conflicts := 0
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hs[w%2]
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`{"changes": [{"kind": "add", "facility": {"id": %q, "type": "pharmacy", "location": [104.066, 30.66]}}]}`, id)
				for try := 0; try < 500; try++ {
					hdr := []string{"Authorization", "Bearer " + tok}
					if w < writers/2 {
						g := sendWith(t, h, "GET", "/v1/scenarios/"+sc.ID, "")
						if g.Code != http.StatusOK || g.Header().Get("ETag") == "" {
							t.Errorf("GET scenario: %d, ETag %q", g.Code, g.Header().Get("ETag"))
							return
						}
						hdr = append(hdr, "If-Match", g.Header().Get("ETag"))
					}
					rec := sendWith(t, h, "POST", "/v1/scenarios/"+sc.ID+"/changes", body, hdr...)
					if rec.Code == http.StatusConflict {
						if !strings.Contains(rec.Body.String(), "版本") || !strings.Contains(rec.Body.String(), "version") || rec.Header().Get("ETag") == "" {
							t.Errorf("409 without a bilingual message or the current ETag: %s", rec.Body)
						}
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					}
					if rec.Code/100 != 2 {
						t.Errorf("%s: %d %s", id, rec.Code, rec.Body)
						return
					}
					mu.Lock()
					acked[id] = true
					mu.Unlock()
					break
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
	if len(acked) != writers*each || len(stored.Changes) != writers*each {
		t.Errorf("%d acknowledged, %d stored; want %d each", len(acked), len(stored.Changes), writers*each)
	}
	g := sendWith(t, hs[1], "GET", "/v1/scenarios/"+sc.ID, "")
	if want := fmt.Sprintf(`"%d"`, 1+writers*each); g.Header().Get("ETag") != want {
		t.Errorf("ETag after every write: %s, want %s", g.Header().Get("ETag"), want)
	}
	t.Logf("%d writes, %d answered 409 and retried", writers*each, conflicts)
}

// TestIfMatch: a stale If-Match is a 409 naming the version now stored,
// in Chinese and English, and stores nothing; a malformed one is a 400;
// a write without one is accepted; the plan carries a version too.
func TestIfMatch(t *testing.T) {
	srv, st := newStoreServer(t)
	h := srv.Handler()
	tok := addUser(t, st, "planner", coverage.Planner)
	auth := func(extra ...string) []string { return append([]string{"Authorization", "Bearer " + tok}, extra...) }
	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "版本"}`, auth()...)
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	add := func(id string) string {
		return fmt.Sprintf(`{"changes": [{"kind": "add", "facility": {"id": %q, "type": "pharmacy", "location": [104.066, 30.66]}}]}`, id)
	}
	url := "/v1/scenarios/" + sc.ID + "/changes"
	rec = sendWith(t, h, "POST", url, add("a"), auth("If-Match", `"1"`)...)
	wantStatus(t, rec, http.StatusOK, "")
	if rec.Header().Get("ETag") != `"2"` {
		t.Errorf("write at version 1 answered ETag %q, want \"2\"", rec.Header().Get("ETag"))
	}
	rec = sendWith(t, h, "POST", url, add("b"), auth("If-Match", `"1"`, "Accept-Language", "en")...)
	wantStatus(t, rec, http.StatusConflict, "If-Match", `version "2"`)
	var eb errorBody
	json.Unmarshal(rec.Body.Bytes(), &eb)
	if !strings.Contains(eb.ErrorZH, "当前版本为 \"2\"") || !strings.Contains(eb.ErrorEN, `If-Match: "2"`) {
		t.Errorf("409 texts: zh %q en %q", eb.ErrorZH, eb.ErrorEN)
	}
	wantStatus(t, sendWith(t, h, "POST", url, add("c"), auth("If-Match", `W/"2"`)...), http.StatusBadRequest, "If-Match", "ETag")
	wantStatus(t, sendWith(t, h, "POST", url, add("c"), auth("If-Match", `2`)...), http.StatusBadRequest, "If-Match")
	wantStatus(t, sendWith(t, h, "POST", url, add("d"), auth()...), http.StatusOK, "")
	wantStatus(t, sendWith(t, h, "POST", url, add("e"), auth("If-Match", "*")...), http.StatusOK, "")
	stored, _ := st.Scenario(context.Background(), sc.ID)
	var ids []string
	for _, ch := range stored.Changes {
		ids = append(ids, ch.Facility.ID)
	}
	if strings.Join(ids, ",") != "a,d,e" {
		t.Errorf("stored changes %v, want a, d, e", ids)
	}
	// a proposal with a stale If-Match is refused; with the current one stored
	purl := "/v1/scenarios/" + sc.ID + "/proposals"
	site := `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`
	wantStatus(t, sendWith(t, h, "POST", purl, site, auth("If-Match", `"3"`)...), http.StatusConflict, "If-Match")
	cur := sendWith(t, h, "GET", "/v1/scenarios/"+sc.ID, "").Header().Get("ETag")
	rec = sendWith(t, h, "POST", purl, site, auth("If-Match", cur)...)
	wantStatus(t, rec, http.StatusCreated, "")
	if ps, _ := st.Proposals(context.Background(), sc.ID); len(ps) != 1 {
		t.Errorf("%d proposals stored, want 1", len(ps))
	}
	// the plan
	rec = sendWith(t, h, "GET", "/v1/plan/items", "")
	wantStatus(t, rec, http.StatusOK, "")
	if rec.Header().Get("ETag") != `"0"` || !strings.Contains(rec.Body.String(), `"items":[]`) {
		t.Errorf("GET plan: ETag %q, %s", rec.Header().Get("ETag"), rec.Body)
	}
	item := `{"items": [{"id": "1", "type": "kindergarten", "year": 2026, "location": [104.066, 30.66]}]}`
	rec = sendWith(t, h, "PUT", "/v1/plan/items", item, auth("If-Match", `"0"`)...)
	wantStatus(t, rec, http.StatusOK, "")
	if rec.Header().Get("ETag") != `"1"` {
		t.Errorf("PUT plan: ETag %q", rec.Header().Get("ETag"))
	}
	wantStatus(t, sendWith(t, h, "PUT", "/v1/plan/items", `{"items": []}`, auth("If-Match", `"0"`)...), http.StatusConflict, "If-Match", "规划")
	if items, _ := st.PlanItems(context.Background(), "api-fixture"); len(items) != 1 {
		t.Errorf("a stale PUT changed the plan: %d items", len(items))
	}
}

// TestIdempotencyKeyComparesBodies: the same key with the same body gets
// the first answer; with another body a 422 naming the key, not the first
// answer; and so after a restart, since the store keeps the keys.
func TestIdempotencyKeyComparesBodies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gpkg")
	a := fixture(t)
	open := func() (*Server, coverage.Store) {
		st, err := gpkgstore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		srv := New(slog.New(slog.NewTextHandler(io.Discard, nil)), a)
		srv.SetStore(st)
		return srv, st
	}
	srv, st := open()
	if err := st.SaveDataset(context.Background(), a.Catalog, a.Data); err != nil {
		t.Fatal(err)
	}
	tok := addUser(t, st, "street", coverage.Planner)
	h := srv.Handler()
	rec := sendWith(t, h, "POST", "/v1/scenarios", `{"name": "幂等"}`, "Authorization", "Bearer "+tok)
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	url := "/v1/scenarios/" + sc.ID + "/proposals"
	one := `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`
	two := `{"facilities": [{"type": "pharmacy", "lon": 104.0672, "lat": 30.6603}]}`
	hdr := []string{"Authorization", "Bearer " + tok, "Idempotency-Key", "retry-1"}
	first := sendWith(t, h, "POST", url, one, hdr...)
	wantStatus(t, first, http.StatusCreated, "")
	check := func(h http.Handler, when string) {
		t.Helper()
		again := sendWith(t, h, "POST", url, one, hdr...)
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: the same key and body answered %d %s; want the first answer", when, again.Code, again.Body)
		}
		other := sendWith(t, h, "POST", url, two, hdr...)
		wantStatus(t, other, http.StatusUnprocessableEntity, "Idempotency-Key", "retry-1", "another body")
		var eb errorBody
		json.Unmarshal(other.Body.Bytes(), &eb)
		if !strings.Contains(eb.ErrorZH, "retry-1") || !strings.Contains(eb.ErrorZH, "请求体不同") {
			t.Errorf("%s: 422 without the Chinese text: %q", when, eb.ErrorZH)
		}
		if ps, _ := st.Proposals(context.Background(), sc.ID); len(ps) != 1 {
			t.Errorf("%s: %d proposals stored for one key, want 1", when, len(ps))
		}
	}
	check(h, "same process")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv, st = open() // a restart: the keys are in the file
	defer st.Close()
	check(srv.Handler(), "after a restart")
}
