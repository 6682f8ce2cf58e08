package main

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
)

// extraMarginM is how far outside the sample bbox an object read from the
// OSM extract may lie and still be taken: the largest catalogue walking
// distance (1000 m). Complete ways reach far past the cut, so the extract
// holds, e.g., metro stations 20 km away; those serve no sample cell.
const extraMarginM = 1000

// metroDedupM is the distance within which two metro station objects of the
// same name, or a station and an entrance, are the same station.
const metroDedupM = 300

// extraRule names the OSM extract objects taken besides bus stops: a
// predicate on the tags and the key=value written as osm_tag.
type extraRule struct {
	tag   string
	match func(osm.Tags) bool
}

func hasTag(key, value string) func(osm.Tags) bool {
	return func(t osm.Tags) bool { return tagged(t, key, value) }
}

// extraRules lists the non-metro tags read from the OSM extract, in the
// order their records are written.
var extraRules = []extraRule{
	{"amenity=toilets", hasTag("amenity", "toilets")},
	{"amenity=police", hasTag("amenity", "police")},
	{"amenity=post_office", hasTag("amenity", "post_office")},
	{"shop=convenience", hasTag("shop", "convenience")},
	{"leisure=pitch", hasTag("leisure", "pitch")},
}

// osmObj is one tagged OSM node or closed way with a representative point.
type osmObj struct {
	id      string
	tags    osm.Tags
	point   orb.Point
	areaHa  float64
	hasArea bool
}

// taggedObjects returns the nodes (file order), then the closed ways (file
// order), whose tags match. Open ways and relations are not read (the
// extract has no relation with these tags).
func (d *osmData) taggedObjects(match func(osm.Tags) bool) []osmObj {
	var out []osmObj
	for _, id := range d.nodeOrder {
		n := d.nodes[id]
		if match(n.Tags) {
			out = append(out, osmObj{id: "n" + strconv.FormatInt(int64(n.ID), 10), tags: n.Tags, point: orb.Point{n.Lon, n.Lat}})
		}
	}
	for _, id := range d.wayOrder {
		w := d.ways[id]
		if !match(w.Tags) {
			continue
		}
		ring, ok := d.closedRing(w)
		if !ok {
			continue
		}
		out = append(out, osmObj{
			id: "w" + strconv.FormatInt(int64(w.ID), 10), tags: w.Tags, point: pointOnSurface(ring),
			areaHa: geo.Area(ring) / 1e4, hasArea: true,
		})
	}
	return out
}

func (o osmObj) name() string { return displayName(o.tags.Find("name:zh"), o.tags.Find("name")) }

func (o osmObj) poi(tag string) poi {
	names := strings.Join([]string{o.tags.Find("name"), o.tags.Find("name:zh"), o.tags.Find("name:en")}, " ")
	return poi{category: tag, name: o.name(), names: names, named: strings.TrimSpace(names) != "", areaHa: o.areaHa, hasArea: o.hasArea}
}

// tooFar is the mapping of an object beyond extraMarginM from the sample bbox.
var tooFar = mapTo("dropped: more than 1 km outside the sample bbox (serves no sample cell)")

// extraRecords reads the metro stations and the extraRules objects from the
// OSM extract.
func extraRecords(d *osmData) ([]facRecord, error) {
	recs, err := metroRecords(d)
	if err != nil {
		return nil, err
	}
	for _, r := range extraRules {
		for _, o := range d.taggedObjects(r.match) {
			rec := facRecord{osmID: o.id, tag: r.tag, name: o.name(), point: o.point}
			if o.hasArea && r.tag == "leisure=pitch" {
				rec.areaHa = o.areaHa
			}
			if distanceToBound(o.point, cutBound) > extraMarginM {
				rec.m = tooFar
			} else if rec.m, err = classify(o.poi(r.tag)); err != nil {
				return nil, err
			}
			recs = append(recs, rec)
		}
	}
	return recs, nil
}

func isSubwayStation(t osm.Tags) bool {
	return (tagged(t, "railway", "station") && tagged(t, "station", "subway")) ||
		(tagged(t, "public_transport", "station") && tagged(t, "subway", "yes"))
}

// isSubwayStop is a metro platform point that is not itself tagged as a
// station (stop positions tagged railway=station are stations).
func isSubwayStop(t osm.Tags) bool {
	return tagged(t, "public_transport", "stop_position") && tagged(t, "subway", "yes") && !isSubwayStation(t)
}

func stationTag(t osm.Tags) string {
	if tagged(t, "station", "subway") {
		return "station=subway"
	}
	return "public_transport=station"
}

// stationName is the name used to match station objects: brackets and a
// trailing 站 removed (骡马市站 = 骡马市).
func stationName(s string) string {
	return strings.TrimSuffix(stripBrackets(s), "站")
}

// metroRecords makes one metro_station per station. Station nodes come
// first (in id order), then closed station ways, then the stop positions
// (platform points) of stations with neither, then subway entrances; an
// object is dropped as a duplicate when an already kept station of the same
// name (entrances: any kept station or entrance) lies within metroDedupM.
func metroRecords(d *osmData) ([]facRecord, error) {
	var cands []osmObj
	byID := func(os []osmObj) []osmObj {
		sort.SliceStable(os, func(i, j int) bool {
			a, _ := strconv.ParseInt(os[i].id[1:], 10, 64)
			b, _ := strconv.ParseInt(os[j].id[1:], 10, 64)
			return a < b
		})
		return os
	}
	stations := d.taggedObjects(isSubwayStation)
	var nodes, ways []osmObj
	for _, o := range stations {
		if o.id[0] == 'n' {
			nodes = append(nodes, o)
		} else {
			ways = append(ways, o)
		}
	}
	cands = append(cands, byID(nodes)...)
	cands = append(cands, byID(ways)...)
	cands = append(cands, byID(d.taggedObjects(isSubwayStop))...)
	entrances := byID(d.taggedObjects(hasTag("railway", "subway_entrance")))
	cands = append(cands, entrances...)

	var recs []facRecord
	var kept []facRecord
	for _, o := range cands {
		entrance := tagged(o.tags, "railway", "subway_entrance")
		tag := "railway=subway_entrance"
		switch {
		case isSubwayStation(o.tags):
			tag = stationTag(o.tags)
		case isSubwayStop(o.tags):
			tag = "public_transport=stop_position"
		}
		rec := facRecord{osmID: o.id, tag: tag, name: o.name(), point: o.point}
		if distanceToBound(o.point, cutBound) > extraMarginM {
			rec.m = tooFar
			recs = append(recs, rec)
			continue
		}
		dup := false
		for _, k := range kept {
			if geo.Distance(k.point, o.point) <= metroDedupM && (entrance || stationName(k.name) == stationName(rec.name)) {
				dup = true
				break
			}
		}
		switch {
		case dup && entrance:
			rec.m = judged("dropped: subway entrance within 300 m of a station already taken")
		case dup:
			rec.m = judged("dropped: duplicate of a station already taken (same name, within 300 m)")
		default:
			m, err := classify(poi{category: tag, name: rec.name, hasArea: o.hasArea})
			if err != nil {
				return nil, err
			}
			rec.m = m
			kept = append(kept, rec)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// pointOnSurface returns the ring's area centroid when it lies inside the
// ring, else the middle of the widest stretch inside the ring along the
// horizontal line through the centroid (or through the bbox middle).
func pointOnSurface(r orb.Ring) orb.Point {
	c, _ := planar.CentroidArea(r)
	if planar.RingContains(r, c) {
		return c
	}
	for _, y := range []float64{c[1], r.Bound().Center()[1]} {
		var xs []float64
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] <= y) != (b[1] <= y) {
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
		sort.Float64s(xs)
		best, bestW := orb.Point{}, -1.0
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bestW {
				best, bestW = orb.Point{(xs[i] + xs[i+1]) / 2, y}, w
			}
		}
		if bestW > 0 && !math.IsNaN(best[0]) {
			return best
		}
	}
	return r[0]
}
