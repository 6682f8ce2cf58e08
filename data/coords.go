package data

import (
	"fmt"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// toWGS84 checks a coordinate given in crs and converts it.
func toWGS84(p orb.Point, crs spatial.CRS) (orb.Point, error) {
	q, err := spatial.Convert(p, crs)
	if err != nil {
		return p, fmt.Errorf("%v (--crs)", err)
	}
	return q, nil
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
