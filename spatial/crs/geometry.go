package crs

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Project returns a copy of g (CRS84 lon,lat) with every point converted to
// c, in c's axis order (so point[0] is the latitude for EPSG:4326). The input
// is never modified. A Bound is returned as the bound of its densified edges
// in c. Unknown geometry types and nil give nil.
func Project(g orb.Geometry, c CRS) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return c.point(g)
	case orb.MultiPoint:
		return orb.MultiPoint(c.points(g))
	case orb.LineString:
		return orb.LineString(c.points(g))
	case orb.Ring:
		return orb.Ring(c.points(g))
	case orb.Polygon:
		return c.polygon(g)
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = c.points(ls)
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = c.polygon(p)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, sub := range g {
			out[i] = Project(sub, c)
		}
		return out
	case orb.Bound:
		b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
		densify(g.Min[0], g.Min[1], g.Max[0], g.Max[1], func(lon, lat float64) {
			b = b.Extend(c.point(orb.Point{lon, lat}))
		})
		return b
	}
	return nil
}

func (c CRS) point(p orb.Point) orb.Point {
	a, b := c.FromCRS84(p[0], p[1])
	return orb.Point{a, b}
}

func (c CRS) points(ps []orb.Point) []orb.Point {
	if ps == nil {
		return nil
	}
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		out[i] = c.point(p)
	}
	return out
}

func (c CRS) polygon(p orb.Polygon) orb.Polygon {
	if p == nil {
		return nil
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = c.points(r)
	}
	return out
}

// edgeSteps is how many pieces each bbox edge is cut into: the edges of a
// projected rectangle are curves in lon,lat, and their extremes may lie
// between the corners.
const edgeSteps = 64

// densify calls f with the corners of the rectangle and edgeSteps-1 points
// between them along each edge.
func densify(minA, minB, maxA, maxB float64, f func(a, b float64)) {
	for i := range edgeSteps {
		t := float64(i) / edgeSteps
		a := minA + t*(maxA-minA)
		b := minB + t*(maxB-minB)
		f(a, minB)
		f(maxA, b)
		f(maxA-(a-minA), maxB)
		f(minA, maxB-(b-minB))
	}
}

// BoundToCRS84 converts a bbox given in c — minimum and maximum of c's
// first and second axis, in c's axis order (for EPSG:4326 minLat, minLon,
// maxLat, maxLon) — to the CRS84 bound that encloses it: the corners and
// points along every edge are converted, so a projected rectangle, whose
// edges are curves in lon,lat, is covered. The error names the bbox when a
// minimum exceeds its maximum or a point lies outside c's domain.
func BoundToCRS84(minA, minB, maxA, maxB float64, c CRS) (orb.Bound, error) {
	if minA > maxA || minB > maxB {
		return orb.Bound{}, fmt.Errorf("%w (%v, %v, %v, %v) in %s: a minimum exceeds its maximum (%s axis order: %s)",
			ErrBBox, minA, minB, maxA, maxB, c.code(), c.code(), c.axes())
	}
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	var err error
	densify(minA, minB, maxA, maxB, func(x, y float64) {
		if err != nil {
			return
		}
		lon, lat, e := c.ToCRS84(x, y)
		if e != nil {
			err = fmt.Errorf("bbox (%v, %v, %v, %v): %w", minA, minB, maxA, maxB, e)
			return
		}
		b = b.Extend(orb.Point{lon, lat})
	})
	if err != nil {
		return orb.Bound{}, err
	}
	return b, nil
}
