package network

// Source starts a search: node Node is reached at Dist metres from site Site.
type Source struct {
	Node int32
	Dist float32
	Site int32
}

// Search runs bounded multi-source Dijkstra searches over one graph. It
// keeps its arrays between runs (a run touches only the nodes it reaches),
// so one Search per goroutine, reused, costs no allocation per run.
type Search struct {
	g     *Graph
	dist  []float32
	site  []int32
	stamp []uint32 // == run: dist and site are set in this run
	done  []uint32 // == run: settled in this run
	run   uint32
	heap  []heapItem
	// Reached lists the nodes settled by the last run, in order of distance.
	Reached []int32
}

type heapItem struct {
	d float32
	n int32
}

// NewSearch prepares a search over g.
func NewSearch(g *Graph) *Search {
	n := g.NumNodes()
	return &Search{g: g, dist: make([]float32, n), site: make([]int32, n), stamp: make([]uint32, n), done: make([]uint32, n)}
}

// Run finds, for every node within limit metres of a source, the distance to
// the nearest source and that source's site. Ties go to the smaller site.
func (s *Search) Run(sources []Source, limit float32) {
	s.run++
	if s.run == 0 { // wrapped: clear stamps
		clear(s.stamp)
		clear(s.done)
		s.run = 1
	}
	s.heap = s.heap[:0]
	s.Reached = s.Reached[:0]
	for _, src := range sources {
		if src.Dist > limit {
			continue
		}
		if s.stamp[src.Node] == s.run && (s.dist[src.Node] < src.Dist || (s.dist[src.Node] == src.Dist && s.site[src.Node] <= src.Site)) {
			continue
		}
		s.stamp[src.Node] = s.run
		s.dist[src.Node] = src.Dist
		s.site[src.Node] = src.Site
		s.push(heapItem{src.Dist, src.Node})
	}
	g := s.g
	for len(s.heap) > 0 {
		it := s.pop()
		v := it.n
		if it.d > s.dist[v] || s.done[v] == s.run {
			continue // stale entry, or settled already
		}
		s.done[v] = s.run
		s.Reached = append(s.Reached, v)
		dv, sv := s.dist[v], s.site[v]
		for k := g.Offsets[v]; k < g.Offsets[v+1]; k++ {
			t := g.Targets[k]
			nd := dv + g.Lengths[k]
			if nd > limit {
				continue
			}
			if s.done[t] == s.run {
				continue
			}
			if s.stamp[t] != s.run {
				s.stamp[t] = s.run
				s.dist[t], s.site[t] = nd, sv
				s.push(heapItem{nd, t})
			} else if nd < s.dist[t] || (nd == s.dist[t] && sv < s.site[t]) {
				s.dist[t], s.site[t] = nd, sv
				s.push(heapItem{nd, t})
			}
		}
	}
}

// Dist returns the distance and site found for node n by the last run;
// ok is false when the node was not reached.
func (s *Search) Dist(n int32) (d float32, site int32, ok bool) {
	if s.stamp[n] != s.run {
		return 0, -1, false
	}
	return s.dist[n], s.site[n], true
}

func (s *Search) push(it heapItem) {
	h := append(s.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].d <= it.d {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
	s.heap = h
}

func (s *Search) pop() heapItem {
	h := s.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	n := len(h)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].d < h[c].d {
			c++
		}
		if last.d <= h[c].d {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = last
	}
	s.heap = h
	return top
}
