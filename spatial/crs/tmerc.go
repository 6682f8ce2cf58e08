package crs

import (
	"fmt"
	"math"
)

// maxOffMeridian is how far (degrees of longitude) from the central meridian
// ToCRS84 accepts a Transverse Mercator coordinate: more than three times the
// half-width of a 6° UTM zone. The series themselves stay exact far beyond
// (Karney: a few nanometres within 3,900 km of the central meridian).
const maxOffMeridian = 10.0

// transverseMercator is the ellipsoidal Transverse Mercator projection by
// the Krüger series to order n⁶ (Karney 2011, eqs. 7–11, 35–36), the
// series PROJ's default tmerc algorithm (Poder/Engsager) also evaluates.
type transverseMercator struct {
	e        float64    // eccentricity
	lon0     float64    // central meridian, degrees
	k0A      float64    // scale on the central meridian × rectifying radius
	fe, fn   float64    // false easting, false northing, metres
	alp, bet [7]float64 // Krüger coefficients α₁…α₆ and β₁…β₆ (index 0 unused)
}

func newTransverseMercator(a, invF, lon0, k0, fe, fn float64) *transverseMercator {
	f := 1 / invF
	n := f / (2 - f)
	n2 := n * n
	n3, n4, n5, n6 := n2*n, n2*n2, n2*n2*n, n2*n2*n2
	t := &transverseMercator{e: math.Sqrt(f * (2 - f)), lon0: lon0, fe: fe, fn: fn}
	t.k0A = k0 * a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t.alp = [7]float64{0,
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	t.bet = [7]float64{0,
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return t
}

// sinSeries returns Σⱼ c[j]·sin(2jζ) for j = 1…6 by Clenshaw summation,
// from one sine/cosine and one exponential instead of twelve sines and
// twelve hyperbolic functions.
func sinSeries(c *[7]float64, zeta complex128) complex128 {
	s, co := math.Sincos(2 * real(zeta))
	ex := math.Exp(2 * imag(zeta))
	sh, ch := (ex-1/ex)/2, (ex+1/ex)/2
	sin2 := complex(s*ch, co*sh)  // sin 2ζ
	cos2 := complex(co*ch, -s*sh) // cos 2ζ
	var b1, b2 complex128
	for j := 6; j >= 1; j-- {
		b1, b2 = complex(c[j], 0)+2*cos2*b1-b2, b1
	}
	return b1 * sin2
}

// forward returns easting, northing in metres.
func (t *transverseMercator) forward(lon, lat float64) (east, north float64) {
	lam := math.Remainder(lon-t.lon0, 360) * deg
	taup := conformalTan(math.Tan(lat*deg), t.e)
	sl, cl := math.Sincos(lam)
	// Gauss-Schreiber (spherical TM of the conformal sphere): ξ′, η′.
	zetap := complex(math.Atan2(taup, cl), math.Asinh(sl/math.Hypot(taup, cl)))
	zeta := zetap + sinSeries(&t.alp, zetap)
	return t.fe + t.k0A*imag(zeta), t.fn + t.k0A*real(zeta)
}

// inverse returns CRS84 longitude, latitude; c names the CRS in errors.
func (t *transverseMercator) inverse(east, north float64, c CRS) (lon, lat float64, err error) {
	zeta := complex((north-t.fn)/t.k0A, (east-t.fe)/t.k0A)
	zetap := zeta - sinSeries(&t.bet, zeta)
	xip, etap := real(zetap), imag(zetap)
	shEta, cXi, sXi := math.Sinh(etap), math.Cos(xip), math.Sin(xip)
	r := math.Hypot(shEta, cXi)
	lon = t.lon0 + math.Atan2(shEta, cXi)/deg
	lat = math.Atan(geodeticTan(sXi/r, t.e)) / deg
	switch {
	case math.Abs(real(zeta)) > math.Pi/2 || math.IsNaN(lat):
		return 0, 0, fmt.Errorf("%w: %s (%v, %v) has northing %.3f m, beyond the pole (%s axis order: %s)",
			ErrOutOfDomain, c.code(), aOf(c, east, north), bOf(c, east, north), north, c.code(), c.axes())
	case math.Abs(lon-t.lon0) > maxOffMeridian:
		return 0, 0, fmt.Errorf("%w: %s (%v, %v) lies at longitude %.4f°, more than %g° from the central meridian %g°E, far outside the zone (%s axis order: %s)",
			ErrOutOfDomain, c.code(), aOf(c, east, north), bOf(c, east, north), lon, maxOffMeridian, t.lon0, c.code(), c.axes())
	}
	return lon, lat, nil
}

func aOf(c CRS, east, north float64) float64 {
	if c.LatLonOrder {
		return north
	}
	return east
}

func bOf(c CRS, east, north float64) float64 {
	if c.LatLonOrder {
		return east
	}
	return north
}

// conformalTan returns tan χ, the tangent of the conformal latitude, from
// tan φ (Karney 2011, eqs. 7–9).
func conformalTan(tau, e float64) float64 {
	tau1 := math.Sqrt(1 + tau*tau)
	ex := math.Exp(e * math.Atanh(e*tau/tau1))
	sig := (ex - 1/ex) / 2 // sinh(e·atanh(e·sin φ))
	return (ex+1/ex)/2*tau - sig*tau1
}

// geodeticTan inverts conformalTan by Newton's method (Karney 2011,
// eqs. 19–21); two or three steps reach full double precision.
func geodeticTan(taup, e float64) float64 {
	e2m := 1 - e*e
	tau := taup / e2m
	stol := math.Sqrt(0x1p-52) / 10 * math.Max(1, math.Abs(taup))
	for range 5 {
		taupa := conformalTan(tau, e)
		dtau := (taup - taupa) * (1 + e2m*tau*tau) / (e2m * math.Hypot(1, tau) * math.Hypot(1, taupa))
		tau += dtau
		if !(math.Abs(dtau) >= stol) {
			break
		}
	}
	return tau
}
