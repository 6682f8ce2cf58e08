package api

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

func encodingJSONFeature(t *testing.T, f collection.Feature, ogc bool, proj project) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(encodeFeature(f, ogc, proj)); err != nil {
		return "error: " + err.Error()
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// TestAppendFeatureMatchesEncodingJSON: the hand-written GeoJSON writer
// gives exactly encoding/json's bytes for every feature of every collection
// of the fixture (in CRS84 and projected), and hands back what it cannot
// write (the page writer then uses encoding/json).
func TestAppendFeatureMatchesEncodingJSON(t *testing.T) {
	set := newSet(fixture(t))
	cr, err := collection.LookupCRS("http://www.opengis.net/def/crs/EPSG/0/4544")
	if err != nil {
		t.Fatal(err)
	}
	projs := map[string]project{"CRS84": nil, "EPSG:4544": func(g orb.Geometry) orb.Geometry { return collection.Project(g, cr) }}
	n := 0
	for _, col := range set.Collections() {
		page, err := col.Query(collection.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Features {
			for pname, proj := range projs {
				for _, ogc := range []bool{true, false} {
					var keys []string
					got, ok := appendFeature(nil, f, ogc, proj, &keys)
					if !ok {
						t.Fatalf("%s feature %d (%s): the fast writer declined it", col.ID, f.ID, pname)
					}
					if want := encodingJSONFeature(t, f, ogc, proj); string(got) != want {
						t.Fatalf("%s feature %d (%s, ogc %v):\n got %s\nwant %s", col.ID, f.ID, pname, ogc, got, want)
					}
					n++
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d features compared", n)
	}
	ring := orb.Ring{{104.1, 30.6}, {104.2, 30.6}, {104.2, 30.7}, {104.1, 30.6}}
	odd := []collection.Feature{
		{ID: 1, Key: "a", Geometry: orb.Point{1e-7, -1e21}, Properties: map[string]any{"f32": float32(0.1), "tiny": 1e-9, "big": 1e22, "neg": -0.0, "i": 7, "i64": int64(-3), "b": true, "n": nil, "zh": "成华区 幼儿园", "list": []string{"510108", "成华"}, "nolist": []string(nil), "named": coverage.Existing, "i32": int32(5), "u8": uint8(3)}},
		{ID: 2, Key: "b", Geometry: ring, Properties: map[string]any{}},
		{ID: 3, Key: "c", Geometry: orb.MultiPoint{{1, 2}, {3, 4}}},
		{ID: 4, Key: "d", Geometry: orb.LineString{{1, 2}, {3, 4}}, Properties: map[string]any{"x": 1.5}},
		{ID: 5, Key: "e", Geometry: orb.MultiLineString{{{1, 2}, {3, 4}}}, Properties: map[string]any{"x": 2.5, "y": "z"}},
		{ID: 6, Key: "f", Geometry: orb.MultiPolygon{{ring}, {ring}}},
	}
	declined := []collection.Feature{
		{ID: 7, Key: `quote"d`},
		{ID: 8, Key: "h", Properties: map[string]any{"ctl": "a\nb"}},
		{ID: 9, Key: "i", Properties: map[string]any{"ls": "a\u2028b"}},
		{ID: 10, Key: "j", Properties: map[string]any{"bad": "\xff"}},
		{ID: 11, Key: "k", Properties: map[string]any{"nan": math.NaN()}},
		{ID: 12, Key: "l", Properties: map[string]any{"other": []int{1}}},
		{ID: 17, Key: "q", Properties: map[string]any{"m": json.Number("1")}},
		{ID: 13, Key: "m", Geometry: orb.Polygon{}},
		{ID: 14, Key: "n", Geometry: orb.Collection{orb.Point{1, 2}}},
		{ID: 15, Key: "o", Geometry: orb.Polygon{nil}},
		{ID: 16, Key: "p", Geometry: orb.Point{math.Inf(1), 0}},
	}
	var keys []string
	for _, f := range odd {
		got, ok := appendFeature(nil, f, false, nil, &keys)
		if want := encodingJSONFeature(t, f, false, nil); !ok || string(got) != want {
			t.Errorf("feature %d: ok %v\n got %s\nwant %s", f.ID, ok, got, want)
		}
	}
	for _, f := range declined {
		if got, ok := appendFeature([]byte("x"), f, false, nil, &keys); ok || string(got) != "x" {
			t.Errorf("feature %d: the fast writer wrote %s (ok %v) where encoding/json must", f.ID, got, ok)
		}
	}
}

// TestPlainTileGETAsServeContent: a cached tile's plain GET skips
// http.ServeContent; it must answer exactly what ServeContent would (and
// HEAD, Range and If-None-Match still go through it: TestTileProtocol).
func TestPlainTileGETAsServeContent(t *testing.T) {
	h := newTestServer(t)
	u := "/tiles/population/14/12928/6724.pbf"
	got := get(t, h, http.MethodGet, u)
	if got.Code != http.StatusOK || got.Body.Len() < 200 {
		t.Fatalf("tile: %d, %d bytes", got.Code, got.Body.Len())
	}
	want := httptest.NewRecorder()
	for k, v := range got.Header() {
		if k != "Accept-Ranges" && k != "Content-Length" {
			want.Header()[k] = v
		}
	}
	http.ServeContent(want, httptest.NewRequest(http.MethodGet, u, nil), "", time.Time{}, bytes.NewReader(got.Body.Bytes()))
	if !reflect.DeepEqual(got.Header(), want.Header()) || want.Code != got.Code || !bytes.Equal(want.Body.Bytes(), got.Body.Bytes()) {
		t.Errorf("plain GET answered %d %v; ServeContent %d %v", got.Code, got.Header(), want.Code, want.Header())
	}
}
