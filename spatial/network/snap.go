package network

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"lifecircle/spatial"
)

// Snap is where a point joins the network: on edge Edge, Along metres from
// the edge's from node, SnapM metres from the point.
type Snap struct {
	Edge  int32
	Along float32
	SnapM float32
	Point orb.Point
}

// OK reports whether the point joined the network.
func (s Snap) OK() bool { return s.Edge >= 0 }

// NoSnap is the Snap of a point with no edge within the snap limit.
var NoSnap = Snap{Edge: -1, SnapM: float32(math.Inf(1))}

// Snapper finds the nearest point on the nearest edge through an R-tree of
// edge segments. Build once; safe for concurrent use.
type Snapper struct {
	g    *Graph
	tree rtree.RTreeG[int32] // item: index into Shape of the segment's first point
	seg  []int32             // edge of each shape point that starts a segment
}

// NewSnapper indexes the segments of the edges points may join: those of
// the largest connected component, and with minComponent > 0 also those of
// every component of at least minComponent nodes. Points never join a
// disconnected island too small to matter (a footway stub, a mapping
// error), where they could reach nothing. minComponent = 1 allows every edge.
func NewSnapper(g *Graph, minComponent int) *Snapper {
	s := &Snapper{g: g, seg: make([]int32, len(g.Shape))}
	for e := range g.EdgeFrom {
		c := g.Component[g.EdgeFrom[e]]
		if c != 0 && (minComponent <= 0 || int(g.ComponentSizes[c]) < minComponent) {
			continue
		}
		lo, hi := g.ShapeOffsets[e], g.ShapeOffsets[e+1]
		for k := lo; k < hi-1; k++ {
			s.seg[k] = int32(e)
			a, b := g.Shape[k], g.Shape[k+1]
			s.tree.Insert([2]float64{math.Min(a[0], b[0]), math.Min(a[1], b[1])}, [2]float64{math.Max(a[0], b[0]), math.Max(a[1], b[1])}, k)
		}
	}
	return s
}

// Snap joins p to the nearest edge within limitM metres, or returns NoSnap.
// It searches the R-tree with a small window first and widens it only when
// nothing inside the window is closer than the window's half-width: any
// nearer segment would cross the window, so the answer is exact.
func (s *Snapper) Snap(p orb.Point, limitM float64) Snap {
	r := spatial.NewRuler(p[1])
	kx, ky := r.Degrees(1) // degrees per metre
	bestD2 := limitM * limitM
	var bestK int32 = -1
	var bestT float64
	for half := math.Min(64, limitM); ; half = math.Min(half*4, limitM) {
		min := [2]float64{p[0] - half*kx, p[1] - half*ky}
		max := [2]float64{p[0] + half*kx, p[1] + half*ky}
		s.tree.Search(min, max, func(_, _ [2]float64, k int32) bool {
			a, b := s.g.Shape[k], s.g.Shape[k+1]
			// project p on ab in local metres
			ax, ay := (a[0]-p[0])/kx, (a[1]-p[1])/ky
			bx, by := (b[0]-p[0])/kx, (b[1]-p[1])/ky
			dx, dy := bx-ax, by-ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
			}
			qx, qy := ax+t*dx, ay+t*dy
			if d2 := qx*qx + qy*qy; d2 < bestD2 || (d2 == bestD2 && k < bestK) {
				bestD2, bestK, bestT = d2, k, t
			}
			return true
		})
		if (bestK >= 0 && bestD2 <= half*half) || half >= limitM {
			break
		}
	}
	if bestK < 0 {
		return NoSnap
	}
	e := s.seg[bestK]
	along := 0.0
	lo := s.g.ShapeOffsets[e]
	for k := lo; k < bestK; k++ {
		along += spatial.DistanceM(s.g.Shape[k], s.g.Shape[k+1])
	}
	a, b := s.g.Shape[bestK], s.g.Shape[bestK+1]
	along += bestT * spatial.DistanceM(a, b)
	return Snap{
		Edge:  e,
		Along: float32(math.Min(along, float64(s.g.EdgeLen[e]))),
		SnapM: float32(math.Sqrt(bestD2)),
		Point: orb.Point{a[0] + bestT*(b[0]-a[0]), a[1] + bestT*(b[1]-a[1])},
	}
}
