package collection

import (
	"math"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"

	"lifecircle/coverage"
)

// cellSource publishes cells as hexagons: every cell, or the subset that
// members lists (ascending cell indices). A cell's feature id is its index
// in the dataset plus one in every cell collection.
type cellSource struct {
	s         *Set
	once      sync.Once
	membersFn func() []int32 // nil: every cell
	members   []int32
	props     func(ci int, p coverage.Profile, m map[string]any)
}

func (c *cellSource) load() {
	c.once.Do(func() {
		if c.membersFn != nil {
			c.members = c.membersFn()
			if c.members == nil {
				c.members = []int32{}
			}
		}
	})
}

func (c *cellSource) len() int {
	c.load()
	if c.members != nil {
		return len(c.members)
	}
	return len(c.s.a.Data.Cells)
}

func (c *cellSource) cell(i int) int {
	if c.members != nil {
		return int(c.members[i])
	}
	return i
}

// ordinalOf maps a cell index to its ordinal (false: not a member).
func (c *cellSource) ordinalOf(ci int) (int, bool) {
	c.load()
	if c.members == nil {
		return ci, ci >= 0 && ci < len(c.s.a.Data.Cells)
	}
	k := sort.Search(len(c.members), func(k int) bool { return int(c.members[k]) >= ci })
	return k, k < len(c.members) && int(c.members[k]) == ci
}

func (c *cellSource) ordinal(id int64) (int, bool) {
	if id < 1 || id > math.MaxInt32 {
		return 0, false
	}
	return c.ordinalOf(int(id - 1))
}

func (c *cellSource) toOrdinals(cells []int32) []int {
	out := make([]int, 0, len(cells))
	for _, ci := range cells {
		if k, ok := c.ordinalOf(int(ci)); ok {
			out = append(out, k)
		}
	}
	return out
}

func (c *cellSource) search(b orb.Bound) ([]int, int) {
	cells, read := c.s.cells().search(c.s.a, b)
	return c.toOrdinals(cells), read
}

func (c *cellSource) inUnit(i, unit int) bool { return c.s.cellInUnit(c.cell(i), unit) }

func (c *cellSource) unitOrdinals(unit int) []int { return c.toOrdinals(c.s.unitCells(unit)) }

// extent is the bound of every cell centre (a subset's too: the gaps of a
// type are known only once its coverage is computed, and listing the
// collections must not compute every type).
func (c *cellSource) extent() orb.Bound { return c.s.centreBound() }

func (c *cellSource) feature(i int, p coverage.Profile) Feature {
	a := c.s.a
	ci := c.cell(i)
	cell := a.Data.Cells[ci]
	key := cell.Cell.String()
	// Sized for the largest cell collection (coverage: 14 properties), so
	// the map never grows: growing it was a tenth of a tile's time.
	m := make(map[string]any, 16)
	m["h3"], m["population"] = key, round1(cell.Population)
	for _, l := range coverage.UnitLevels {
		if u, ok := a.UnitOf(l, ci); ok {
			m[string(l)] = u.Code
		}
	}
	if c.props != nil {
		c.props(ci, p, m)
	}
	return Feature{ID: int64(ci) + 1, Key: key, Geometry: orb.Polygon{roundRingInPlace(a.CellRing(ci))}, Properties: m}
}

// item is one feature of a short list.
type item struct {
	id    int64
	bound orb.Bound
	units []int // indices of the admin units it lies in
	build func(p coverage.Profile) Feature
}

// listSource publishes a short list of features computed on first use,
// indexed by an R-tree of their bounds.
type listSource struct {
	once   sync.Once
	loadFn func() []item
	items  []item
	ix     *boundIndex
	// extentFn, when set, gives the extent without loading the items
	// (whose loading may compute a type's coverage).
	extentFn func() orb.Bound
}

func (l *listSource) load() {
	l.once.Do(func() {
		l.items = l.loadFn()
		sort.SliceStable(l.items, func(i, j int) bool { return l.items[i].id < l.items[j].id })
		bounds := make([]orb.Bound, len(l.items))
		for i, it := range l.items {
			bounds[i] = it.bound
		}
		l.ix = newBoundIndex(bounds)
	})
}

func (l *listSource) len() int { l.load(); return len(l.items) }

func (l *listSource) feature(i int, p coverage.Profile) Feature {
	l.load()
	return l.items[i].build(p)
}

func (l *listSource) ordinal(id int64) (int, bool) {
	l.load()
	k := sort.Search(len(l.items), func(k int) bool { return l.items[k].id >= id })
	return k, k < len(l.items) && l.items[k].id == id
}

// search returns the features whose geometry intersects b (OGC API
// Features /req/core/fc-bbox-response): the R-tree of the bounds gives the
// candidates, and a candidate whose bound is not inside b is kept only if
// its shape reaches into b (a catchment's bound is its facility's radius, a
// gap area's bound a rectangle around an irregular outline).
func (l *listSource) search(b orb.Bound) ([]int, int) {
	l.load()
	cand, scanned := l.ix.search(b)
	out := cand[:0]
	for _, i := range cand {
		it := l.items[i]
		if it.bound.Min == it.bound.Max || (b.Contains(it.bound.Min) && b.Contains(it.bound.Max)) ||
			shapeIntersects(it.build(coverage.DefaultProfile).Geometry, b) {
			out = append(out, i)
		}
	}
	return out, scanned
}

// shapeIntersects reports whether a polygon or multipolygon reaches into
// b with some area: its outer ring clipped to b is not empty. Other
// geometries are judged by their bound.
func shapeIntersects(g orb.Geometry, b orb.Bound) bool {
	var polys []orb.Polygon
	switch x := g.(type) {
	case nil:
		return false
	case orb.Polygon:
		polys = []orb.Polygon{x}
	case orb.MultiPolygon:
		polys = x
	default:
		return b.Intersects(g.Bound())
	}
	for _, p := range polys {
		if len(p) == 0 || !b.Intersects(p[0].Bound()) {
			continue
		}
		if r := clip.Ring(b, p[0].Clone()); r != nil && planar.Area(orb.Polygon{r}) > 0 { // clip writes into its input
			return true
		}
	}
	return false
}

func (l *listSource) inUnit(i, unit int) bool {
	l.load()
	for _, u := range l.items[i].units {
		if u == unit {
			return true
		}
	}
	return false
}

func (l *listSource) unitOrdinals(unit int) []int {
	l.load()
	var out []int
	for i := range l.items {
		if l.inUnit(i, unit) {
			out = append(out, i)
		}
	}
	return out
}

func (l *listSource) extent() orb.Bound {
	if l.extentFn != nil {
		return l.extentFn()
	}
	l.load()
	return l.ix.all
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// Output coordinates are rounded to 1e-7° (about 1 cm), which keeps files
// small without moving anything a planner could see.
func roundCoord(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func roundRing(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = orb.Point{roundCoord(p[0]), roundCoord(p[1])}
	}
	return out
}

// roundRingInPlace rounds a ring made for this call alone.
func roundRingInPlace(r orb.Ring) orb.Ring {
	for i, p := range r {
		r[i] = orb.Point{roundCoord(p[0]), roundCoord(p[1])}
	}
	return r
}

func roundMultiPolygon(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			out[i][j] = roundRing(r)
		}
	}
	return out
}
