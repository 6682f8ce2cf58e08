package data

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Facilities given in GCJ-02 or BD-09 come out within 1 m of the WGS84
// point they were made from.
func TestReadFacilitiesConvertsCRS(t *testing.T) {
	cat := coverage.DefaultCatalog()
	points := []orb.Point{tianfuSquare, {104.1, 30.7}, {121.4737, 31.2304} /* Shanghai */, {116.3975, 39.9087} /* Beijing */}
	encode := map[spatial.CRS]func(orb.Point) orb.Point{
		spatial.GCJ02: spatial.WGS84ToGCJ02,
		spatial.BD09:  func(p orb.Point) orb.Point { return spatial.GCJ02ToBD09(spatial.WGS84ToGCJ02(p)) },
	}
	for crs, enc := range encode {
		t.Run(string(crs), func(t *testing.T) {
			var csvBody, gj strings.Builder
			csvBody.WriteString("lon,lat,type\n")
			gjf := geojson.NewFeatureCollection()
			for _, p := range points {
				q := enc(p)
				if d := spatial.DistanceM(p, q); d < 100 {
					t.Fatalf("%v in %s is only %.1f m from WGS84; the test would prove nothing", p, crs, d)
				}
				csvBody.WriteString(fmtCoord(q[0]) + "," + fmtCoord(q[1]) + ",kindergarten\n")
				f := geojson.NewFeature(q)
				f.Properties["type"] = "kindergarten"
				gjf.Append(f)
			}
			b, err := gjf.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			gj.Write(b)
			for name, body := range map[string]string{"f.csv": csvBody.String(), "f.geojson": gj.String()} {
				got, err := ReadFacilities(name, strings.NewReader(body), crs, cat)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, f := range got {
					if d := spatial.DistanceM(f.Location, points[i]); d > 1 {
						t.Errorf("%s: facility %d at %v is %.3f m from the WGS84 point %v", name, i+1, f.Location, d, points[i])
					}
				}
			}
		})
	}
}

// Real GCJ-02/WGS84 pairs (DataV district vertices and an independent
// conversion), kept by the spatial package's tests.
func TestReadFacilitiesGCJ02RealPairs(t *testing.T) {
	f, err := os.Open("../spatial/testdata/chengdu_gcj02_wgs84_pairs.csv")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("spatial/testdata/chengdu_gcj02_wgs84_pairs.csv is absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	var in strings.Builder
	var want []orb.Point
	in.WriteString("lon,lat,type\n")
	if _, err := cr.Read(); err != nil { // header
		t.Fatal(err)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lon, _ := strconv.ParseFloat(rec[2], 64)
		lat, _ := strconv.ParseFloat(rec[3], 64)
		want = append(want, orb.Point{lon, lat})
		in.WriteString(rec[0] + "," + rec[1] + ",bus_stop\n")
	}
	if len(want) < 50 {
		t.Fatalf("only %d pairs", len(want))
	}
	got, err := ReadFacilities("pairs.csv", strings.NewReader(in.String()), spatial.GCJ02, coverage.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got {
		if d := spatial.DistanceM(f.Location, want[i]); d > 1 {
			t.Errorf("pair %d: %v is %.2f m from %v", i+1, f.Location, d, want[i])
		}
	}
}

// GCJ-02 and BD-09 are defined only over China: a point elsewhere is the
// wrong --crs, and the error says so.
func TestCRSOutsideChina(t *testing.T) {
	cat := coverage.DefaultCatalog()
	csvBody := "lon,lat,type\n" + fmtCoord(tianfuSquare[0]) + "," + fmtCoord(tianfuSquare[1]) + ",kindergarten\n" +
		fmtCoord(portoAlegrePt[0]) + "," + fmtCoord(portoAlegrePt[1]) + ",kindergarten\n"
	gjBody := `{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-51.2177, -30.0346]}, "properties": {"type": "kindergarten"}}]}`
	for _, crs := range []spatial.CRS{spatial.GCJ02, spatial.BD09} {
		_, err := ReadFacilities("poa.csv", strings.NewReader(csvBody), crs, cat)
		wantInvalid(t, err, "poa.csv line 3", "outside China", string(crs), "--crs")
		_, err = ReadFacilities("poa.geojson", strings.NewReader(gjBody), crs, cat)
		wantInvalid(t, err, "poa.geojson feature 1", "outside China", string(crs))
		_, err = ReadPopulation("poa.geojson", strings.NewReader(strings.Replace(gjBody, `"type": "kindergarten"`, `"population": 5`, 1)), crs, 9)
		wantInvalid(t, err, "poa.geojson feature 1", "outside China", string(crs))
		_, err = ReadBoundaries("poa.geojson", strings.NewReader(`{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"level": "district", "code": "1"},
			"geometry": {"type": "Polygon", "coordinates": [[[-51.3, -30.1], [-51.1, -30.1], [-51.1, -29.9], [-51.3, -30.1]]]}}]}`), crs)
		wantInvalid(t, err, "poa.geojson feature 1", "outside China", string(crs))
	}
	// The same point as WGS84 is fine.
	if _, err := ReadFacilities("poa.csv", strings.NewReader(csvBody), spatial.WGS84, cat); err != nil {
		t.Errorf("WGS84: %v", err)
	}
}

// readSampleBoundaries returns the Chengdu sample's boundary GeoJSON.
func readSampleBoundaries(t *testing.T) []byte {
	t.Helper()
	b, err := SampleFile("sample/chengdu/boundaries.geojson")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vertexOffsets lists, vertex by vertex, the distance in metres between two
// readings of the same boundaries.
func vertexOffsets(t *testing.T, a, b []coverage.AdminUnit) []float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d units vs %d", len(a), len(b))
	}
	var out []float64
	for i := range a {
		if a[i].Code != b[i].Code || len(a[i].Geometry) != len(b[i].Geometry) {
			t.Fatalf("unit %d differs: %s vs %s", i, a[i].Code, b[i].Code)
		}
		for j, p := range a[i].Geometry {
			for k, r := range p {
				if len(r) != len(b[i].Geometry[j][k]) {
					t.Fatalf("unit %s ring %d: %d vs %d vertices", a[i].Code, k, len(r), len(b[i].Geometry[j][k]))
				}
				for m, q := range r {
					out = append(out, spatial.DistanceM(q, b[i].Geometry[j][k][m]))
				}
			}
		}
	}
	return out
}

// Boundaries given in GCJ-02 are converted vertex by vertex: a GCJ-02 copy of
// the WGS84 sample comes back to within 1 m; read as WGS84 it is off by the
// real GCJ-02 shift of a few hundred metres.
func TestReadBoundariesGCJ02(t *testing.T) {
	src := readSampleBoundaries(t)
	orig, err := ReadBoundaries("boundaries.geojson", strings.NewReader(string(src)), spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			f.Geometry = mapPolygon(g, spatial.WGS84ToGCJ02)
		case orb.MultiPolygon:
			mp := make(orb.MultiPolygon, len(g))
			for i, p := range g {
				mp[i] = mapPolygon(p, spatial.WGS84ToGCJ02)
			}
			f.Geometry = mp
		default:
			t.Fatalf("sample geometry %s", g.GeoJSONType())
		}
	}
	gcj, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	asGCJ, err := ReadBoundaries("boundaries_gcj02.geojson", strings.NewReader(string(gcj)), spatial.GCJ02)
	if err != nil {
		t.Fatal(err)
	}
	off := vertexOffsets(t, asGCJ, orig)
	if m := medianOf(off); !(m < 1) {
		t.Errorf("read as gcj02: median vertex offset %.3f m, want < 1 m", m)
	}
	if mx := off[len(off)-1]; mx > 1 { // median sorted off
		t.Errorf("read as gcj02: largest vertex offset %.3f m, want ≤ 1 m", mx)
	}
	asWGS, err := ReadBoundaries("boundaries_gcj02.geojson", strings.NewReader(string(gcj)), spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	if m := medianOf(vertexOffsets(t, asWGS, orig)); !(m >= 200 && m <= 700) {
		t.Errorf("read as wgs84: median vertex offset %.1f m, want 200–700 m (the GCJ-02 shift)", m)
	} else {
		t.Logf("GCJ-02 shift in central Chengdu: median %.0f m", m)
	}
}
