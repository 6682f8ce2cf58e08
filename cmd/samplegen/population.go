package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// The population estimate is dasymetric: a district census total is spread
// over H3 cells in proportion to a residential weight read from OSM.
// It is an ESTIMATE, not an official count.

const (
	popResolution = 10

	// streetToLandM2 converts 1 m of residential street into m² of
	// residential land. A 居住街坊 block of 200 m × 200 m (GB 50180: roads
	// every 150–250 m, 2–4 ha) has 800 m of perimeter street shared by two
	// blocks, i.e. 400 m of street per 4 ha: 1 m of street ≈ 100 m² of land.
	streetToLandM2 = 100.0

	// floorWeightM2 is the weight (in m² of residential land) of any cell
	// crossed by any highway way, so that no built-up cell is left empty.
	floorWeightM2 = 1500.0

	// sampleStepM is the spacing of the point grid used to measure
	// residential land area per cell, and the step used to cut ways.
	sampleStepM = 5.0
)

// censusFigure is a 2020 (7th national census) resident population.
type censusFigure struct {
	population int
	source     string
}

const (
	citypopURL = "https://citypopulation.de/en/china/sichuan/admin/5101__chéngdū_shì/"
	// citypopStored is the address exactly as the search tool stored it
	// (the accented path characters are garbled there).
	citypopStored = "https://citypopulation.de/en/china/sichuan/admin/5101__ch%EF%BF%BD%EF%BF%BDngd%EF%BF%BD%EF%BF%BD_sh%EF%BF%BD%EF%BF%BD/"
	bulletinURL   = "https://web.aigexing.com/shenghuo/1066453.html"
)

// census2020 holds the resident population (常住人口) on 2020-11-01 of the
// districts the sample covers, by administrative district (functional zones
// such as 成都高新区 re-attributed to the districts that contain them).
var census2020 = map[string]censusFigure{
	"510104": {902933, citypopURL},
	"510105": {955954, citypopURL},
	"510106": {1265398, citypopURL},
	"510107": {1855186, citypopURL},
	"510108": {1381894, citypopURL},
}

// popCell is one output row.
type popCell struct {
	cell     h3.Cell
	district string
	tenths   int64 // population × 10
}

// districtPop is the per-district bookkeeping printed and documented.
type districtPop struct {
	d              *district
	census         int
	sampleTenths   int64 // census × share, in tenths
	cells          int   // res-10 cells whose centre is in district ∩ bbox
	populatedCells int
	floorOnly      int // populated cells whose weight is the floor alone
	maxTenths      int64
	weightArea     float64 // Σ residential land m²
	weightStreet   float64 // Σ streetToLandM2 × street m
	weightFloor    float64 // Σ floor weights
}

type population struct {
	cells        []popCell
	districts    []*districtPop
	bboxCells    int // res-10 cells with centre in the bbox
	orphanCells  int // … whose centre is in no district polygon
	cellAreaM2   float64
	resLandTotal float64 // m² of landuse=residential (union), whole extract
	resStreetM   float64 // m of residential/living_street, whole extract
}

// cellWeights are the OSM-derived residential signals per cell.
type cellWeights struct {
	landM2   map[h3.Cell]float64
	streetM  map[h3.Cell]float64
	anyRoads map[h3.Cell]bool
}

// weight is the residential weight of a cell in m² of residential land:
// mapped residential land plus streetToLandM2 per metre of residential
// street, capped at the cell's own area (a cell cannot hold more residential
// land than it has), plus the floor weight when any road crosses the cell.
// land and street come back scaled down in proportion when the cap applies.
func (w *cellWeights) weight(c h3.Cell) (land, street, floor float64) {
	land = w.landM2[c]
	street = streetToLandM2 * w.streetM[c]
	if sum, area := land+street, h3.CellAreaM2(c); sum > area {
		land, street = land*area/sum, street*area/sum
	}
	if w.anyRoads[c] {
		floor = floorWeightM2
	}
	return land, street, floor
}

// buildPopulation runs the dasymetric estimate for every district.
func buildPopulation(ds []*district, d *osmData) (*population, error) {
	cells := bboxCells()
	w := measureWeights(d)
	pop := &population{bboxCells: len(cells), cellAreaM2: h3.HexagonAreaAvgM2(popResolution)}
	for _, v := range w.streetM {
		pop.resStreetM += v
	}
	for _, v := range w.landM2 {
		pop.resLandTotal += v
	}

	byDistrict := map[string][]h3.Cell{}
	for _, c := range cells {
		code, ok := districtOf(c, ds)
		if !ok {
			pop.orphanCells++
			continue
		}
		byDistrict[code] = append(byDistrict[code], c)
	}
	for _, dist := range ds {
		dp, rows, err := allocate(dist, byDistrict[dist.code], w)
		if err != nil {
			return nil, err
		}
		pop.districts = append(pop.districts, dp)
		pop.cells = append(pop.cells, rows...)
	}
	sort.Slice(pop.cells, func(i, j int) bool { return pop.cells[i].cell.String() < pop.cells[j].cell.String() })
	return pop, pop.check(ds)
}

// bboxCells lists the res-10 cells whose centre lies in the sample bbox,
// sorted by id.
func bboxCells() []h3.Cell {
	b := cutBound
	loop := h3.GeoLoop{
		h3.NewLatLng(b.Min[1], b.Min[0]), h3.NewLatLng(b.Min[1], b.Max[0]),
		h3.NewLatLng(b.Max[1], b.Max[0]), h3.NewLatLng(b.Max[1], b.Min[0]),
	}
	cells := h3.PolygonToCells(h3.GeoPolygon{GeoLoop: loop}, popResolution)
	sort.Slice(cells, func(i, j int) bool { return cells[i].String() < cells[j].String() })
	return cells
}

func cellCentre(c h3.Cell) orb.Point {
	ll := h3.CellToLatLng(c)
	return orb.Point{ll.Lng, ll.Lat}
}

// districtOf returns the first district (by code) whose clipped polygon
// holds the cell centre.
func districtOf(c h3.Cell, ds []*district) (string, bool) {
	p := cellCentre(c)
	for _, d := range ds {
		if planar.MultiPolygonContains(d.clipped, p) {
			return d.code, true
		}
	}
	return "", false
}

// allocate spreads census × share over the district's cells in proportion
// to their weights, in whole tenths, with the largest-remainder method so
// that the rounded cells add up exactly to the rounded district total.
func allocate(d *district, cells []h3.Cell, w *cellWeights) (*districtPop, []popCell, error) {
	fig, ok := census2020[d.code]
	if !ok {
		return nil, nil, fmt.Errorf("district %s %s intersects the bbox but has no census figure", d.code, d.name)
	}
	dp := &districtPop{d: d, census: fig.population, cells: len(cells)}
	dp.sampleTenths = int64(math.Round(float64(fig.population) * d.share() * 10))

	weights := make([]float64, len(cells))
	total := 0.0
	for i, c := range cells {
		land, street, floor := w.weight(c)
		dp.weightArea += land
		dp.weightStreet += street
		dp.weightFloor += floor
		weights[i] = land + street + floor
		total += weights[i]
		if land+street == 0 && floor > 0 {
			dp.floorOnly++
		}
	}
	if total == 0 {
		return nil, nil, fmt.Errorf("district %s: no residential weight in the bbox", d.code)
	}

	type share struct {
		i    int
		frac float64
	}
	tenths := make([]int64, len(cells))
	rest := make([]share, 0, len(cells))
	given := int64(0)
	for i, wt := range weights {
		exact := float64(dp.sampleTenths) * wt / total
		tenths[i] = int64(math.Floor(exact))
		given += tenths[i]
		rest = append(rest, share{i, exact - float64(tenths[i])})
	}
	// Cells are in id order, so ties go to the lower id (stable sort).
	sort.SliceStable(rest, func(a, b int) bool { return rest[a].frac > rest[b].frac })
	for k := int64(0); k < dp.sampleTenths-given; k++ {
		tenths[rest[k].i]++
	}

	var rows []popCell
	for i, c := range cells {
		if tenths[i] > 0 {
			rows = append(rows, popCell{cell: c, district: d.code, tenths: tenths[i]})
			dp.populatedCells++
			dp.maxTenths = max(dp.maxTenths, tenths[i])
		}
	}
	return dp, rows, nil
}

// check verifies the district sums and that every populated cell centre lies
// inside its district, both clipped and unclipped, and inside the bbox.
func (p *population) check(ds []*district) error {
	byCode := map[string]*district{}
	for _, d := range ds {
		byCode[d.code] = d
	}
	sums := map[string]int64{}
	for _, c := range p.cells {
		d := byCode[c.district]
		pt := cellCentre(c.cell)
		if !cutBound.Contains(pt) || !planar.MultiPolygonContains(d.clipped, pt) || !planar.MultiPolygonContains(d.full, pt) {
			return fmt.Errorf("cell %s lies outside district %s", c.cell, c.district)
		}
		sums[c.district] += c.tenths
	}
	for _, dp := range p.districts {
		if sums[dp.d.code] != dp.sampleTenths {
			return fmt.Errorf("district %s: cells add up to %d tenths, want %d", dp.d.code, sums[dp.d.code], dp.sampleTenths)
		}
	}
	return nil
}

// measureWeights reads the residential signals from the OSM extract.
func measureWeights(d *osmData) *cellWeights {
	w := &cellWeights{landM2: map[h3.Cell]float64{}, streetM: map[h3.Cell]float64{}, anyRoads: map[h3.Cell]bool{}}
	grid := newSampleGrid(cutBound.Center()[1])
	for _, id := range d.wayOrder {
		way := d.ways[id]
		hw := way.Tags.Find("highway")
		switch {
		case hw != "" && !ignoredHighway[hw]:
			ls, ok := d.line(way)
			if !ok {
				continue
			}
			residential := hw == "residential" || hw == "living_street"
			walkLine(ls, func(c h3.Cell, m float64) {
				w.anyRoads[c] = true
				if residential {
					w.streetM[c] += m
				}
			})
		case tagged(way.Tags, "landuse", "residential"):
			if ring, ok := d.closedRing(way); ok {
				grid.addRing(ring)
			}
		}
	}
	grid.addAreas(w.landM2)
	return w
}

// ignoredHighway are highway values that are not (yet) built roads.
var ignoredHighway = map[string]bool{"proposed": true, "construction": true, "abandoned": true, "disused": true, "razed": true}

// walkLine cuts every segment into pieces of at most sampleStepM metres
// and reports each piece's length to the cell of its midpoint.
func walkLine(ls orb.LineString, fn func(h3.Cell, float64)) {
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		length := geo.Distance(a, b)
		n := max(1, int(math.Ceil(length/sampleStepM)))
		for k := 0; k < n; k++ {
			t := (float64(k) + 0.5) / float64(n)
			mid := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			fn(h3.LatLngToCell(h3.NewLatLng(mid[1], mid[0]), popResolution), length/float64(n))
		}
	}
}

// sampleGrid measures polygon area per cell by counting the points of a
// regular lon/lat grid (about sampleStepM apart) that fall inside; each
// point stands for its grid square. A point inside several overlapping
// polygons counts once.
type sampleGrid struct {
	dLat, dLon float64 // degrees
	inside     map[[2]int64]bool
}

func newSampleGrid(refLat float64) *sampleGrid {
	dLat := sampleStepM / (orb.EarthRadius * math.Pi / 180)
	return &sampleGrid{dLat: dLat, dLon: dLat / math.Cos(refLat*math.Pi/180), inside: map[[2]int64]bool{}}
}

func (g *sampleGrid) point(i, j int64) orb.Point {
	return orb.Point{(float64(j) + 0.5) * g.dLon, (float64(i) + 0.5) * g.dLat}
}

func (g *sampleGrid) addRing(r orb.Ring) {
	b := r.Bound()
	for i := int64(math.Floor(b.Min[1] / g.dLat)); i <= int64(math.Floor(b.Max[1]/g.dLat)); i++ {
		for j := int64(math.Floor(b.Min[0] / g.dLon)); j <= int64(math.Floor(b.Max[0]/g.dLon)); j++ {
			if planar.RingContains(r, g.point(i, j)) {
				g.inside[[2]int64{i, j}] = true
			}
		}
	}
}

// addAreas adds the area of every inside point to its cell, in a fixed
// order so that the float sums are reproducible.
func (g *sampleGrid) addAreas(out map[h3.Cell]float64) {
	keys := make([][2]int64, 0, len(g.inside))
	for k := range g.inside {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a][0] != keys[b][0] {
			return keys[a][0] < keys[b][0]
		}
		return keys[a][1] < keys[b][1]
	})
	rad := math.Pi / 180
	for _, k := range keys {
		p := g.point(k[0], k[1])
		area := orb.EarthRadius * orb.EarthRadius * (g.dLat * rad) * (g.dLon * rad) * math.Cos(p[1]*rad)
		out[h3.LatLngToCell(h3.NewLatLng(p[1], p[0]), popResolution)] += area
	}
}

func writePopulationCSV(path string, cells []popCell) error {
	var buf bytes.Buffer
	buf.WriteString("h3,population\n")
	for _, c := range cells {
		buf.WriteString(c.cell.String() + "," + formatTenths(c.tenths) + "\n")
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// formatTenths writes n/10 with exactly one decimal.
func formatTenths(n int64) string {
	return strconv.FormatInt(n/10, 10) + "." + strconv.FormatInt(n%10, 10)
}

func (p *population) totalTenths() int64 {
	var t int64
	for _, dp := range p.districts {
		t += dp.sampleTenths
	}
	return t
}

func (p *population) floorOnlyCells() int {
	n := 0
	for _, dp := range p.districts {
		n += dp.floorOnly
	}
	return n
}

func (p *population) print() {
	fmt.Printf("chengdu: population.csv: %d cells (res %d) of %d in the bbox; %d cell centres fall in no district polygon\n",
		len(p.cells), popResolution, p.bboxCells, p.orphanCells)
	for _, dp := range p.districts {
		fmt.Printf("  %s %-9s census %9d × share %.4f = %s (%d cells, %d populated, max %s per cell)\n",
			dp.d.code, dp.d.nameEn, dp.census, dp.d.share(), formatTenths(dp.sampleTenths),
			dp.cells, dp.populatedCells, formatTenths(dp.maxTenths))
		tot := dp.weightArea + dp.weightStreet + dp.weightFloor
		fmt.Printf("      weight shares: land %.2f, street %.2f, floor %.2f\n", dp.weightArea/tot, dp.weightStreet/tot, dp.weightFloor/tot)
	}
	fmt.Printf("  total (estimate) %s; %d populated cells carry the floor weight only\n", formatTenths(p.totalTenths()), p.floorOnlyCells())
}
