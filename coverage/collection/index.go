package collection

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// cellGrid indexes the cells of an analysis by their H3 ancestor three
// resolutions coarser (up to 343 cells a group): an R-tree holds the bound
// of each group's centres, so a bbox query reads only the groups it touches
// and tests only their cells.
type cellGrid struct {
	groups [][]int32 // cell indices, ascending within a group
	tree   rtree.RTreeG[int32]
	bound  orb.Bound
}

func newCellGrid(a *coverage.Analysis) *cellGrid {
	cells := a.Data.Cells
	g := &cellGrid{}
	if len(cells) == 0 {
		return g
	}
	order := make([]int32, len(cells))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(i, j int) bool { return cells[order[i]].Cell < cells[order[j]].Cell })
	shift := uint(3 * (15 - max(a.Data.Resolution-3, 0)))
	g.bound = orb.Bound{Min: a.Centre(0), Max: a.Centre(0)}
	start := 0
	for i := 1; i <= len(order); i++ {
		if i < len(order) && uint64(cells[order[i]].Cell)>>shift == uint64(cells[order[start]].Cell)>>shift {
			continue
		}
		grp := append([]int32(nil), order[start:i]...)
		sort.Slice(grp, func(x, y int) bool { return grp[x] < grp[y] })
		b := orb.Bound{Min: a.Centre(int(grp[0])), Max: a.Centre(int(grp[0]))}
		for _, ci := range grp[1:] {
			b = b.Extend(a.Centre(int(ci)))
		}
		g.bound = g.bound.Union(b)
		g.tree.Insert(b.Min, b.Max, int32(len(g.groups)))
		g.groups = append(g.groups, grp)
		start = i
	}
	return g
}

// search returns the indices of the cells whose centre lies in b, ascending,
// and the number of cells read (those of the groups the R-tree returned).
func (g *cellGrid) search(a *coverage.Analysis, b orb.Bound) ([]int32, int) {
	var out []int32
	read := 0
	g.tree.Search(b.Min, b.Max, func(min, max [2]float64, gi int32) bool {
		grp := g.groups[gi]
		read += len(grp)
		inside := b.Contains(orb.Point(min)) && b.Contains(orb.Point(max))
		for _, ci := range grp {
			if inside || b.Contains(a.Centre(int(ci))) {
				out = append(out, ci)
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, read
}

// centreBound is the bound of every cell centre (the cell grid's bound,
// without building the grid).
func (s *Set) centreBound() orb.Bound {
	s.boundOnce.Do(func() {
		n := len(s.a.Data.Cells)
		if n == 0 {
			return
		}
		b := orb.Bound{Min: s.a.Centre(0), Max: s.a.Centre(0)}
		for i := 1; i < n; i++ {
			b = b.Extend(s.a.Centre(i))
		}
		s.bound = b
	})
	return s.bound
}

// cellReachM is twice H3's mean hexagon edge at the dataset's resolution
// (1,281,256 m at resolution 0, ÷ √7 a level): cells vary in size over the
// globe, and a hexagon's circumradius is its edge.
func (s *Set) cellReachM() float64 {
	return 2 * 1_281_256 / math.Pow(math.Sqrt(7), float64(s.a.Data.Resolution))
}

// reachBound is centreBound grown by how far a cell reaches past its
// centre (Collection.ReachM): it holds every cell's outline, so also any
// area merged from cells.
func (s *Set) reachBound() orb.Bound {
	b := s.centreBound()
	if b.IsZero() {
		return b
	}
	m := s.cellReachM()
	lat := max(math.Abs(b.Min[1]), math.Abs(b.Max[1])) // degrees of longitude are widest there
	dLon, _ := spatial.NewRuler(lat).Degrees(m)
	_, dLat := spatial.NewRuler(b.Center()[1]).Degrees(m)
	return orb.Bound{Min: orb.Point{b.Min[0] - dLon, b.Min[1] - dLat}, Max: orb.Point{b.Max[0] + dLon, b.Max[1] + dLat}}
}

func (s *Set) cells() *cellGrid {
	s.gridOnce.Do(func() { s.grid = newCellGrid(s.a) })
	return s.grid
}

// boundIndex is an R-tree over the bounds of a short list of features
// (facilities, units, gap areas, catchments).
type boundIndex struct {
	tree   rtree.RTreeG[int]
	bounds []orb.Bound
	all    orb.Bound
}

func newBoundIndex(bounds []orb.Bound) *boundIndex {
	ix := &boundIndex{bounds: bounds}
	for i, b := range bounds {
		ix.tree.Insert(b.Min, b.Max, i)
		if i == 0 {
			ix.all = b
		} else {
			ix.all = ix.all.Union(b)
		}
	}
	return ix
}

func (ix *boundIndex) search(b orb.Bound) ([]int, int) {
	var out []int
	ix.tree.Search(b.Min, b.Max, func(_, _ [2]float64, i int) bool {
		out = append(out, i)
		return true
	})
	return sortedInts(out), len(out)
}
