// Package synth builds synthetic, Chengdu-like datasets for benchmarks and
// tests: a city of about a million populated H3 resolution-10 cells, tens of
// thousands of facilities of every catalogue type, and a few districts and
// streets. The data are made up; nothing about them is real except the rough
// shape of the numbers (area, population, a dense core with satellite towns).
//
// City is deterministic: the same Config gives the same dataset, whatever the
// number of CPUs. Per-cell noise is a hash of (Seed, cell id); sequential
// choices come from a math/rand/v2 PCG stream seeded with Seed.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Resolution is the H3 resolution of the cells City makes.
const Resolution = 10

const (
	parentRes = 7 // cells are made as the res-10 children of res-7 parents

	centreLon = 104.066 // Tianfu Square
	centreLat = 30.66

	// baseAreaKm2 is the area of the synthetic municipality (Chengdu:
	// 14,335 km²). A res-10 cell near Chengdu is about 0.01446 km², so the
	// whole area holds about 970 k cells; when Config.Cells asks for more
	// than the area can hold with some left unpopulated, the area grows.
	baseAreaKm2 = 14000
	cellAreaKm2 = 0.01446
	// spare is the ratio of candidate cells to populated cells when the
	// area has to grow: the sparsest tenth of the land stays empty.
	spare = 1.1

	plannedShare = 0.05 // facilities planned for 2026–2028
)

// Config sets the size of the city. Zero fields take DefaultConfig's values;
// Seed 0 is a seed like any other.
type Config struct {
	Seed uint64
	// Cells is the number of populated res-10 cells.
	Cells int
	// Facilities is the number of facilities, spread over all catalogue
	// types (at least one of each, so never fewer than the number of types).
	Facilities int
	// TotalPopulation is the sum of the cells' populations.
	TotalPopulation float64
	// Districts is the number of wedge-shaped districts around the centre,
	// each cut into 4 streets by distance from the centre; < 0 makes none.
	Districts int
	// BoundaryStepM, when > 0, draws unit boundaries like real ones: a
	// vertex every BoundaryStepM metres, the radial boundaries wiggling
	// sideways by up to 400 m. 0 gives simple shapes: straight radial
	// boundaries and arcs with a vertex every 2° (about 25 vertices per
	// district, 20–40 per street). Real district outlines have thousands
	// of vertices; 250 gives about 23,000 in all for the default 60 units.
	BoundaryStepM float64
}

// DefaultConfig is a Chengdu-sized benchmark city: 1 M populated cells,
// 30,000 facilities, 20.9 M residents, 12 districts of 4 streets.
func DefaultConfig() Config {
	return Config{Seed: 1, Cells: 1_000_000, Facilities: 30_000, TotalPopulation: 20_900_000, Districts: 12}
}

// ChengduConfig is the Chengdu-sized city of the network, planning and
// collection benchmarks: 1.3 M populated cells (Chengdu's populated area at
// res 10), 30,000 facilities, 20.9 M residents, 12 districts of 4 streets.
func ChengduConfig() Config {
	return Config{Seed: 1, Cells: 1_300_000, Facilities: 30_000, TotalPopulation: 20_900_000, Districts: 12}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Cells <= 0 {
		c.Cells = d.Cells
	}
	if c.Facilities <= 0 {
		c.Facilities = d.Facilities
	}
	if !(c.TotalPopulation > 0) {
		c.TotalPopulation = d.TotalPopulation
	}
	if c.Districts == 0 {
		c.Districts = d.Districts
	}
	return c
}

// City builds a synthetic city. It panics only on a broken built-in
// catalogue.
func City(cfg Config) *coverage.Dataset {
	cfg = cfg.withDefaults()
	g := newGen(cfg, baseAreaKm2)
	cells, scores := g.populatedCells()
	ds := &coverage.Dataset{
		Name:           "synthetic",
		Resolution:     Resolution,
		PopulationNote: "synthetic benchmark city, not real",
		Cells:          make([]coverage.PopulationCell, len(cells)),
	}
	sum := 0.0
	for _, s := range scores {
		sum += s
	}
	scale := cfg.TotalPopulation / sum
	for i, c := range cells {
		ds.Cells[i] = coverage.PopulationCell{Cell: c, Population: scores[i] * scale}
	}
	ds.Facilities = g.facilities(coverage.DefaultCatalog(), ds.Cells)
	ds.Units = g.units()
	return ds
}

// bump is one centre of population: amp × exp(-d/scale), or
// amp × exp(-(d/scale)²) when gauss.
type bump struct {
	x, y       float64 // metres east and north of the city centre
	amp, scale float64
	gauss      bool
}

// town is a satellite town of the real Chengdu, to place the bumps.
type town struct {
	lon, lat float64
	amp      float64
}

var towns = []town{
	{103.89, 30.81, 40}, // Pidu
	{103.84, 30.69, 35}, // Wenjiang
	{104.16, 30.82, 38}, // Xindu
	{104.27, 30.56, 34}, // Longquanyi
	{104.07, 30.41, 45}, // Tianfu New Area
	{103.62, 31.00, 25}, // Dujiangyan
	{104.55, 30.39, 28}, // Jianyang
	{103.67, 30.63, 22}, // Chongzhou
}

type gen struct {
	cfg    Config
	rng    *rand.Rand
	ruler  spatial.Ruler // at the centre; the city's local plane
	centre orb.Point
	rmax   []float64 // outline radius in metres by angle bin
	bumps  []bump
	maxR   float64
}

const angleBins = 4096

func newGen(cfg Config, areaKm2 float64) *gen {
	g := &gen{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, 0x6c69666563697263)), // "lifecirc"
		ruler:  spatial.NewRuler(centreLat),
		centre: orb.Point{centreLon, centreLat},
	}
	if need := spare * float64(cfg.Cells) * cellAreaKm2; need > areaKm2 {
		areaKm2 = need
	}
	// Outline: r(θ) = R (1 + Σ a_k cos(kθ + φ_k)); area = πR²(1 + Σ a_k²/2).
	amps := []float64{0, 0, 0.15, 0.07, 0, 0.04}
	phase := make([]float64, len(amps))
	for k := range amps {
		phase[k] = g.rng.Float64() * 2 * math.Pi
	}
	phase[2] = 2*(20*math.Pi/180) + (g.rng.Float64()-0.5)*0.4 // long axis WSW–ENE
	f := 1.0
	for _, a := range amps {
		f += a * a / 2
	}
	R := math.Sqrt(areaKm2 * 1e6 / (math.Pi * f))
	g.rmax = make([]float64, angleBins)
	for i := range g.rmax {
		th := (float64(i)+0.5)/angleBins*2*math.Pi - math.Pi
		r := 1.0
		for k, a := range amps {
			r += a * math.Cos(float64(k)*th+phase[k])
		}
		g.rmax[i] = R * r
		g.maxR = math.Max(g.maxR, R*r)
	}

	g.bumps = append(g.bumps,
		bump{amp: 100, scale: 5000},              // the core
		bump{amp: 40, scale: 12000, gauss: true}, // the inner suburbs
	)
	n := 5 + g.rng.IntN(4) // 5–8 satellite towns
	for _, t := range towns[:n] {
		x, y := g.toXY(orb.Point{t.lon, t.lat})
		x += (g.rng.Float64() - 0.5) * 4000
		y += (g.rng.Float64() - 0.5) * 4000
		// keep the town well inside the outline
		if r, lim := math.Hypot(x, y), 0.8*g.outline(x, y); r > lim {
			x, y = x*lim/r, y*lim/r
		}
		g.bumps = append(g.bumps, bump{x: x, y: y, amp: t.amp * (0.8 + 0.4*g.rng.Float64()), scale: 2500 + 1500*g.rng.Float64()})
	}
	return g
}

func (g *gen) toXY(p orb.Point) (x, y float64) {
	m := g.ruler.ToMetres(g.centre, p)
	return m[0], m[1]
}

func (g *gen) toLonLat(x, y float64) orb.Point {
	dx, dy := g.ruler.Degrees(1)
	return orb.Point{centreLon + x*dx, centreLat + y*dy}
}

// outline is the radius of the city's outline in the direction of (x, y).
func (g *gen) outline(x, y float64) float64 {
	i := int((math.Atan2(y, x) + math.Pi) / (2 * math.Pi) * angleBins)
	return g.rmax[min(max(i, 0), angleBins-1)]
}

// density is the smooth population density at (x, y), relative units.
func (g *gen) density(x, y float64) float64 {
	// rural base, thinning towards the mountains in the west
	d := 0.2 + 0.8/(1+math.Exp(-(x+45000)/5000))
	for i := range g.bumps {
		b := &g.bumps[i]
		dx, dy := x-b.x, y-b.y
		if b.gauss {
			d += b.amp * math.Exp(-(dx*dx+dy*dy)/(b.scale*b.scale))
		} else {
			d += b.amp * math.Exp(-math.Sqrt(dx*dx+dy*dy)/b.scale)
		}
	}
	return d
}

// Spatially correlated noise: a normal deviate per res-7, res-8, res-9 and
// res-10 cell, hashed from the seed and the cell id's prefix. In an H3 index
// the digit of resolution r sits at bit 3(15-r), so id >> 3(15-r) names the
// res-r ancestor of a res-10 cell.
var noiseSigma = [...]struct {
	shift uint
	sigma float64
}{{24, 0.3}, {21, 0.25}, {18, 0.25}, {0, 0.4}}

// The summed deviate is clamped so that no cell is more than e^1.8 ≈ 6× or
// less than e^-2.5 ≈ 1/12 of the smooth density: real grids have heavy
// tails, but not 1-in-a-million cells of 300,000 residents per km².
const zMin, zMax = -2.5, 1.8

func (g *gen) noise(c spatial.Cell) float64 {
	z := 0.0
	for lvl, n := range noiseSigma {
		z += n.sigma * normal(g.cfg.Seed, uint64(lvl), prefix(c, n.shift))
	}
	return math.Exp(min(max(z, zMin), zMax))
}

// prefix is the part of c's id that names its ancestor at the resolution
// whose digit ends at bit shift, with the resolution field cleared so that
// a res-7 cell and its res-10 children share their res-7 prefix.
func prefix(c spatial.Cell, shift uint) uint64 {
	const resBits = uint64(0xf) << 52
	return (uint64(c) &^ resBits) >> shift
}

// parent9 is the res-9 parent of the res-10 cell c: the resolution field
// set to 9 and the res-10 digit (bits 15–17) set to 7, "unused".
func parent9(c spatial.Cell) spatial.Cell {
	const resBits = uint64(0xf) << 52
	return spatial.Cell(uint64(c)&^resBits | 9<<52 | 7<<15)
}

// normal is a deterministic, roughly standard normal deviate (Irwin–Hall of
// four 16-bit uniforms) hashed from its arguments.
func normal(seed, stream, key uint64) float64 {
	h := splitmix(seed ^ splitmix(stream<<56^key))
	s := float64(h&0xffff) + float64(h>>16&0xffff) + float64(h>>32&0xffff) + float64(h>>48)
	return (s/65536 - 2) * math.Sqrt(3)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// populatedCells returns cfg.Cells cells in ascending id order with their
// (unscaled) population scores.
func (g *gen) populatedCells() ([]spatial.Cell, []float64) {
	// Res-7 parents covering the outline grown by 3 km (a res-7 cell is
	// ~2.8 km across), so that every res-10 cell inside is a child of one.
	ring := make(orb.Ring, 0, 361)
	for i := 0; i < 360; i++ {
		th := float64(i) / 360 * 2 * math.Pi
		r := g.outline(math.Cos(th), math.Sin(th)) + 3000
		ring = append(ring, g.toLonLat(r*math.Cos(th), r*math.Sin(th)))
	}
	ring = append(ring, ring[0])
	parents := spatial.PolygonCells(orb.Polygon{ring}, parentRes)
	slices.Sort(parents)

	// Rank the parents by density and take the densest, with a margin, so
	// that a small city does not pay for the whole area.
	type ranked struct {
		c spatial.Cell
		s float64
	}
	rk := make([]ranked, len(parents))
	for i, p := range parents {
		x, y := g.toXY(spatial.Center(p))
		rk[i] = ranked{p, g.density(x, y) * math.Exp(noiseSigma[0].sigma*normal(g.cfg.Seed, 0, prefix(p, noiseSigma[0].shift)))}
	}
	sort.SliceStable(rk, func(i, j int) bool { return rk[i].s > rk[j].s })
	perParent := len(spatial.Cell(parents[0]).Children(Resolution))
	take := len(rk)
	if need := 2*g.cfg.Cells + 8*perParent; need/perParent < len(rk) {
		take = need / perParent
	}
	for {
		sel := make([]spatial.Cell, take)
		for i := range sel {
			sel[i] = rk[i].c
		}
		slices.Sort(sel)
		cells, scores := g.candidates(sel)
		if n := countPositive(scores); n >= g.cfg.Cells {
			return pickTop(cells, scores, g.cfg.Cells)
		}
		if take < len(rk) {
			take = len(rk)
			continue
		}
		// The outline cannot hold that many: grow it and start again.
		area := math.Pi * g.maxR * g.maxR / 1e6
		*g = *newGen(g.cfg, area*1.25)
		return g.populatedCells()
	}
}

// candidates lists the res-10 children of the parents (ascending, as the
// parents are) with their scores: density × noise inside the outline, 0
// outside. Scores are computed in parallel; each depends only on its cell.
func (g *gen) candidates(parents []spatial.Cell) ([]spatial.Cell, []float64) {
	cells := make([]spatial.Cell, 0, len(parents)*343)
	for _, p := range parents {
		cells = append(cells, p.Children(Resolution)...)
	}
	scores := make([]float64, len(cells))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(cells) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(cells); lo += chunk {
		hi := min(lo+chunk, len(cells))
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The smooth density and the outline are evaluated at the
			// res-9 parent's centre (~175 m apart, far finer than the
			// density varies): the H3 cell-to-point call is most of the
			// cost, and siblings are adjacent in id order.
			var key uint64
			var dens float64
			inside := false
			for i := lo; i < hi; i++ {
				if k := prefix(cells[i], 18); i == lo || k != key {
					key = k
					x, y := g.toXY(spatial.Center(parent9(cells[i])))
					r := g.outline(x, y)
					inside = x*x+y*y <= r*r
					dens = g.density(x, y)
				}
				if inside {
					scores[i] = dens * g.noise(cells[i])
				}
			}
		}()
	}
	wg.Wait()
	return cells, scores
}

func countPositive(s []float64) int {
	n := 0
	for _, v := range s {
		if v > 0 {
			n++
		}
	}
	return n
}

// pickTop keeps the n highest-scoring cells, in their order; ties at the
// threshold go to the earlier cells.
func pickTop(cells []spatial.Cell, scores []float64, n int) ([]spatial.Cell, []float64) {
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	thr := sorted[len(sorted)-n]
	above := len(sorted) - sort.SearchFloat64s(sorted, math.Nextafter(thr, math.Inf(1)))
	atThr := n - above // how many cells scoring exactly thr to keep
	outC := make([]spatial.Cell, 0, n)
	outS := make([]float64, 0, n)
	for i, s := range scores {
		if s > thr || (s == thr && atThr > 0) {
			if s == thr {
				atThr--
			}
			outC = append(outC, cells[i])
			outS = append(outS, s)
		}
	}
	return outC, outS
}

// facilities spreads cfg.Facilities facilities over the catalogue types,
// counts ∝ 1/max_dist_m² (equal covered area per type), located near
// populated cells: 80 % drawn by population, 20 % uniformly over the
// populated cells, then moved up to 150 m.
func (g *gen) facilities(cat *coverage.Catalog, cells []coverage.PopulationCell) []coverage.Facility {
	nTypes := len(cat.Types)
	total := max(g.cfg.Facilities, nTypes)
	counts := apportion(cat, total)
	types := make([]int, 0, total)
	for t, n := range counts {
		for range n {
			types = append(types, t)
		}
	}
	g.rng.Shuffle(len(types), func(i, j int) { types[i], types[j] = types[j], types[i] })

	cum := make([]float64, len(cells))
	acc := 0.0
	for i, c := range cells {
		acc += c.Population
		cum[i] = acc
	}
	seq := make([]int, nTypes)
	out := make([]coverage.Facility, len(types))
	for i, t := range types {
		var ci int
		if g.rng.Float64() < 0.8 {
			ci = sort.SearchFloat64s(cum, g.rng.Float64()*acc)
			ci = min(ci, len(cells)-1)
		} else {
			ci = g.rng.IntN(len(cells))
		}
		x, y := g.toXY(spatial.Center(cells[ci].Cell))
		th, r := g.rng.Float64()*2*math.Pi, 150*math.Sqrt(g.rng.Float64())
		seq[t]++
		ft := cat.Types[t]
		f := coverage.Facility{
			ID:       fmt.Sprintf("f%06d", i+1),
			Type:     ft.ID,
			Name:     fmt.Sprintf("%s %d", ft.NameEN, seq[t]),
			Location: g.toLonLat(x+r*math.Cos(th), y+r*math.Sin(th)),
			Status:   coverage.Existing,
		}
		if g.rng.Float64() < plannedShare {
			f.Status = coverage.Planned
			f.PlanYear = 2026 + g.rng.IntN(3)
		}
		out[i] = f
	}
	return out
}

// apportion splits total over the types ∝ 1/max_dist_m², at least one each,
// by largest remainder (ties to the earlier type).
func apportion(cat *coverage.Catalog, total int) []int {
	n := len(cat.Types)
	w := make([]float64, n)
	sum := 0.0
	for i, t := range cat.Types {
		w[i] = 1 / (t.MaxDistM * t.MaxDistM)
		sum += w[i]
	}
	counts := make([]int, n)
	rem := make([]float64, n)
	left := total - n // one each first
	given := 0
	for i := range w {
		ideal := float64(left) * w[i] / sum
		counts[i] = 1 + int(ideal)
		rem[i] = ideal - math.Floor(ideal)
		given += int(ideal)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for k := 0; given < left; k++ {
		counts[order[k%n]]++
		given++
	}
	return counts
}

// streetBands are the outer radii, as shares of the city's largest radius,
// of the 4 streets each district is cut into; the last reaches past the edge.
var streetBands = []float64{0.08, 0.2, 0.45, 1.1}

// wiggleM is the largest sideways wiggle of detailed radial boundaries
// (Config.BoundaryStepM > 0); simple arcs get a vertex every simpleArcStep.
const (
	wiggleM       = 400
	simpleArcStep = 2 * math.Pi / 180
)

// units makes cfg.Districts wedges around the centre (codes SD01…), each cut
// into 4 streets by distance from the centre (SD01-1…, inner to outer).
// Neighbours share their boundary vertices exactly, so the districts, and
// the streets, tile the plane: every cell lies in one district and one
// street (the centre point itself in several).
func (g *gen) units() []coverage.AdminUnit {
	n := g.cfg.Districts
	if n <= 0 {
		return nil
	}
	step := 2 * math.Pi / float64(n)
	rot := g.rng.Float64() * step
	cuts := make([]float64, n)
	for i := range cuts {
		cuts[i] = rot + float64(i)*step + (g.rng.Float64()-0.5)*0.5*step
	}
	radii := make([]float64, len(streetBands))
	for i, b := range streetBands {
		radii[i] = b * g.maxR
	}

	// One radial boundary per cut, shared by the districts on either side.
	// at[k] is the index of the vertex at radii[k]; the wiggle is 0 there
	// and at the centre, so arcs meet the radial boundaries exactly.
	type radial struct {
		pts []orb.Point
		at  []int
	}
	detail := g.cfg.BoundaryStepM
	rads := make([]radial, n)
	for i, th := range cuts {
		ph1, ph2 := g.rng.Float64()*2*math.Pi, g.rng.Float64()*2*math.Pi
		cos, sin := math.Cos(th), math.Sin(th)
		rd := radial{pts: []orb.Point{g.centre}, at: make([]int, len(radii))}
		inner := 0.0
		for k, outer := range radii {
			steps := 1
			if detail > 0 {
				steps = max(1, int(math.Ceil((outer-inner)/detail)))
			}
			for j := 1; j <= steps; j++ {
				r := inner + (outer-inner)*float64(j)/float64(steps)
				off := 0.0
				if j < steps {
					env := math.Sin(math.Pi * float64(j) / float64(steps))
					off = min(wiggleM, 0.08*r) * env * (0.6*math.Sin(r/500+ph1) + 0.4*math.Sin(r/170+ph2))
				}
				rd.pts = append(rd.pts, g.toLonLat(r*cos-off*sin, r*sin+off*cos))
			}
			rd.at[k] = len(rd.pts) - 1
			inner = outer
		}
		rads[i] = rd
	}
	// arc appends the vertices strictly between angles a and b at radius r.
	arc := func(ring orb.Ring, a, b, r float64) orb.Ring {
		step := simpleArcStep
		if detail > 0 {
			step = detail / r
		}
		k := max(2, int(math.Ceil(math.Abs(b-a)/step)))
		for j := 1; j < k; j++ {
			th := a + (b-a)*float64(j)/float64(k)
			ring = append(ring, g.toLonLat(r*math.Cos(th), r*math.Sin(th)))
		}
		return ring
	}
	// path appends rd.pts[from..to], either direction, both included.
	path := func(ring orb.Ring, rd radial, from, to int) orb.Ring {
		if from <= to {
			return append(ring, rd.pts[from:to+1]...)
		}
		for j := from; j >= to; j-- {
			ring = append(ring, rd.pts[j])
		}
		return ring
	}

	var units []coverage.AdminUnit
	last := len(radii) - 1
	for i := range n {
		a, b := cuts[i], cuts[0]+2*math.Pi // b: the next cut, unwrapped
		if i+1 < n {
			b = cuts[i+1]
		}
		ra, rb := rads[i], rads[(i+1)%n]
		code := fmt.Sprintf("SD%02d", i+1)
		ring := path(nil, ra, 0, ra.at[last])
		ring = arc(ring, a, b, radii[last])
		ring = path(ring, rb, rb.at[last], 0) // back to the centre: closed
		units = append(units, coverage.AdminUnit{
			Level: coverage.District, Code: code, Name: fmt.Sprintf("Synthetic district %d", i+1),
			Geometry: orb.MultiPolygon{{ring}},
		})
		for s := range radii {
			from := 0
			if s > 0 {
				from = ra.at[s-1]
			}
			ring := path(nil, ra, from, ra.at[s])
			ring = arc(ring, a, b, radii[s])
			if s == 0 {
				ring = path(ring, rb, rb.at[s], 0)
			} else {
				ring = path(ring, rb, rb.at[s], rb.at[s-1])
				ring = arc(ring, b, a, radii[s-1])
				ring = append(ring, ring[0])
			}
			units = append(units, coverage.AdminUnit{
				Level: coverage.Street, Code: fmt.Sprintf("%s-%d", code, s+1), Parent: code,
				Name:     fmt.Sprintf("Synthetic street %d-%d", i+1, s+1),
				Geometry: orb.MultiPolygon{{ring}},
			})
		}
	}
	return units
}
