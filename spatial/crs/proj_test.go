package crs

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// testPoints returns CRS84 points with a fixed seed: 1,000 over and around
// Chengdu and 400 across the whole CGCS2000 3° zone at 105°E (its EPSG area
// of use, 103.5–106.5°E, 22.5–42.2°N).
func testPoints() [][2]float64 {
	r := rand.New(rand.NewPCG(2026, 8))
	pts := make([][2]float64, 0, 1400)
	for range 1000 {
		pts = append(pts, [2]float64{102.9 + 2*r.Float64(), 30 + 1.5*r.Float64()})
	}
	for range 400 {
		pts = append(pts, [2]float64{103.5 + 3*r.Float64(), 22.5 + 19.7*r.Float64()})
	}
	return pts
}

// needCS2CS returns the path of PROJ's cs2cs; without it the test fails
// under CI and is skipped elsewhere.
func needCS2CS(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("cs2cs")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cs2cs (PROJ, Debian proj-bin) is not installed; .ci/run installs it")
		}
		t.Skip("cs2cs (PROJ) is not installed: run `make deps-proj`")
	}
	return path
}

// cs2cs converts pts from one CRS to another with PROJ, each CRS in its
// own declared axis order (PROJ ≥ 6 honours EPSG axis order).
func cs2cs(t *testing.T, bin, from, to string, pts [][2]float64) [][2]float64 {
	t.Helper()
	var in bytes.Buffer
	for _, p := range pts {
		fmt.Fprintf(&in, "%.12f %.12f\n", p[0], p[1])
	}
	cmd := exec.Command(bin, "-d", "10", from, to)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs %s %s: %v: %s", from, to, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pts) {
		t.Fatalf("cs2cs %s %s: %d lines for %d points", from, to, len(lines), len(pts))
	}
	res := make([][2]float64, len(pts))
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("cs2cs %s %s line %d: %q", from, to, i+1, line)
		}
		for k := range 2 {
			v, err := strconv.ParseFloat(f[k], 64)
			if err != nil {
				t.Fatalf("cs2cs %s %s line %d (input %v): %q", from, to, i+1, pts[i], line)
			}
			res[i][k] = v
		}
	}
	return res
}

// Every CRS agrees with PROJ to 1 mm (projected) or 1e-8° (geographic),
// forward and inverse, axis order included.
func TestAgainstPROJ(t *testing.T) {
	bin := needCS2CS(t)
	pts := testPoints()
	if len(pts) < 1000 {
		t.Fatalf("only %d points", len(pts))
	}
	for _, c := range Supported() {
		t.Run(c.Code, func(t *testing.T) {
			fwdTol := 1e-8
			if c.Projected {
				fwdTol = 1e-3
			}
			want := cs2cs(t, bin, "OGC:CRS84", c.Code, pts)
			var fwdMax float64
			for i, p := range pts {
				a, b := c.FromCRS84(p[0], p[1])
				d := math.Max(math.Abs(a-want[i][0]), math.Abs(b-want[i][1]))
				fwdMax = math.Max(fwdMax, d)
				if !(d <= fwdTol) {
					t.Errorf("forward %v: got (%.10f, %.10f), PROJ (%.10f, %.10f), off by %g", p, a, b, want[i][0], want[i][1], d)
				}
			}
			// Inverse: PROJ's own projected coordinates back to CRS84, by
			// PROJ and by us.
			back := cs2cs(t, bin, c.Code, "OGC:CRS84", want)
			var invMax float64
			for i, q := range want {
				lon, lat, err := c.ToCRS84(q[0], q[1])
				if err != nil {
					t.Errorf("inverse %v: %v", q, err)
					continue
				}
				d := math.Max(math.Abs(lon-back[i][0]), math.Abs(lat-back[i][1]))
				invMax = math.Max(invMax, d)
				if !(d <= 1e-8) {
					t.Errorf("inverse %v: got (%.10f, %.10f), PROJ (%.10f, %.10f), off by %g°", q, lon, lat, back[i][0], back[i][1], d)
				}
			}
			t.Logf("%d points: forward max deviation %.3g %s, inverse %.3g°", len(pts), fwdMax, map[bool]string{true: "m", false: "°"}[c.Projected], invMax)
		})
	}
}
