package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/spatial"
)

func TestReadPopulationCSVErrors(t *testing.T) {
	const (
		c1 = "8a40e3ce8997fff"
		c2 = "8a40e3cec6cffff"
		c3 = "8a40e3ce8d67fff"
	)
	tests := []struct {
		name  string
		body  string
		wants []string
	}{
		{"invalid cell id", "h3,population\n" + c1 + ",5\nnot-a-cell,5\n",
			[]string{"population.csv line 3", `"not-a-cell" is not a valid H3 cell id`}},
		{"empty cell id", "h3,population\n" + c1 + ",5\n,5\n",
			[]string{"population.csv line 3", `"" is not a valid H3 cell id`}},
		{"hex that is no cell", "h3,population\nffffffffffffffff,5\n",
			[]string{"population.csv line 2", "not a valid H3 cell id"}},
		{"duplicate cell", "h3,population\n" + c1 + ",5\n" + c2 + ",5\n" + c1 + ",7\n",
			[]string{"population.csv line 4", "cell " + c1 + " already appeared on line 2"}},
		{"negative population", "h3,population\n" + c1 + ",5\n" + c2 + ",-3\n",
			[]string{"population.csv line 3", "population -3 is negative"}},
		{"NaN population", "h3,population\n" + c1 + ",NaN\n",
			[]string{"population.csv line 2", `population "NaN" is not a finite number`}},
		{"infinite population", "h3,population\n" + c1 + ",5\n" + c2 + ",Inf\n",
			[]string{"population.csv line 3", `population "Inf" is not a finite number`}},
		{"non-numeric population", "h3,population\n" + c1 + ",5\n" + c2 + ",many\n",
			[]string{"population.csv line 3", `population "many" is not a number`}},
		{"empty population", "h3,population\n" + c1 + ",\n",
			[]string{"population.csv line 2", `population "" is not a number`}},
		{"missing h3 column", "cell,population\n" + c1 + ",5\n",
			[]string{"population.csv line 1", "the header needs columns h3 and population", "got cell,population"}},
		{"missing population column", "h3,people\n" + c1 + ",5\n",
			[]string{"population.csv line 1", "the header needs columns h3 and population"}},
		{"one column", "h3\n" + c1 + "\n",
			[]string{"population.csv line 1", "the header needs columns h3 and population"}},
		{"empty file", "",
			[]string{"population.csv", "cannot read the header line"}},
		{"wrong number of fields", "h3,population\n" + c1 + ",5\n" + c2 + ",5,extra\n",
			[]string{"population.csv line 3", "wrong number of fields"}},
		{"bare quote in the first field", "h3,population\n" + c1 + ",5\n8a40\"e3ce8997fff,5\n",
			[]string{"population.csv line 3", "bare \""}},
		{"too coarse", "h3,population\n" + c1 + ",5\n8640e3cefffffff,700\n",
			[]string{"population.csv line 3", "resolution 6, too coarse for working resolution 10"}},
		{"nobody", "h3,population\n" + c1 + ",0\n" + c2 + ",0\n" + c3 + ",0\n",
			[]string{"population.csv", "no cell has population > 0"}},
		{"header only", "h3,population\n",
			[]string{"population.csv", "no cell has population > 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := ReadPopulation("population.csv", strings.NewReader(tt.body), spatial.WGS84, 10)
			wantInvalid(t, err, tt.wants...)
			if cells != nil {
				t.Errorf("got %d cells with the error; want none", len(cells))
			}
		})
	}
}

func TestReadPopulationArguments(t *testing.T) {
	body := "h3,population\n8a40e3ce8997fff,5\n"
	for _, res := range []int{0, 5, 14, 15} {
		_, err := ReadPopulation("population.csv", strings.NewReader(body), spatial.WGS84, res)
		wantInvalid(t, err, "population.csv", fmt.Sprintf("H3 resolution %d is outside", res))
	}
	_, err := ReadPopulation("population.parquet", strings.NewReader(body), spatial.WGS84, 10)
	wantInvalid(t, err, "population.parquet", ".csv (h3,population) or .geojson")
}

func TestReadPopulationCSV(t *testing.T) {
	t.Run("tiny fixture", func(t *testing.T) {
		f, err := os.Open(tinyPopulation)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cells, err := ReadPopulation(tinyPopulation, f, spatial.WGS84, 10)
		if err != nil {
			t.Fatal(err)
		}
		m := checkedCellMap(t, cells, 10)
		if len(m) != tinyCells || totalPopulation(cells) != tinyTotal {
			t.Errorf("%d cells, %v people; want %d, %v", len(m), totalPopulation(cells), tinyCells, tinyTotal)
		}
		if p := m[mustParseCell(t, "8a40e3ce8997fff")]; p != 100 {
			t.Errorf("centre cell %v, want 100", p)
		}
	})
	t.Run("header aliases, BOM and zero rows", func(t *testing.T) {
		body := "\ufeffpop, H3_Index\n 12.5, 8a40e3ce8997fff\n0,8a40e3cec6cffff\n"
		cells, err := ReadPopulation("p.CSV", strings.NewReader(body), spatial.WGS84, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 1 || cells[0].Cell.String() != "8a40e3ce8997fff" || cells[0].Population != 12.5 {
			t.Errorf("got %+v; want only 8a40e3ce8997fff with 12.5 (zero cells dropped)", cells)
		}
	})
}

// Cells finer than the working resolution are summed into their parent.
func TestReadPopulationAggregatesFinerCells(t *testing.T) {
	parent := mustParseCell(t, "8a40e3ce8997fff") // res 10
	other := mustParseCell(t, "8a40e3cec6cffff")
	var b strings.Builder
	b.WriteString("h3,population\n")
	want := 0.0
	for i, k := range parent.Children(11) {
		fmt.Fprintf(&b, "%s,%d\n", k, i+1)
		want += float64(i + 1)
	}
	grand := other.Children(12)
	for _, k := range grand {
		fmt.Fprintf(&b, "%s,0.5\n", k)
	}
	fmt.Fprintf(&b, "%s,3\n", other.Children(11)[0].Children(13)[3]) // res 13 under other
	cells, err := ReadPopulation("fine.csv", strings.NewReader(b.String()), spatial.WGS84, 10)
	if err != nil {
		t.Fatal(err)
	}
	m := checkedCellMap(t, cells, 10)
	if len(m) != 2 || m[parent] != want || m[other] != 0.5*float64(len(grand))+3 {
		t.Errorf("got %v; want %s: %v, %s: %v", m, parent, want, other, 0.5*float64(len(grand))+3)
	}
}

// Cells coarser than the working resolution are split evenly among their
// 7^k children, at most three levels down.
func TestReadPopulationSplitsCoarserCells(t *testing.T) {
	coarse := mustParseCell(t, "8a40e3ce8997fff").Parent(9)
	body := fmt.Sprintf("h3,population\n%s,700\n", coarse)
	for k := 1; k <= 3; k++ {
		res := 9 + k
		cells, err := ReadPopulation("coarse.csv", strings.NewReader(body), spatial.WGS84, res)
		if err != nil {
			t.Fatalf("res %d: %v", res, err)
		}
		m := checkedCellMap(t, cells, res)
		n := int(math.Pow(7, float64(k)))
		if len(m) != n {
			t.Errorf("res %d: %d cells, want %d", res, len(m), n)
		}
		for c, p := range m {
			if c.Parent(9) != coarse {
				t.Errorf("res %d: %s is not a child of %s", res, c, coarse)
			}
			if math.Abs(p-700/float64(n)) > 1e-9 {
				t.Errorf("res %d: %s has %v, want %v", res, c, p, 700/float64(n))
			}
		}
		if relDiff(totalPopulation(cells), 700) > 1e-12 {
			t.Errorf("res %d: total %v, want 700", res, totalPopulation(cells))
		}
	}
	_, err := ReadPopulation("coarse.csv", strings.NewReader(body), spatial.WGS84, 13)
	wantInvalid(t, err, "coarse.csv line 2", "resolution 9, too coarse for working resolution 13")
}

func TestReadPopulationGeoJSONErrors(t *testing.T) {
	pt := func(props string) string {
		return `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.0656723, 30.6598477]}, "properties": {` + props + `}}`
	}
	fc := func(features ...string) string {
		return "{\"type\": \"FeatureCollection\", \"features\": [\n" + strings.Join(features, ",\n") + "\n]}\n"
	}
	ok := pt(`"population": 10`)
	tests := []struct {
		name  string
		body  string
		wants []string
	}{
		{"missing population", fc(ok, pt(`"pop": 5`)),
			[]string{"population.geojson feature 2", `property "population" is missing`}},
		{"null population", fc(pt(`"population": null`)),
			[]string{"population.geojson feature 1", `property "population" is missing`}},
		{"negative population", fc(ok, ok, pt(`"population": -1`)),
			[]string{"population.geojson feature 3", "population -1 is negative"}},
		{"non-numeric population", fc(ok, pt(`"population": "lots"`)),
			[]string{"population.geojson feature 2", `population "lots" is not a number`}},
		{"boolean population", fc(ok, pt(`"population": true`)),
			[]string{"population.geojson feature 2", "population true is not a number"}},
		{"NaN population", fc(pt(`"population": "NaN"`)),
			[]string{"population.geojson feature 1", "not a finite number"}},
		{"line string", fc(ok, `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[104.06, 30.66], [104.07, 30.67]]}, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 2", "LineString", "not supported"}},
		{"null geometry", fc(`{"type": "Feature", "geometry": null, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 1", "no geometry"}},
		{"polygon without area", fc(ok, `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[104.06, 30.66], [104.07, 30.66], [104.08, 30.66], [104.06, 30.66]]]}, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 2", "polygon has no area"}},
		{"swapped axes", fc(ok, `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [30.66, 104.06]}, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 2", "swapped"}},
		{"projected metres in a polygon", fc(`{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[11584000, 3588000], [11585000, 3588000], [11585000, 3589000], [11584000, 3588000]]]}, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 1", "projected metres"}},
		{"malformed JSON", "{\"type\": \"FeatureCollection\",\n\"features\": [\n" + ok + "\n" + ok + "\n]}",
			[]string{"population.geojson line 4", "not valid JSON"}},
		{"undecodable feature", fc(ok, ok, `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}, "properties": {"population": 3}}`),
			[]string{"population.geojson feature 3", "not a valid GeoJSON Feature"}},
		{"nobody", fc(pt(`"population": 0`)),
			[]string{"population.geojson", "no cell has population > 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := ReadPopulation("population.geojson", strings.NewReader(tt.body), spatial.WGS84, 10)
			wantInvalid(t, err, tt.wants...)
			if cells != nil {
				t.Errorf("got %d cells with the error; want none", len(cells))
			}
		})
	}
}

// popFC builds a population FeatureCollection.
func popFC(t *testing.T, geoms []orb.Geometry, pops []float64) string {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	for i, g := range geoms {
		f := geojson.NewFeature(g)
		f.Properties["population"] = pops[i]
		fc.Append(f)
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadPopulationGeoJSONPoints(t *testing.T) {
	a := tianfuSquare
	b := orb.Point{a[0] + 0.00001, a[1] + 0.00001} // same res-10 cell
	c := orb.Point{104.0705, 30.6630}
	ca, cc := spatial.CellOf(a, 10), spatial.CellOf(c, 10)
	if spatial.CellOf(b, 10) != ca || ca == cc {
		t.Fatal("fixture points are not where the test needs them")
	}
	body := popFC(t, []orb.Geometry{a, b, c}, []float64{10, 2.5, 7})
	cells, err := ReadPopulation("points.geojson", strings.NewReader(body), spatial.WGS84, 10)
	if err != nil {
		t.Fatal(err)
	}
	m := checkedCellMap(t, cells, 10)
	if len(m) != 2 || m[ca] != 12.5 || m[cc] != 7 {
		t.Errorf("got %v; want %s: 12.5, %s: 7", m, ca, cc)
	}
	// Population given as a string is accepted too.
	body = strings.Replace(body, `"population":7`, `"population":"7"`, 1)
	if !strings.Contains(body, `"7"`) {
		t.Fatalf("could not rewrite %s", body)
	}
	if cells, err = ReadPopulation("points.geojson", strings.NewReader(body), spatial.WGS84, 10); err != nil || totalPopulation(cells) != 19.5 {
		t.Errorf("string population: %v people, %v; want 19.5", totalPopulation(cells), err)
	}
}

// rectRing is a closed counter-clockwise rectangle ring.
func rectRing(minLon, minLat, maxLon, maxLat float64) orb.Ring {
	return orb.Ring{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}
}

// Polygons are apportioned to the cells they overlap by area.
func TestReadPopulationGeoJSONPolygons(t *testing.T) {
	x, y := tianfuSquare[0], tianfuSquare[1]
	t.Run("rectangle keeps its total and spreads by area", func(t *testing.T) {
		poly := orb.Polygon{rectRing(x-0.003, y-0.002, x+0.003, y+0.002)}
		for _, res := range []int{9, 10, 11} {
			cells, err := ReadPopulation("blocks.geojson", strings.NewReader(popFC(t, []orb.Geometry{poly}, []float64{10000})), spatial.WGS84, res)
			if err != nil {
				t.Fatal(err)
			}
			m := checkedCellMap(t, cells, res)
			if d := relDiff(totalPopulation(cells), 10000); d > 1e-6 {
				t.Errorf("res %d: total %v, off by %.2g relative", res, totalPopulation(cells), d)
			}
			// A cell wholly inside gets its share of the area.
			area := spatial.PolygonAreaM2(poly)
			inner := 0
			for c, p := range m {
				inside := true
				for _, q := range spatial.Boundary(c) {
					inside = inside && spatial.MultiPolygonContains(orb.MultiPolygon{poly}, q)
				}
				if !inside {
					continue
				}
				inner++
				if want := 10000 * spatial.AreaM2(c) / area; relDiff(p, want) > 0.01 {
					t.Errorf("res %d: inner cell %s has %v, want ≈ %v", res, c, p, want)
				}
			}
			if res >= 10 && inner == 0 {
				t.Errorf("res %d: no cell lies wholly inside the rectangle", res)
			}
		}
	})
	t.Run("polygon equal to a cell", func(t *testing.T) {
		c := spatial.CellOf(tianfuSquare, 10)
		cells, err := ReadPopulation("cell.geojson", strings.NewReader(popFC(t, []orb.Geometry{orb.Polygon{spatial.Boundary(c)}}, []float64{1000})), spatial.WGS84, 10)
		if err != nil {
			t.Fatal(err)
		}
		m := checkedCellMap(t, cells, 10)
		if m[c] < 999 {
			t.Errorf("the cell itself got %v of 1000 (all: %v)", m[c], m)
		}
		if relDiff(totalPopulation(cells), 1000) > 1e-6 {
			t.Errorf("total %v, want 1000", totalPopulation(cells))
		}
	})
	t.Run("polygon inside one cell", func(t *testing.T) {
		c := spatial.CellOf(tianfuSquare, 9)
		p := spatial.Center(c)
		small := orb.Polygon{rectRing(p[0]-0.0001, p[1]-0.0001, p[0]+0.0001, p[1]+0.0001)}
		cells, err := ReadPopulation("small.geojson", strings.NewReader(popFC(t, []orb.Geometry{small}, []float64{42})), spatial.WGS84, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 1 || cells[0].Cell != c || relDiff(cells[0].Population, 42) > 1e-9 {
			t.Errorf("got %+v; want all 42 in %s", cells, c)
		}
	})
	t.Run("hole", func(t *testing.T) {
		c := spatial.CellOf(tianfuSquare, 10)
		hole := spatial.Boundary(c)
		hole.Reverse()
		poly := orb.Polygon{rectRing(x-0.004, y-0.003, x+0.004, y+0.003), hole}
		cells, err := ReadPopulation("holed.geojson", strings.NewReader(popFC(t, []orb.Geometry{poly}, []float64{5000})), spatial.WGS84, 10)
		if err != nil {
			t.Fatal(err)
		}
		m := checkedCellMap(t, cells, 10)
		if m[c] > 1e-6*5000 {
			t.Errorf("the cell that is the hole got %v", m[c])
		}
		if relDiff(totalPopulation(cells), 5000) > 1e-6 {
			t.Errorf("total %v, want 5000", totalPopulation(cells))
		}
	})
	t.Run("multipolygon and mixed features", func(t *testing.T) {
		west := orb.Polygon{rectRing(x-0.006, y-0.001, x-0.004, y+0.001)}
		east := orb.Polygon{rectRing(x+0.004, y-0.001, x+0.006, y+0.001)}
		body := popFC(t, []orb.Geometry{orb.MultiPolygon{west, east}, tianfuSquare, orb.Polygon{rectRing(x-0.001, y-0.001, x+0.001, y+0.001)}}, []float64{3000, 7, 0})
		cells, err := ReadPopulation("mixed.geojson", strings.NewReader(body), spatial.WGS84, 10)
		if err != nil {
			t.Fatal(err)
		}
		if relDiff(totalPopulation(cells), 3007) > 1e-6 {
			t.Errorf("total %v, want 3007", totalPopulation(cells))
		}
		var w, e float64
		for _, c := range cells {
			switch p := spatial.Center(c.Cell); {
			case p[0] < x-0.003:
				w += c.Population
			case p[0] > x+0.003:
				e += c.Population
			}
		}
		// The two parts have the same area, so about half each.
		if relDiff(w, 1500) > 0.02 || relDiff(e, 1500) > 0.02 {
			t.Errorf("west %v, east %v; want ≈ 1500 each", w, e)
		}
	})
}

// A population polygon in GCJ-02 lands where its WGS84 original does.
func TestReadPopulationGeoJSONGCJ02(t *testing.T) {
	c := spatial.CellOf(tianfuSquare, 10)
	ring := spatial.Boundary(c)
	gcj := make(orb.Ring, len(ring))
	for i, p := range ring {
		gcj[i] = spatial.WGS84ToGCJ02(p)
	}
	body := popFC(t, []orb.Geometry{orb.Polygon{gcj}, spatial.WGS84ToGCJ02(spatial.Center(c))}, []float64{1000, 10})
	cells, err := ReadPopulation("gcj.geojson", strings.NewReader(body), spatial.GCJ02, 10)
	if err != nil {
		t.Fatal(err)
	}
	m := checkedCellMap(t, cells, 10)
	if m[c] < 1009 {
		t.Errorf("cell %s got %v of 1010: %v", c, m[c], m)
	}
	// Read as WGS84 the same file lands a few hundred metres away.
	cells, err = ReadPopulation("gcj.geojson", strings.NewReader(body), spatial.WGS84, 10)
	if err != nil {
		t.Fatal(err)
	}
	if m := checkedCellMap(t, cells, 10); m[c] > 0 {
		t.Errorf("read as WGS84, cell %s still got %v", c, m[c])
	}
}

// The Helsinki population grid: 250 m squares (skewed quadrilaterals in
// WGS84), apportioned to H3 cells, keep their total.
func TestReadPopulationHelsinkiGrid(t *testing.T) {
	path := sharedDataDir + "/data/helsinki/helsinki_population_grid_2020.geojson"
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("../shared is absent: skipping the Helsinki population grid")
	}
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Features []struct {
			Properties struct {
				Population *float64 `json:"population"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(src, &raw); err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i, f := range raw.Features {
		if f.Properties.Population == nil {
			t.Fatalf("feature %d has no population", i+1)
		}
		want += *f.Properties.Population
	}
	if len(raw.Features) == 0 || want <= 0 {
		t.Fatalf("%d features, %v people", len(raw.Features), want)
	}
	t.Logf("%d squares, %v people", len(raw.Features), want)
	for _, res := range []int{9, 10} {
		cells, err := ReadPopulation(path, strings.NewReader(string(src)), spatial.WGS84, res)
		if err != nil {
			t.Fatalf("res %d: %v", res, err)
		}
		checkedCellMap(t, cells, res)
		got := totalPopulation(cells)
		if d := relDiff(got, want); d > 1e-6 {
			t.Errorf("res %d: total %v, want %v (off by %.2g relative)", res, got, want, d)
		}
		// 250 m squares cover about 62,500 m² each.
		area := 0.0
		for _, c := range cells {
			area += spatial.AreaM2(c.Cell)
		}
		if min := float64(len(raw.Features)) * 62500; area < min {
			t.Errorf("res %d: %d cells cover %.0f m², less than the grid's %.0f m²", res, len(cells), area, min)
		}
		t.Logf("res %d: %d cells", res, len(cells))
	}
}
