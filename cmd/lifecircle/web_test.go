package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// browserTestDir holds the browser test (map.test.mjs) and its npm packages.
const browserTestDir = "../../api/testdata/browser"

// TestBrowserMap opens the map in real Chromium (playwright-core, SwiftShader
// WebGL): the planner's view on the embedded sample and the street
// official's workbench on a GeoPackage store. The checks are in
// api/testdata/browser/map.test.mjs; here the servers are started, the
// screenshots checked not blank, and the speed figures logged.
func TestBrowserMap(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	chromium, node := needBrowser(t)
	sample := serveInProcess(t)
	store := filepath.Join(t.TempDir(), "chengdu.gpkg")
	runOK(t, "import", "--store", store, "--sample", "chengdu")
	token := strings.TrimSpace(runOK(t, "users", "add", "--store", store, "--name", "张科长", "--role", "planner"))
	stored := serveInProcess(t, "--store", store)

	out := filepath.Join(t.TempDir(), "screenshots")
	if dir := os.Getenv("LIFECIRCLE_SCREENSHOTS"); dir != "" {
		out = dir // keep them (make screenshots)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "map.test.mjs", "--sample", sample, "--store", stored, "--token", token, "--out", out, "--chromium", chromium)
	cmd.Dir = browserTestDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var report struct {
		OK          bool               `json:"ok"`
		Error       string             `json:"error"`
		Timings     map[string]float64 `json:"timings"`
		Screenshots []string           `json:"screenshots"`
		Checks      []string           `json:"checks"`
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &report); jerr != nil {
		t.Fatalf("browser test gave no report (%v): %v\n%s\n%s", err, jerr, stdout.String(), stderr.String())
	}
	for _, c := range report.Checks {
		t.Log("ok:", c)
	}
	if err != nil || !report.OK {
		t.Fatalf("browser test failed: %s\n%s", report.Error, stderr.String())
	}
	for _, k := range slices.Sorted(maps.Keys(report.Timings)) {
		t.Logf("speed: %s = %.0f ms", k, report.Timings[k])
	}
	if len(report.Screenshots) < 10 {
		t.Errorf("%d screenshots", len(report.Screenshots))
	}
	for _, p := range report.Screenshots {
		if err := notBlank(p); err != nil {
			t.Errorf("screenshot %s: %v", p, err)
		}
	}
}

// notBlank checks a screenshot shows something: many colours, and no
// colour covering almost all of it.
func notBlank(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return err
	}
	counts := map[uint32]int{}
	b := img.Bounds()
	total := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[(r>>11)<<10|(g>>11)<<5|bl>>11]++
			total++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	if len(counts) < 20 || float64(top) > 0.9*float64(total) {
		return fmt.Errorf("looks blank: %d colours, the commonest covers %.0f%%", len(counts), 100*float64(top)/float64(total))
	}
	return nil
}
