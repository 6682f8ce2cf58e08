package main

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/osm"
)

// cutBound is the bbox the OSM extract was cut to (lizihan021/ETA README);
// it is the sample area.
var cutBound = orb.Bound{Min: orb.Point{104.0421, 30.6528}, Max: orb.Point{104.1296, 30.7279}}

const cutBoundText = "104.0421,30.6528,104.1296,30.7279"

// facRecord is one OSM object and what it became.
type facRecord struct {
	osmID  string // canonical n…/w…/r…
	tag    string
	name   string
	point  orb.Point
	areaHa float64 // park and pitch polygons only
	m      mapping
}

type facilities struct {
	features   []*geojson.Feature
	records    []facRecord
	typeCounts map[string]int
	poiCount   int
	busStops   int
	extra      []facRecord // metro, toilets, police, post, convenience, pitches from the OSM extract
	outsideCut int         // features outside cutBound (all are inside the data bbox)
	dataBound  orb.Bound
}

// buildFacilities maps the OSM facility points and the OSM bus stops to
// catalogue types, one output feature per (object, type).
func buildFacilities(poiPath string, d *osmData) (*facilities, error) {
	recs, err := poiRecords(poiPath, d)
	if err != nil {
		return nil, err
	}
	poiCount := len(recs)
	stops, err := busStopRecords(d)
	if err != nil {
		return nil, err
	}
	recs = append(recs, stops...)
	extra, err := extraRecords(d)
	if err != nil {
		return nil, err
	}
	recs = append(recs, extra...)

	f := &facilities{typeCounts: map[string]int{}, poiCount: poiCount, busStops: len(stops), extra: extra, records: recs, dataBound: d.nodeBound()}
	for _, r := range recs {
		if !f.dataBound.Contains(r.point) {
			return nil, fmt.Errorf("%s lies outside the OSM data bbox", r.osmID)
		}
		for _, t := range r.m.types {
			if !slices.Contains(catalogueTypes, t) {
				return nil, fmt.Errorf("%s: %q is not a catalogue type", r.osmID, t)
			}
			f.features = append(f.features, facilityFeature(r, t))
			f.typeCounts[t]++
			if !cutBound.Contains(r.point) {
				f.outsideCut++
			}
		}
	}
	sort.Slice(f.features, func(i, j int) bool {
		a, b := f.features[i].Properties, f.features[j].Properties
		if a["type"] != b["type"] {
			return a["type"].(string) < b["type"].(string)
		}
		return a["id"].(string) < b["id"].(string)
	})
	return f, nil
}

func facilityFeature(r facRecord, typ string) *geojson.Feature {
	ft := geojson.NewFeature(roundPoint(r.point))
	ft.Properties = geojson.Properties{
		"id":      r.osmID + "-" + typ,
		"type":    typ,
		"name":    r.name,
		"status":  "existing",
		"osm_id":  r.osmID,
		"osm_tag": r.tag,
	}
	return ft
}

// poiRecords reads the shared facility GeoJSON and classifies each point.
func poiRecords(path string, d *osmData) ([]facRecord, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var recs []facRecord
	for _, ft := range fc.Features {
		r, err := poiRecord(ft, d)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func poiRecord(ft *geojson.Feature, d *osmData) (facRecord, error) {
	props := ft.Properties
	pt, ok := ft.Geometry.(orb.Point)
	if !ok {
		return facRecord{}, fmt.Errorf("feature %v is not a Point", props["osm_id"])
	}
	id, err := canonicalOSMID(props.MustString("osm_id", ""))
	if err != nil {
		return facRecord{}, err
	}
	tag := props.MustString("category", "")
	if err := d.checkTag(id, tag); err != nil {
		return facRecord{}, err
	}
	p := poi{
		category: tag,
		name:     displayName(props.MustString("name_zh", ""), props.MustString("name", "")),
		names:    strings.Join([]string{props.MustString("name", ""), props.MustString("name_zh", ""), props.MustString("name_en", "")}, " "),
	}
	p.named = strings.TrimSpace(p.names) != ""
	if tag == "leisure=park" {
		p.areaHa, p.hasArea = d.areaHa(id)
	}
	m, err := classify(p)
	if err != nil {
		return facRecord{}, fmt.Errorf("%s: %w", id, err)
	}
	return facRecord{osmID: id, tag: tag, name: p.name, point: pt, areaHa: p.areaHa, m: m}, nil
}

// busStopRecords takes every highway=bus_stop node of the OSM extract.
func busStopRecords(d *osmData) ([]facRecord, error) {
	var recs []facRecord
	for _, id := range d.nodeOrder {
		n := d.nodes[id]
		if !tagged(n.Tags, "highway", "bus_stop") {
			continue
		}
		p := poi{category: "highway=bus_stop"}
		m, err := classify(p)
		if err != nil {
			return nil, err
		}
		recs = append(recs, facRecord{
			osmID: "n" + strconv.FormatInt(int64(n.ID), 10),
			tag:   p.category,
			name:  displayName(n.Tags.Find("name:zh"), n.Tags.Find("name")),
			point: orb.Point{n.Lon, n.Lat},
			m:     m,
		})
	}
	return recs, nil
}

// displayName prefers name:zh and falls back to name.
func displayName(zh, name string) string {
	if s := strings.TrimSpace(zh); s != "" {
		return s
	}
	return strings.TrimSpace(name)
}

// canonicalOSMID turns the ids written by `osmium export` into OSM ids.
// osmium names areas "a<n>": n = 2·way id for closed ways and
// 2·relation id + 1 for multipolygon relations.
func canonicalOSMID(id string) (string, error) {
	if len(id) < 2 {
		return "", fmt.Errorf("bad osm id %q", id)
	}
	n, err := strconv.ParseInt(id[1:], 10, 64)
	if err != nil {
		return "", fmt.Errorf("bad osm id %q: %w", id, err)
	}
	switch id[0] {
	case 'n', 'w', 'r':
		return id, nil
	case 'a':
		if n%2 == 0 {
			return "w" + strconv.FormatInt(n/2, 10), nil
		}
		return "r" + strconv.FormatInt((n-1)/2, 10), nil
	}
	return "", fmt.Errorf("bad osm id %q", id)
}

// checkTag verifies that the OSM object exists in the extract and carries
// the key=value the facility file gives for it.
func (d *osmData) checkTag(id, keyValue string) error {
	key, value, _ := strings.Cut(keyValue, "=")
	n, _ := strconv.ParseInt(id[1:], 10, 64)
	var tags osm.Tags
	switch id[0] {
	case 'n':
		if o := d.nodes[osm.NodeID(n)]; o != nil {
			tags = o.Tags
		}
	case 'w':
		if o := d.ways[osm.WayID(n)]; o != nil {
			tags = o.Tags
		}
	case 'r':
		if o := d.relations[osm.RelationID(n)]; o != nil {
			tags = o.Tags
		}
	}
	if !tagged(tags, key, value) {
		return fmt.Errorf("%s: not found in the OSM extract with %s", id, keyValue)
	}
	return nil
}

// areaHa is the spherical area of a closed way, in hectares.
func (d *osmData) areaHa(id string) (float64, bool) {
	if id[0] != 'w' {
		return 0, false
	}
	n, _ := strconv.ParseInt(id[1:], 10, 64)
	w := d.ways[osm.WayID(n)]
	if w == nil {
		return 0, false
	}
	ring, ok := d.closedRing(w)
	if !ok {
		return 0, false
	}
	return geo.Area(ring) / 1e4, true
}

// nodeBound is the bbox of all nodes (complete ways reach past the cut).
func (d *osmData) nodeBound() orb.Bound {
	b := orb.Bound{Min: orb.Point{180, 90}, Max: orb.Point{-180, -90}}
	for _, n := range d.nodes {
		b = b.Extend(orb.Point{n.Lon, n.Lat})
	}
	return b
}

func (f *facilities) print() {
	fmt.Printf("chengdu: facilities.geojson: %d features from %d OSM facilities + %d bus stops + %d other OSM extract objects (%d outside the cut bbox, all inside the data bbox)\n",
		len(f.features), f.poiCount, f.busStops, len(f.extra), f.outsideCut)
	for _, t := range sortedKeys(f.typeCounts) {
		fmt.Printf("  %-28s %4d\n", t, f.typeCounts[t])
	}
}
