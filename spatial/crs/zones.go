package crs

// TransverseMercatorCRS is a Transverse Mercator (Gauss-Krüger) system on
// the ellipsoid with semi-major axis a and inverse flattening invF, central
// meridian lon0, scale k0 and false easting/northing fe, fn (metres), with
// easting, northing axes (the order Shapefiles and GeoTIFFs store). It
// covers every CGCS2000 3° and 6° Gauss-Krüger zone, with or without the
// zone number in the false easting (EPSG:4491–4554), and UTM.
func TransverseMercatorCRS(code, title string, a, invF, lon0, k0, fe, fn float64) CRS {
	return CRS{Code: code, Title: title, Projected: true, kind: tmKind, tm: newTransverseMercator(a, invF, lon0, k0, fe, fn)}
}
