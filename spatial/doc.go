// Package spatial holds the geometry the rest of lifecircle stands on:
// coordinate conversion (GCJ-02, BD-09 → WGS84), local distances in metres,
// H3 cells, outlines of cell sets, and R-tree indexes of points and polygons.
//
// Conventions, everywhere in this package:
//   - Coordinates are WGS84 longitude, latitude (orb.Point{lon, lat}), in degrees.
//     h3-go's LatLng is latitude first; this package is the only place that converts.
//   - Distances are metres on the WGS84 ellipsoid, computed with a local
//     (cheap-ruler) approximation that is within 0.1 % of the geodesic below 100 km.
//   - A point on a polygon boundary is inside the polygon.
//
// The package does no I/O and knows nothing of HTTP, files or the domain.
package spatial
