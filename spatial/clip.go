package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// OverlapAreaM2 is the area in square metres of the part of poly (holes
// removed) that lies inside the convex polygon convex. Both are WGS84; the
// area is measured on a local plane at convex's first vertex, which is exact
// enough for cells and census blocks (well under 0.1 % below 10 km).
//
// It clips each ring of poly against convex with Sutherland–Hodgman, which is
// exact for a convex clip window and any simple subject ring.
func OverlapAreaM2(poly orb.Polygon, convex orb.Ring) float64 {
	if len(poly) == 0 || len(convex) < 4 {
		return 0
	}
	origin := convex[0]
	ruler := NewRuler(origin[1])
	clipper := make([]orb.Point, 0, len(convex))
	for _, p := range convex[:len(convex)-1] {
		clipper = append(clipper, ruler.ToMetres(origin, p))
	}
	if signedArea(clipper) < 0 {
		reverse(clipper)
	}
	total := 0.0
	for i, ring := range poly {
		pts := make([]orb.Point, 0, len(ring))
		for _, p := range ring {
			pts = append(pts, ruler.ToMetres(origin, p))
		}
		if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
			pts = pts[:len(pts)-1]
		}
		a := math.Abs(signedArea(clipConvex(pts, clipper)))
		if i == 0 {
			total += a
		} else {
			total -= a
		}
	}
	return math.Max(total, 0)
}

// PolygonAreaM2 is the area of poly (holes removed) in square metres, on a
// local plane at its first vertex.
func PolygonAreaM2(poly orb.Polygon) float64 {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return 0
	}
	origin := poly[0][0]
	ruler := NewRuler(origin[1])
	total := 0.0
	for i, ring := range poly {
		pts := make([]orb.Point, 0, len(ring))
		for _, p := range ring {
			pts = append(pts, ruler.ToMetres(origin, p))
		}
		a := math.Abs(signedArea(pts))
		if i == 0 {
			total += a
		} else {
			total -= a
		}
	}
	return math.Max(total, 0)
}

// clipConvex clips subject against the counter-clockwise convex polygon clip.
func clipConvex(subject, clip []orb.Point) []orb.Point {
	out := subject
	for i := range clip {
		if len(out) == 0 {
			break
		}
		a, b := clip[i], clip[(i+1)%len(clip)]
		in := out
		out = make([]orb.Point, 0, len(in)+4)
		prev := in[len(in)-1]
		prevIn := side(a, b, prev) >= 0
		for _, cur := range in {
			curIn := side(a, b, cur) >= 0
			if curIn != prevIn {
				out = append(out, intersect(prev, cur, a, b))
			}
			if curIn {
				out = append(out, cur)
			}
			prev, prevIn = cur, curIn
		}
	}
	return out
}

// side is positive when p is left of the directed line a→b.
func side(a, b, p orb.Point) float64 {
	return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
}

func intersect(p, q, a, b orb.Point) orb.Point {
	sp, sq := side(a, b, p), side(a, b, q)
	t := sp / (sp - sq)
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}

// signedArea is positive for counter-clockwise rings (shoelace; open or closed).
func signedArea(pts []orb.Point) float64 {
	s := 0.0
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
	}
	return s / 2
}

func reverse(pts []orb.Point) {
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
}
