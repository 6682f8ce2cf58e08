package collection

import (
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial/crs"
)

// CRS is a coordinate reference system collections can be served in
// (OGC API – Features Part 2). Inside, every coordinate stays WGS84 lon,lat;
// a CRS applies only on the way out (and to a bbox on the way in).
type CRS = crs.CRS

// CRS84 is the default output CRS.
var CRS84, _ = crs.Lookup(crs.CRS84URI)

// SupportedCRS lists the systems offered, CRS84 first.
func SupportedCRS() []CRS { return crs.Supported() }

// CRSURIs lists their URIs.
func CRSURIs() []string { return crs.URIs() }

// LookupCRS finds a CRS by URI, code or CURIE; an unknown one is bad input.
func LookupCRS(s string) (CRS, error) {
	c, err := crs.Lookup(s)
	if err != nil {
		return c, coverage.WithZH(fmt.Errorf("%v: %w", err, ErrInvalid), "不支持坐标参考系「%s」；支持：%s", s, strings.Join(crs.URIs(), "、"))
	}
	return c, nil
}

// Project returns g in CRS c (a new geometry).
func Project(g orb.Geometry, c CRS) orb.Geometry { return crs.Project(g, c) }

// BoundToCRS84 turns a bbox given in CRS c (in its axis order) into the
// WGS84 bound that encloses it.
func BoundToCRS84(minA, minB, maxA, maxB float64, c CRS) (orb.Bound, error) {
	b, err := crs.BoundToCRS84(minA, minB, maxA, maxB, c)
	if err != nil {
		if errors.Is(err, crs.ErrOutOfDomain) || errors.Is(err, crs.ErrBBox) {
			return b, coverage.WithZH(fmt.Errorf("%v: %w", err, coverage.ErrInvalid),
				"bbox（%g, %g, %g, %g）在坐标参考系 %s 中无效或超出其有效范围（须按该坐标系的轴顺序给出最小、最小、最大、最大）", minA, minB, maxA, maxB, c.Code)
		}
		return b, err
	}
	return b, nil
}
