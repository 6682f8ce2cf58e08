package api

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
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
