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
	var st OSMStats
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w", name, err)
	}
	st.Format = sniffOSM(src)
	if st.Format == "" {
		return nil, st, invalid("%s: not an OSM file (neither PBF nor OSM XML)", name)
	}
	cr := rule.compile()
	scan := func(skipNodes, skipWays, skipRelations bool, fn func(osm.Object)) error {
		return scanOSM(name, st.Format, src, skipNodes, skipWays, skipRelations, fn)
	}
	// Pass 1: the walkable ways, and walkable multipolygon relations
	// (pedestrian squares) whose member ways — usually untagged, and read
	// before the relation — join them.
	type way struct{ nodes []int64 }
	var ways []way
	dropped := map[string]int{}
	untagged := map[int64][]int64{} // possible multipolygon members
	var members []int64
	if err := scan(true, false, false, func(o osm.Object) {
		switch o := o.(type) {
		case *osm.Way:
			st.WaysRead++
			ids := make([]int64, len(o.Nodes))
			for i, n := range o.Nodes {
				ids[i] = int64(n.ID)
			}
			if len(o.Tags) == 0 {
				untagged[int64(o.ID)] = ids
				return
			}
			keep, why := cr.walkable(o.Tags)
			if !keep {
				if o.Tags.Find("highway") != "" {
					dropped[why]++
				}
				return
			}
			ways = append(ways, way{ids})
		case *osm.Relation:
			if o.Tags.Find("type") != "multipolygon" {
				return
			}
			if keep, _ := cr.walkable(o.Tags); !keep {
				return
			}
			for _, m := range o.Members {
				if m.Type == osm.TypeWay {
					members = append(members, m.Ref)
				}
			}
		}
	}); err != nil {
		return nil, st, err
	}
	for _, id := range members {
		if ids, ok := untagged[id]; ok {
			ways = append(ways, way{ids})
			delete(untagged, id)
		}
	}
	untagged = nil
	need := map[int64]int32{}
	for _, w := range ways {
		for _, id := range w.nodes {
			need[id] = -1
		}
	}
	st.WaysKept = len(ways)
	st.Dropped = sortedCounts(dropped)
	if st.WaysRead == 0 {
		return nil, st, invalid("%s: the extract holds no ways", name)
	}
	if len(ways) == 0 {
		return nil, st, invalid("%s: none of its %d ways is walkable under the walk rule (dropped: %v)", name, st.WaysRead, st.Dropped)
	}
	// Pass 2: the coordinates of those nodes.
	pts := make([]orb.Point, 0, len(need))
	var bad error
	if err := scan(false, true, true, func(o osm.Object) {
		n, ok := o.(*osm.Node)
		if !ok {
			return
		}
		st.NodesRead++
		if i, ok := need[int64(n.ID)]; ok && i < 0 {
			p := orb.Point{n.Lon, n.Lat}
			if err := spatial.CheckLonLat(p); err != nil && bad == nil {
				bad = invalid("%s: node %d: %v", name, n.ID, err)
			}
			need[int64(n.ID)] = int32(len(pts))
			pts = append(pts, p)
		}
	}); err != nil {
		return nil, st, err
	}
	if bad != nil {
		return nil, st, bad
	}
	// Cut each way at missing nodes; keep runs of ≥ 2 present nodes.
	nw := make([]network.Way, 0, len(ways))
	for _, w := range ways {
		var cur network.Way
		flush := func() {
			if len(cur.IDs) >= 2 {
				nw = append(nw, cur)
			}
			cur = network.Way{}
		}
		for _, id := range w.nodes {
			i := need[id]
			if i < 0 {
				st.MissingRefs++
				flush()
				continue
			}
			cur.IDs = append(cur.IDs, id)
			cur.Points = append(cur.Points, pts[i])
		}
		flush()
	}
	if len(nw) == 0 {
		return nil, st, invalid("%s: no walkable way has two nodes present in the extract", name)
	}
	g, err := network.Build(nw)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w", name, err)
	}
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
	return g, st, nil
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
