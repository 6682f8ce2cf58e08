package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The tiny fixture (testdata/tiny, see its README.md).
const (
	tinyDir        = "testdata/tiny"
	tinyFacCSV     = tinyDir + "/facilities.csv"
	tinyFacGeoJSON = tinyDir + "/facilities.geojson"
	tinyPopulation = tinyDir + "/population.csv"
	tinyBoundaries = tinyDir + "/boundaries.geojson"
	tinyTotal      = 640.0
	tinyCells      = 19
)

// tianfuSquare is a WGS84 point in central Chengdu (Tianfu Square, the centre of
// the tiny fixture's population).
var tianfuSquare = orb.Point{104.0656723, 30.6598477}

// portoAlegrePt is a WGS84 point in Porto Alegre, Brazil: outside China.
var portoAlegrePt = orb.Point{-51.2177, -30.0346}

// sharedDataDir is ../shared beside the repository, seen from the package dir.
const sharedDataDir = "../../shared"

// wantInvalid fails unless err is an ErrInvalid error whose message holds
// every one of wants.
func wantInvalid(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", wants)
	}
	if !errors.Is(err, coverage.ErrInvalid) {
		t.Errorf("error %q does not wrap coverage.ErrInvalid", err)
	}
	wantContains(t, err, wants...)
}

// wantContains fails unless err's message holds every one of wants.
func wantContains(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\n\tlacks %q", err, w)
		}
	}
}

// writeTestFile writes body to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTestText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func totalPopulation(cells []coverage.PopulationCell) float64 {
	s := 0.0
	for _, c := range cells {
		s += c.Population
	}
	return s
}

func relDiff(a, b float64) float64 {
	if b == 0 {
		return math.Abs(a)
	}
	return math.Abs(a-b) / math.Abs(b)
}

// checkedCellMap indexes cells by id and checks they are sorted, positive and all
// of resolution res.
func checkedCellMap(t *testing.T, cells []coverage.PopulationCell, res int) map[spatial.Cell]float64 {
	t.Helper()
	if !sort.SliceIsSorted(cells, func(i, j int) bool { return cells[i].Cell < cells[j].Cell }) {
		t.Error("cells are not sorted")
	}
	m := make(map[spatial.Cell]float64, len(cells))
	for _, c := range cells {
		if c.Cell.Resolution() != res {
			t.Errorf("cell %s is resolution %d, want %d", c.Cell, c.Cell.Resolution(), res)
		}
		if !(c.Population > 0) {
			t.Errorf("cell %s has population %v, want > 0", c.Cell, c.Population)
		}
		if _, dup := m[c.Cell]; dup {
			t.Errorf("cell %s appears twice", c.Cell)
		}
		m[c.Cell] = c.Population
	}
	return m
}

func mustParseCell(t *testing.T, s string) spatial.Cell {
	t.Helper()
	c, err := spatial.ParseCell(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// medianOf is the median of xs (xs is sorted in place).
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// fmtCoord formats a coordinate with full precision.
func fmtCoord(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
