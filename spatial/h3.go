package spatial

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// Cell is an H3 cell index. It is h3-go's type, re-exported so that callers
// need not import h3-go.
type Cell = h3.Cell

// MinResolution and MaxResolution bound the H3 resolutions lifecircle accepts.
// Walking analysis needs cells far smaller than a walk: resolution 7 cells
// are already 1.2 km across.
const (
	MinResolution = 6
	MaxResolution = 13
)

// CheckResolution says whether res is a resolution lifecircle works at.
func CheckResolution(res int) error {
	if res < MinResolution || res > MaxResolution {
		return fmt.Errorf("H3 resolution %d is outside %d..%d", res, MinResolution, MaxResolution)
	}
	return nil
}

// CellOf is the cell of resolution res that contains p (lon, lat).
func CellOf(p orb.Point, res int) Cell {
	return h3.LatLngToCell(h3.LatLng{Lat: p[1], Lng: p[0]}, res)
}

// ParseCell reads a cell from its hexadecimal string form and checks it.
func ParseCell(s string) (Cell, error) {
	c := Cell(h3.IndexFromString(s))
	if len(s) == 0 || len(s) > 16 || !c.IsValid() {
		return 0, fmt.Errorf("%q is not a valid H3 cell id", s)
	}
	return c, nil
}

// Center is the centre point of c.
func Center(c Cell) orb.Point {
	ll := h3.CellToLatLng(c)
	return orb.Point{ll.Lng, ll.Lat}
}

// Boundary is the closed, counter-clockwise outline of c.
func Boundary(c Cell) orb.Ring {
	b := h3.CellToBoundary(c)
	r := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	return append(r, r[0])
}

// AreaM2 is the area of c in square metres.
func AreaM2(c Cell) float64 { return h3.CellAreaM2(c) }

// Neighbors appends the cells that share an edge with c to dst.
func Neighbors(dst []Cell, c Cell) []Cell {
	for _, n := range h3.GridDisk(c, 1) {
		if n != c {
			dst = append(dst, n)
		}
	}
	return dst
}

// Disk is every cell within k steps of c, c included.
func Disk(c Cell, k int) []Cell { return h3.GridDisk(c, k) }

// CellSpacingM is the smallest distance in metres between the centre of c and
// the centre of a neighbour: a lower bound for the spacing of cell centres
// near c.
func CellSpacingM(c Cell) float64 {
	p := Center(c)
	best := math.Inf(1)
	for _, n := range Neighbors(nil, c) {
		if d := DistanceM(p, Center(n)); d < best {
			best = d
		}
	}
	return best
}

// PolygonCells lists the cells of resolution res whose centres lie in poly
// (holes excluded). Polygons too small to hold a cell centre give none.
func PolygonCells(poly orb.Polygon, res int) []Cell {
	if len(poly) == 0 || len(poly[0]) < 4 {
		return nil
	}
	gp := h3.GeoPolygon{GeoLoop: toLoop(poly[0])}
	for _, h := range poly[1:] {
		gp.Holes = append(gp.Holes, toLoop(h))
	}
	return h3.PolygonToCells(gp, res)
}

// BoundCells lists the cells of resolution res whose centres lie in b grown
// by margin metres on every side.
func BoundCells(b orb.Bound, res int, margin float64) []Cell {
	r := NewRuler((b.Min[1] + b.Max[1]) / 2)
	dx, dy := r.Degrees(margin)
	b = orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
	return PolygonCells(orb.Polygon{b.ToRing()}, res)
}

func toLoop(r orb.Ring) h3.GeoLoop {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	loop := make(h3.GeoLoop, n)
	for i := 0; i < n; i++ {
		loop[i] = h3.LatLng{Lat: r[i][1], Lng: r[i][0]}
	}
	return loop
}

// MultiPolygonContains reports whether p is inside mp (boundary included).
func MultiPolygonContains(mp orb.MultiPolygon, p orb.Point) bool {
	return planar.MultiPolygonContains(mp, p)
}
