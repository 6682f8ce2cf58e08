package network

import (
	"container/heap"
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// grid makes an n×n street grid with spacing ~100 m near Chengdu: ways
// along every row and column, sharing ids at the crossings.
func grid(n int) []Way {
	const d = 0.001 // ≈ 96 m of longitude, 111 m of latitude at 30.66°
	id := func(i, j int) int64 { return int64(i*n + j) }
	pt := func(i, j int) orb.Point { return orb.Point{104 + float64(j)*d, 30.66 + float64(i)*d} }
	var ways []Way
	for i := 0; i < n; i++ {
		var row, col Way
		for j := 0; j < n; j++ {
			row.IDs, row.Points = append(row.IDs, id(i, j)), append(row.Points, pt(i, j))
			col.IDs, col.Points = append(col.IDs, id(j, i)), append(col.Points, pt(j, i))
		}
		ways = append(ways, row, col)
	}
	return ways
}

func TestBuildSplitsAtSharedNodesOnly(t *testing.T) {
	// Way A: 1-2-3-4-5, way B: 3-6; plus an isolated way C: 7-8-9.
	p := func(x, y float64) orb.Point { return orb.Point{104 + x*0.001, 30.66 + y*0.001} }
	g, err := Build([]Way{
		{IDs: []int64{1, 2, 3, 4, 5}, Points: []orb.Point{p(0, 0), p(1, 0), p(2, 0), p(3, 0), p(4, 0)}},
		{IDs: []int64{3, 6}, Points: []orb.Point{p(2, 0), p(2, 1)}},
		{IDs: []int64{7, 8, 9}, Points: []orb.Point{p(10, 10), p(11, 10), p(12, 10)}},
		{IDs: []int64{10}, Points: []orb.Point{p(0, 5)}}, // degenerate: skipped
	})
	if err != nil {
		t.Fatal(err)
	}
	// nodes: 1, 3, 5, 6, 7, 9 (2, 4 and 8 are shape points)
	if g.NumNodes() != 6 || g.NumEdges() != 4 {
		t.Fatalf("%d nodes, %d edges; want 6 and 4", g.NumNodes(), g.NumEdges())
	}
	if len(g.EdgeShape(0)) != 3 {
		t.Errorf("edge 1→3 should keep point 2 as shape: %v", g.EdgeShape(0))
	}
	if len(g.ComponentSizes) != 2 || g.ComponentSizes[0] != 4 || g.ComponentSizes[1] != 2 {
		t.Errorf("components %v, want [4 2]", g.ComponentSizes)
	}
	st := g.Stats(5)
	if st.Islands != 1 || st.TinyIslands != 1 || st.IslandNodes != 2 {
		t.Errorf("stats %+v", st)
	}
}

// reference Dijkstra with container/heap over the CSR arrays.
type refItem struct {
	d float64
	n int32
}
type pq []refItem

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].d < q[j].d }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(refItem)) }
func (q *pq) Pop() any          { o := *q; it := o[len(o)-1]; *q = o[:len(o)-1]; return it }
func refDijkstra(g *Graph, src []Source) []float64 {
	d := make([]float64, g.NumNodes())
	for i := range d {
		d[i] = math.Inf(1)
	}
	q := &pq{}
	for _, s := range src {
		if float64(s.Dist) < d[s.Node] {
			d[s.Node] = float64(s.Dist)
			heap.Push(q, refItem{float64(s.Dist), s.Node})
		}
	}
	for q.Len() > 0 {
		it := heap.Pop(q).(refItem)
		if it.d > d[it.n] {
			continue
		}
		for k := g.Offsets[it.n]; k < g.Offsets[it.n+1]; k++ {
			nd := d[it.n] + float64(g.Lengths[k])
			if t := g.Targets[k]; nd < d[t] {
				d[t] = nd
				heap.Push(q, refItem{nd, t})
			}
		}
	}
	return d
}

func TestSearchMatchesReference(t *testing.T) {
	ways := grid(30)
	// knock out random crossings' segments to make it irregular
	rng := rand.New(rand.NewSource(3))
	var kept []Way
	for _, w := range ways {
		start := 0
		for i := 1; i < len(w.IDs); i++ {
			if rng.Float64() < 0.15 {
				if i-start >= 2 {
					kept = append(kept, Way{IDs: w.IDs[start:i], Points: w.Points[start:i]})
				}
				start = i
			}
		}
		if len(w.IDs)-start >= 2 {
			kept = append(kept, Way{IDs: w.IDs[start:], Points: w.Points[start:]})
		}
	}
	g, err := Build(kept)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSearch(g)
	for run := 0; run < 20; run++ {
		var src []Source
		for k := 0; k < 1+run%4; k++ {
			src = append(src, Source{Node: int32(rng.Intn(g.NumNodes())), Dist: float32(rng.Float64() * 50), Site: int32(k)})
		}
		limit := float32(300 + rng.Float64()*1500)
		s.Run(src, limit)
		ref := refDijkstra(g, src)
		for n := int32(0); n < int32(g.NumNodes()); n++ {
			d, _, ok := s.Dist(n)
			want := ref[n]
			switch {
			case want <= float64(limit)-0.01 && (!ok || math.Abs(float64(d)-want) > 0.01):
				t.Fatalf("run %d node %d: got %v %v, reference %v", run, n, d, ok, want)
			case want > float64(limit)+0.01 && ok:
				t.Fatalf("run %d node %d: reached at %v beyond limit %v", run, n, d, limit)
			}
		}
	}
}

func TestSnap(t *testing.T) {
	g, err := Build(grid(5))
	if err != nil {
		t.Fatal(err)
	}
	sn := NewSnapper(g, 1)
	// 30 m north of the midpoint of the bottom row's first segment
	mid := orb.Point{104.0005, 30.66}
	r := spatial.NewRuler(30.66)
	_, dLat := r.Degrees(30)
	s := sn.Snap(orb.Point{mid[0], mid[1] + dLat}, 250)
	if !s.OK() || math.Abs(float64(s.SnapM)-30) > 0.01 || spatial.DistanceM(s.Point, mid) > 0.01 {
		t.Fatalf("snap %+v, want 30 m onto %v", s, mid)
	}
	// along is measured from the edge's from node
	e := s.Edge
	from := g.Nodes[g.EdgeFrom[e]]
	if math.Abs(float64(s.Along)-spatial.DistanceM(from, mid)) > 0.05 {
		t.Errorf("along %v, want %v", s.Along, spatial.DistanceM(from, mid))
	}
	// nothing within the limit
	if far := sn.Snap(orb.Point{104.1, 30.76}, 250); far.OK() {
		t.Errorf("snapped a point 10 km away: %+v", far)
	}
	// brute force over random points
	rng := rand.New(rand.NewSource(4))
	for q := 0; q < 300; q++ {
		p := orb.Point{103.999 + rng.Float64()*0.006, 30.659 + rng.Float64()*0.006}
		got := sn.Snap(p, 1000)
		best := math.Inf(1)
		for e := range g.EdgeFrom {
			shape := g.EdgeShape(int32(e))
			for k := 1; k < len(shape); k++ {
				best = math.Min(best, segDist(p, shape[k-1], shape[k]))
			}
		}
		if math.Abs(float64(got.SnapM)-best) > 0.01 {
			t.Fatalf("point %v: snapped at %v m, brute force %v m", p, got.SnapM, best)
		}
	}
}

func segDist(p, a, b orb.Point) float64 {
	best := math.Inf(1)
	for i := 0; i <= 2000; i++ {
		t := float64(i) / 2000
		q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		best = math.Min(best, spatial.NewRuler(p[1]).Distance(p, q))
	}
	return best
}

func TestSnapSkipsTinyIslands(t *testing.T) {
	ways := grid(5)
	// a 2-node stub 20 m from a query point, the grid 60 m away
	p := func(x, y float64) orb.Point { return orb.Point{104 + x*0.001, 30.66 + y*0.001} }
	ways = append(ways, Way{IDs: []int64{1000, 1001}, Points: []orb.Point{p(2.5, -0.8), p(2.6, -0.8)}})
	g, err := Build(ways)
	if err != nil {
		t.Fatal(err)
	}
	q := p(2.55, -0.6)
	if s := NewSnapper(g, 1).Snap(q, 250); g.ComponentSizes[g.Component[g.EdgeFrom[s.Edge]]] != 2 {
		t.Errorf("with every component allowed, the stub (nearest) should win: %+v", s)
	}
	if s := NewSnapper(g, 0).Snap(q, 250); !s.OK() || g.Component[g.EdgeFrom[s.Edge]] != 0 {
		t.Errorf("largest component only: the grid should win: %+v", s)
	}
	if s := NewSnapper(g, 20).Snap(q, 250); !s.OK() || g.Component[g.EdgeFrom[s.Edge]] != 0 {
		t.Errorf("with a minimum of 20 nodes, the grid should win: %+v", s)
	}
}
