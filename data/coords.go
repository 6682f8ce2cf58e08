package data

import (
	"fmt"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// toWGS84 checks a coordinate given in crs and converts it.
func toWGS84(p orb.Point, crs spatial.CRS) (orb.Point, error) {
	if err := spatial.CheckLonLat(p); err != nil {
		return p, err
	}
	if crs == spatial.GCJ02 || crs == spatial.BD09 {
		// Both datums are defined only over China; a point elsewhere means
		// the wrong --crs (or swapped axes).
		if p[0] < 72 || p[0] > 138 || p[1] < 0.8 || p[1] > 56 {
			return p, fmt.Errorf("coordinate (%g, %g) lies outside China, where %s is not defined: check --crs and the axis order", p[0], p[1], crs)
		}
	}
	return spatial.ToWGS84(p, crs), nil
}

// ringsToWGS84 converts every vertex of a geometry in place.
func geometryToWGS84(g orb.Geometry, crs spatial.CRS) (orb.Geometry, error) {
	var err error
	conv := func(p orb.Point) orb.Point {
		if err != nil {
			return p
		}
		q, e := toWGS84(p, crs)
		if e != nil {
			err = e
		}
		return q
	}
	switch g := g.(type) {
	case orb.Point:
		return conv(g), err
	case orb.Polygon:
		return mapPolygon(g, conv), err
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = mapPolygon(p, conv)
		}
		return out, err
	}
	return g, fmt.Errorf("geometry %s is not supported here", g.GeoJSONType())
}

func mapPolygon(p orb.Polygon, f func(orb.Point) orb.Point) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		nr := make(orb.Ring, len(r))
		for j, q := range r {
			nr[j] = f(q)
		}
		out[i] = nr
	}
	return out
}
