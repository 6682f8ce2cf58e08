// Package crs converts coordinates between CRS84 (WGS 84 longitude,latitude,
// the only system used inside lifecircle) and the coordinate reference
// systems lifecircle offers through OGC API – Features Part 2.
//
// The transforms are closed formulas, not table look-ups: geographic
// systems only reorder the axes (PROJ treats WGS 84 → CGCS2000 as a null
// "ballpark" transformation, and so does this package), Web Mercator is the
// spherical formula on the WGS 84 semi-major axis, and Transverse Mercator
// (Gauss-Krüger, UTM) uses the Krüger series to sixth order in the third
// flattening (Karney 2011, "Transverse Mercator with an accuracy of a few
// nanometers"), the same series as PROJ's default tmerc algorithm. The tests
// check every system against PROJ's cs2cs to 1 mm.
//
// Coordinates are given and returned in each CRS's own axis order, as OGC
// API – Features Part 2 requires: EPSG:4326 and EPSG:4490 are latitude,
// longitude; EPSG:4544 is northing (X), easting (Y), as its EPSG definition
// and Chinese surveying practice have it; EPSG:3857 and EPSG:32648 are
// easting, northing; CRS84 is longitude, latitude.
package crs

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Errors for errors.Is; each is bad input from the caller.
var (
	ErrUnsupported = errors.New("unsupported CRS")                           // Lookup
	ErrOutOfDomain = errors.New("coordinate outside the CRS's valid domain") // ToCRS84, BoundToCRS84
	ErrBBox        = errors.New("invalid bbox")                              // BoundToCRS84
)

// CRS is one coordinate reference system lifecircle offers. The zero value
// behaves as CRS84.
type CRS struct {
	URI     string // OGC URI, e.g. http://www.opengis.net/def/crs/EPSG/0/4544
	Code    string // authority:code, e.g. EPSG:4544
	Title   string
	TitleZH string
	// LatLonOrder is true when the first axis is latitude or northing.
	LatLonOrder bool
	// Projected is true for systems in metres.
	Projected bool

	kind kind
	tm   *transverseMercator // set when kind is tmKind
}

type kind uint8

const (
	geographic kind = iota // WGS 84 or CGCS2000 degrees: axis reordering only
	webMercator
	tmKind
)

// CRS84URI is the default CRS of OGC API – Features.
const CRS84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

const epsgURI = "http://www.opengis.net/def/crs/EPSG/0/"

// Ellipsoids: WGS 84 and GRS 1980 (CGCS2000 uses GRS 1980's a and a 1/f
// that differs from it only in the 10th decimal).
const (
	wgs84A, wgs84InvF = 6378137, 298.257223563
	cgcsA, cgcsInvF   = 6378137, 298.257222101
)

var supported = []CRS{
	{URI: CRS84URI, Code: "OGC:CRS84", Title: "WGS 84 longitude/latitude (CRS84)",
		TitleZH: "WGS 84 经纬度（经度, 纬度）", kind: geographic},
	{URI: epsgURI + "4326", Code: "EPSG:4326", Title: "WGS 84",
		TitleZH: "WGS 84 地理坐标（纬度, 经度）", LatLonOrder: true, kind: geographic},
	{URI: epsgURI + "4490", Code: "EPSG:4490", Title: "China Geodetic Coordinate System 2000",
		TitleZH: "2000 国家大地坐标系 CGCS2000 地理坐标（纬度, 经度）", LatLonOrder: true, kind: geographic},
	{URI: epsgURI + "4544", Code: "EPSG:4544", Title: "CGCS2000 / 3-degree Gauss-Kruger CM 105E",
		TitleZH: "CGCS2000 三度带高斯-克吕格投影 中央经线 105°E（X 北, Y 东）", LatLonOrder: true, Projected: true,
		kind: tmKind, tm: newTransverseMercator(cgcsA, cgcsInvF, 105, 1, 500000, 0)},
	{URI: epsgURI + "3857", Code: "EPSG:3857", Title: "WGS 84 / Pseudo-Mercator",
		TitleZH: "Web 墨卡托（WGS 84 / Pseudo-Mercator）", Projected: true, kind: webMercator},
	{URI: epsgURI + "32648", Code: "EPSG:32648", Title: "WGS 84 / UTM zone 48N",
		TitleZH: "WGS 84 / UTM 第 48 带（北半球）", Projected: true,
		kind: tmKind, tm: newTransverseMercator(wgs84A, wgs84InvF, 105, 0.9996, 500000, 0)},
}

// Supported returns the offered systems, CRS84 first. The slice is a copy.
func Supported() []CRS {
	return append([]CRS(nil), supported...)
}

// URIs returns the URIs of the offered systems, CRS84 first.
func URIs() []string {
	uris := make([]string, len(supported))
	for i, c := range supported {
		uris[i] = c.URI
	}
	return uris
}

// Lookup finds a CRS by its OGC URI (http://www.opengis.net/def/crs/EPSG/0/4544),
// its code ("EPSG:4544", "OGC:CRS84"), a safe CURIE ("[EPSG:4544]") or an OGC
// URN ("urn:ogc:def:crs:EPSG::4544"). Codes are matched case-insensitively.
func Lookup(s string) (CRS, error) {
	key := strings.TrimSpace(s)
	if strings.HasPrefix(key, "[") && strings.HasSuffix(key, "]") {
		key = key[1 : len(key)-1]
	}
	if rest, ok := strings.CutPrefix(key, "https://"); ok {
		key = "http://" + rest
	}
	code := strings.ToUpper(key)
	switch {
	case strings.HasPrefix(code, "URN:OGC:DEF:CRS:EPSG:"):
		// urn:ogc:def:crs:EPSG::4326 or urn:ogc:def:crs:EPSG:9.1:4326
		code = "EPSG:" + code[strings.LastIndexByte(code, ':')+1:]
	case code == "URN:OGC:DEF:CRS:OGC:1.3:CRS84", code == "CRS84":
		code = "OGC:CRS84"
	}
	for _, c := range supported {
		if key == c.URI || code == c.Code {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("%w %q; supported: %s", ErrUnsupported, s, strings.Join(URIs(), ", "))
}

// FromCRS84 converts a CRS84 longitude, latitude (degrees) to the CRS, in
// the CRS's axis order. It is meant for coordinates within the CRS's area of
// use and some way around it (Chengdu in every offered system); outside that
// it returns the formula's value, NaN at the singular points (a pole in
// Web Mercator, 90° from the central meridian in Transverse Mercator).
func (c CRS) FromCRS84(lon, lat float64) (a, b float64) {
	switch c.kind {
	case webMercator:
		x, y := webMercatorForward(lon, lat)
		return x, y
	case tmKind:
		e, n := c.tm.forward(lon, lat)
		if c.LatLonOrder {
			return n, e
		}
		return e, n
	}
	if c.LatLonOrder {
		return lat, lon
	}
	return lon, lat
}

// ToCRS84 converts a coordinate given in the CRS's axis order to CRS84
// longitude, latitude. The error (wrapping ErrOutOfDomain) names the value
// when the coordinate is not a number or lies outside the system's valid
// domain: latitude beyond ±90° or longitude beyond ±180°, beyond ±85.0511°
// (the square world) in Web Mercator, or more than maxOffMeridian degrees of
// longitude from the central meridian in Transverse Mercator, which is far
// outside any 3° or 6° zone and usually means swapped axes or the wrong CRS.
func (c CRS) ToCRS84(a, b float64) (lon, lat float64, err error) {
	if !finite(a) || !finite(b) {
		return 0, 0, fmt.Errorf("%w: (%v, %v) in %s is not a number", ErrOutOfDomain, a, b, c.code())
	}
	switch c.kind {
	case webMercator:
		return webMercatorInverse(a, b)
	case tmKind:
		e, n := a, b
		if c.LatLonOrder {
			e, n = b, a
		}
		return c.tm.inverse(e, n, c)
	}
	lon, lat = a, b
	if c.LatLonOrder {
		lon, lat = b, a
	}
	if math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return 0, 0, fmt.Errorf("%w: %s (%v, %v) has latitude %v and longitude %v; latitude must be within ±90 and longitude within ±180 (%s axis order: %s)",
			ErrOutOfDomain, c.code(), a, b, lat, lon, c.code(), c.axes())
	}
	return lon, lat, nil
}

func (c CRS) code() string {
	if c.Code == "" {
		return "OGC:CRS84"
	}
	return c.Code
}

// axes names the axis order for messages.
func (c CRS) axes() string {
	switch {
	case c.Projected && c.LatLonOrder:
		return "northing, easting"
	case c.Projected:
		return "easting, northing"
	case c.LatLonOrder:
		return "latitude, longitude"
	}
	return "longitude, latitude"
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

const deg = math.Pi / 180

// Web Mercator (EPSG:3857): the spherical Mercator formula applied to WGS 84
// degrees on a sphere of the WGS 84 semi-major axis.
const webMercatorR = wgs84A

// webMercatorMax is the half-width of the square world, π·R; it is also the
// northing of latitude 85.0511287798°.
const webMercatorMax = math.Pi * webMercatorR

func webMercatorForward(lon, lat float64) (x, y float64) {
	return webMercatorR * lon * deg, webMercatorR * math.Atanh(math.Sin(lat*deg))
}

func webMercatorInverse(x, y float64) (lon, lat float64, err error) {
	const tol = 1e-3 // a millimetre of slack at the edge of the world
	if math.Abs(x) > webMercatorMax+tol || math.Abs(y) > webMercatorMax+tol {
		return 0, 0, fmt.Errorf("%w: EPSG:3857 (%v, %v) lies outside ±%.2f m, the square world of Web Mercator (longitude ±180°, latitude ±85.0511°)",
			ErrOutOfDomain, x, y, webMercatorMax)
	}
	return x / webMercatorR / deg, math.Atan(math.Sinh(y/webMercatorR)) / deg, nil
}
