package coverage

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/spatial/network"
)

// DefaultSnapLimitM is how far a cell centre or facility may be from the
// nearest walkable edge and still join the network.
const DefaultSnapLimitM = 250

// Network measures walking distance along a network: a cell centre and a
// facility each join the nearest point of the nearest walkable edge (the
// snap length counts as walking), and one bounded multi-source Dijkstra
// search per facility type finds every cell's nearest facility. Cells with
// no edge within the snap limit are unreachable ("no walkable network
// nearby") rather than given a made-up distance.
type Network struct {
	g         *network.Graph
	snapper   *network.Snapper
	snapLimit float64
	cells     []network.Snap
	centres   []orb.Point
	// cellsOnEdge lists, for each edge holding snapped cells, those cells:
	// a facility on the same edge reaches them directly along it.
	cellsOnEdge map[int32][]int32
	searches    sync.Pool
	siteSnaps   sync.Map // orb.Point → network.Snap
	unsnapped   int
}

// DefaultMinComponent = 0: points join only the largest connected component
// of the network (OSMnx's and the pgRouting peer's default). A positive
// value also admits every component of at least that many nodes.
const DefaultMinComponent = 0

// NewNetwork snaps the demand points (cell centres) onto g, using every core.
// Points farther than snapLimitM from a walkable edge of the largest
// component (or of one of at least minComponent nodes, when > 0) stay off
// the network.
func NewNetwork(g *network.Graph, centres []orb.Point, snapLimitM float64, minComponent int) *Network {
	if snapLimitM <= 0 {
		snapLimitM = DefaultSnapLimitM
	}
	n := &Network{g: g, snapper: network.NewSnapper(g, minComponent), snapLimit: snapLimitM,
		cells: make([]network.Snap, len(centres)), centres: centres}
	n.searches.New = func() any { return network.NewSearch(g) }
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	chunk := (len(centres) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(centres))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				n.cells[i] = n.snapper.Snap(centres[i], snapLimitM)
			}
		}()
	}
	wg.Wait()
	n.cellsOnEdge = map[int32][]int32{}
	for i, s := range n.cells {
		if s.OK() {
			n.cellsOnEdge[s.Edge] = append(n.cellsOnEdge[s.Edge], int32(i))
		} else {
			n.unsnapped++
		}
	}
	return n
}

// Method is "network".
func (n *Network) Method() string { return "network" }

// Graph is the network distances are measured on.
func (n *Network) Graph() *network.Graph { return n.g }

// SnapLimitM is the snap limit in metres.
func (n *Network) SnapLimitM() float64 { return n.snapLimit }

// Unreachable reports whether cell i has no walkable edge within the snap limit.
func (n *Network) Unreachable(i int) bool { return !n.cells[i].OK() }

// Unsnapped counts the cells with no walkable edge within the snap limit.
func (n *Network) Unsnapped() int { return n.unsnapped }

// CellSnap returns where cell i joins the network.
func (n *Network) CellSnap(i int) network.Snap { return n.cells[i] }

// SiteSnap returns where a facility at p joins the network (cached).
func (n *Network) SiteSnap(p orb.Point) network.Snap {
	if s, ok := n.siteSnaps.Load(p); ok {
		return s.(network.Snap)
	}
	s := n.snapper.Snap(p, n.snapLimit)
	n.siteSnaps.Store(p, s)
	return s
}

// Nearest implements DistanceSource.
func (n *Network) Nearest(sites []orb.Point, limitM float64, out []Hit) {
	for i := range out {
		out[i] = NoHit
	}
	limit := float32(limitM)
	g := n.g
	sources := make([]network.Source, 0, 2*len(sites))
	snaps := make([]network.Snap, len(sites))
	for s, p := range sites {
		sn := n.SiteSnap(p)
		snaps[s] = sn
		if !sn.OK() {
			continue // a facility off the network serves nobody by walking
		}
		e := sn.Edge
		sources = append(sources,
			network.Source{Node: g.EdgeFrom[e], Dist: sn.SnapM + sn.Along, Site: int32(s)},
			network.Source{Node: g.EdgeTo[e], Dist: sn.SnapM + (g.EdgeLen[e] - sn.Along), Site: int32(s)})
	}
	if len(sources) == 0 {
		return
	}
	search := n.searches.Get().(*network.Search)
	defer n.searches.Put(search)
	search.Run(sources, limit)
	better := func(i int, d float32, site int32) {
		if d <= limit && (d < out[i].DistM || (d == out[i].DistM && site < out[i].Site)) {
			out[i] = Hit{DistM: d, Site: site}
		}
	}
	for i, cs := range n.cells {
		if !cs.OK() {
			continue
		}
		e := cs.Edge
		if d, site, ok := search.Dist(g.EdgeFrom[e]); ok {
			better(i, d+cs.Along+cs.SnapM, site)
		}
		if d, site, ok := search.Dist(g.EdgeTo[e]); ok {
			better(i, d+(g.EdgeLen[e]-cs.Along)+cs.SnapM, site)
		}
	}
	// A facility and a cell on the same edge: straight along it.
	for s, sn := range snaps {
		if !sn.OK() {
			continue
		}
		for _, ci := range n.cellsOnEdge[sn.Edge] {
			cs := n.cells[ci]
			d := sn.SnapM + float32(math.Abs(float64(sn.Along-cs.Along))) + cs.SnapM
			better(int(ci), d, int32(s))
		}
	}
}

// Reach implements DistanceSource: one bounded search from the site, then
// the cells on the edges around every node it reached.
func (n *Network) Reach(site orb.Point, limitM float64, fn func(cell int, distM float32)) {
	sn := n.SiteSnap(site)
	if !sn.OK() {
		return
	}
	g := n.g
	limit := float32(limitM)
	e := sn.Edge
	search := n.searches.Get().(*network.Search)
	defer n.searches.Put(search)
	search.Run([]network.Source{
		{Node: g.EdgeFrom[e], Dist: sn.SnapM + sn.Along},
		{Node: g.EdgeTo[e], Dist: sn.SnapM + (g.EdgeLen[e] - sn.Along)},
	}, limit)
	best := map[int32]float32{}
	offer := func(ci int32, d float32) {
		if d > limit {
			return
		}
		if old, ok := best[ci]; !ok || d < old {
			best[ci] = d
		}
	}
	for _, ci := range n.cellsOnEdge[e] {
		cs := n.cells[ci]
		offer(ci, sn.SnapM+float32(math.Abs(float64(sn.Along-cs.Along)))+cs.SnapM)
	}
	for _, v := range search.Reached {
		dv, _, _ := search.Dist(v)
		for k := g.Offsets[v]; k < g.Offsets[v+1]; k++ {
			ed := g.EdgeIDs[k]
			for _, ci := range n.cellsOnEdge[ed] {
				cs := n.cells[ci]
				along := cs.Along
				if g.EdgeFrom[ed] != v {
					along = g.EdgeLen[ed] - cs.Along
				}
				offer(ci, dv+along+cs.SnapM)
			}
		}
	}
	cells := make([]int32, 0, len(best))
	for ci := range best {
		cells = append(cells, ci)
	}
	slices.Sort(cells)
	for _, ci := range cells {
		fn(int(ci), best[ci])
	}
}
