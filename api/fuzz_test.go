package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequests: no query string or body makes the server answer 500 or
// panic; run longer with `go test -fuzz FuzzRequests ./api`.
func FuzzRequests(f *testing.F) {
	f.Add("type=kindergarten&bbox=104,30,105,31&limit=3", `{"types":[{"id":"pharmacy"}],"k":2}`)
	f.Add("type=pharmacy&unit=W&offset=1&profile=elderly", `{"items":[{"type":"pharmacy","year":2026,"location":[104.06,30.66]}]}`)
	f.Add("bbox=,,,&type=", `{"types":[{"id":"pharmacy"}],"k":1,"candidates":[{"location":[1e308,-1e308]}]}`)
	h := newTestServer(f)
	f.Fuzz(func(t *testing.T, query, body string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		query = q.Encode()
		for _, u := range []string{"/v1/layers/coverage?", "/v1/layers/gap-areas?", "/v1/summary?", "/v1/capacity?", "/v1/equity?", "/v1/layers/catchment?"} {
			if rec := get(t, h, http.MethodGet, u+query); rec.Code >= 500 {
				t.Fatalf("GET %s%s: %d %s", u, query, rec.Code, rec.Body)
			}
		}
		for _, u := range []string{"/v1/recommend", "/v1/plan/trajectory"} {
			if rec := post(t, h, u, body); rec.Code >= 500 {
				t.Fatalf("POST %s %s: %d %s", u, strings.TrimSpace(body), rec.Code, rec.Body)
			}
		}
	})
}
