package data

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
)

func readSampleBasemap(t testing.TB) (*coverage.Basemap, BasemapStats) {
	t.Helper()
	src, err := SampleFile("sample/chengdu/osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	b, st, err := ReadBasemap("osm.pbf", bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

// TestSampleBasemap checks the Chengdu sample's basemap: every layer is
// there, places carry Chinese names, and a query at the city centre finds
// major roads at z12 and buildings only from z14.
func TestSampleBasemap(t *testing.T) {
	b, st := readSampleBasemap(t)
	t.Logf("stats %+v; layers %+v", st, b.Layers())
	for _, l := range coverage.BasemapLayers {
		if st.Layers[l] == 0 {
			t.Errorf("layer %s is empty", l)
		}
	}
	if st.Layers[coverage.BasemapRoads] < 2000 {
		t.Errorf("roads: %d, want ≥ 2000 (the extract has 2,268 highway ways)", st.Layers[coverage.BasemapRoads])
	}
	zh := 0
	for _, f := range b.Features {
		if f.Layer == coverage.BasemapPlaces && hasHan(f.NameZH) {
			zh++
		}
		if err := checkGeometry(f); err != "" {
			t.Fatalf("feature %d (%s/%s): %s", f.ID, f.Layer, f.Class, err)
		}
	}
	if zh < 20 {
		t.Errorf("%d places with a Chinese name, want ≥ 20", zh)
	}
	// 天府广场 lies at about 104.0657,30.6574 (the extract's southern edge).
	tianfu := orb.Point{104.0657, 30.6574}
	count := func(bound orb.Bound, z int) map[string]int {
		n := map[string]int{}
		b.Query(bound, z, func(f *coverage.BasemapFeature) bool {
			if f.MinZoom > z || !f.Geometry.Bound().Intersects(bound) {
				t.Fatalf("z%d query returned feature %d with minzoom %d, bound %v", z, f.ID, f.MinZoom, f.Geometry.Bound())
			}
			n[f.Layer+"/"+f.Class]++
			return true
		})
		return n
	}
	z12 := count(tileBound(tianfu, 12), 12)
	if z12["roads/primary"] == 0 || z12["roads/footway"] != 0 || z12["buildings/building"] != 0 {
		t.Errorf("z12 at 天府广场: %v", z12)
	}
	z15 := count(tileBound(tianfu, 15), 15)
	if z15["buildings/building"] == 0 {
		t.Errorf("z15 at 天府广场 has no buildings: %v", z15)
	}
}

// tileBound is the WGS84 bound of the web-mercator tile at zoom z holding p.
func tileBound(p orb.Point, z int) orb.Bound {
	n := float64(int(1) << z)
	x := float64(int((p[0] + 180) / 360 * n))
	y := float64(int((1 - math.Log(math.Tan(p[1]*math.Pi/180)+1/math.Cos(p[1]*math.Pi/180))/math.Pi) / 2 * n))
	lat := func(y float64) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi }
	return orb.Bound{Min: orb.Point{x/n*360 - 180, lat(y + 1)}, Max: orb.Point{(x+1)/n*360 - 180, lat(y)}}
}

func checkGeometry(f coverage.BasemapFeature) string {
	switch g := f.Geometry.(type) {
	case orb.Point:
		if f.Layer != coverage.BasemapPlaces {
			return "point outside the places layer"
		}
	case orb.LineString:
		if len(g) < 2 {
			return "line of < 2 points"
		}
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) < 2 {
				return "line of < 2 points"
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if s := checkPolygon(p); s != "" {
				return s
			}
		}
	default:
		return "unexpected geometry " + g.GeoJSONType()
	}
	return ""
}

func checkPolygon(p orb.Polygon) string {
	for i, r := range p {
		if len(r) < 4 || !r.Closed() {
			return "ring not closed"
		}
		if want := orb.CCW; (i == 0) != (r.Orientation() == want) {
			return "ring wound the wrong way"
		}
	}
	return ""
}

// TestBasemapPBFEqualsXML reads the same extract as XML and as PBF.
func TestBasemapPBFEqualsXML(t *testing.T) {
	xml, err := os.ReadFile("../../shared/data/chengdu/osm/chengdu_center_2018.osm")
	if err != nil {
		t.Skipf("../shared not beside the project: %v", err)
	}
	bx, sx, err := ReadBasemap("chengdu.osm", bytes.NewReader(xml))
	if err != nil {
		t.Fatal(err)
	}
	bp, sp := readSampleBasemap(t)
	if sx.Format != "xml" || sp.Format != "pbf" {
		t.Fatalf("formats %s, %s", sx.Format, sp.Format)
	}
	near := func(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 }
	if bx.Len() != bp.Len() || !near(bx.Bound().Min, bp.Bound().Min) || !near(bx.Bound().Max, bp.Bound().Max) {
		t.Errorf("xml %d features in %v, pbf %d in %v", bx.Len(), bx.Bound(), bp.Len(), bp.Bound())
	}
	for i := range bx.Features {
		fx, fp := bx.Features[i], bp.Features[i]
		if fx.ID != fp.ID || fx.Layer != fp.Layer || fx.Class != fp.Class || fx.NameZH != fp.NameZH || fx.MinZoom != fp.MinZoom {
			t.Fatalf("feature %d: xml %+v, pbf %+v", i, fx, fp)
		}
	}
}

const basemapXML = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="30.60" lon="104.00"/>
 <node id="2" lat="30.60" lon="104.02"/>
 <node id="3" lat="30.62" lon="104.02"/>
 <node id="4" lat="30.62" lon="104.00"/>
 <node id="5" lat="30.605" lon="104.005"/>
 <node id="6" lat="30.605" lon="104.01"/>
 <node id="7" lat="30.61" lon="104.01"/>
 <node id="8" lat="30.61" lon="104.00"/>
 <node id="9" lat="30.63" lon="104.00"/>
 <node id="10" lat="30.63" lon="104.03">
  <tag k="place" v="suburb"/><tag k="name" v="玉林"/><tag k="name:en" v="Yulin"/>
 </node>
 <node id="11" lat="30.64" lon="104.03"><tag k="place" v="neighbourhood"/></node>
 <node id="12" lat="30.64" lon="104.04"><tag k="place" v="city"/><tag k="name" v="Chengdu"/><tag k="name:zh" v="成都市"/></node>
 <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/></way>
 <way id="101"><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
 <way id="102"><nd ref="5"/><nd ref="8"/><nd ref="7"/><nd ref="6"/><nd ref="5"/></way>
 <way id="103"><nd ref="9"/><nd ref="999"/><nd ref="10"/><nd ref="12"/>
  <tag k="highway" v="primary_link"/><tag k="name" v="人民南路"/></way>
 <way id="104"><nd ref="1"/><nd ref="2"/><nd ref="9"/><tag k="highway" v="construction"/></way>
 <way id="105"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="building" v="yes"/></way>
 <way id="106"><nd ref="1"/><nd ref="2"/><nd ref="998"/><nd ref="1"/><tag k="leisure" v="park"/></way>
 <way id="107"><nd ref="9"/><nd ref="10"/><tag k="waterway" v="river"/><tag k="name" v="府河"/></way>
 <way id="108"><nd ref="9"/><nd ref="12"/></way>
 <way id="109"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="natural" v="water"/></way>
 <relation id="200">
  <member type="way" ref="100" role="outer"/><member type="way" ref="101" role="outer"/>
  <member type="way" ref="102" role="inner"/>
  <tag k="type" v="multipolygon"/><tag k="natural" v="water"/><tag k="name" v="东湖"/>
 </relation>
 <relation id="202">
  <member type="way" ref="109" role="outer"/>
  <tag k="type" v="multipolygon"/><tag k="natural" v="water"/><tag k="name" v="西湖"/>
 </relation>
 <relation id="201">
  <member type="way" ref="108" role="outer"/><member type="way" ref="555" role="outer"/>
  <tag k="type" v="multipolygon"/><tag k="landuse" v="forest"/>
 </relation>
</osm>`

// TestReadBasemapSmall checks classification, multipolygon assembly (two
// outer ways and a hole; an old-style outer way tagged like its relation
// drawn once), lines cut at missing nodes, and the counts of
// what could not be drawn.
func TestReadBasemapSmall(t *testing.T) {
	b, st, err := ReadBasemap("small.osm", strings.NewReader(basemapXML))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]coverage.BasemapFeature{}
	for _, f := range b.Features {
		byID[f.ID] = f
		if s := checkGeometry(f); s != "" {
			t.Errorf("feature %d: %s", f.ID, s)
		}
	}
	lake, ok := byID[2003]
	if !ok || lake.Layer != coverage.BasemapWater || lake.Class != "water" || lake.NameZH != "东湖" {
		t.Fatalf("relation 200: %+v", lake)
	}
	if p, ok := lake.Geometry.(orb.Polygon); !ok || len(p) != 2 || len(p[0]) != 5 {
		t.Errorf("lake geometry %#v, want a polygon of a 5-point outer ring and one hole", lake.Geometry)
	}
	road := byID[1032]
	if road.Layer != coverage.BasemapRoads || road.Class != "primary" || road.MinZoom != roadMinZoom["primary"]+2 || road.Name != "人民南路" {
		t.Errorf("way 103: %+v", road)
	}
	if l, ok := road.Geometry.(orb.LineString); !ok || len(l) != 2 || l[0] != (orb.Point{104.03, 30.63}) {
		t.Errorf("way 103 cut at its missing node (the one-node run before it dropped): %#v", road.Geometry)
	}
	if f := byID[1052]; f.Layer != coverage.BasemapBuildings || f.MinZoom != buildingsMinZoom {
		t.Errorf("way 105: %+v", f)
	}
	if f := byID[1072]; f.Layer != coverage.BasemapWater || f.Class != "river" || f.NameZH != "府河" {
		t.Errorf("way 107: %+v", f)
	}
	if f := byID[101]; f.Class != "suburb" || f.Name != "玉林" || f.NameZH != "玉林" || f.NameEN != "Yulin" {
		t.Errorf("node 10: %+v", f)
	}
	if f := byID[121]; f.Name != "Chengdu" || f.NameZH != "成都市" || f.MinZoom != placeMinZoom["city"] {
		t.Errorf("node 12: %+v", f)
	}
	if f := byID[2023]; f.Name != "西湖" || f.Geometry.GeoJSONType() != "Polygon" {
		t.Errorf("relation 202: %+v", f)
	}
	for _, id := range []uint64{1042, 1062, 1092, 2013, 111} {
		if f, ok := byID[id]; ok {
			t.Errorf("feature %d should not be drawn: %+v", id, f)
		}
	}
	want := BasemapStats{Format: "xml", MissingNodeRefs: 1, IncompleteAreas: 2, UnnamedPlaces: 1,
		Layers: map[string]int{"water": 3, "buildings": 1, "roads": 1, "places": 2}}
	if st.Format != want.Format || st.MissingNodeRefs != want.MissingNodeRefs || st.IncompleteAreas != want.IncompleteAreas ||
		st.UnnamedPlaces != want.UnnamedPlaces || len(st.Layers) != len(want.Layers) {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	for l, n := range want.Layers {
		if st.Layers[l] != n {
			t.Errorf("layer %s: %d features, want %d", l, st.Layers[l], n)
		}
	}
}

func TestReadBasemapBadInput(t *testing.T) {
	for name, src := range map[string]string{
		"notosm.txt": "hello",
		"empty.osm":  `<?xml version="1.0"?><osm version="0.6"><node id="1" lat="30" lon="104"/></osm>`,
		"bad.osm":    `<?xml version="1.0"?><osm version="0.6"><node id="1" lat="95" lon="104"/><way id="2"><nd ref="1"/><nd ref="1"/><tag k="highway" v="primary"/></way></osm>`,
	} {
		if _, _, err := ReadBasemap(name, strings.NewReader(src)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v should name the file", name, err)
		}
	}
}
