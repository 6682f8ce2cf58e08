package spatial

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Outline returns the outline of the union of cells: one polygon per
// edge-connected group, outer rings counter-clockwise, holes clockwise,
// rings closed (RFC 7946 order). Duplicate cells are ignored.
//
// h3-go v4.1.0's CellsToMultiPolygon panics ("not implemented"), so this
// builds the outline itself: every cell contributes its directed boundary
// edges, edges shared by two cells cancel out, and what is left is chained
// into rings. Cells meet only along whole edges, so no vertex is visited twice.
func Outline(cells []Cell) orb.MultiPolygon {
	if len(cells) == 0 {
		return nil
	}
	vs := newVertexSet()
	type edge struct{ a, b int32 }
	edges := make(map[edge]struct{}, len(cells)*6)
	seen := make(map[Cell]struct{}, len(cells))
	for _, c := range cells {
		if _, dup := seen[c]; dup {
			continue
		}
		seen[c] = struct{}{}
		ring := Boundary(c)
		pts := ring[:len(ring)-1]
		if signedArea(pts) < 0 { // make sure every cell runs counter-clockwise
			pts = append([]orb.Point(nil), pts...)
			reverse(pts)
		}
		first := vs.id(pts[0])
		prev := first
		for i := 1; i <= len(pts); i++ {
			cur := first
			if i < len(pts) {
				cur = vs.id(pts[i])
			}
			if prev == cur {
				continue
			}
			if _, ok := edges[edge{cur, prev}]; ok {
				delete(edges, edge{cur, prev}) // shared with a neighbour: interior
			} else {
				edges[edge{prev, cur}] = struct{}{}
			}
			prev = cur
		}
	}
	next := make(map[int32]int32, len(edges))
	for e := range edges {
		next[e.a] = e.b
	}
	starts := make([]int32, 0, len(next))
	for a := range next {
		starts = append(starts, a)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] }) // deterministic output

	var outers []orb.Polygon
	var holes []orb.Ring
	for _, s := range starts {
		if _, ok := next[s]; !ok {
			continue // already part of a ring
		}
		ring := orb.Ring{}
		for v := s; ; {
			ring = append(ring, vs.pts[v])
			n, ok := next[v]
			if !ok {
				break
			}
			delete(next, v)
			v = n
			if v == s {
				break
			}
		}
		ring = append(ring, ring[0])
		if len(ring) < 4 {
			continue
		}
		if signedArea(ring[:len(ring)-1]) > 0 {
			outers = append(outers, orb.Polygon{ring})
		} else {
			holes = append(holes, ring)
		}
	}
	for _, h := range holes {
		best, bestArea := -1, math.Inf(1)
		for i, o := range outers {
			if planar.RingContains(o[0], h[0]) || planar.RingContains(o[0], midpoint(h[0], h[1])) {
				if a := math.Abs(signedArea(o[0])); a < bestArea {
					best, bestArea = i, a
				}
			}
		}
		if best >= 0 {
			outers[best] = append(outers[best], h)
		}
	}
	sort.SliceStable(outers, func(i, j int) bool {
		return math.Abs(signedArea(outers[i][0])) > math.Abs(signedArea(outers[j][0]))
	})
	return orb.MultiPolygon(outers)
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// vertexSet numbers points, treating points closer than 1e-9° (0.1 mm) as
// the same: H3 computes a shared vertex separately for each cell, and the
// two results may differ in the last bits.
type vertexSet struct {
	buckets map[[2]int64][]int32
	pts     []orb.Point
}

const vertexQuantum = 1e-8 // degrees per bucket

func newVertexSet() *vertexSet { return &vertexSet{buckets: make(map[[2]int64][]int32)} }

func (vs *vertexSet) id(p orb.Point) int32 {
	kx, ky := int64(math.Floor(p[0]/vertexQuantum)), int64(math.Floor(p[1]/vertexQuantum))
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			for _, id := range vs.buckets[[2]int64{kx + dx, ky + dy}] {
				q := vs.pts[id]
				if math.Abs(q[0]-p[0]) < 1e-9 && math.Abs(q[1]-p[1]) < 1e-9 {
					return id
				}
			}
		}
	}
	id := int32(len(vs.pts))
	vs.pts = append(vs.pts, p)
	k := [2]int64{kx, ky}
	vs.buckets[k] = append(vs.buckets[k], id)
	return id
}

// Components splits cells into groups connected through shared edges. Groups
// come out in the order of their first cell in the input; the cells of each
// group keep their input order.
func Components(cells []Cell) [][]Cell {
	index := make(map[Cell]int, len(cells))
	for i, c := range cells {
		if _, dup := index[c]; !dup {
			index[c] = i
		}
	}
	group := make([]int, len(cells))
	for i := range group {
		group[i] = -1
	}
	var groups [][]int
	var stack []int
	var nb []Cell
	for i, c := range cells {
		if group[i] >= 0 || index[c] != i {
			continue
		}
		g := len(groups)
		groups = append(groups, nil)
		group[i] = g
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			groups[g] = append(groups[g], j)
			nb = Neighbors(nb[:0], cells[j])
			for _, n := range nb {
				if k, ok := index[n]; ok && group[k] < 0 {
					group[k] = g
					stack = append(stack, k)
				}
			}
		}
	}
	out := make([][]Cell, len(groups))
	for g, members := range groups {
		sort.Ints(members)
		out[g] = make([]Cell, len(members))
		for i, m := range members {
			out[g][i] = cells[m]
		}
	}
	return out
}
