package data

import (
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// BasemapStats reports what a basemap read found.
type BasemapStats struct {
	Format string         `json:"format"`
	Layers map[string]int `json:"layers"` // features per layer
	// MissingNodeRefs counts way nodes absent from the extract (clipped
	// extracts): lines are cut there, areas with one are skipped.
	MissingNodeRefs int `json:"missing_node_refs"`
	// IncompleteAreas counts closed ways and multipolygon relations not
	// drawn: a node or member way is missing or the rings do not close.
	IncompleteAreas int `json:"incomplete_areas"`
	// IncompleteRings counts the rings of drawn multipolygons left out
	// because they do not close (members outside the extract).
	IncompleteRings int           `json:"incomplete_rings"`
	UnnamedPlaces   int           `json:"unnamed_places"` // place nodes without any name: no label
	Elapsed         time.Duration `json:"-"`
}

// LoadBasemap reads the basemap of in.OSM.
func LoadBasemap(in Inputs) (*coverage.Basemap, BasemapStats, error) {
	f, err := in.open(in.OSM)
	if err != nil {
		return nil, BasemapStats{}, err
	}
	defer f.Close()
	return ReadBasemap(in.OSM, f)
}

// bmClass is what a set of OSM tags becomes on the basemap.
type bmClass struct {
	layer, class string
	minZoom      int
	area         bool // drawn as a polygon (closed ways, multipolygons)
}

// Roads by OSM highway value (links folded into their road): the zoom a
// class appears at. Other highway values (construction, proposed,
// platform, raceway, ...) are not drawn.
var roadMinZoom = map[string]int{
	"motorway": 6, "trunk": 7, "primary": 9, "secondary": 10, "tertiary": 11,
	"unclassified": 12, "residential": 12, "living_street": 13, "road": 13,
	"service": 14, "pedestrian": 14, "track": 14,
	"footway": 15, "path": 15, "cycleway": 15, "steps": 15, "bridleway": 15, "corridor": 16,
}

var waterwayMinZoom = map[string]int{"river": 8, "canal": 10, "stream": 13, "drain": 14, "ditch": 14}

var placeMinZoom = map[string]int{
	"city": 4, "town": 7, "suburb": 10, "village": 11, "quarter": 12, "neighbourhood": 13, "hamlet": 14,
}

// Area classes appear at their minimum zoom or, when small, once they are
// a few pixels wide (areaMinZoom); never later than maxAreaZoom.
const (
	waterMinZoom     = 6
	greenMinZoom     = 8
	buildingsMinZoom = 14
	maxAreaZoom      = 14
)

// classifyBasemap decides the layer of an OSM object from its tags; water
// before green before buildings before roads.
func classifyBasemap(t osm.Tags) (bmClass, bool) {
	switch v := t.Find("natural"); v {
	case "water":
		return bmClass{coverage.BasemapWater, "water", waterMinZoom, true}, true
	case "wood", "scrub", "grassland":
		return bmClass{coverage.BasemapGreen, v, greenMinZoom, true}, true
	}
	switch v := t.Find("waterway"); v {
	case "riverbank", "dock":
		return bmClass{coverage.BasemapWater, v, waterMinZoom, true}, true
	case "river", "canal", "stream", "drain", "ditch":
		return bmClass{coverage.BasemapWater, v, waterwayMinZoom[v], false}, true
	}
	switch v := t.Find("landuse"); v {
	case "reservoir", "basin":
		return bmClass{coverage.BasemapWater, v, waterMinZoom, true}, true
	case "grass", "forest", "meadow", "recreation_ground", "village_green":
		return bmClass{coverage.BasemapGreen, v, greenMinZoom, true}, true
	}
	switch v := t.Find("leisure"); v {
	case "park", "garden":
		return bmClass{coverage.BasemapGreen, v, greenMinZoom, true}, true
	}
	if v := t.Find("building"); v != "" && v != "no" {
		return bmClass{coverage.BasemapBuildings, "building", buildingsMinZoom, true}, true
	}
	if v := strings.TrimSuffix(t.Find("highway"), "_link"); v != "" {
		if z, ok := roadMinZoom[v]; ok {
			if v != t.Find("highway") {
				z += 2 // links after their road
			}
			return bmClass{coverage.BasemapRoads, v, z, false}, true
		}
	}
	return bmClass{}, false
}

// names returns name, the Chinese name and the English name.
func names(t osm.Tags) (name, zh, en string) {
	name = t.Find("name")
	zh = t.Find("name:zh")
	if zh == "" {
		zh = t.Find("name:zh-Hans")
	}
	if zh == "" && hasHan(name) {
		zh = name
	}
	return name, zh, t.Find("name:en")
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// ReadBasemap reads the map context of an OSM extract in PBF or XML: roads
// by class, water (areas and waterways), green areas, buildings and place
// labels. Closed ways of area classes become polygons, multipolygon
// relations of them are assembled from their member ways where those are
// in the extract (rings that do not close are left out and counted).
func ReadBasemap(name string, r io.Reader) (*coverage.Basemap, BasemapStats, error) {
	start := time.Now()
	br := &basemapReader{name: name, st: BasemapStats{Layers: map[string]int{}}}
	var err error
	if br.src, br.st.Format, err = readOSMFile(name, r); err != nil {
		return nil, br.st, err
	}
	if err := br.readWays(); err != nil {
		return nil, br.st, err
	}
	br.findMembers()
	br.needNodes()
	if err := br.readNodes(); err != nil {
		return nil, br.st, err
	}
	br.feats = make([]coverage.BasemapFeature, 0, len(br.ways)+len(br.rels)+len(br.places))
	for _, w := range br.ways {
		if !w.drop {
			br.drawWay(w)
		}
	}
	for _, rl := range br.rels {
		br.drawRelation(rl)
	}
	feats := append(br.feats, br.places...)
	for _, f := range feats {
		br.st.Layers[f.Layer]++
	}
	if len(feats) == 0 {
		return nil, br.st, invalid("%s: the extract holds nothing to draw on a basemap (no roads, water, green, buildings or named places)", name)
	}
	b := coverage.NewBasemap(feats)
	br.st.Elapsed = time.Since(start)
	return b, br.st, nil
}

// basemapReader reads one extract into basemap features in two passes:
// ways and relations (readWays), then the coordinates of the nodes they
// need and the place labels (readNodes); then draws them.
type basemapReader struct {
	name       string
	src        []byte
	st         BasemapStats
	ways       []bmWay
	rels       []bmRelation
	drawn      map[int64]int             // way id → index in ways (pass 1)
	spare      map[int64][]int64         // way id → node ids of possible members not drawn on their own (pass 1)
	memberWays map[int64][]int64         // way id → its node ids, for the relations' members present
	need       map[int64]orb.Point       // node id → its point; NaN until read
	places     []coverage.BasemapFeature // the place labels
	feats      []coverage.BasemapFeature // what is drawn of ways and relations
	bad        error                     // the first node out of range
}

// bmWay is a way drawn on its own.
type bmWay struct {
	id    int64
	cls   bmClass
	tags  osm.Tags
	nodes []int64
	drop  bool // drawn by its multipolygon instead (old-style tagging)
}

// bmMember is a member way of a multipolygon relation.
type bmMember struct {
	way   int64
	inner bool
}

// bmRelation is a multipolygon relation of an area class.
type bmRelation struct {
	id      int64
	cls     bmClass
	tags    osm.Tags
	members []bmMember
}

// readWays is pass 1 (ways and relations): the ways drawn on their own,
// the multipolygon relations of area classes, and the node lists of the
// ways that may be their members (untagged ways and ways that are not
// roads or buildings: member ways are read before their relation).
func (br *basemapReader) readWays() error {
	br.drawn, br.spare = map[int64]int{}, map[int64][]int64{}
	return scanOSM(br.name, br.st.Format, br.src, true, false, false, func(o osm.Object) {
		switch o := o.(type) {
		case *osm.Way:
			br.addWay(o)
		case *osm.Relation:
			br.addRelation(o)
		}
	})
}

func (br *basemapReader) addWay(o *osm.Way) {
	cls, ok := classifyBasemap(o.Tags)
	if !ok && (o.Tags.Find("highway") != "" || o.Tags.Find("building") != "") {
		return
	}
	ids := make([]int64, len(o.Nodes))
	for i, n := range o.Nodes {
		ids[i] = int64(n.ID)
	}
	if !ok {
		br.spare[int64(o.ID)] = ids
		return
	}
	br.drawn[int64(o.ID)] = len(br.ways)
	br.ways = append(br.ways, bmWay{id: int64(o.ID), cls: cls, tags: o.Tags, nodes: ids})
}

func (br *basemapReader) addRelation(o *osm.Relation) {
	if o.Tags.Find("type") != "multipolygon" {
		return
	}
	cls, ok := classifyBasemap(o.Tags)
	if !ok || !cls.area {
		return
	}
	rl := bmRelation{id: int64(o.ID), cls: cls, tags: o.Tags}
	for _, m := range o.Members {
		if m.Type == osm.TypeWay {
			rl.members = append(rl.members, bmMember{m.Ref, m.Role == "inner"})
		}
	}
	br.rels = append(br.rels, rl)
}

// findMembers keeps the node lists of the relations' member ways present
// in the extract, and marks the outer ways of the relation's own layer
// drawn by the relation instead.
func (br *basemapReader) findMembers() {
	br.memberWays = map[int64][]int64{}
	for _, rl := range br.rels {
		for _, m := range rl.members {
			if i, ok := br.drawn[m.way]; ok {
				br.memberWays[m.way] = br.ways[i].nodes
				if !m.inner && br.ways[i].cls.area && br.ways[i].cls.layer == rl.cls.layer {
					br.ways[i].drop = true
				}
			} else if ids, ok := br.spare[m.way]; ok {
				br.memberWays[m.way] = ids
			}
		}
	}
	br.spare, br.drawn = nil, nil
}

// needNodes lists the nodes whose coordinates pass 2 keeps.
func (br *basemapReader) needNodes() {
	br.need = map[int64]orb.Point{}
	nanPt := orb.Point{math.NaN(), math.NaN()}
	for _, w := range br.ways {
		if !w.drop {
			for _, id := range w.nodes {
				br.need[id] = nanPt
			}
		}
	}
	for _, ids := range br.memberWays {
		for _, id := range ids {
			br.need[id] = nanPt
		}
	}
}

// readNodes is pass 2: node coordinates, and place labels.
func (br *basemapReader) readNodes() error {
	if err := scanOSM(br.name, br.st.Format, br.src, false, true, true, func(o osm.Object) {
		if n, ok := o.(*osm.Node); ok {
			br.addNode(n)
		}
	}); err != nil {
		return err
	}
	return br.bad
}

func (br *basemapReader) addNode(n *osm.Node) {
	id := int64(n.ID)
	_, needed := br.need[id]
	place := placeMinZoom[n.Tags.Find("place")]
	if !needed && place == 0 {
		return
	}
	p := orb.Point{n.Lon, n.Lat}
	if err := spatial.CheckLonLat(p); err != nil {
		if br.bad == nil {
			br.bad = invalid("%s: node %d: %v", br.name, n.ID, err)
		}
		return
	}
	if needed {
		br.need[id] = p
	}
	if place > 0 {
		nm, zh, en := names(n.Tags)
		if nm == "" && zh == "" && en == "" {
			br.st.UnnamedPlaces++
			return
		}
		br.places = append(br.places, coverage.BasemapFeature{
			ID: uint64(id)*10 + 1, Layer: coverage.BasemapPlaces, Class: n.Tags.Find("place"),
			Name: nm, NameZH: zh, NameEN: en, MinZoom: place, Geometry: p,
		})
	}
}

// feature adds a drawn feature, named from its tags.
func (br *basemapReader) feature(id uint64, cls bmClass, t osm.Tags, g orb.Geometry) {
	nm, zh, en := names(t)
	z := cls.minZoom
	if cls.area {
		z = max(z, areaMinZoom(g))
	}
	br.feats = append(br.feats, coverage.BasemapFeature{ID: id, Layer: cls.layer, Class: cls.class,
		Name: nm, NameZH: zh, NameEN: en, MinZoom: z, Geometry: g})
}

// ring is the points of node ids; false when one is not in the extract.
func (br *basemapReader) ring(ids []int64) (orb.Ring, bool) {
	rg := make(orb.Ring, len(ids))
	for i, id := range ids {
		p := br.need[id]
		if math.IsNaN(p[0]) {
			return nil, false
		}
		rg[i] = p
	}
	return rg, true
}

// drawWay draws a way: a polygon for an area class (when closed and
// whole), else its lines.
func (br *basemapReader) drawWay(w bmWay) {
	id := uint64(w.id)*10 + 2
	if w.cls.area {
		closed := len(w.nodes) >= 4 && w.nodes[0] == w.nodes[len(w.nodes)-1]
		rg, ok := br.ring(w.nodes)
		if !closed || !ok {
			br.st.IncompleteAreas++
			return
		}
		br.feature(id, w.cls, w.tags, orb.Polygon{orient(rg, orb.CCW)})
		return
	}
	switch mls := br.lines(w.nodes); len(mls) {
	case 0:
	case 1:
		br.feature(id, w.cls, w.tags, mls[0])
	default:
		br.feature(id, w.cls, w.tags, mls)
	}
}

// lines is a way's line cut at nodes missing from the extract.
func (br *basemapReader) lines(nodes []int64) orb.MultiLineString {
	var mls orb.MultiLineString
	var cur orb.LineString
	for _, nid := range nodes {
		p := br.need[nid]
		if math.IsNaN(p[0]) {
			br.st.MissingNodeRefs++
			if len(cur) >= 2 {
				mls = append(mls, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) >= 2 {
		mls = append(mls, cur)
	}
	return mls
}

// drawRelation draws a multipolygon from the rings its member ways close.
func (br *basemapReader) drawRelation(rl bmRelation) {
	var outer, inner [][]int64
	for _, m := range rl.members {
		ids := br.memberWays[m.way]
		if len(ids) < 2 {
			continue // not in the extract: its ring will not close
		}
		if m.inner {
			inner = append(inner, ids)
		} else {
			outer = append(outer, ids)
		}
	}
	mp, lostO := br.outerPolygons(outer)
	lostI := br.placeHoles(mp, inner)
	if len(mp) == 0 {
		br.st.IncompleteAreas++
		return
	}
	br.st.IncompleteRings += lostO + lostI
	var g orb.Geometry = mp
	if len(mp) == 1 {
		g = mp[0]
	}
	br.feature(uint64(rl.id)*10+3, rl.cls, rl.tags, g)
}

// outerPolygons joins the outer member ways into polygons; lost counts
// the chains that do not close or lack a node.
func (br *basemapReader) outerPolygons(outer [][]int64) (orb.MultiPolygon, int) {
	rings, lost := joinRings(outer)
	mp := orb.MultiPolygon{}
	for _, ids := range rings {
		if rg, ok := br.ring(ids); ok {
			mp = append(mp, orb.Polygon{orient(rg, orb.CCW)})
		} else {
			lost++
		}
	}
	return mp, lost
}

// placeHoles joins the inner member ways into rings and adds each to the
// polygon of mp that holds it; it returns how many were lost.
func (br *basemapReader) placeHoles(mp orb.MultiPolygon, inner [][]int64) int {
	rings, lost := joinRings(inner)
	for _, ids := range rings {
		rg, ok := br.ring(ids)
		if !ok {
			lost++
			continue
		}
		placed := false
		for k := range mp {
			if planar.RingContains(mp[k][0], rg[0]) {
				mp[k] = append(mp[k], orient(rg, orb.CW))
				placed = true
				break
			}
		}
		if !placed {
			lost++
		}
	}
	return lost
}

// joinRings joins way node lists into closed rings by their shared end
// nodes; it returns the rings and how many chains did not close.
func joinRings(ways [][]int64) (rings [][]int64, open int) {
	used := make([]bool, len(ways))
	byEnd := map[int64][]int{}
	for i, w := range ways {
		byEnd[w[0]] = append(byEnd[w[0]], i)
		byEnd[w[len(w)-1]] = append(byEnd[w[len(w)-1]], i)
	}
	for i, w := range ways {
		if used[i] {
			continue
		}
		used[i] = true
		cur := append([]int64(nil), w...)
		for cur[0] != cur[len(cur)-1] {
			last := cur[len(cur)-1]
			next := -1
			for _, j := range byEnd[last] {
				if !used[j] {
					next = j
					break
				}
			}
			if next < 0 {
				break
			}
			used[next] = true
			nw := ways[next]
			if nw[0] == last {
				cur = append(cur, nw[1:]...)
			} else {
				for k := len(nw) - 2; k >= 0; k-- {
					cur = append(cur, nw[k])
				}
			}
		}
		if len(cur) >= 4 && cur[0] == cur[len(cur)-1] {
			rings = append(rings, cur)
		} else {
			open++
		}
	}
	return rings, open
}

// orient returns r wound in direction o (counter-clockwise for outer
// rings, clockwise for holes, as RFC 7946).
func orient(r orb.Ring, o orb.Orientation) orb.Ring {
	if r.Orientation() != o {
		r.Reverse()
	}
	return r
}

// areaMinZoom is the zoom at which an area is about four pixels across
// (of a 256-pixel tile), capped at maxAreaZoom.
func areaMinZoom(g orb.Geometry) int {
	a := planar.Area(g) // square degrees
	if a <= 0 {
		return maxAreaZoom
	}
	lat := g.Bound().Center()[1]
	side := math.Sqrt(a*math.Cos(lat*math.Pi/180)) * 111_320 // metres
	px := 40_075_016.686 * math.Cos(lat*math.Pi/180) / 256   // metres per pixel at zoom 0
	z := int(math.Ceil(math.Log2(px * 4 / side)))
	return min(max(z, 0), maxAreaZoom)
}
