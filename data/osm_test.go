package data

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"lifecircle/coverage"
)

const tinyOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" lat="30.660" lon="104.060"/>
 <node id="2" lat="30.660" lon="104.061"/>
 <node id="3" lat="30.660" lon="104.062"/>
 <node id="4" lat="30.661" lon="104.061"/>
 <node id="5" lat="30.662" lon="104.061"/>
 <node id="6" lat="30.663" lon="104.061"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
 <way id="11"><nd ref="2"/><nd ref="4"/><nd ref="99"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/></way>
 <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
 <way id="13"><nd ref="3"/><nd ref="4"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
 <way id="14"><nd ref="3"/><nd ref="5"/><tag k="highway" v="cycleway"/><tag k="foot" v="yes"/></way>
 <way id="15"><nd ref="1"/><nd ref="6"/><tag k="highway" v="primary"/><tag k="foot" v="no"/></way>
 <way id="16"><nd ref="1"/><nd ref="5"/><tag k="waterway" v="river"/></way>
</osm>`

func TestReadOSMRule(t *testing.T) {
	g, st, err := ReadOSM("tiny.osm", strings.NewReader(tinyOSM), DefaultWalkRule())
	if err != nil {
		t.Fatal(err)
	}
	// kept: 10 (residential), 11 (footway, cut at the missing node 99 into 2-4 and 5-6), 14 (cycleway with foot=yes)
	if st.WaysKept != 3 || st.MissingRefs != 1 {
		t.Errorf("kept %d ways, %d missing refs; want 3 and 1", st.WaysKept, st.MissingRefs)
	}
	for _, want := range []string{"highway=motorway: 1", "access=private: 1", "foot=no: 1"} {
		if !strings.Contains(strings.Join(st.Dropped, ";"), want) {
			t.Errorf("dropped %v lacks %q", st.Dropped, want)
		}
	}
	// edges: 1-2, 2-3, 2-4, 5-6, 3-5
	if g.NumEdges() != 5 {
		t.Errorf("%d edges, want 5", g.NumEdges())
	}
	if st.Format != "xml" || st.NodesRead != 6 {
		t.Errorf("format %s, %d nodes", st.Format, st.NodesRead)
	}
}

func TestReadOSMPBFEqualsXML(t *testing.T) {
	pbf, err := os.ReadFile("sample/chengdu/osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	gp, sp, err := ReadOSM("osm.pbf", bytes.NewReader(pbf), DefaultWalkRule())
	if err != nil {
		t.Fatal(err)
	}
	if sp.Format != "pbf" || gp.NumEdges() < 4000 {
		t.Errorf("pbf: %s, %d edges", sp.Format, gp.NumEdges())
	}
	xml, err := os.ReadFile("../../shared/data/chengdu/osm/chengdu_center_2018.osm")
	if err != nil {
		t.Skipf("../shared not beside the project: %v", err)
	}
	gx, _, err := ReadOSM("chengdu.osm", bytes.NewReader(xml), DefaultWalkRule())
	if err != nil {
		t.Fatal(err)
	}
	if gx.NumNodes() != gp.NumNodes() || gx.NumEdges() != gp.NumEdges() {
		t.Errorf("XML %d/%d vs PBF %d/%d nodes/edges", gx.NumNodes(), gx.NumEdges(), gp.NumNodes(), gp.NumEdges())
	}
}

func TestReadOSMBadInput(t *testing.T) {
	pbf, err := os.ReadFile("sample/chengdu/osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		src  []byte
		says string
	}{
		"not OSM":        {[]byte("h3,population\n8a40e3ce8997fff,10\n"), "not an OSM file"},
		"truncated PBF":  {pbf[:len(pbf)/2], "damaged or truncated"},
		"truncated XML":  {[]byte(tinyOSM[:len(tinyOSM)/2]), "damaged or truncated"},
		"no walkable":    {[]byte(strings.ReplaceAll(strings.ReplaceAll(tinyOSM, `k="highway"`, `k="railway"`), `k="foot" v="yes"`, `k="foot" v="no"`)), "none of its 7 ways is walkable"},
		"no ways at all": {[]byte(`<osm version="0.6"><node id="1" lat="1" lon="1"/></osm>`), "holds no ways"},
	}
	for name, c := range cases {
		_, _, err := ReadOSM("in.osm", bytes.NewReader(c.src), DefaultWalkRule())
		if err == nil || !strings.Contains(err.Error(), c.says) || !errors.Is(err, coverage.ErrInvalid) || !strings.HasPrefix(err.Error(), "in.osm") {
			t.Errorf("%s: %v, want it to name the file and say %q", name, err, c.says)
		}
	}
}

func TestWalkRuleFile(t *testing.T) {
	r, err := ParseWalkRule("rule.json", []byte(`{"highways":["footway"],"foot_yes":["yes"],"foot_no":["no"],"access_no":[],"never":[],"drop_construction":true}`))
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := ReadOSM("tiny.osm", strings.NewReader(tinyOSM), r)
	if err != nil || st.WaysKept != 2 { // footway 11 and cycleway 14 (foot=yes)
		t.Errorf("custom rule kept %d ways (%v)", st.WaysKept, err)
	}
	if _, err := ParseWalkRule("rule.json", []byte(`{"highway":["x"]}`)); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("typo in a rule file: %v", err)
	}
}

func TestNetworkOverlapCheck(t *testing.T) {
	in, _ := SampleInputs("porto_alegre")
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckNetworkOverlap(in, ds, len(ds.Cells), OSMStats{}, 250); err == nil || !strings.Contains(err.Error(), "does not overlap the population") {
		t.Errorf("all cells unsnapped: %v", err)
	}
	if w, err := CheckNetworkOverlap(in, ds, len(ds.Cells)*3/4, OSMStats{}, 250); err != nil || !strings.Contains(w, "have no walkable way") {
		t.Errorf("most cells unsnapped: %q %v", w, err)
	}
	if w, err := CheckNetworkOverlap(in, ds, 0, OSMStats{}, 250); err != nil || w != "" {
		t.Errorf("all snapped: %q %v", w, err)
	}
}
