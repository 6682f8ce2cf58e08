package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClassifyThenAnalyze: an Amap export (GCJ-02) becomes facilities,
// with a report; analyze takes the export itself with --provider.
func TestClassifyThenAnalyze(t *testing.T) {
	dir := t.TempDir()
	in := "../../data/testdata/poi/amap_chengdu.csv"
	out := filepath.Join(dir, "f.geojson")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"classify", "--in", in, "--provider", "amap", "--out", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	rep, err := os.ReadFile(filepath.Join(dir, "f.report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep), "未匹配 unmatched") || !strings.Contains(stdout.String(), "38 facilities") {
		t.Errorf("stdout %q\nreport %s", stdout.String(), rep)
	}
	// analyze takes the export itself with --provider; its CRS is the provider's.
	if err := run(context.Background(), []string{"analyze", "--facilities", in, "--provider", "amap", "--population", "../../data/sample/chengdu/population.csv",
		"--out", filepath.Join(dir, "a2"), "--excel-csv", "--no-network"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "a2", "cells.csv"))
	if !bytes.HasPrefix(csv, []byte("\ufeffh3,population")) {
		t.Errorf("--excel-csv: cells.csv starts %q", csv[:12])
	}
	xlsx := filepath.Join(dir, "p.xlsx")
	os.WriteFile(xlsx, []byte("PK"), 0o644)
	for want, args := range map[string][]string{
		"exists":                       {"classify", "--in", in, "--provider", "amap", "--out", out},
		"unknown provider \"google\"":  {"classify", "--in", in, "--provider", "google", "--out", filepath.Join(dir, "g.geojson")},
		"--poi-rules needs --provider": {"analyze", "--facilities", in, "--poi-rules", "r.json", "--population", "p.csv", "--out", filepath.Join(dir, "x")},
		"needs --provider":             {"analyze", "--facilities", xlsx, "--population", "../../data/sample/chengdu/population.csv", "--out", filepath.Join(dir, "y")},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", args, err, want)
		}
	}
}

func TestExportWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chengdu.xlsx")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"export", "--xlsx", path, "--lang", "en"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "wrote "+path) {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run(); err != nil {
		missing(t, "python3-openpyxl is missing: `make deps-xlsx` installs it")
	}
	out, err := exec.Command("/usr/bin/python3", "-c", `import openpyxl,sys; wb=openpyxl.load_workbook(sys.argv[1]); print(",".join(wb.sheetnames)); print(wb["Citywide"]["A1"].value, wb["Citywide"].freeze_panes); r=wb["Recommended sites"]; print("recommended", r["C1"].value, r["C2"].value, r.max_row > 20)`, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "About,Citywide,By unit and type") || !strings.Contains(string(out), "type id A2") ||
		!strings.Contains(string(out), "recommended build order 1 True") {
		t.Errorf("openpyxl: %v %s", err, out)
	}
	if err := run(context.Background(), []string{"export", "--xlsx", path}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second export over %s: %v", path, err)
	}
}

func TestExportShapefile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gaps.shp")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"export", "--shp", path, "--layer", "gap-areas", "--type", "幼儿园", "--encoding", "gbk"}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		if _, err := os.Stat(filepath.Join(dir, "gaps"+ext)); err != nil {
			t.Errorf("missing gaps%s", ext)
		}
	}
	if cpg, _ := os.ReadFile(filepath.Join(dir, "gaps.cpg")); string(cpg) != "GBK" {
		t.Errorf(".cpg %q, want GBK", cpg)
	}
	if err := run(context.Background(), []string{"export", "--shp", filepath.Join(dir, "x.shp")}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--layer") {
		t.Errorf("--shp without --layer: %v", err)
	}
}
