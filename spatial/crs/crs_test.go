package crs

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func mustLookup(t testing.TB, s string) CRS {
	t.Helper()
	c, err := Lookup(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSupportedOrder(t *testing.T) {
	var codes []string
	for _, c := range Supported() {
		codes = append(codes, c.Code)
		if c.URI == "" || c.Title == "" || c.TitleZH == "" {
			t.Errorf("%s lacks a URI or a title: %+v", c.Code, c)
		}
	}
	want := "OGC:CRS84 EPSG:4326 EPSG:4490 EPSG:4544 EPSG:3857 EPSG:32648"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("Supported() = %s, want %s", got, want)
	}
	Supported()[0].URI = "changed"
	if Supported()[0].URI != CRS84URI {
		t.Error("Supported returns the package's own slice")
	}
}

// Forward then inverse returns the point to 1e-9°, over the area each
// system is used for.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range Supported() {
		lonMin, lonMax, latMax := -180.0, 180.0, 89.9
		switch c.Code {
		case "EPSG:4544", "EPSG:32648":
			lonMin, lonMax, latMax = 105-9.9, 105+9.9, 84
		case "EPSG:3857":
			latMax = 85.05
		}
		var worst float64
		for range 20000 {
			lon := lonMin + (lonMax-lonMin)*r.Float64()
			lat := -latMax + 2*latMax*r.Float64()
			if c.Projected && c.kind == tmKind {
				lat = math.Abs(lat) // northern-hemisphere zones
			}
			a, b := c.FromCRS84(lon, lat)
			lon2, lat2, err := c.ToCRS84(a, b)
			if err != nil {
				t.Fatalf("%s: (%v, %v) → (%v, %v): %v", c.Code, lon, lat, a, b, err)
			}
			d := math.Max(math.Abs(lon2-lon), math.Abs(lat2-lat))
			worst = math.Max(worst, d)
			if d > 1e-9 {
				t.Fatalf("%s: (%v, %v) → (%v, %v) → (%v, %v), off by %g°", c.Code, lon, lat, a, b, lon2, lat2, d)
			}
		}
		t.Logf("%s: worst round trip %.2g°", c.Code, worst)
	}
}

// Axis order and a known point: the Chengdu city hall is north of the
// equator and east of Greenwich, so each axis's sign and size tell them apart.
func TestAxisOrder(t *testing.T) {
	const lon, lat = 104.0657, 30.6595
	for _, tc := range []struct {
		code           string
		aMin, aMax     float64
		bMin, bMax     float64
		latLon, metres bool
	}{
		{"OGC:CRS84", lon, lon, lat, lat, false, false},
		{"EPSG:4326", lat, lat, lon, lon, true, false},
		{"EPSG:4490", lat, lat, lon, lon, true, false},
		{"EPSG:4544", 3.39e6, 3.40e6, 4.10e5, 4.11e5, true, true},    // northing, easting
		{"EPSG:3857", 1.158e7, 1.159e7, 3.58e6, 3.59e6, false, true}, // x, y
		{"EPSG:32648", 4.10e5, 4.11e5, 3.39e6, 3.40e6, false, true},  // easting, northing
	} {
		c := mustLookup(t, tc.code)
		if c.LatLonOrder != tc.latLon || c.Projected != tc.metres {
			t.Errorf("%s: LatLonOrder %v Projected %v, want %v %v", tc.code, c.LatLonOrder, c.Projected, tc.latLon, tc.metres)
		}
		a, b := c.FromCRS84(lon, lat)
		if a < tc.aMin || a > tc.aMax || b < tc.bMin || b > tc.bMax {
			t.Errorf("%s: (%v, %v), want a in [%v, %v], b in [%v, %v]", tc.code, a, b, tc.aMin, tc.aMax, tc.bMin, tc.bMax)
		}
	}
	if a, b := (CRS{}).FromCRS84(lon, lat); a != lon || b != lat {
		t.Errorf("zero CRS: (%v, %v), want CRS84", a, b)
	}
}

func TestLookupSpellings(t *testing.T) {
	for _, c := range Supported() {
		num := c.Code[strings.IndexByte(c.Code, ':')+1:]
		spellings := []string{c.URI, c.Code, strings.ToLower(c.Code), "[" + c.Code + "]", " " + c.Code + " ",
			strings.Replace(c.URI, "http://", "https://", 1)}
		if c.Code == "OGC:CRS84" {
			spellings = append(spellings, "CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "[OGC:CRS84]")
		} else {
			spellings = append(spellings, "urn:ogc:def:crs:EPSG::"+num, "urn:ogc:def:crs:EPSG:9.1:"+num)
		}
		for _, s := range spellings {
			got, err := Lookup(s)
			if err != nil {
				t.Errorf("Lookup(%q): %v", s, err)
			} else if got != c {
				t.Errorf("Lookup(%q) = %s, want %s", s, got.Code, c.Code)
			}
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, s := range []string{"http://www.opengis.net/def/crs/EPSG/0/9999", "EPSG:9999", "", "gcj02", "EPSG:45440", "[EPSG:4544", "http://www.opengis.net/def/crs/EPSG/0/4544/"} {
		_, err := Lookup(s)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("Lookup(%q): %v, want ErrUnsupported", s, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"`+s+`"`) {
			t.Errorf("Lookup(%q): %q does not name the value", s, msg)
		}
		for _, u := range URIs() {
			if !strings.Contains(msg, u) {
				t.Errorf("Lookup(%q): %q does not list %s", s, msg, u)
			}
		}
	}
}

func TestToCRS84Domain(t *testing.T) {
	for _, tc := range []struct {
		code   string
		a, b   float64
		naming string // a part of the message
	}{
		{"EPSG:3857", 11584540, 3.0e7, "85.0511"},
		{"EPSG:3857", 2.1e7, 3588607, "85.0511"},
		{"EPSG:4326", 104.07, 30.66, "latitude, longitude"}, // lon,lat given to a lat,lon CRS
		{"EPSG:4490", 91, 104, "latitude must be within ±90"},
		{"OGC:CRS84", 181, 30, "longitude within ±180"},
		{"EPSG:4544", 410452.97, 3393596.59, "northing, easting"},  // easting,northing given
		{"EPSG:32648", 3392239.15, 410488.79, "easting, northing"}, // northing,easting given
		{"EPSG:32648", 410488.79, 1.2e7, "beyond the pole"},
		{"EPSG:4544", math.NaN(), 410452.97, "not a number"},
		{"EPSG:3857", math.Inf(1), 0, "not a number"},
	} {
		c := mustLookup(t, tc.code)
		_, _, err := c.ToCRS84(tc.a, tc.b)
		if !errors.Is(err, ErrOutOfDomain) {
			t.Errorf("%s ToCRS84(%v, %v): %v, want ErrOutOfDomain", tc.code, tc.a, tc.b, err)
		} else if !strings.Contains(err.Error(), tc.code) || !strings.Contains(err.Error(), tc.naming) {
			t.Errorf("%s ToCRS84(%v, %v): %q should name %s and %q", tc.code, tc.a, tc.b, err, tc.code, tc.naming)
		}
	}
	// The corners of the Web Mercator world are inside.
	if _, _, err := mustLookup(t, "EPSG:3857").ToCRS84(-20037508.342789244, 20037508.342789244); err != nil {
		t.Error(err)
	}
}

func TestProject(t *testing.T) {
	c := mustLookup(t, "EPSG:4544")
	ring := orb.Ring{{104.0, 30.6}, {104.1, 30.6}, {104.1, 30.7}, {104.0, 30.6}}
	poly := orb.Polygon{ring}
	orig := orb.Clone(poly).(orb.Polygon)
	in := orb.Collection{orb.Point{104.06, 30.66}, poly, orb.MultiPolygon{poly},
		orb.LineString(ring), orb.MultiLineString{orb.LineString(ring)}, orb.MultiPoint(ring)}
	out := Project(in, c).(orb.Collection)
	if !orb.Equal(poly, orig) {
		t.Fatal("Project modified its input")
	}
	if len(out) != len(in) {
		t.Fatalf("%d geometries out of %d", len(out), len(in))
	}
	for i, g := range out {
		if g.GeoJSONType() != in[i].GeoJSONType() {
			t.Errorf("geometry %d: %s became %s", i, in[i].GeoJSONType(), g.GeoJSONType())
		}
	}
	got := out[1].(orb.Polygon)[0]
	for i, p := range ring {
		a, b := c.FromCRS84(p[0], p[1])
		if got[i] != (orb.Point{a, b}) {
			t.Errorf("vertex %d: %v, want (%v, %v)", i, got[i], a, b)
		}
	}
	if p := Project(orb.Point{104.06, 30.66}, mustLookup(t, "EPSG:4326")).(orb.Point); p != (orb.Point{30.66, 104.06}) {
		t.Errorf("EPSG:4326 point %v, want lat,lon", p)
	}
	if Project(nil, c) != nil {
		t.Error("Project(nil) is not nil")
	}
	// A CRS84 bound becomes the bound of its curved image.
	bb := orb.Bound{Min: orb.Point{103.5, 30}, Max: orb.Point{104.5, 31}}
	pb := Project(bb, c).(orb.Bound)
	for _, p := range []orb.Point{{103.5, 30}, {104.5, 31}, {104, 30}, {104, 31}, {103.5, 30.5}} {
		a, b := c.FromCRS84(p[0], p[1])
		if !pb.Contains(orb.Point{a, b}) {
			t.Errorf("projected bound %v misses %v", pb, p)
		}
	}
}

func TestBoundToCRS84(t *testing.T) {
	// A 4544 rectangle over central Chengdu, northing first.
	c := mustLookup(t, "EPSG:4544")
	minN, minE, maxN, maxE := 3.39e6, 4.0e5, 3.41e6, 4.2e5
	b, err := BoundToCRS84(minN, minE, maxN, maxE, c)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		n, e := minN+(maxN-minN)*r.Float64(), minE+(maxE-minE)*r.Float64()
		lon, lat, err := c.ToCRS84(n, e)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Contains(orb.Point{lon, lat}) {
			t.Fatalf("bound %v misses (%v, %v) from (%v, %v)", b, lon, lat, n, e)
		}
	}
	// Projected back, the bound covers the whole rectangle.
	corners := Project(b, c).(orb.Bound)
	if corners.Min[0] > minN || corners.Min[1] > minE || corners.Max[0] < maxN || corners.Max[1] < maxE {
		t.Errorf("bound %v does not cover the rectangle: projected back %v", b, corners)
	}
	if w := b.Max[0] - b.Min[0]; w > 0.22 || w < 0.2 {
		t.Errorf("bound %v: width %v°, want about 0.21° for 20 km at 30.7°N", b, w)
	}

	// Geographic lat,lon bboxes only swap.
	g, err := BoundToCRS84(30, 103.5, 31, 104.5, mustLookup(t, "EPSG:4326"))
	if err != nil || g != (orb.Bound{Min: orb.Point{103.5, 30}, Max: orb.Point{104.5, 31}}) {
		t.Errorf("EPSG:4326 bbox: %v, %v", g, err)
	}

	if _, err := BoundToCRS84(3.41e6, 4e5, 3.39e6, 4.2e5, c); !errors.Is(err, ErrBBox) || !strings.Contains(err.Error(), "northing, easting") {
		t.Errorf("inverted bbox: %v", err)
	}
	if _, err := BoundToCRS84(4e5, 3.39e6, 4.2e5, 3.41e6, c); !errors.Is(err, ErrOutOfDomain) || !strings.Contains(err.Error(), "bbox (400000") {
		t.Errorf("easting-first bbox in EPSG:4544: %v", err)
	}
}

func BenchmarkFromCRS84_4544(b *testing.B) {
	c := mustLookup(b, "EPSG:4544")
	pts := testPoints()
	var sink float64
	b.ResetTimer()
	for i := range b.N {
		p := pts[i%len(pts)]
		x, y := c.FromCRS84(p[0], p[1])
		sink += x + y
	}
	if math.IsNaN(sink) {
		b.Fatal("NaN")
	}
}

func BenchmarkToCRS84_4544(b *testing.B) {
	c := mustLookup(b, "EPSG:4544")
	pts := testPoints()
	proj := make([][2]float64, len(pts))
	for i, p := range pts {
		proj[i][0], proj[i][1] = c.FromCRS84(p[0], p[1])
	}
	var sink float64
	b.ResetTimer()
	for i := range b.N {
		p := proj[i%len(proj)]
		lon, lat, _ := c.ToCRS84(p[0], p[1])
		sink += lon + lat
	}
	if math.IsNaN(sink) {
		b.Fatal("NaN")
	}
}
