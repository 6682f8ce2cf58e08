package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"lifecircle/coverage"
)

func TestBoundedWork(t *testing.T) {
	srv, st := newStoreServer(t)
	h := srv.Handler()
	// Budgets name the limit, before any work.
	types := strings.Repeat(`"kindergarten",`, 41)
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": [`+strings.TrimSuffix(types, ",")+`], "k": 1}`), http.StatusBadRequest, "types", "at most 40")
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten", "kindergarten"], "k": 1}`), http.StatusBadRequest, "types[1].id", "twice")
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten"], "k": 1, "max_generated": -5}`), http.StatusBadRequest, "max_generated", "from 0")
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten"], "k": 1, "max_generated": 1000000}`), http.StatusBadRequest, "max_generated")
	// Trailing JSON and oversized bodies.
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten"], "k": 1} {"k": 2}`), http.StatusBadRequest, "body", "more after")
	tok := addUser(t, st, "admin", coverage.Admin)
	big := `{"name": "` + strings.Repeat("x", 20<<10) + `"}`
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", big, "Authorization", "Bearer "+tok), http.StatusRequestEntityTooLarge, "body", "KiB")

	// The recommend loop stops with the request's context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.current().RecommendContext(ctx, coverage.RecommendRequest{Types: []coverage.WeightedType{{ID: "pharmacy"}}, K: 2}); err == nil {
		t.Error("a cancelled recommendation ran to the end")
	}

	// The limiter: with its one slot taken, an expensive request is a 429 with Retry-After.
	srv.SetLimits(Limits{Expensive: 1, WritesPerSec: 1, WriteBurst: 2})
	h = srv.Handler()
	srv.limiter.slots <- struct{}{}
	rec := sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten"], "k": 1}`)
	wantStatus(t, rec, http.StatusTooManyRequests, "", "busy")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	wantStatus(t, sendWith(t, h, "GET", "/v1/catalog", ""), http.StatusOK, "") // cheap reads pass
	<-srv.limiter.slots
	wantStatus(t, sendWith(t, h, "POST", "/v1/recommend", `{"types": ["kindergarten"], "k": 1}`), http.StatusOK, "")
	// Writes per client: a burst of 2, then 429.
	for i := 0; i < 2; i++ {
		wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x"}`, "Authorization", "Bearer "+tok), http.StatusCreated, "")
	}
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x"}`, "Authorization", "Bearer "+tok), http.StatusTooManyRequests, "", "too many writes")
}

func TestScenarioCacheIsBounded(t *testing.T) {
	c := newScenarioCache(1000)
	for i := 0; i < 50; i++ {
		id := string(rune('A' + i))
		c.get(id)
		c.charge(id, 300)
	}
	if n := c.len(); n > 4 {
		t.Errorf("%d scenarios kept under a budget of 3", n)
	}
	if c.used > 1000 {
		t.Errorf("%d bytes kept over a budget of 1000", c.used)
	}
}

func TestMetricsAndReadyz(t *testing.T) {
	srv, _ := newStoreServer(t)
	h := srv.Handler()
	sendWith(t, h, "GET", "/v1/catalog", "")
	wantStatus(t, sendWith(t, h, "GET", "/readyz", ""), http.StatusOK, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := sendWith(t, h, "GET", "/metrics", "")
		body := rec.Body.String()
		if rec.Code == 200 && strings.Contains(body, `lifecircle_http_requests_total{method="GET",route="/v1/catalog",status="200"}`) &&
			strings.Contains(body, "lifecircle_scenario_cache_entries") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks the request count: %.2000s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
