package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmxml"
)

// osmData is the whole OSM XML extract held in memory (it is small:
// about 25k nodes and 4k ways).
type osmData struct {
	nodes     map[osm.NodeID]*osm.Node
	ways      map[osm.WayID]*osm.Way
	relations map[osm.RelationID]*osm.Relation
	// wayOrder and nodeOrder list ids in file order, for deterministic loops.
	wayOrder  []osm.WayID
	nodeOrder []osm.NodeID
}

func loadOSM(path string) (*osmData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	d := &osmData{
		nodes:     map[osm.NodeID]*osm.Node{},
		ways:      map[osm.WayID]*osm.Way{},
		relations: map[osm.RelationID]*osm.Relation{},
	}
	sc := osmxml.New(context.Background(), f)
	defer sc.Close()
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			d.nodes[o.ID] = o
			d.nodeOrder = append(d.nodeOrder, o.ID)
		case *osm.Way:
			d.ways[o.ID] = o
			d.wayOrder = append(d.wayOrder, o.ID)
		case *osm.Relation:
			d.relations[o.ID] = o
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// line returns the way's geometry. ok is false when a node is missing.
func (d *osmData) line(w *osm.Way) (ls orb.LineString, ok bool) {
	ls = make(orb.LineString, 0, len(w.Nodes))
	for _, wn := range w.Nodes {
		n, found := d.nodes[wn.ID]
		if !found {
			return nil, false
		}
		ls = append(ls, orb.Point{n.Lon, n.Lat})
	}
	return ls, true
}

// closedRing returns the way as a ring when it is closed and complete.
func (d *osmData) closedRing(w *osm.Way) (orb.Ring, bool) {
	if len(w.Nodes) < 4 || w.Nodes[0].ID != w.Nodes[len(w.Nodes)-1].ID {
		return nil, false
	}
	ls, ok := d.line(w)
	if !ok {
		return nil, false
	}
	return orb.Ring(ls), true
}

// tagged reports whether the object's tags contain key=value.
func tagged(tags osm.Tags, key, value string) bool {
	return tags.Find(key) == value
}
