package api

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// The first answers of a server compute no type's coverage: a type is
// computed when an answer needs it (coverage/analysis.go), so a server on
// a big city answers its first layer without computing the 35 types.
func TestFirstAnswersComputeNoType(t *testing.T) {
	a := fixture(t)
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), a).Handler()
	for _, url := range []string{
		"/healthz", "/v1/catalog", "/ogc/collections", "/ogc/collections/facilities", "/ogc/collections/gap-areas-kindergarten",
		"/ogc/collections/catchments-pharmacy", "/ogc/collections/coverage-kindergarten", "/v1/layers/facilities",
		"/v1/layers/facilities?type=kindergarten", "/ogc/collections/facilities/items?limit=2",
	} {
		if rec := get(t, h, http.MethodGet, url); rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, rec.Code, rec.Body)
		}
		if n := a.Computed(); n != 0 {
			t.Fatalf("GET %s computed %d types; it needs none", url, n)
		}
	}
	if rec := get(t, h, http.MethodGet, "/v1/layers/coverage?type=kindergarten"); rec.Code != http.StatusOK {
		t.Fatalf("coverage layer: %d %s", rec.Code, rec.Body)
	}
	if n := a.Computed(); n != 1 {
		t.Fatalf("the coverage layer of one type computed %d types; want 1", n)
	}
	// units carry their completeness: the mandatory types, not all
	if rec := get(t, h, http.MethodGet, "/v1/layers/units"); rec.Code != http.StatusOK {
		t.Fatalf("units layer: %d %s", rec.Code, rec.Body)
	}
	if n := a.Computed(); n <= 1 || n >= a.NumTypes() {
		t.Fatalf("the units layer computed %d of %d types; want the mandatory ones", n, a.NumTypes())
	}
	if rec := get(t, h, http.MethodGet, "/v1/summary"); rec.Code != http.StatusOK {
		t.Fatalf("summary: %d %s", rec.Code, rec.Body)
	}
	if n, all := a.Computed(), a.NumTypes(); n != all {
		t.Fatalf("the summary computed %d of %d types", n, all)
	}
}

// With the warm-up on, the first answer starts computing the other types
// in the background; the answer itself computed none.
func TestWarmUpAfterFirstAnswer(t *testing.T) {
	a := fixture(t)
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), a)
	s.SetWarmUp(t.Context())
	h := s.Handler()
	if rec := get(t, h, http.MethodGet, "/v1/layers/facilities"); rec.Code != http.StatusOK {
		t.Fatalf("facilities: %d %s", rec.Code, rec.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for a.Computed() < a.NumTypes() {
		if time.Now().After(deadline) {
			t.Fatalf("the warm-up computed %d of %d types in 30 s", a.Computed(), a.NumTypes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// a new analysis is warmed up too
	b := fixture(t)
	s.Replace(b)
	get(t, h, http.MethodGet, "/healthz")
	for b.Computed() < b.NumTypes() {
		if time.Now().After(deadline) {
			t.Fatalf("the warm-up of the replaced analysis computed %d of %d types", b.Computed(), b.NumTypes())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
