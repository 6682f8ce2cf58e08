package data

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

const facHeader = "lon,lat,type,name,capacity,status,plan_year,id\n"

// A valid row, so that the bad one is never the first data line.
const okFacRow = "104.0656723,30.6598477,kindergarten,ok,,,,\n"

func TestReadFacilitiesCSVErrors(t *testing.T) {
	cat := coverage.DefaultCatalog()
	tests := []struct {
		name  string
		body  string
		wants []string // besides ErrInvalid
	}{
		{"unknown type", facHeader + okFacRow + "104.06,30.66,spaceport,,,,,\n",
			[]string{"facilities.csv line 3", `unknown facility type "spaceport"`, "valid types: ", "kindergarten", "primary_school", "bus_stop"}},
		{"empty type", facHeader + okFacRow + "104.06,30.66,,,,,,\n",
			[]string{"facilities.csv line 3", `unknown facility type ""`, "valid types: "}},
		{"bad status", facHeader + okFacRow + "104.06,30.66,kindergarten,,,open,,\n",
			[]string{"facilities.csv line 3", `status "open" is not one of existing, planned, under_construction`}},
		{"status is case sensitive", facHeader + okFacRow + okFacRow + "104.06,30.66,kindergarten,,,Existing,,\n",
			[]string{"facilities.csv line 4", `status "Existing"`}},
		{"planned without plan_year", facHeader + okFacRow + "104.06,30.66,kindergarten,,,planned,,\n",
			[]string{"facilities.csv line 3", "planned facility needs a plan_year"}},
		{"under construction without plan_year", facHeader + "104.06,30.66,kindergarten,,,under_construction,,\n",
			[]string{"facilities.csv line 2", "under_construction facility needs a plan_year"}},
		{"non-numeric plan_year", facHeader + okFacRow + "104.06,30.66,kindergarten,,,planned,20x6,\n",
			[]string{"facilities.csv line 3", `plan_year "20x6" must be a year`}},
		{"implausible plan_year", facHeader + okFacRow + "104.06,30.66,kindergarten,,,planned,1066,\n",
			[]string{"facilities.csv line 3", `plan_year "1066" must be a year`}},
		{"negative capacity", facHeader + okFacRow + "104.06,30.66,kindergarten,,-5,,,\n",
			[]string{"facilities.csv line 3", `capacity "-5" must be a number ≥ 0`}},
		{"non-numeric capacity", facHeader + okFacRow + "104.06,30.66,kindergarten,,lots,,,\n",
			[]string{"facilities.csv line 3", `capacity "lots" must be a number ≥ 0`}},
		{"NaN capacity", facHeader + okFacRow + "104.06,30.66,kindergarten,,NaN,,,\n",
			[]string{"facilities.csv line 3", `capacity "NaN"`}},
		{"infinite capacity", facHeader + okFacRow + "104.06,30.66,kindergarten,,+Inf,,,\n",
			[]string{"facilities.csv line 3", `capacity "+Inf"`}},
		{"non-numeric lon", facHeader + okFacRow + "104.06E,30.66,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", `lon "104.06E" / lat "30.66" must be numbers`}},
		{"empty lat", facHeader + okFacRow + "104.06,,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", `lat ""`, "must be numbers"}},
		{"NaN coordinate", facHeader + okFacRow + "NaN,30.66,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "is not a number"}},
		{"latitude out of range", facHeader + okFacRow + "104.06,95.5,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "latitude 95.5 is out of range [-90, 90]"}},
		{"longitude out of range", facHeader + okFacRow + "200.5,30.66,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "longitude 200.5 is out of range [-180, 180]"}},
		{"swapped axes", facHeader + okFacRow + "30.66,104.06,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "latitude 104.06 is out of range", "swapped"}},
		{"projected metres", facHeader + okFacRow + "11584000,3588000,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "projected metres", "not degrees"}},
		{"missing lon column", "x,y,type\n104.06,30.66,kindergarten\n",
			[]string{"facilities.csv line 1", `lacks column "lon"`, "want lon,lat,type", "got x,y,type"}},
		{"missing lat column", "lon,type,name\n104.06,kindergarten,x\n",
			[]string{"facilities.csv line 1", `lacks column "lat"`}},
		{"missing type column", "lon,lat,name\n104.06,30.66,x\n",
			[]string{"facilities.csv line 1", `lacks column "type"`}},
		{"empty file", "",
			[]string{"facilities.csv", "cannot read the header line"}},
		{"too few fields", facHeader + okFacRow + "104.06,30.66\n",
			[]string{"facilities.csv line 3", "2 fields, want at least lon,lat,type"}},
		{"duplicate ids", facHeader +
			"104.06,30.66,kindergarten,,,,,a\n" +
			"104.07,30.66,kindergarten,,,,,b\n" +
			"104.08,30.66,pharmacy,,,,,a\n",
			[]string{"facilities.csv line 4", `facility id "a"`, "line 2"}},
		{"default ids never clash with given ones", facHeader +
			"104.06,30.66,kindergarten,,,,,facilities-3\n" +
			"104.07,30.66,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", `facility id "facilities-3"`, "line 2"}},
		// A bare quote in the first field once made FieldPos panic.
		{"bare quote in the first field", facHeader + okFacRow + "104\"06,30.66,kindergarten,,,,,\n",
			[]string{"facilities.csv line 3", "bare \""}},
		{"unterminated quote", facHeader + okFacRow + okFacRow + "104.06,30.66,kindergarten,\"oops,,,,\n",
			[]string{"facilities.csv line 4", "extraneous or missing \""}},
		// Blank lines and a quoted multi-line name still give the file's line.
		{"line numbers count blank and continued lines", facHeader + "\n" +
			"104.06,30.66,kindergarten,\"two\nlines\",,,,\n" +
			"104.06,30.66,kindergarten,,,nope,,\n",
			[]string{"facilities.csv line 5", `status "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := ReadFacilities("facilities.csv", strings.NewReader(tt.body), spatial.WGS84, cat)
			wantInvalid(t, err, tt.wants...)
			if fs != nil {
				t.Errorf("got %d facilities with the error; want none", len(fs))
			}
		})
	}
}

func TestReadFacilitiesGeoJSONErrors(t *testing.T) {
	cat := coverage.DefaultCatalog()
	pt := func(coords, props string) string {
		return `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [` + coords + `]}, "properties": {` + props + `}}`
	}
	fc := func(features ...string) string {
		return "{\"type\": \"FeatureCollection\", \"features\": [\n" + strings.Join(features, ",\n") + "\n]}\n"
	}
	ok := pt("104.0656723, 30.6598477", `"type": "kindergarten"`)
	tests := []struct {
		name  string
		body  string
		wants []string
	}{
		{"line string", fc(ok, `{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[104.06, 30.66], [104.07, 30.67]]}, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 2", "geometry LineString, want Point"}},
		{"polygon", fc(ok, ok, `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[104.06, 30.66], [104.07, 30.66], [104.07, 30.67], [104.06, 30.66]]]}, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 3", "geometry Polygon, want Point"}},
		{"null geometry", fc(ok, `{"type": "Feature", "geometry": null, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 2", "no geometry"}},
		{"missing type property", fc(ok, pt("104.06, 30.66", `"name": "no type"`)),
			[]string{"facilities.geojson feature 2", `property "type"`, "missing"}},
		{"null type property", fc(pt("104.06, 30.66", `"type": null`)),
			[]string{"facilities.geojson feature 1", `property "type"`, "missing"}},
		{"unknown type", fc(ok, pt("104.06, 30.66", `"type": "spaceport"`)),
			[]string{"facilities.geojson feature 2", `unknown facility type "spaceport"`, "valid types: ", "kindergarten", "primary_school"}},
		{"bad status", fc(pt("104.06, 30.66", `"type": "kindergarten", "status": "closed"`)),
			[]string{"facilities.geojson feature 1", `status "closed" is not one of existing, planned, under_construction`}},
		{"planned without plan_year", fc(ok, pt("104.06, 30.66", `"type": "kindergarten", "status": "planned"`)),
			[]string{"facilities.geojson feature 2", "planned facility needs a plan_year"}},
		{"bad plan_year", fc(pt("104.06, 30.66", `"type": "kindergarten", "status": "planned", "plan_year": 2026.5`)),
			[]string{"facilities.geojson feature 1", `plan_year "2026.5"`}},
		{"negative capacity", fc(ok, pt("104.06, 30.66", `"type": "kindergarten", "capacity": -1`)),
			[]string{"facilities.geojson feature 2", `capacity "-1" must be a number ≥ 0`}},
		{"capacity not a number", fc(pt("104.06, 30.66", `"type": "kindergarten", "capacity": "big"`)),
			[]string{"facilities.geojson feature 1", `capacity "big"`}},
		{"swapped axes", fc(ok, pt("30.66, 104.06", `"type": "kindergarten"`)),
			[]string{"facilities.geojson feature 2", "swapped"}},
		{"projected metres", fc(ok, pt("11584000, 3588000", `"type": "kindergarten"`)),
			[]string{"facilities.geojson feature 2", "projected metres"}},
		{"latitude out of range", fc(pt("120, -91", `"type": "kindergarten"`)),
			[]string{"facilities.geojson feature 1", "latitude -91 is out of range"}},
		{"longitude out of range", fc(pt("-181, 10", `"type": "kindergarten"`)),
			[]string{"facilities.geojson feature 1", "longitude -181 is out of range"}},
		{"duplicate id properties", fc(
			pt("104.06, 30.66", `"type": "kindergarten", "id": "x1"`),
			pt("104.07, 30.66", `"type": "kindergarten", "id": "x2"`),
			pt("104.08, 30.66", `"type": "pharmacy", "id": "x1"`)),
			[]string{"facilities.geojson feature 3", `facility id "x1"`, "feature 1"}},
		{"duplicate feature ids", fc(
			`{"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [104.06, 30.66]}, "properties": {"type": "kindergarten"}}`,
			`{"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [104.07, 30.66]}, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 2", `facility id "7"`, "feature 1"}},
		{"malformed JSON", "{\"type\": \"FeatureCollection\", \"features\": [\n" + ok + ",\n" + ok + ",\n" +
			`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.06, 30.66]}, "properties": {"type": "kindergarten",}}` + "\n]}\n",
			[]string{"facilities.geojson line 4", "not valid JSON"}},
		{"truncated JSON", "{\"type\": \"FeatureCollection\", \"features\": [\n" + ok + ",\n",
			[]string{"facilities.geojson line 3", "not valid JSON"}},
		{"coordinates not numbers", fc(ok, `{"type": "Feature", "geometry": {"type": "Point", "coordinates": ["104.06", "30.66"]}, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 2", "not a valid GeoJSON Feature"}},
		{"unknown geometry type", fc(ok, ok, `{"type": "Feature", "geometry": {"type": "Pointy", "coordinates": [104.06, 30.66]}, "properties": {"type": "kindergarten"}}`),
			[]string{"facilities.geojson feature 3", "not a valid GeoJSON Feature", "invalid geometry"}},
		{"properties not an object", fc(ok, `{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.06, 30.66]}, "properties": ["kindergarten"]}`),
			[]string{"facilities.geojson feature 2", "not a valid GeoJSON Feature"}},
		{"features not an array", `{"type": "FeatureCollection", "features": {}}`,
			[]string{"facilities.geojson", "not a GeoJSON FeatureCollection"}},
		{"another GeoJSON type", `{"type": "GeometryCollection", "geometries": []}`,
			[]string{"facilities.geojson", "FeatureCollection"}},
		{"a Feature, not a FeatureCollection", ok,
			[]string{"facilities.geojson", "FeatureCollection"}},
		{"empty file", "",
			[]string{"facilities.geojson line 1", "not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := ReadFacilities("facilities.geojson", strings.NewReader(tt.body), spatial.WGS84, cat)
			wantInvalid(t, err, tt.wants...)
			if fs != nil {
				t.Errorf("got %d facilities with the error; want none", len(fs))
			}
		})
	}
}

func TestReadFacilitiesUnknownFormat(t *testing.T) {
	_, err := ReadFacilities("facilities.xlsx", strings.NewReader(facHeader+okFacRow), spatial.WGS84, coverage.DefaultCatalog())
	wantInvalid(t, err, "facilities.xlsx", ".geojson, .json or .csv")
}

// tinyFacilities is what both tiny facility files hold.
var tinyFacilities = []coverage.Facility{
	{ID: "K1", Type: "kindergarten", Name: "Tianfu kindergarten", Location: orb.Point{104.0656723, 30.6598477}, Capacity: 180, Status: coverage.Existing},
	{ID: "S1", Type: "primary_school", Name: "West primary school", Location: orb.Point{104.0629054, 30.6601854}, Capacity: 1200, Status: coverage.Existing},
	{ID: "P1", Type: "pharmacy", Name: "East pharmacy", Location: orb.Point{104.0684393, 30.6595099}, Status: coverage.Planned, PlanYear: 2027},
	{ID: "C1", Type: "community_health_center", Name: "North health centre", Location: orb.Point{104.0659098, 30.6617844}, Status: coverage.UnderConstruction, PlanYear: 2026},
}

func TestReadFacilitiesTinyFixture(t *testing.T) {
	cat := coverage.DefaultCatalog()
	for _, path := range []string{tinyFacCSV, tinyFacGeoJSON} {
		t.Run(path, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ReadFacilities(path, f, spatial.WGS84, cat)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tinyFacilities) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tinyFacilities)
			}
		})
	}
}

func TestReadFacilitiesDefaults(t *testing.T) {
	cat := coverage.DefaultCatalog()
	t.Run("csv", func(t *testing.T) {
		// Only the three required columns, in another order, with a BOM,
		// upper-case names, spaces and a blank line.
		body := "\ufeffTYPE, Lat ,LON\nkindergarten, 30.66, 104.06\n\n pharmacy ,30.67,104.07\n"
		got, err := ReadFacilities("/some/dir/pois.CSV", strings.NewReader(body), spatial.WGS84, cat)
		if err != nil {
			t.Fatal(err)
		}
		want := []coverage.Facility{
			{ID: "pois-2", Type: "kindergarten", Location: orb.Point{104.06, 30.66}, Status: coverage.Existing},
			{ID: "pois-4", Type: "pharmacy", Location: orb.Point{104.07, 30.67}, Status: coverage.Existing},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got\n%+v\nwant\n%+v", got, want)
		}
	})
	t.Run("geojson", func(t *testing.T) {
		body := `{"type": "FeatureCollection", "features": [
			{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.06, 30.66]}, "properties": {"type": "kindergarten", "capacity": "90", "status": ""}},
			{"type": "Feature", "id": 12, "geometry": {"type": "Point", "coordinates": [104.07, 30.67]}, "properties": {"type": " pharmacy ", "status": "under_construction", "plan_year": 2026}}
		]}`
		got, err := ReadFacilities("pois.json", strings.NewReader(body), spatial.WGS84, cat)
		if err != nil {
			t.Fatal(err)
		}
		want := []coverage.Facility{
			{ID: "pois-1", Type: "kindergarten", Location: orb.Point{104.06, 30.66}, Capacity: 90, Status: coverage.Existing},
			{ID: "12", Type: "pharmacy", Location: orb.Point{104.07, 30.67}, Status: coverage.UnderConstruction, PlanYear: 2026},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got\n%+v\nwant\n%+v", got, want)
		}
	})
	t.Run("empty collection", func(t *testing.T) {
		got, err := ReadFacilities("none.geojson", strings.NewReader(`{"type": "FeatureCollection", "features": []}`), spatial.WGS84, cat)
		if err != nil || len(got) != 0 {
			t.Errorf("got %v, %v; want no facilities and no error", got, err)
		}
	})
}

// A type added by a catalogue override is accepted, and listed when a type
// is unknown.
func TestReadFacilitiesUsesTheCatalogGiven(t *testing.T) {
	cat, err := coverage.DefaultCatalog().Extend("extra.json", []byte(`{"types": [{"id": "water_station", "name_en": "Water station",
		"category": "municipal", "level": "lc5", "max_walk_min": 5, "max_dist_m": 300, "requirement": "optional", "source": "test", "confidence": "I"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFacilities("f.csv", strings.NewReader("lon,lat,type\n104.06,30.66,water_station\n"), spatial.WGS84, cat); err != nil {
		t.Errorf("a type of the catalogue given: %v", err)
	}
	_, err = ReadFacilities("f.csv", strings.NewReader("lon,lat,type\n104.06,30.66,well\n"), spatial.WGS84, cat)
	wantInvalid(t, err, "f.csv line 2", `"well"`, "water_station")
	_, err = ReadFacilities("f.csv", strings.NewReader("lon,lat,type\n104.06,30.66,water_station\n"), spatial.WGS84, coverage.DefaultCatalog())
	wantInvalid(t, err, "f.csv line 2", `unknown facility type "water_station"`)
}

func TestShortPositions(t *testing.T) {
	cat := coverage.DefaultCatalog()
	for _, geom := range []string{`{"type":"Point","coordinates":[104.06]}`, `{"type":"Point","coordinates":[]}`} {
		src := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"kindergarten"},"geometry":{"type":"Point","coordinates":[104.06,30.66]}},
		{"type":"Feature","properties":{"type":"kindergarten"},"geometry":` + geom + `}]}`
		_, err := ReadFacilities("f.geojson", strings.NewReader(src), spatial.WGS84, cat)
		if err == nil || !strings.Contains(err.Error(), "f.geojson feature 2: a position has") {
			t.Errorf("%s: %v", geom, err)
		}
	}
}
