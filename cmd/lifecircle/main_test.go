package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeEndToEnd starts the real server on the embedded sample and
// fetches every endpoint over loopback, as `make run` and curl would.
func TestServeEndToEnd(t *testing.T) {
	srv := startServe(t)
	base := srv.base
	fetch := func(path string, wantStatus int) map[string]any {
		t.Helper()
		return getJSONStatus(t, base+path, wantStatus)
	}
	cat := fetch("/v1/catalog", 200)
	if n := len(cat["types"].([]any)); n != 35 {
		t.Errorf("catalog has %d types", n)
	}
	s := fetch("/v1/summary?by=district", 200)
	if s["method"] != "network" || len(s["units"].([]any)) != 5 || !strings.Contains(fmt.Sprint(s["population_note"]), "ESTIMATE") {
		t.Errorf("summary: method %v, %d units, note %v", s["method"], len(s["units"].([]any)), s["population_note"])
	}
	// no street polygons in the sample: the same 404 naming what is missing everywhere
	for _, u := range []string{"/v1/summary?by=street", "/v1/equity?type=kindergarten&by=street", "/v1/plan/trajectory?by=street",
		"/v1/summary.csv?by=street", "/v1/summary.xlsx?by=community", "/v1/layers/units?level=street"} {
		want := "by"
		if strings.Contains(u, "level=") {
			want = "level"
		}
		if e := fetch(u, 404); e["parameter"] != want || !strings.Contains(fmt.Sprint(e["error"]), "boundaries (the ") || !strings.Contains(fmt.Sprint(e["error"]), "没有") {
			t.Errorf("%s: %v", u, e)
		}
	}
	// the official streets and communities: listed, named, resolvable
	st := fetch("/v1/units?level=street", 200)
	if st["count"] != float64(62) || !strings.Contains(fmt.Sprint(st["units"]), "石羊街道") || strings.Contains(fmt.Sprint(st["units"]), "boundary:true") {
		t.Errorf("/v1/units?level=street: %v streets", st["count"])
	}
	if cm := fetch("/v1/units?level=community&parent=石羊街道", 200); cm["count"] != float64(14) {
		t.Errorf("communities of 石羊街道: %v", cm["count"])
	}
	for _, c := range []struct {
		url    string
		status int
		want   string
	}{
		{"/v1/layers/gaps?type=幼儿园&unit=石羊街道", 404, "510107063 (street, 武侯区) is an official unit, but dataset chengdu-centre-sample has no street boundaries"},
		{"/v1/layers/gaps?type=幼儿园&unit=510107063", 404, "no street boundaries"},
		{"/ogc/collections/gaps-kindergarten/items?unit=石羊街道", 404, "no street boundaries"},
		{"/v1/layers/gaps?type=幼儿园&unit=510107999", 400, "no unit has this code"},
		{"/v1/layers/gaps?type=幼儿园&unit=锦城社区", 400, "510106031011 (community, 金牛区)"},
	} {
		if e := fetch(c.url, c.status); e["parameter"] != "unit" || !strings.Contains(fmt.Sprint(e["error"]), c.want) {
			t.Errorf("%s: %v", c.url, e)
		}
	}
	fetch("/v1/layers", 200)
	for _, l := range []string{"facilities", "population", "coverage?type=kindergarten", "gaps?type=kindergarten", "gap-areas?type=kindergarten"} {
		fc := fetch("/v1/layers/"+l, 200)
		if fc["type"] != "FeatureCollection" || len(fc["features"].([]any)) == 0 {
			t.Errorf("%s: type %v, %d features", l, fc["type"], len(fc["features"].([]any)))
		}
	}
	gaps := fetch("/v1/layers/gaps?type=kindergarten", 200)
	f0 := gaps["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	if f0["covered"] != false || f0["h3"] == nil {
		t.Errorf("gap cell properties %v", f0)
	}
	fac := fetch("/v1/layers/facilities?type=kindergarten&limit=1", 200)
	id := fac["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)["id"].(string)
	cm := fetch("/v1/layers/catchment?facility="+id, 200)
	if cm["method"] != "network" || len(cm["features"].([]any)) != 1 {
		t.Errorf("catchment of %s: method %v, %d features", id, cm["method"], len(cm["features"].([]any)))
	}
	if r := f0["reason"]; r != "no_facility_in_reach" && r != "no_walkable_network_nearby" {
		t.Errorf("gap cell reason %v", r)
	}
	// the example, and the audit wherever a share appears
	cg := fetch("/v1/layers/gaps?type=幼儿园&unit=成华区", 200)
	if cg["type_name_zh"] != "幼儿园" || cg["data_quality"] != "likely_incomplete" || cg["numberMatched"].(float64) == 0 {
		t.Errorf("gaps of 幼儿园 in 成华区: type %v, data_quality %v, %v cells", cg["type_name_zh"], cg["data_quality"], cg["numberMatched"])
	}
	h := fetch("/healthz", 200)
	dq := h["data_quality"].(map[string]any)
	if n := len(dq["none_mapped"].([]any)); n != 13 || !strings.Contains(fmt.Sprint(dq["likely_incomplete"]), "kindergarten") {
		t.Errorf("healthz data quality: %v", dq)
	}
	fetch("/v1/layers/gaps?type=nope", 404)
	fetch("/v1/layers/gaps?type=kindergarten&bbox=1,2", 400)
	srv.stop(t)
}

func TestAnalyzeWritesOutputs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "--sample", "porto_alegre", "--out", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "cells.csv", "facilities.geojson", "population.geojson",
		"coverage_primary_school.geojson", "gaps_primary_school.geojson", "gap_areas_primary_school.geojson"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(out.String(), "primary_school") {
		t.Errorf("analyze printed %q", out.String())
	}
	// A second run into the same directory must refuse, not overwrite.
	if err := run(context.Background(), []string{"analyze", "--sample", "porto_alegre", "--out", dir}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second analyze into %s: %v", dir, err)
	}
}

// TestAnalyzeTableChinese: with a Chinese locale the table is in Chinese
// and lists every type, those without any facility too, with its status.
func TestAnalyzeTableChinese(t *testing.T) {
	t.Setenv("LC_ALL", "zh_CN.UTF-8")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "--out", filepath.Join(t.TempDir(), "out")}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"设施类型", "数据状态", "幼儿园\t8\t73–178\t很可能不完整", "托儿所\t0\t73–178\t未录入", "13 类设施没有任何已录入设施"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "\n"); n < 35+3 {
		t.Errorf("table has %d lines; every one of the 35 types must be listed", n)
	}
}

func TestBadCommandLines(t *testing.T) {
	cases := map[string][]string{
		"no command given":      {},
		"unknown command":       {"frobnicate"},
		"--out DIR is required": {"analyze"},
		"unknown crs":           {"analyze", "--crs", "utm", "--out", t.TempDir() + "/x"},
		"no sample \"tokyo\"":   {"analyze", "--sample", "tokyo", "--out", t.TempDir() + "/x"},
		"give --facilities FILE and --population FILE": {"analyze", "--facilities", "f.csv", "--out", t.TempDir() + "/x"},
		"detour factor 9 must be between 1":            {"analyze", "--detour", "9", "--out", t.TempDir() + "/x"},
		"H3 resolution 3":                              {"analyze", "--sample", "chengdu", "--res", "3", "--out", t.TempDir() + "/x"},
	}
	for want, args := range cases {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want it to say %q", args, err, want)
		}
	}
}

// TestAnalyzeNetworkBadInput: an extract elsewhere, or not OSM at all, is a
// clear error and no output directory appears.
func TestAnalyzeNetworkBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, path string) string {
		b, err := os.ReadFile(filepath.Join("../../data", path))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fac := write("facilities.geojson", "sample/chengdu/facilities.geojson")
	pop := write("population.csv", "sample/chengdu/population.csv")
	elsewhere := write("poa.pbf", "sample/porto_alegre/osm.pbf")
	notOSM := write("notosm.pbf", "sample/chengdu/population.csv")
	truncated := filepath.Join(dir, "truncated.pbf")
	b, _ := os.ReadFile(filepath.Join("../../data", "sample/chengdu/osm.pbf"))
	os.WriteFile(truncated, b[:len(b)/3], 0o644)
	for osmFile, want := range map[string]string{
		elsewhere: "does not overlap the population",
		notOSM:    "not an OSM file",
		truncated: "damaged or truncated",
	} {
		out := filepath.Join(dir, "out-"+filepath.Base(osmFile))
		err := run(context.Background(), []string{"analyze", "--facilities", fac, "--population", pop, "--osm", osmFile, "--out", out}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", filepath.Base(osmFile), err, want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: an output directory was left behind", filepath.Base(osmFile))
		}
	}
}

// TestServeLoadsBasemap checks that serving the embedded sample attaches
// the basemap of its OSM extract to the analysis the API holds, also with
// --no-network (the map still needs its context).
func TestServeLoadsBasemap(t *testing.T) {
	var in inputFlags
	fs := newFlagSet("serve", io.Discard)
	in.register(fs)
	if err := fs.Parse([]string{"--no-network"}); err != nil {
		t.Fatal(err)
	}
	in.basemap = true
	a, err := in.load(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Basemap == nil {
		t.Fatal("the served sample has no basemap")
	}
	layers := map[string]int{}
	for _, l := range a.Basemap.Layers() {
		layers[l.ID] = l.Features
	}
	if layers["roads"] < 2000 || layers["places"] == 0 || layers["water"] == 0 {
		t.Errorf("sample basemap layers %v", layers)
	}
}
