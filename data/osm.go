package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"lifecircle/spatial"
	"lifecircle/spatial/network"
)

// OSMStats reports what a walking-network read found.
type OSMStats struct {
	Format         string        `json:"format"`
	NodesRead      int           `json:"nodes_read"`
	WaysRead       int           `json:"ways_read"`
	WaysKept       int           `json:"ways_kept"`
	Dropped        []string      `json:"dropped"` // reason: count, highways only
	MissingRefs    int           `json:"missing_node_refs"`
	Graph          network.Stats `json:"graph"`
	Bound          orb.Bound     `json:"-"`
	Elapsed        time.Duration `json:"-"`
	NodesPerSec    float64       `json:"nodes_per_s"`
	WarningIslands string        `json:"warning,omitempty"`
}

// ReadOSM builds the walking network from an OSM extract in PBF or XML
// (detected from the content; files without metadata such as timestamps are
// fine). Ways that reference nodes missing from the extract (clipped
// extracts) are cut at those nodes rather than joined across the gap.
func ReadOSM(name string, r io.Reader, rule WalkRule) (*network.Graph, OSMStats, error) {
	start := time.Now()
	rd := &osmReader{name: name, rule: rule.compile()}
	var err error
	if rd.src, rd.st.Format, err = readOSMFile(name, r); err != nil {
		return nil, rd.st, err
	}
	if err := rd.readWays(); err != nil {
		return nil, rd.st, err
	}
	if err := rd.readNodes(); err != nil {
		return nil, rd.st, err
	}
	nw := rd.cutWays()
	if len(nw) == 0 {
		return nil, rd.st, invalid("%s: no walkable way has two nodes present in the extract", name)
	}
	g, err := network.Build(nw)
	if err != nil {
		return nil, rd.st, fmt.Errorf("%s: %w", name, err)
	}
	rd.graphStats(g, start)
	return g, rd.st, nil
}

// osmReader reads one extract into walkable ways in two passes: the ways
// (readWays), then the coordinates of their nodes (readNodes).
type osmReader struct {
	name    string
	src     []byte
	rule    compiledRule
	st      OSMStats
	ways    [][]int64         // node ids of each walkable way
	need    map[int64]int32   // node id → index in pts; -1 until read
	pts     []orb.Point       // the coordinates of the nodes read
	dropped map[string]int    // highways dropped, by reason
	spare   map[int64][]int64 // untagged ways: possible multipolygon members
	members []int64           // member ways of walkable multipolygons
}

func (rd *osmReader) scan(skipNodes, skipWays, skipRelations bool, fn func(osm.Object)) error {
	return scanOSM(rd.name, rd.st.Format, rd.src, skipNodes, skipWays, skipRelations, fn)
}

// readWays is pass 1: the walkable ways, and walkable multipolygon
// relations (pedestrian squares) whose member ways — usually untagged, and
// read before the relation — join them; then the nodes they need.
func (rd *osmReader) readWays() error {
	rd.dropped, rd.spare = map[string]int{}, map[int64][]int64{}
	if err := rd.scan(true, false, false, func(o osm.Object) {
		switch o := o.(type) {
		case *osm.Way:
			rd.addWay(o)
		case *osm.Relation:
			rd.addRelation(o)
		}
	}); err != nil {
		return err
	}
	for _, id := range rd.members {
		if ids, ok := rd.spare[id]; ok {
			rd.ways = append(rd.ways, ids)
			delete(rd.spare, id)
		}
	}
	rd.spare = nil
	rd.need = map[int64]int32{}
	for _, w := range rd.ways {
		for _, id := range w {
			rd.need[id] = -1
		}
	}
	rd.st.WaysKept = len(rd.ways)
	rd.st.Dropped = sortedCounts(rd.dropped)
	if rd.st.WaysRead == 0 {
		return invalid("%s: the extract holds no ways", rd.name)
	}
	if len(rd.ways) == 0 {
		return invalid("%s: none of its %d ways is walkable under the walk rule (dropped: %v)", rd.name, rd.st.WaysRead, rd.st.Dropped)
	}
	return nil
}

func (rd *osmReader) addWay(o *osm.Way) {
	rd.st.WaysRead++
	ids := make([]int64, len(o.Nodes))
	for i, n := range o.Nodes {
		ids[i] = int64(n.ID)
	}
	if len(o.Tags) == 0 {
		rd.spare[int64(o.ID)] = ids
		return
	}
	keep, why := rd.rule.walkable(o.Tags)
	if !keep {
		if o.Tags.Find("highway") != "" {
			rd.dropped[why]++
		}
		return
	}
	rd.ways = append(rd.ways, ids)
}

func (rd *osmReader) addRelation(o *osm.Relation) {
	if o.Tags.Find("type") != "multipolygon" {
		return
	}
	if keep, _ := rd.rule.walkable(o.Tags); !keep {
		return
	}
	for _, m := range o.Members {
		if m.Type == osm.TypeWay {
			rd.members = append(rd.members, m.Ref)
		}
	}
}

// readNodes is pass 2: the coordinates of the nodes the ways need.
func (rd *osmReader) readNodes() error {
	rd.pts = make([]orb.Point, 0, len(rd.need))
	var bad error
	if err := rd.scan(false, true, true, func(o osm.Object) {
		n, ok := o.(*osm.Node)
		if !ok {
			return
		}
		rd.st.NodesRead++
		if i, ok := rd.need[int64(n.ID)]; ok && i < 0 {
			p := orb.Point{n.Lon, n.Lat}
			if err := spatial.CheckLonLat(p); err != nil && bad == nil {
				bad = invalid("%s: node %d: %v", rd.name, n.ID, err)
			}
			rd.need[int64(n.ID)] = int32(len(rd.pts))
			rd.pts = append(rd.pts, p)
		}
	}); err != nil {
		return err
	}
	return bad
}

// cutWays cuts each way at missing nodes and keeps the runs of ≥ 2
// present nodes.
func (rd *osmReader) cutWays() []network.Way {
	nw := make([]network.Way, 0, len(rd.ways))
	for _, w := range rd.ways {
		var cur network.Way
		for _, id := range w {
			i := rd.need[id]
			if i < 0 {
				rd.st.MissingRefs++
				if len(cur.IDs) >= 2 {
					nw = append(nw, cur)
				}
				cur = network.Way{}
				continue
			}
			cur.IDs = append(cur.IDs, id)
			cur.Points = append(cur.Points, rd.pts[i])
		}
		if len(cur.IDs) >= 2 {
			nw = append(nw, cur)
		}
	}
	return nw
}

// graphStats fills in the graph's extent and statistics, the time taken
// and the warning about tiny islands.
func (rd *osmReader) graphStats(g *network.Graph, start time.Time) {
	st := &rd.st
	for i, p := range g.Nodes {
		if i == 0 {
			st.Bound = orb.Bound{Min: p, Max: p}
		} else {
			st.Bound = st.Bound.Extend(p)
		}
	}
	st.Graph = g.Stats(TinyIsland)
	st.Elapsed = time.Since(start)
	st.NodesPerSec = float64(st.NodesRead) / st.Elapsed.Seconds()
	if st.Graph.TinyIslands > 0 {
		st.WarningIslands = fmt.Sprintf("%d tiny islands (< %d nodes, %d nodes in all) are not connected to the main network; points join only the largest component unless --min-component admits others",
			st.Graph.TinyIslands, TinyIsland, st.Graph.IslandNodes)
	}
}

// readOSMFile reads a whole OSM file and says its format ("pbf" or
// "xml", from sniffOSM).
func readOSMFile(name string, r io.Reader) ([]byte, string, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	format := sniffOSM(src)
	if format == "" {
		return nil, "", invalid("%s: not an OSM file (neither PBF nor OSM XML)", name)
	}
	return src, format, nil
}

// scanOSM calls fn for every object of an OSM file held in src (format
// "pbf" or "xml", from sniffOSM); the skip flags leave out whole object
// kinds (cheaply in PBF).
func scanOSM(name, format string, src []byte, skipNodes, skipWays, skipRelations bool, fn func(osm.Object)) error {
	var s interface {
		Scan() bool
		Object() osm.Object
		Err() error
		Close() error
	}
	ctx := context.Background()
	if format == "pbf" {
		ps := osmpbf.New(ctx, bytes.NewReader(src), runtime.GOMAXPROCS(0))
		ps.SkipNodes, ps.SkipWays, ps.SkipRelations = skipNodes, skipWays, skipRelations
		s = ps
	} else {
		s = osmxml.New(ctx, bytes.NewReader(src))
	}
	defer s.Close()
	for s.Scan() {
		fn(s.Object())
	}
	if err := s.Err(); err != nil && !errors.Is(err, io.EOF) {
		return invalid("%s: the %s data is damaged or truncated: %v", name, format, err)
	}
	return nil
}

// TinyIsland is the size (nodes) below which a disconnected component is
// flagged as a tiny island.
const TinyIsland = 20

func sniffOSM(b []byte) string {
	head := b[:min(len(b), 512)]
	if bytes.Contains(head, []byte("OSMHeader")) {
		return "pbf"
	}
	t := bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if bytes.HasPrefix(t, []byte("<?xml")) || bytes.HasPrefix(t, []byte("<osm")) {
		if bytes.Contains(head, []byte("<osm")) {
			return "xml"
		}
	}
	return ""
}
