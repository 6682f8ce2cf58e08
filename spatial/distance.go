package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// Ruler measures distances in metres near a reference latitude with the
// WGS84 ellipsoid's local scale (Mapbox's "cheap ruler" method). Within
// 100 km of the reference latitude it is within 0.1 % of the geodesic, and it
// costs a few multiplications, so it is the distance of the hot loops.
type Ruler struct{ kx, ky float64 }

// NewRuler returns a Ruler for points near latitude lat (degrees).
func NewRuler(lat float64) Ruler {
	const (
		a   = 6378137.0             // WGS84 semi-major axis, m
		e2  = 0.0066943799901413165 // WGS84 eccentricity squared
		rad = math.Pi / 180
	)
	coslat := math.Cos(lat * rad)
	w2 := 1 / (1 - e2*(1-coslat*coslat))
	w := math.Sqrt(w2)
	return Ruler{
		kx: rad * a * w * coslat,        // metres per degree of longitude
		ky: rad * a * w * w2 * (1 - e2), // metres per degree of latitude
	}
}

// Distance is the distance between a and b in metres.
func (r Ruler) Distance(a, b orb.Point) float64 {
	dx := (a[0] - b[0]) * r.kx
	dy := (a[1] - b[1]) * r.ky
	return math.Sqrt(dx*dx + dy*dy)
}

// Degrees returns the half-widths in degrees (lon, lat) of a box of m metres.
func (r Ruler) Degrees(m float64) (dLon, dLat float64) { return m / r.kx, m / r.ky }

// ToMetres projects p to a local plane in metres around origin.
func (r Ruler) ToMetres(origin, p orb.Point) orb.Point {
	return orb.Point{(p[0] - origin[0]) * r.kx, (p[1] - origin[1]) * r.ky}
}

// DistanceM is the distance in metres between a and b using a Ruler at their
// mean latitude.
func DistanceM(a, b orb.Point) float64 { return NewRuler((a[1]+b[1])/2).Distance(a, b) }
