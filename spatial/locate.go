package spatial

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Locator finds the shapes containing each of many points, fast when the
// points come in spatially coherent groups (cells in H3 order): a group whose
// box no boundary crosses shares the answer of any one of its points, and a
// point near a known one gets its answer by counting the boundaries crossed
// on the way (even–odd), not by a full point-in-polygon test against every
// vertex. Shapes are indexed in insertion order. The zero value is ready to
// use; build once, then share read-only.
type Locator[K any] struct {
	PolygonIndex[K]
	segs  []segment
	edges rtree.RTreeG[int32] // segment bounds → index into segs
}

type segment struct {
	a, b  orb.Point
	shape int32
}

// Insert adds mp under key k.
func (l *Locator[K]) Insert(mp orb.MultiPolygon, k K) {
	shape := int32(len(l.shapes))
	l.PolygonIndex.Insert(mp, k)
	for _, poly := range mp {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				a, b := r[i-1], r[i]
				if a == b {
					continue
				}
				l.edges.Insert([2]float64{min(a[0], b[0]), min(a[1], b[1])}, [2]float64{max(a[0], b[0]), max(a[1], b[1])}, int32(len(l.segs)))
				l.segs = append(l.segs, segment{a, b, shape})
			}
		}
	}
}

// Len is the number of shapes.
func (l *Locator[K]) Len() int { return len(l.shapes) }

// Key is the key of shape i.
func (l *Locator[K]) Key(i int32) K { return l.keys[i] }

// Shapes appends to dst the indices, ascending, of the shapes containing p
// (boundary included).
func (l *Locator[K]) Shapes(p orb.Point, dst []int32) []int32 {
	start := len(dst)
	l.tree.Search(p, p, func(_, _ [2]float64, i int) bool {
		if l.shapes[i].contains(p) {
			dst = append(dst, int32(i))
		}
		return true
	})
	slices.Sort(dst[start:])
	return dst
}

// boxPad grows boxes by ~0.1 mm so that rounding cannot hide a boundary
// running along a box's side.
const boxPad = 1e-9

// Crosses reports whether a shape boundary may pass through b (boundary
// included). When none does, every point of b lies in the same shapes.
func (l *Locator[K]) Crosses(b orb.Bound) bool {
	b = orb.Bound{Min: orb.Point{b.Min[0] - boxPad, b.Min[1] - boxPad}, Max: orb.Point{b.Max[0] + boxPad, b.Max[1] + boxPad}}
	hit := false
	l.edges.Search(b.Min, b.Max, func(_, _ [2]float64, si int32) bool {
		s := l.segs[si]
		hit = segmentMeetsBox(s.a, s.b, b)
		return !hit
	})
	return hit
}

// segmentMeetsBox reports whether segment ab meets the closed box b
// (Liang–Barsky clipping).
func segmentMeetsBox(a, c orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	for k := 0; k < 2; k++ {
		d := c[k] - a[k]
		if d == 0 {
			if a[k] < b.Min[k] || a[k] > b.Max[k] {
				return false
			}
			continue
		}
		ta, tb := (b.Min[k]-a[k])/d, (b.Max[k]-a[k])/d
		if ta > tb {
			ta, tb = tb, ta
		}
		t0, t1 = max(t0, ta), min(t1, tb)
		if t0 > t1 {
			return false
		}
	}
	return true
}

// Move returns (appended to dst, ascending) the shapes containing to, given
// the shapes in (ascending) containing from: a shape's membership flips with
// every crossing of its boundary along from→to. ok is false when the path
// touches a vertex or runs along or ends within ~1 µm of a boundary; the
// caller then uses Shapes.
func (l *Locator[K]) Move(from orb.Point, in []int32, to orb.Point, dst []int32) (_ []int32, ok bool) {
	if dst == nil {
		dst = make([]int32, 0, len(in)+2) // not nil, even when empty
	}
	if from == to {
		return append(dst, in...), true
	}
	var flips []int32
	ok = true
	min := [2]float64{math.Min(from[0], to[0]) - boxPad, math.Min(from[1], to[1]) - boxPad}
	max := [2]float64{math.Max(from[0], to[0]) + boxPad, math.Max(from[1], to[1]) + boxPad}
	l.edges.Search(min, max, func(_, _ [2]float64, si int32) bool {
		s := l.segs[si]
		switch crossing(from, to, s.a, s.b) {
		case 1:
			flips = append(flips, s.shape)
		case -1:
			ok = false
		}
		return ok
	})
	if !ok {
		return dst, false
	}
	slices.Sort(flips)
	start := len(dst)
	dst = append(dst, in...)
	for i := 0; i < len(flips); {
		j := i
		for j < len(flips) && flips[j] == flips[i] {
			j++
		}
		if (j-i)%2 == 1 {
			if k, found := slices.BinarySearch(dst[start:], flips[i]); found {
				dst = slices.Delete(dst, start+k, start+k+1)
			} else {
				dst = slices.Insert(dst, start+k, flips[i])
			}
		}
		i = j
	}
	return dst, true
}

// crossing is 1 when segments pq and ab cross at a single interior point, 0
// when they do not meet, -1 when it is too close to call (an end on or near
// the other segment, collinear).
func crossing(p, q, a, b orb.Point) int {
	const eps = 1e-11 // degrees, ~1 µm: the rounding of the orientations
	o1, o2 := orient(p, q, a), orient(p, q, b)
	o3, o4 := orient(a, b, p), orient(a, b, q)
	lpq, lab := math.Hypot(q[0]-p[0], q[1]-p[1]), math.Hypot(b[0]-a[0], b[1]-a[1])
	if (o1 > eps*lpq && o2 > eps*lpq) || (o1 < -eps*lpq && o2 < -eps*lpq) ||
		(o3 > eps*lab && o4 > eps*lab) || (o3 < -eps*lab && o4 < -eps*lab) {
		return 0 // one segment lies wholly on one side of the other's line
	}
	if math.Abs(o1) <= eps*lpq || math.Abs(o2) <= eps*lpq || math.Abs(o3) <= eps*lab || math.Abs(o4) <= eps*lab {
		return -1
	}
	return 1
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}
