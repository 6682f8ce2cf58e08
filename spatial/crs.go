package spatial

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// CRS names a geographic coordinate reference system accepted at ingest.
type CRS string

// The coordinate systems lifecircle converts from. Everything inside the
// service is WGS84.
const (
	WGS84 CRS = "wgs84" // EPSG:4326, what GPS and OSM use
	GCJ02 CRS = "gcj02" // China's obfuscated "Mars" datum, used by Amap, Tencent, DataV
	BD09  CRS = "bd09"  // Baidu's further offset of GCJ-02
)

// ParseCRS accepts wgs84, gcj02 and bd09 (case-insensitive; "epsg:4326" is wgs84).
func ParseCRS(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84", "epsg:4326", "crs84":
		return WGS84, nil
	case "gcj02", "gcj-02":
		return GCJ02, nil
	case "bd09", "bd-09":
		return BD09, nil
	}
	return "", fmt.Errorf("unknown crs %q (want wgs84, gcj02 or bd09)", s)
}

// ToWGS84 converts p from crs to WGS84. Points outside mainland China are
// returned unchanged for GCJ-02 (the offset is defined only inside China);
// BD-09 is always converted.
func ToWGS84(p orb.Point, crs CRS) orb.Point {
	switch crs {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return GCJ02ToWGS84(BD09ToGCJ02(p))
	}
	return p
}

const (
	gcjA  = 6378245.0              // Krasovsky 1940 semi-major axis used by the GCJ-02 formula
	gcjEE = 0.00669342162296594323 // its first eccentricity squared
)

// Convert checks a coordinate given in crs and converts it to WGS84: the
// mistakes CheckLonLat recognises, and a GCJ-02 or BD-09 point outside
// China (where those datums are not defined: a wrong crs or swapped axes).
// It is the one check every input path uses.
func Convert(p orb.Point, crs CRS) (orb.Point, error) {
	if err := CheckLonLat(p); err != nil {
		return p, err
	}
	if (crs == GCJ02 || crs == BD09) && outOfChina(p) {
		return p, fmt.Errorf("coordinate (%g, %g) lies outside China, where %s is not defined: check the crs and the axis order", p[0], p[1], crs)
	}
	return ToWGS84(p, crs), nil
}

// outOfChina reports whether the GCJ-02 offset is not applied at p.
func outOfChina(p orb.Point) bool {
	return p[0] < 72.004 || p[0] > 137.8347 || p[1] < 0.8293 || p[1] > 55.8271
}

// WGS84ToGCJ02 applies the public GCJ-02 offset formula.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if outOfChina(p) {
		return p
	}
	lon, lat := p[0], p[1]
	dLat := gcjTransformLat(lon-105.0, lat-35.0)
	dLon := gcjTransformLon(lon-105.0, lat-35.0)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return orb.Point{lon + dLon, lat + dLat}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration; it converges
// to well under a millimetre in a few steps.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if outOfChina(p) {
		return p
	}
	w := p
	for i := 0; i < 30; i++ {
		g := WGS84ToGCJ02(w)
		dx, dy := p[0]-g[0], p[1]-g[1]
		w = orb.Point{w[0] + dx, w[1] + dy}
		if math.Abs(dx) < 1e-10 && math.Abs(dy) < 1e-10 {
			break
		}
	}
	return w
}

const bdXPi = math.Pi * 3000.0 / 180.0

// BD09ToGCJ02 removes Baidu's offset.
func BD09ToGCJ02(p orb.Point) orb.Point {
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
}

// GCJ02ToBD09 applies Baidu's offset.
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

func gcjTransformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func gcjTransformLon(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// CheckLonLat says what is wrong with a coordinate given as WGS84-style
// degrees, or returns nil. It recognises the usual mistakes: projected metres
// given as degrees, latitude and longitude swapped, and NaN.
func CheckLonLat(p orb.Point) error {
	lon, lat := p[0], p[1]
	switch {
	case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
		return fmt.Errorf("coordinate (%v, %v) is not a number", lon, lat)
	case math.Abs(lon) > 360 || math.Abs(lat) > 360:
		return fmt.Errorf("coordinate (%g, %g) looks like projected metres, not degrees: convert to WGS84 lon,lat first", lon, lat)
	case math.Abs(lat) > 90 && math.Abs(lon) <= 90:
		return fmt.Errorf("latitude %g is out of range [-90, 90]; the axes look swapped (lat,lon given where lon,lat is expected)", lat)
	case math.Abs(lat) > 90:
		return fmt.Errorf("latitude %g is out of range [-90, 90]", lat)
	case math.Abs(lon) > 180:
		return fmt.Errorf("longitude %g is out of range [-180, 180]", lon)
	}
	return nil
}
