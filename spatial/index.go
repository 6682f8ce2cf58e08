package spatial

import (
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// PointIndex is an R-tree of points keyed by K. The zero value is an empty
// index ready to use. It is not safe for concurrent writes; build it once,
// then share it read-only.
type PointIndex[K any] struct {
	tree rtree.RTreeG[K]
	n    int
}

// Insert adds p under key k.
func (ix *PointIndex[K]) Insert(p orb.Point, k K) {
	ix.tree.Insert(p, p, k)
	ix.n++
}

// Len is the number of points in the index.
func (ix *PointIndex[K]) Len() int { return ix.n }

// WithinM calls fn for every point within m metres of centre (with the
// distance), in no particular order, until fn returns false. r must be a
// Ruler near centre's latitude.
func (ix *PointIndex[K]) WithinM(r Ruler, centre orb.Point, m float64, fn func(p orb.Point, k K, d float64) bool) {
	dx, dy := r.Degrees(m)
	min := [2]float64{centre[0] - dx, centre[1] - dy}
	max := [2]float64{centre[0] + dx, centre[1] + dy}
	ix.tree.Search(min, max, func(pmin, _ [2]float64, k K) bool {
		p := orb.Point(pmin)
		if d := r.Distance(centre, p); d <= m {
			return fn(p, k, d)
		}
		return true
	})
}

// Nearest finds the point closest to centre within m metres. ok is false
// when there is none. Candidates come from the R-tree in order of planar
// box distance scaled to metres, so the first hit is the nearest.
func (ix *PointIndex[K]) Nearest(r Ruler, centre orb.Point, m float64) (k K, p orb.Point, d float64, ok bool) {
	sx, sy := r.kx*r.kx, r.ky*r.ky
	ix.tree.Nearby(
		func(min, max [2]float64, _ K, _ bool) float64 {
			// squared metres from centre to the box
			dx := clampDist(centre[0], min[0], max[0])
			dy := clampDist(centre[1], min[1], max[1])
			return dx*dx*sx + dy*dy*sy
		},
		func(min, _ [2]float64, key K, dist float64) bool {
			if dist > m*m {
				return false
			}
			k, p, d, ok = key, orb.Point(min), r.Distance(centre, orb.Point(min)), true
			return false
		},
	)
	return k, p, d, ok
}

func clampDist(v, lo, hi float64) float64 {
	switch {
	case v < lo:
		return lo - v
	case v > hi:
		return v - hi
	}
	return 0
}

// PolygonIndex is an R-tree of multipolygons keyed by K. The zero value is
// ready to use; build once, then share read-only (safe for concurrent
// Containing calls).
type PolygonIndex[K any] struct {
	tree   rtree.RTreeG[int]
	shapes []preparedPolygon
	keys   []K
}

// preparedPolygon keeps each ring's bound so that point tests skip rings
// whose box does not hold the point (orb recomputes it on every call).
type preparedPolygon struct {
	polys  orb.MultiPolygon
	bounds [][]orb.Bound
}

// Insert adds mp under key k.
func (ix *PolygonIndex[K]) Insert(mp orb.MultiPolygon, k K) {
	b := mp.Bound()
	ix.tree.Insert(b.Min, b.Max, len(ix.shapes))
	pp := preparedPolygon{polys: mp, bounds: make([][]orb.Bound, len(mp))}
	for i, poly := range mp {
		for _, r := range poly {
			pp.bounds[i] = append(pp.bounds[i], r.Bound())
		}
	}
	ix.shapes = append(ix.shapes, pp)
	ix.keys = append(ix.keys, k)
}

// Containing calls fn with the key of every shape that contains p (boundary
// included), in no particular order, until fn returns false.
func (ix *PolygonIndex[K]) Containing(p orb.Point, fn func(k K) bool) {
	ix.tree.Search(p, p, func(_, _ [2]float64, i int) bool {
		if !ix.shapes[i].contains(p) {
			return true // bbox hit, exact miss: keep going
		}
		return fn(ix.keys[i])
	})
}

func (pp *preparedPolygon) contains(p orb.Point) bool {
	for i, poly := range pp.polys {
		if !pp.bounds[i][0].Contains(p) || !ringContains(poly[0], p) {
			continue
		}
		inHole := false
		for j, hole := range poly[1:] {
			if pp.bounds[i][j+1].Contains(p) && ringContainsStrict(hole, p) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// ringContains is the even-odd ray test; points on the boundary are inside.
func ringContains(r orb.Ring, p orb.Point) bool {
	in, onEdge := rayCast(r, p)
	return in || onEdge
}

// ringContainsStrict excludes the boundary (a point on a hole's edge is in
// the polygon).
func ringContainsStrict(r orb.Ring, p orb.Point) bool {
	in, onEdge := rayCast(r, p)
	return in && !onEdge
}

func rayCast(r orb.Ring, p orb.Point) (in, onEdge bool) {
	n := len(r)
	if n < 3 {
		return false, false
	}
	x, y := p[0], p[1]
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := r[j], r[i]
		// on the segment?
		if (x-a[0])*(b[1]-a[1]) == (y-a[1])*(b[0]-a[0]) &&
			x >= min(a[0], b[0]) && x <= max(a[0], b[0]) && y >= min(a[1], b[1]) && y <= max(a[1], b[1]) {
			return true, true
		}
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in, false
}
