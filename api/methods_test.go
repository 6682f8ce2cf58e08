package api

import (
	"net/http"
	"testing"
)

func TestMethodsAndCORS(t *testing.T) {
	srv, st := newStoreServer(t)
	srv.SetAllowedOrigins([]string{"https://plan.example"})
	h := srv.Handler()
	tok := addUser(t, st, "admin", "admin")
	rec := sendWith(t, h, "DELETE", "/v1/catalog", "")
	wantStatus(t, rec, http.StatusMethodNotAllowed, "", "not allowed")
	if a := rec.Header().Get("Allow"); a == "" {
		t.Error("405 without Allow")
	}
	wantStatus(t, sendWith(t, h, "OPTIONS", "/v1/nowhere", ""), http.StatusNotFound, "")
	rec = sendWith(t, h, "OPTIONS", "/v1/scenarios", "", "Origin", "https://plan.example")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://plan.example" {
		t.Errorf("preflight from an allowed origin: %d %v", rec.Code, rec.Header())
	}
	// Reads are open to any origin; writes only from allowed ones, only as JSON.
	rec = sendWith(t, h, "GET", "/v1/catalog", "", "Origin", "https://evil.example")
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("read from another origin: %v", rec.Header())
	}
	wantStatus(t, sendWith(t, h, "PUT", "/v1/plan/items", `{"items": []}`, "Authorization", "Bearer "+tok, "Origin", "https://evil.example"),
		http.StatusForbidden, "", "evil.example")
	wantStatus(t, sendWith(t, h, "PUT", "/v1/plan/items", `{"items": []}`, "Authorization", "Bearer "+tok, "Origin", "https://plan.example"),
		http.StatusOK, "")
	wantStatus(t, sendWith(t, h, "POST", "/v1/scenarios", `{"name": "x"}`, "Authorization", "Bearer "+tok, "Content-Type", "text/plain"),
		http.StatusUnsupportedMediaType, "Content-Type", "application/json")
}
