package data

import (
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

const unitSquare = `{"type": "Polygon", "coordinates": [[[104.06, 30.65], [104.07, 30.65], [104.07, 30.66], [104.06, 30.66], [104.06, 30.65]]]}`

func unitFeature(geometry, props string) string {
	return `{"type": "Feature", "geometry": ` + geometry + `, "properties": {` + props + `}}`
}

func unitFC(features ...string) string {
	return "{\"type\": \"FeatureCollection\", \"features\": [\n" + strings.Join(features, ",\n") + "\n]}\n"
}

func TestReadBoundariesErrors(t *testing.T) {
	ok := unitFeature(unitSquare, `"level": "district", "code": "510104", "name": "Jinjiang"`)
	tests := []struct {
		name  string
		body  string
		wants []string
	}{
		{"missing level", unitFC(ok, unitFeature(unitSquare, `"code": "510105"`)),
			[]string{"boundaries.geojson feature 2", `level ""`, "is not one of district, street, community, grid"}},
		{"unknown level", unitFC(ok, unitFeature(unitSquare, `"level": "county", "code": "510105"`)),
			[]string{"boundaries.geojson feature 2", `level "county" is not one of district, street, community, grid`}},
		{"level is case sensitive", unitFC(unitFeature(unitSquare, `"level": "District", "code": "510105"`)),
			[]string{"boundaries.geojson feature 1", `level "District"`}},
		{"missing code", unitFC(ok, unitFeature(unitSquare, `"level": "street", "name": "no code"`)),
			[]string{"boundaries.geojson feature 2", `property "code" is missing`}},
		{"blank code", unitFC(unitFeature(unitSquare, `"level": "street", "code": "  "`)),
			[]string{"boundaries.geojson feature 1", `property "code" is missing`}},
		{"duplicate code", unitFC(ok,
			unitFeature(unitSquare, `"level": "street", "code": "510104001"`),
			unitFeature(unitSquare, `"level": "street", "code": "510104"`)),
			[]string{"boundaries.geojson feature 3", `code "510104" already used by feature 1`}},
		{"duplicate numeric code", unitFC(
			unitFeature(unitSquare, `"level": "district", "code": 510104`),
			unitFeature(unitSquare, `"level": "district", "code": "510104"`)),
			[]string{"boundaries.geojson feature 2", `code "510104" already used by feature 1`}},
		{"point", unitFC(ok, unitFeature(`{"type": "Point", "coordinates": [104.06, 30.65]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 2", "geometry Point, want Polygon or MultiPolygon"}},
		{"line string", unitFC(unitFeature(`{"type": "LineString", "coordinates": [[104.06, 30.65], [104.07, 30.66]]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 1", "LineString"}},
		{"geometry collection", unitFC(unitFeature(`{"type": "GeometryCollection", "geometries": [`+unitSquare+`]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 1", "GeometryCollection"}},
		{"null geometry", unitFC(ok, unitFeature(`null`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 2", "no geometry"}},
		{"short ring", unitFC(unitFeature(`{"type": "Polygon", "coordinates": [[[104.06, 30.65], [104.07, 30.65], [104.06, 30.65]]]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 1", "fewer than 4 points"}},
		{"empty polygon", unitFC(unitFeature(`{"type": "Polygon", "coordinates": []}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 1", "fewer than 4 points"}},
		{"swapped axes", unitFC(unitFeature(`{"type": "Polygon", "coordinates": [[[30.65, 104.06], [30.65, 104.07], [30.66, 104.07], [30.65, 104.06]]]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 1", "swapped"}},
		{"projected metres", unitFC(ok, unitFeature(`{"type": "MultiPolygon", "coordinates": [[[[11584000, 3588000], [11585000, 3588000], [11585000, 3589000], [11584000, 3588000]]]]}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 2", "projected metres"}},
		{"malformed JSON", "{\"type\": \"FeatureCollection\", \"features\": [\n" + ok + ",\n" + ok + "\n" + ok + "\n]}\n",
			[]string{"boundaries.geojson line 4", "not valid JSON"}},
		{"undecodable feature", unitFC(ok, unitFeature(`{"type": "Polygon", "coordinates": "510104"}`, `"level": "street", "code": "1"`)),
			[]string{"boundaries.geojson feature 2", "not a valid GeoJSON Feature"}},
		{"not a FeatureCollection", ok,
			[]string{"boundaries.geojson", "FeatureCollection"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			units, err := ReadBoundaries("boundaries.geojson", strings.NewReader(tt.body), spatial.WGS84)
			wantInvalid(t, err, tt.wants...)
			if units != nil {
				t.Errorf("got %d units with the error; want none", len(units))
			}
		})
	}
}

func TestReadBoundariesTinyFixture(t *testing.T) {
	f, err := os.Open(tinyBoundaries)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	units, err := ReadBoundaries(tinyBoundaries, f, spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		level              coverage.UnitLevel
		code, name, parent string
	}{
		{coverage.District, "510104", "Tiny district", ""},
		{coverage.Street, "510104001", "West street", "510104"},
		{coverage.Street, "510104002", "510104002", "510104"}, // no name: the code
	}
	if len(units) != len(want) {
		t.Fatalf("%d units, want %d", len(units), len(want))
	}
	for i, u := range units {
		w := want[i]
		if u.Level != w.level || u.Code != w.code || u.Name != w.name || u.Parent != w.parent {
			t.Errorf("unit %d: %s %s %q parent %q; want %s %s %q parent %q", i+1, u.Level, u.Code, u.Name, u.Parent, w.level, w.code, w.name, w.parent)
		}
		if len(u.Geometry) != 1 || len(u.Geometry[0]) != 1 || len(u.Geometry[0][0]) != 5 {
			t.Errorf("unit %s: geometry %v, want one 5-point ring", u.Code, u.Geometry)
		}
	}
	// Both streets tile the district.
	d := units[0].Geometry.Bound()
	if s := units[1].Geometry.Bound().Union(units[2].Geometry.Bound()); s != d {
		t.Errorf("streets span %v, the district %v", s, d)
	}
	if !spatial.MultiPolygonContains(units[0].Geometry, tianfuSquare) {
		t.Error("the district does not hold Tianfu Square")
	}
}

// Every level is accepted, and a MultiPolygon keeps its parts.
func TestReadBoundariesLevelsAndMultiPolygons(t *testing.T) {
	body := unitFC(
		unitFeature(unitSquare, `"level": "district", "code": "d"`),
		unitFeature(unitSquare, `"level": "street", "code": "s", "parent": "d"`),
		unitFeature(unitSquare, `"level": "community", "code": "c", "parent": "s"`),
		unitFeature(`{"type": "MultiPolygon", "coordinates": [
			[[[104.06, 30.65], [104.065, 30.65], [104.065, 30.655], [104.06, 30.65]]],
			[[[104.066, 30.65], [104.07, 30.65], [104.07, 30.655], [104.066, 30.65]]]]}`, `"level": "grid", "code": "g", "parent": "c"`),
	)
	units, err := ReadBoundaries("levels.geojson", strings.NewReader(body), spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range coverage.UnitLevels {
		if units[i].Level != l {
			t.Errorf("unit %d level %s, want %s", i+1, units[i].Level, l)
		}
	}
	if g := units[3].Geometry; len(g) != 2 || g[1][0][0] != (orb.Point{104.066, 30.65}) {
		t.Errorf("grid geometry %v, want both parts", g)
	}
}
