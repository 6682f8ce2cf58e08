package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// ReadPopulation reads population into H3 cells of resolution res:
//   - .csv: columns h3,population. Cells finer than res are summed into
//     their parent; coarser cells are split evenly among their children.
//   - .geojson/.json: Point features with a "population" property (summed
//     into the cell holding the point), or Polygon/MultiPolygon features
//     (apportioned to the cells they overlap, by overlap area).
//
// The result is sorted by cell and holds only cells with population > 0.
func ReadPopulation(name string, r io.Reader, crs spatial.CRS, res int) ([]coverage.PopulationCell, error) {
	if err := spatial.CheckResolution(res); err != nil {
		return nil, invalid("%s: %v", name, err)
	}
	var (
		acc map[spatial.Cell]float64
		err error
	)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		acc, err = readPopulationCSV(name, r, res)
	case ".geojson", ".json":
		acc, err = readPopulationGeoJSON(name, r, crs, res)
	default:
		return nil, invalid("%s: population must be .csv (h3,population) or .geojson", name)
	}
	if err != nil {
		return nil, err
	}
	return populationCells(name, acc)
}

// populationCells is the sorted list of the cells with population > 0.
func populationCells(name string, acc map[spatial.Cell]float64) ([]coverage.PopulationCell, error) {
	out := make([]coverage.PopulationCell, 0, len(acc))
	for c, p := range acc {
		if p > 0 {
			out = append(out, coverage.PopulationCell{Cell: c, Population: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cell < out[j].Cell })
	if len(out) == 0 {
		return nil, invalid("%s: no cell has population > 0", name)
	}
	return out, nil
}

func parsePopulation(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("population %q is not a number", s)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("population %q is not a finite number", s)
	case v < 0:
		return 0, fmt.Errorf("population %v is negative", v)
	}
	return v, nil
}

// addCell adds pop to c, moving it to resolution res first.
func addCell(acc map[spatial.Cell]float64, c spatial.Cell, pop float64, res int) {
	switch r := c.Resolution(); {
	case r == res:
		acc[c] += pop
	case r > res:
		acc[c.Parent(res)] += pop
	default:
		kids := c.Children(res)
		share := pop / float64(len(kids))
		for _, k := range kids {
			acc[k] += share
		}
	}
}

func readPopulationCSV(name string, r io.Reader, res int) (map[spatial.Cell]float64, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, invalid("%s: cannot read the header line: %v", name, err)
	}
	hc, pc := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "h3", "id", "h3_index", "hex":
			hc = i
		case "population", "pop":
			pc = i
		}
	}
	if hc < 0 || pc < 0 {
		return nil, invalid("%s line 1: the header needs columns h3 and population (got %s)", name, strings.Join(header, ","))
	}
	acc := map[spatial.Cell]float64{}
	seen := map[spatial.Cell]int{}
	for {
		rec, line, err := nextRecord(name, cr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		c, err := spatial.ParseCell(strings.TrimSpace(rec[hc]))
		if err != nil {
			return nil, invalid("%s line %d: %v", name, line, err)
		}
		if r := c.Resolution(); r < res-3 {
			return nil, invalid("%s line %d: cell %s is resolution %d, too coarse for working resolution %d (at most 3 levels are split)", name, line, c, r, res)
		}
		if prev, dup := seen[c]; dup {
			return nil, invalid("%s line %d: cell %s already appeared on line %d", name, line, c, prev)
		}
		seen[c] = line
		pop, err := parsePopulation(rec[pc])
		if err != nil {
			return nil, invalid("%s line %d: %v", name, line, err)
		}
		addCell(acc, c, pop, res)
	}
	return acc, nil
}

func readPopulationGeoJSON(name string, r io.Reader, crs spatial.CRS, res int) (map[spatial.Cell]float64, error) {
	fc, err := readFeatures(name, r)
	if err != nil {
		return nil, err
	}
	return populationFromFeatures(name, fc, crs, res)
}

// populationFromFeatures reads population from point or polygon features
// (GeoJSON, or a Shapefile's records) with a population property.
func populationFromFeatures(name string, fc *geojson.FeatureCollection, crs spatial.CRS, res int) (map[spatial.Cell]float64, error) {
	var err error
	acc := map[spatial.Cell]float64{}
	for i, ft := range fc.Features {
		where := fmt.Sprintf("%s feature %d", name, i+1)
		raw, ok := ft.Properties["population"]
		if !ok || raw == nil {
			return nil, invalid("%s: property \"population\" is missing", where)
		}
		var pop float64
		switch v := raw.(type) {
		case float64:
			pop, err = parsePopulation(strconv.FormatFloat(v, 'g', -1, 64))
		case string:
			pop, err = parsePopulation(v)
		default:
			err = fmt.Errorf("population %v is not a number", v)
		}
		if err != nil {
			return nil, invalid("%s: %v", where, err)
		}
		g, err := geometryToWGS84(ft.Geometry, crs)
		if err != nil {
			return nil, invalid("%s: %v", where, err)
		}
		switch g := g.(type) {
		case orb.Point:
			acc[spatial.CellOf(g, res)] += pop
		case orb.Polygon:
			if err := apportion(acc, orb.MultiPolygon{g}, pop, res); err != nil {
				return nil, invalid("%s: %v", where, err)
			}
		case orb.MultiPolygon:
			if err := apportion(acc, g, pop, res); err != nil {
				return nil, invalid("%s: %v", where, err)
			}
		}
	}
	return acc, nil
}

// apportion spreads pop over the cells that mp overlaps, in proportion to
// the overlap area (exact polygon ∩ hexagon clipping). A polygon smaller
// than a cell gives all its population to the cells it touches.
// maxApportionCells bounds the cells one population polygon may be spread
// over (2 M res-10 cells ≈ 29,000 km², twice Chengdu).
const maxApportionCells = 2_000_000

func apportion(acc map[spatial.Cell]float64, mp orb.MultiPolygon, pop float64, res int) error {
	total := 0.0
	for _, p := range mp {
		total += spatial.PolygonAreaM2(p)
	}
	if total <= 0 {
		return fmt.Errorf("polygon has no area")
	}
	if pop == 0 {
		return nil
	}
	// Candidate cells: every cell whose centre lies within one cell
	// diameter of the polygon's bounding box. A box that would hold more
	// than maxApportionCells cells is refused rather than ground through.
	centre := spatial.CellOf(mp.Bound().Center(), res)
	b := mp.Bound()
	r := spatial.NewRuler(b.Center()[1])
	boxM2 := r.Distance(orb.Point{b.Min[0], b.Center()[1]}, orb.Point{b.Max[0], b.Center()[1]}) *
		r.Distance(orb.Point{b.Center()[0], b.Min[1]}, orb.Point{b.Center()[0], b.Max[1]})
	if n := boxM2 / spatial.AreaM2(centre); n > maxApportionCells || b.Max[0]-b.Min[0] > 10 || b.Max[1]-b.Min[1] > 10 {
		return fmt.Errorf("polygon spans %.0f km² (box %s), over %d cells at resolution %d: split it or use a coarser --res", boxM2/1e6, fmtBound(b), maxApportionCells, res)
	}
	margin := 2.5 * spatial.CellSpacingM(centre)
	overlap := map[spatial.Cell]float64{}
	sum := 0.0
	for _, c := range spatial.BoundCells(mp.Bound(), res, margin) {
		hex := spatial.Boundary(c)
		if !hex.Bound().Intersects(mp.Bound()) {
			continue
		}
		a := 0.0
		for _, p := range mp {
			a += spatial.OverlapAreaM2(p, hex)
		}
		if a > 0 {
			overlap[c] = a
			sum += a
		}
	}
	if sum <= 0 {
		acc[spatial.CellOf(mp.Bound().Center(), res)] += pop
		return nil
	}
	for c, a := range overlap {
		acc[c] += pop * a / sum
	}
	return nil
}

// nextRecord reads one CSV record and its line number; a parse error names
// the file and line. io.EOF ends the file.
func nextRecord(name string, cr *csv.Reader) ([]string, int, error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		// FieldPos panics when the error came before the first field.
		line := 0
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return nil, line, invalid("%s line %d: %v", name, line, err)
	}
	line, _ := cr.FieldPos(0)
	return rec, line, nil
}
