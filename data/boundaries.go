package data

import (
	"fmt"
	"io"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// ReadBoundaries reads administrative units from GeoJSON Polygon or
// MultiPolygon features with properties level (district, street, community
// or grid), code, name and parent.
func ReadBoundaries(name string, r io.Reader, crs spatial.CRS) ([]coverage.AdminUnit, error) {
	fc, err := readFeatures(name, r)
	if err != nil {
		return nil, err
	}
	return boundariesFromFeatures(name, fc, crs)
}

// boundariesFromFeatures reads units from polygon features (GeoJSON, or a
// Shapefile's records).
func boundariesFromFeatures(name string, fc *geojson.FeatureCollection, crs spatial.CRS) ([]coverage.AdminUnit, error) {
	out := make([]coverage.AdminUnit, 0, len(fc.Features))
	codes := map[string]int{}
	for i, ft := range fc.Features {
		where := fmt.Sprintf("%s feature %d", name, i+1)
		level, err := coverage.ParseUnitLevel(prop(ft.Properties, "level"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		u := coverage.AdminUnit{Level: level, Code: prop(ft.Properties, "code"), Name: prop(ft.Properties, "name"), Parent: prop(ft.Properties, "parent")}
		if u.Code == "" {
			return nil, invalid("%s: property \"code\" is missing", where)
		}
		if prev, dup := codes[u.Code]; dup {
			return nil, invalid("%s: code %q already used by feature %d", where, u.Code, prev)
		}
		codes[u.Code] = i + 1
		if u.Name == "" {
			u.Name = u.Code
		}
		g, err := geometryToWGS84(ft.Geometry, crs)
		if err != nil {
			return nil, invalid("%s: %v", where, err)
		}
		switch g := g.(type) {
		case orb.Polygon:
			u.Geometry = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			u.Geometry = g
		default:
			return nil, invalid("%s: geometry %s, want Polygon or MultiPolygon", where, ft.Geometry.GeoJSONType())
		}
		for _, p := range u.Geometry {
			if len(p) == 0 || len(p[0]) < 4 {
				return nil, invalid("%s: a polygon ring has fewer than 4 points", where)
			}
		}
		out = append(out, u)
	}
	return out, nil
}
