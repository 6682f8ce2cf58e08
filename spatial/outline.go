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
func Outline(cells []Cell) orb.MultiPolygon { return OutlineOf(cells, Boundary) }

// OutlineOf is Outline with each cell's closed outline from boundary,
// which must give what Boundary gives (a cache of it); the ring is not
// changed.
func OutlineOf(cells []Cell, boundary func(Cell) orb.Ring) orb.MultiPolygon {
	if len(cells) == 0 {
		return nil
	}
	o := &outliner{vs: newVertexSet(), edges: make(map[outlineEdge]struct{}, len(cells)*6)}
	seen := make(map[Cell]struct{}, len(cells))
	for _, c := range cells {
		if _, dup := seen[c]; dup {
			continue
		}
		seen[c] = struct{}{}
		o.addCell(boundary(c))
	}
	outers, holes := o.rings()
	areas := placeHoles(outers, holes)
	return largestFirst(outers, areas)
}

// outlineEdge is a directed edge between two vertices of a vertexSet.
type outlineEdge struct{ a, b int32 }

// outliner gathers the boundary edges of cells: an edge two cells share
// cancels out, the edges left are the outline.
type outliner struct {
	vs    *vertexSet
	edges map[outlineEdge]struct{}
}

// addCell adds the edges of a cell's closed ring, counter-clockwise.
func (o *outliner) addCell(ring orb.Ring) {
	pts := ring[:len(ring)-1]
	if signedArea(pts) < 0 { // make sure every cell runs counter-clockwise
		pts = append([]orb.Point(nil), pts...)
		reverse(pts)
	}
	first := o.vs.id(pts[0])
	prev := first
	for i := 1; i <= len(pts); i++ {
		cur := first
		if i < len(pts) {
			cur = o.vs.id(pts[i])
		}
		if prev == cur {
			continue
		}
		if _, ok := o.edges[outlineEdge{cur, prev}]; ok {
			delete(o.edges, outlineEdge{cur, prev}) // shared with a neighbour: interior
		} else {
			o.edges[outlineEdge{prev, cur}] = struct{}{}
		}
		prev = cur
	}
}

// rings chains the edges left into closed rings, from the lowest vertex
// (deterministic output): counter-clockwise ones are outer rings, the
// others holes.
func (o *outliner) rings() (outers []orb.Polygon, holes []orb.Ring) {
	next := make(map[int32]int32, len(o.edges))
	for e := range o.edges {
		next[e.a] = e.b
	}
	starts := make([]int32, 0, len(next))
	for a := range next {
		starts = append(starts, a)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for _, s := range starts {
		if _, ok := next[s]; !ok {
			continue // already part of a ring
		}
		ring := orb.Ring{}
		for v := s; ; {
			ring = append(ring, o.vs.pts[v])
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
	return outers, holes
}

// placeHoles adds each hole to the smallest outer ring holding it and
// returns the outers' areas. Every hole lies in some outer ring (it is
// bounded by cells), so when only one outer's box holds the hole's box,
// that is the one; ring tests, which cost a pass over the outer's
// vertices, are for the rest.
func placeHoles(outers []orb.Polygon, holes []orb.Ring) []float64 {
	bounds := make([]orb.Bound, len(outers))
	areas := make([]float64, len(outers))
	for i, o := range outers {
		bounds[i] = o[0].Bound()
		areas[i] = math.Abs(signedArea(o[0]))
	}
	var cand []int
	for _, h := range holes {
		hb := h.Bound()
		cand = cand[:0]
		for i, b := range bounds {
			if b.Contains(hb.Min) && b.Contains(hb.Max) {
				cand = append(cand, i)
			}
		}
		best, bestArea := -1, math.Inf(1)
		if len(cand) == 1 {
			best = cand[0]
		} else {
			for _, i := range cand {
				o := outers[i]
				if areas[i] < bestArea && (planar.RingContains(o[0], h[0]) || planar.RingContains(o[0], midpoint(h[0], h[1]))) {
					best, bestArea = i, areas[i]
				}
			}
		}
		if best >= 0 {
			outers[best] = append(outers[best], h)
		}
	}
	return areas
}

// largestFirst orders the polygons by the area of their outer ring,
// largest first (ties in the order found).
func largestFirst(outers []orb.Polygon, areas []float64) orb.MultiPolygon {
	order := make([]int, len(outers))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return areas[order[i]] > areas[order[j]] })
	out := make(orb.MultiPolygon, len(outers))
	for k, i := range order {
		out[k] = outers[i]
	}
	return out
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// vertexSet numbers points, treating points closer than 1e-9° (0.1 mm) as
// the same: H3 computes a shared vertex separately for each cell, and the
// two results may differ in the last bits. Points are bucketed on a 1e-8°
// grid; distinct cell vertices are metres apart, so a bucket holds one
// vertex, and a copy of it can only fall into a neighbouring bucket when it
// lies within the tolerance of the bucket's side.
type vertexSet struct {
	ids    map[uint64]int32 // bucket → vertex
	extra  []int32          // vertices whose bucket was taken (never, for H3 cells)
	pts    []orb.Point
	ox, oy int64 // the first bucket: keys are offsets from it, 32 bits each
	set    bool
}

const (
	vertexQuantum = 1e-8 // degrees per bucket
	vertexTol     = 1e-9 // degrees: closer points are the same vertex
)

func newVertexSet() *vertexSet { return &vertexSet{ids: make(map[uint64]int32)} }

func (vs *vertexSet) key(kx, ky int64) uint64 {
	return uint64(uint32(kx-vs.ox))<<32 | uint64(uint32(ky-vs.oy))
}

func (vs *vertexSet) same(id int32, p orb.Point) bool {
	q := vs.pts[id]
	return math.Abs(q[0]-p[0]) < vertexTol && math.Abs(q[1]-p[1]) < vertexTol
}

func (vs *vertexSet) id(p orb.Point) int32 {
	fx, fy := p[0]/vertexQuantum, p[1]/vertexQuantum
	kx, ky := int64(math.Floor(fx)), int64(math.Floor(fy))
	if !vs.set {
		vs.ox, vs.oy, vs.set = kx, ky, true
	}
	own, taken := vs.ids[vs.key(kx, ky)]
	if taken && vs.same(own, p) {
		return own
	}
	const edge = vertexTol / vertexQuantum // share of a bucket near its sides
	dxs, dys := [2]int64{0, 0}, [2]int64{0, 0}
	if fx-float64(kx) < edge {
		dxs[1] = -1
	} else if float64(kx+1)-fx < edge {
		dxs[1] = 1
	}
	if fy-float64(ky) < edge {
		dys[1] = -1
	} else if float64(ky+1)-fy < edge {
		dys[1] = 1
	}
	for _, dx := range dxs {
		for _, dy := range dys {
			if dx == 0 && dy == 0 {
				continue
			}
			if id, ok := vs.ids[vs.key(kx+dx, ky+dy)]; ok && vs.same(id, p) {
				return id
			}
		}
	}
	for _, id := range vs.extra {
		if vs.same(id, p) {
			return id
		}
	}
	id := int32(len(vs.pts))
	vs.pts = append(vs.pts, p)
	if taken {
		vs.extra = append(vs.extra, id)
	} else {
		vs.ids[vs.key(kx, ky)] = id
	}
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
