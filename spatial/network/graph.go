// Package network is a walking network: an undirected graph in compressed
// sparse row (CSR) form with int32 indices and float32 metres, the snapping
// of points onto its edges, and bounded multi-source shortest-path search.
// It knows nothing of OSM or files: data builds graphs from OSM ways, and
// coverage uses them as a distance source.
package network

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Graph is an undirected network. Nodes are the points where ways meet or
// end; an edge is the stretch of a way between two nodes, with its shape.
// Build it with Build; it is read-only afterwards and safe to share.
type Graph struct {
	Nodes []orb.Point // node positions, WGS84

	// CSR adjacency: the neighbours of node n are Targets[Offsets[n]:Offsets[n+1]],
	// reached along edge EdgeIDs[k] of length Lengths[k] metres.
	Offsets []int32
	Targets []int32
	Lengths []float32
	EdgeIDs []int32

	// Edges, each from EdgeFrom to EdgeTo, EdgeLen metres long, with its
	// shape Shape[ShapeOffsets[e]:ShapeOffsets[e+1]] (first point = from node,
	// last = to node).
	EdgeFrom, EdgeTo []int32
	EdgeLen          []float32
	ShapeOffsets     []int32
	Shape            []orb.Point

	// Component numbers each node's connected component; components are
	// numbered by size, 0 the largest. ComponentSizes counts nodes.
	Component      []int32
	ComponentSizes []int32
}

// Way is one input polyline: the ids of its points (so that ways sharing a
// point id are joined there) and their positions.
type Way struct {
	IDs    []int64
	Points []orb.Point
}

// NumNodes is the number of nodes.
func (g *Graph) NumNodes() int { return len(g.Nodes) }

// NumEdges is the number of (undirected) edges.
func (g *Graph) NumEdges() int { return len(g.EdgeFrom) }

// EdgeShape returns the shape of edge e (shared; do not modify).
func (g *Graph) EdgeShape(e int32) []orb.Point { return g.Shape[g.ShapeOffsets[e]:g.ShapeOffsets[e+1]] }

// Build makes a graph from ways, splitting them only at points shared with
// another way (or repeated in the same way) and at their ends. Degenerate
// ways (fewer than two points) are skipped.
func Build(ways []Way) (*Graph, error) {
	// Count how many times each point id is used; ends count twice so they
	// always become nodes.
	uses := make(map[int64]int32, 1024)
	for wi, w := range ways {
		if len(w.IDs) != len(w.Points) {
			return nil, fmt.Errorf("way %d: %d ids but %d points", wi, len(w.IDs), len(w.Points))
		}
		if len(w.IDs) < 2 {
			continue
		}
		for i, id := range w.IDs {
			uses[id]++
			if i == 0 || i == len(w.IDs)-1 {
				uses[id]++
			}
		}
	}
	g := &Graph{}
	node := make(map[int64]int32, len(uses)/4)
	nodeOf := func(id int64, p orb.Point) int32 {
		if n, ok := node[id]; ok {
			return n
		}
		n := int32(len(g.Nodes))
		node[id] = n
		g.Nodes = append(g.Nodes, p)
		return n
	}
	g.ShapeOffsets = append(g.ShapeOffsets, 0)
	for _, w := range ways {
		if len(w.IDs) < 2 {
			continue
		}
		start := 0
		for i := 1; i < len(w.IDs); i++ {
			if uses[w.IDs[i]] < 2 && i != len(w.IDs)-1 {
				continue
			}
			shape := w.Points[start : i+1]
			length := 0.0
			for k := 1; k < len(shape); k++ {
				length += spatial.DistanceM(shape[k-1], shape[k])
			}
			from, to := nodeOf(w.IDs[start], w.Points[start]), nodeOf(w.IDs[i], w.Points[i])
			if from != to || length > 0 {
				g.EdgeFrom = append(g.EdgeFrom, from)
				g.EdgeTo = append(g.EdgeTo, to)
				g.EdgeLen = append(g.EdgeLen, float32(length))
				g.Shape = append(g.Shape, shape...)
				g.ShapeOffsets = append(g.ShapeOffsets, int32(len(g.Shape)))
			}
			start = i
		}
	}
	if len(g.EdgeFrom) > math.MaxInt32/2 {
		return nil, fmt.Errorf("%d edges: too many for int32 indices", len(g.EdgeFrom))
	}
	g.buildCSR()
	g.labelComponents()
	return g, nil
}

func (g *Graph) buildCSR() {
	n := len(g.Nodes)
	g.Offsets = make([]int32, n+1)
	for e := range g.EdgeFrom {
		g.Offsets[g.EdgeFrom[e]+1]++
		g.Offsets[g.EdgeTo[e]+1]++
	}
	for i := 0; i < n; i++ {
		g.Offsets[i+1] += g.Offsets[i]
	}
	m := g.Offsets[n]
	g.Targets = make([]int32, m)
	g.Lengths = make([]float32, m)
	g.EdgeIDs = make([]int32, m)
	fill := make([]int32, n)
	copy(fill, g.Offsets[:n])
	add := func(a, b int32, e int) {
		k := fill[a]
		fill[a]++
		g.Targets[k], g.Lengths[k], g.EdgeIDs[k] = b, g.EdgeLen[e], int32(e)
	}
	for e := range g.EdgeFrom {
		add(g.EdgeFrom[e], g.EdgeTo[e], e)
		add(g.EdgeTo[e], g.EdgeFrom[e], e)
	}
}

func (g *Graph) labelComponents() {
	n := len(g.Nodes)
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	var sizes []int32
	stack := make([]int32, 0, 1024)
	for s := 0; s < n; s++ {
		if comp[s] >= 0 {
			continue
		}
		c := int32(len(sizes))
		sizes = append(sizes, 0)
		comp[s] = c
		stack = append(stack[:0], int32(s))
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			sizes[c]++
			for k := g.Offsets[v]; k < g.Offsets[v+1]; k++ {
				if t := g.Targets[k]; comp[t] < 0 {
					comp[t] = c
					stack = append(stack, t)
				}
			}
		}
	}
	// renumber by size, largest first
	order := make([]int32, len(sizes))
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(i, j int) bool { return sizes[order[i]] > sizes[order[j]] })
	rank := make([]int32, len(sizes))
	g.ComponentSizes = make([]int32, len(sizes))
	for r, c := range order {
		rank[c] = int32(r)
		g.ComponentSizes[r] = sizes[c]
	}
	for i := range comp {
		comp[i] = rank[comp[i]]
	}
	g.Component = comp
}

// Stats summarises a graph for logs and notes.
type Stats struct {
	Nodes, Edges   int
	LengthKm       float64
	Components     int
	LargestNodes   int
	IslandNodes    int // nodes outside the largest component
	Islands        int // components other than the largest
	TinyIslandSize int // components below this many nodes are "tiny"
	TinyIslands    int
}

// Stats counts nodes, edges, length and components; components of fewer
// than tiny nodes are counted as tiny islands (kept in the graph, flagged).
func (g *Graph) Stats(tiny int) Stats {
	s := Stats{Nodes: len(g.Nodes), Edges: len(g.EdgeFrom), Components: len(g.ComponentSizes), TinyIslandSize: tiny}
	for _, l := range g.EdgeLen {
		s.LengthKm += float64(l) / 1000
	}
	for i, sz := range g.ComponentSizes {
		if i == 0 {
			s.LargestNodes = int(sz)
			continue
		}
		s.Islands++
		s.IslandNodes += int(sz)
		if int(sz) < tiny {
			s.TinyIslands++
		}
	}
	return s
}
