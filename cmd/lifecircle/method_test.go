package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lifecircle/data/gpkgstore"
	"lifecircle/data/storetest"
)

// TestOneDistanceMethodEverywhere: analyze, serve (embedded sample), serve
// --store, serve --pg and export give the same per-cell coverage on the
// same inputs — all on the walking network, the stores' taken in by import
// --sample. (serve --pg runs on a throwaway PostgreSQL cluster, see
// storetest.PGAdminURL; without PostgreSQL that part is skipped, or fails
// with CI=true.)
func TestOneDistanceMethodEverywhere(t *testing.T) {
	types := []string{"kindergarten", "primary_school", "bus_stop", "nursery"}
	// analyze
	dir := filepath.Join(t.TempDir(), "out")
	runOK(t, "analyze", "--out", dir)
	f, err := os.Open(filepath.Join(dir, "cells.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	want := map[string]map[string]bool{}
	for _, typ := range types {
		want[typ] = map[string]bool{}
		for _, r := range rows[1:] {
			i, ok := col[typ+"_covered"]
			want[typ][r[col["h3"]]] = ok && r[i] == "1"
		}
	}
	compare := func(t *testing.T, who string, got map[string]map[string]bool) {
		t.Helper()
		for _, typ := range types {
			n, diff := 0, 0
			for h, w := range want[typ] {
				g, ok := got[typ][h]
				if ok {
					n++
				}
				if !ok || g != w {
					diff++
				}
			}
			if diff > 0 || n != len(want[typ]) {
				t.Errorf("%s, %s: %d of %d cells differ from analyze (%d compared)", who, typ, diff, len(want[typ]), n)
			}
		}
	}
	served := func(t *testing.T, who string, args ...string) {
		t.Helper()
		srv := startServe(t, args...)
		base := srv.base
		if h := getJSON(t, base+"/healthz"); h["method"] != "network" || h["network"] == nil || h["distance_warning"] != nil {
			t.Errorf("%s: healthz method %v, network %v, warning %v", who, h["method"], h["network"], h["distance_warning"])
		}
		got := map[string]map[string]bool{}
		for _, typ := range types {
			got[typ] = map[string]bool{}
			fc := getJSON(t, base+"/v1/layers/coverage?type="+typ+"&limit=100000")
			for _, f := range fc["features"].([]any) {
				p := f.(map[string]any)["properties"].(map[string]any)
				got[typ][fmt.Sprint(p["h3"])] = p["covered"] == true
			}
		}
		srv.stop(t)
		compare(t, who, got)
	}
	served(t, "serve (embedded sample)")
	store, msg := newStore(t, "--sample", "chengdu")
	if !strings.Contains(msg, "walking network sample/chengdu/osm.pbf") {
		t.Errorf("import printed %q", msg)
	}
	served(t, "serve --store", "--store", store)
	// the PostgreSQL store keeps the network too: serve --pg needs no --osm
	t.Run("pg", func(t *testing.T) {
		url := storetest.PGDatabase(t, storetest.PGAdminURL(t))
		if msg := runOK(t, "import", "--pg", url, "--sample", "chengdu"); !strings.Contains(msg, "walking network sample/chengdu/osm.pbf") {
			t.Errorf("import --pg printed %q", msg)
		}
		served(t, "serve --pg", "--pg", url)
	})
	out := filepath.Join(t.TempDir(), "e.gpkg")
	runOK(t, "export", "--store", store, "--out", out, "--no-save")
	g, err := gpkgstore.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	names, _ := g.Datasets(ctx)
	got := map[string]map[string]bool{}
	for _, typ := range types {
		got[typ] = map[string]bool{}
		fs, err := g.Layer(ctx, names[0], "coverage/"+typ)
		if err != nil {
			t.Fatalf("export lacks coverage/%s: %v", typ, err)
		}
		for _, f := range fs {
			got[typ][fmt.Sprint(f.Properties["h3"])] = f.Properties["covered"] == true
		}
	}
	compare(t, "export", got)
	meta, err := g.Layer(ctx, names[0], "metadata")
	if err != nil || len(meta) != 1 || meta[0].Properties["method"] != "network" || meta[0].Properties["network_sha256"] == nil {
		t.Errorf("export metadata %v, %v", meta, err)
	}
	// the export keeps the network too: serving it measures the same way
	if n, err := g.Network(ctx, names[0]); err != nil || len(n.Extract) == 0 {
		t.Errorf("export lacks the walking network: %v", err)
	}
}

// TestStraightLineSaysSo: a store imported without any network is served
// by straight line, and healthz and the export say so.
func TestStraightLineSaysSo(t *testing.T) {
	store, msg := newStore(t, append([]string{"--name", "tiny"}, tinyArgs()...)...)
	if !strings.Contains(msg, "no walking network") {
		t.Errorf("import printed %q", msg)
	}
	srv := startServe(t, "--store", store)
	base := srv.base
	h := getJSON(t, base+"/healthz")
	w, _ := h["distance_warning"].(map[string]any)
	if h["method"] != "euclidean" || h["approximate"] != true || !strings.Contains(fmt.Sprint(w["zh"]), "近似") {
		t.Errorf("healthz %v", h)
	}
	s := getJSON(t, base+"/v1/summary")
	if !strings.Contains(fmt.Sprint(s["distance_warning"]), "APPROXIMATE") {
		t.Errorf("summary warning %v", s["distance_warning"])
	}
	srv.stop(t)
	out := filepath.Join(t.TempDir(), "e.gpkg")
	runOK(t, "export", "--store", store, "--out", out)
	g, err := gpkgstore.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	meta, err := g.Layer(context.Background(), "tiny", "metadata")
	if err != nil || len(meta) != 1 || meta[0].Properties["method"] != "euclidean" || !strings.Contains(fmt.Sprint(meta[0].Properties["distance_warning"]), "APPROXIMATE") {
		t.Errorf("export metadata %v, %v", meta, err)
	}
}

// The README's first example must not pour megabytes into a terminal, and
// make run takes a port.
func TestReadmeAndMakeRun(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "curl ")
	if i < 0 {
		t.Fatal("README has no curl example")
	}
	first := readme[i : i+strings.IndexByte(readme[i:], '\n')]
	if !strings.Contains(first, "limit=") {
		t.Errorf("the README's first example %q has no limit=", first)
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		missing(t, "make is missing (apt-get install make)")
	}
	out, err := exec.Command(mk, "-n", "-C", "../..", "run", "ADDR=:9090").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "serve --addr :9090") {
		t.Errorf("make -n run ADDR=:9090: %v\n%s", err, out)
	}
}
