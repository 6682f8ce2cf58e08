package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStreetBoundariesEndToEnd: a street boundary file as an agency hands
// it out (a GBK Shapefile written by GDAL from real street codes on
// synthetic squares, data/testdata/streets/NOTE.md) is analysed with the
// sample's facilities and population; summary.json rolls up by street with
// the Chinese names and the parents from the official divisions. Users'
// units are resolved against the divisions too.
func TestStreetBoundariesEndToEnd(t *testing.T) {
	ogr := needTool(t, "ogr2ogr", "deps-gdal")
	dir := t.TempDir()
	shp := filepath.Join(dir, "街道.shp")
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", shp, "../../data/testdata/streets/streets_synthetic.geojson").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	out := filepath.Join(dir, "out")
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"analyze", "--facilities", "../../data/sample/chengdu/facilities.geojson",
		"--population", "../../data/sample/chengdu/population.csv", "--boundaries", shp, "--no-network", "--out", out}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		UnitsByLevel map[string][]struct {
			Code, Name, Parent, Level string
			ParentName                string `json:"parent_name"`
		} `json:"units_by_level"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	streets := s.UnitsByLevel["street"]
	if len(streets) != 7 {
		t.Fatalf("summary.json: %d street units (%.300s)", len(streets), b)
	}
	names := map[string]string{}
	for _, u := range streets {
		names[u.Code] = u.Name + "/" + u.Parent + "/" + u.ParentName
	}
	if names["510108002"] != "猛追湾街道/510108/成华区" || names["510105005"] != "少城街道/510105/青羊区" {
		t.Errorf("streets: %v", names)
	}

	// users: a unit by name or code resolves to its code; an unknown one is refused
	store, _ := newStore(t, "--sample", "chengdu", "--no-network")
	var so, se bytes.Buffer
	if err := run(context.Background(), []string{"users", "add", "--store", store, "--name", "石羊", "--role", "street_official", "--unit", "石羊街道"}, &so, &se); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(se.String(), "units 510107063") {
		t.Errorf("users add --unit 石羊街道: %s", se.String())
	}
	runErr(t, "510107999", "users", "add", "--store", store, "--name", "错", "--role", "street_official", "--unit", "510107999")
	runErr(t, "武侯区", "users", "add", "--store", store, "--name", "重名", "--role", "street_official", "--unit", "正街社区")
}
