package coverage

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
	"lifecircle/spatial/network"
)

// testGrid is a 12×12 street grid with ~100 m blocks around Tianfu Square,
// one street missing in the middle (a "river") so that network distance
// differs from straight-line distance.
func testGrid() *network.Graph {
	const n, d = 12, 0.001
	id := func(i, j int) int64 { return int64(i*n + j) }
	pt := func(i, j int) orb.Point { return orb.Point{104.06 + float64(j)*d, 30.655 + float64(i)*d} }
	var ways []network.Way
	for i := 0; i < n; i++ {
		var row network.Way
		for j := 0; j < n; j++ {
			row.IDs, row.Points = append(row.IDs, id(i, j)), append(row.Points, pt(i, j))
		}
		ways = append(ways, row)
	}
	// columns: only columns 0 and 11 cross the river between rows 5 and 6
	for j := 0; j < n; j++ {
		for _, span := range [][2]int{{0, 5}, {6, 11}} {
			var col network.Way
			for i := span[0]; i <= span[1]; i++ {
				col.IDs, col.Points = append(col.IDs, id(i, j)), append(col.Points, pt(i, j))
			}
			ways = append(ways, col)
		}
		if j == 0 || j == n-1 {
			ways = append(ways, network.Way{IDs: []int64{id(5, j), id(6, j)}, Points: []orb.Point{pt(5, j), pt(6, j)}})
		}
	}
	g, err := network.Build(ways)
	if err != nil {
		panic(err)
	}
	return g
}

func gridDataset(t testing.TB) (*Catalog, *Dataset) {
	d := &Dataset{Name: "grid", Resolution: 10}
	b := orb.Bound{Min: orb.Point{104.0595, 30.6545}, Max: orb.Point{104.0715, 30.6665}}
	for _, c := range spatial.BoundCells(b, 10, 0) {
		d.Cells = append(d.Cells, PopulationCell{Cell: c, Population: 10})
	}
	d.Facilities = []Facility{
		{ID: "K1", Type: "kindergarten", Location: orb.Point{104.0652, 30.6572}, Status: Existing}, // south of the river
		{ID: "H1", Type: "community_health_center", Location: orb.Point{104.0612, 30.6628}, Status: Existing},
		{ID: "H2", Type: "community_health_center", Location: orb.Point{104.0705, 30.6560}, Status: Existing},
	}
	return DefaultCatalog(), d
}

// bruteNetwork computes the network distance from every cell to the nearest
// site by running a single-source search per site over the same graph.
func bruteNetwork(g *network.Graph, sn *network.Snapper, cells []orb.Point, sites []orb.Point, limit float32) []float64 {
	out := make([]float64, len(cells))
	for i := range out {
		out[i] = math.Inf(1)
	}
	s := network.NewSearch(g)
	for _, site := range sites {
		fs := sn.Snap(site, DefaultSnapLimitM)
		if !fs.OK() {
			continue
		}
		e := fs.Edge
		s.Run([]network.Source{{Node: g.EdgeFrom[e], Dist: fs.SnapM + fs.Along}, {Node: g.EdgeTo[e], Dist: fs.SnapM + g.EdgeLen[e] - fs.Along}}, 1e9)
		for i, p := range cells {
			cs := sn.Snap(p, DefaultSnapLimitM)
			if !cs.OK() {
				continue
			}
			ce := cs.Edge
			best := math.Inf(1)
			if d, _, ok := s.Dist(g.EdgeFrom[ce]); ok {
				best = math.Min(best, float64(d+cs.Along+cs.SnapM))
			}
			if d, _, ok := s.Dist(g.EdgeTo[ce]); ok {
				best = math.Min(best, float64(d+g.EdgeLen[ce]-cs.Along+cs.SnapM))
			}
			if ce == e {
				best = math.Min(best, float64(fs.SnapM+float32(math.Abs(float64(fs.Along-cs.Along)))+cs.SnapM))
			}
			if best <= float64(limit) {
				out[i] = math.Min(out[i], best)
			}
		}
	}
	return out
}

func TestNetworkMatchesBruteForce(t *testing.T) {
	cat, d := gridDataset(t)
	g := testGrid()
	centres := Centres(d)
	src := NewNetwork(g, centres, DefaultSnapLimitM, 0)
	a, err := Analyze(cat, d, Options{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if a.Method != "network" || a.Detour != 0 {
		t.Errorf("method %q detour %v", a.Method, a.Detour)
	}
	sn := network.NewSnapper(g, 0)
	for _, typ := range []string{"kindergarten", "community_health_center"} {
		tc, _ := a.Type(typ)
		var sites []orb.Point
		for _, fi := range tc.Facilities {
			sites = append(sites, d.Facilities[fi].Location)
		}
		want := bruteNetwork(g, sn, centres, sites, float32(tc.Type.MaxDistM*DefaultSearchFactor))
		for i := range d.Cells {
			h := tc.Hit(i)
			switch {
			case math.IsInf(want[i], 1) && h.Found():
				t.Fatalf("%s cell %d: found %v m, brute force nothing", typ, i, h.DistM)
			case !math.IsInf(want[i], 1) && (!h.Found() || math.Abs(float64(h.DistM)-want[i]) > 0.05):
				t.Fatalf("%s cell %d: %v, brute force %.2f", typ, i, h, want[i])
			}
		}
	}
	// The river: a cell just north of the kindergarten, straight-line close,
	// must walk round by the edge columns.
	k, _ := a.Type("kindergarten")
	north := spatial.CellOf(orb.Point{104.0652, 30.6612}, 10)
	i, ok := a.CellIndex(north)
	if !ok {
		t.Fatal("test cell missing")
	}
	straight := spatial.DistanceM(spatial.Center(north), d.Facilities[0].Location)
	if h := k.Hit(i); h.Found() && float64(h.DistM) < 2*straight {
		t.Errorf("across the river: network %v m vs straight %.0f m; the detour is missing", h.DistM, straight)
	}
	if k.IsCovered(i) {
		t.Error("the cell across the river must not be covered by a 300 m kindergarten")
	}
}

func TestNetworkReachMatchesNearest(t *testing.T) {
	cat, d := gridDataset(t)
	src := NewNetwork(testGrid(), Centres(d), DefaultSnapLimitM, 0)
	a, err := Analyze(cat, d, Options{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(9))
	for trial := 0; trial < 20; trial++ {
		site := orb.Point{104.06 + rng.Float64()*0.011, 30.655 + rng.Float64()*0.011}
		out := make([]Hit, len(d.Cells))
		src.Nearest([]orb.Point{site}, 800, out)
		got := map[int]float32{}
		src.Reach(site, 800, func(cell int, dist float32) { got[cell] = dist })
		for i, h := range out {
			g, ok := got[i]
			if h.Found() != ok || (ok && math.Abs(float64(g-h.DistM)) > 0.01) {
				t.Fatalf("trial %d cell %d: Nearest %v, Reach %v %v", trial, i, h, g, ok)
			}
		}
	}
	c, err := a.Catchment("K1")
	if err != nil || len(c.Cells) == 0 || c.FarthestM > 300 || len(c.Geometry) == 0 {
		t.Fatalf("catchment %+v, %v", c, err)
	}
	k, _ := a.Type("kindergarten")
	covered := 0.0
	for i, cell := range d.Cells {
		if k.IsCovered(i) {
			covered += cell.Population
		}
	}
	if c.Residents != covered {
		t.Errorf("the only kindergarten's catchment holds %v residents, coverage says %v", c.Residents, covered)
	}
	if _, err := a.Catchment("nope"); err == nil {
		t.Error("unknown facility accepted")
	}
}

func TestNetworkUnreachableCells(t *testing.T) {
	cat, d := gridDataset(t)
	// a populated cell 2 km east of the grid: beyond the snap limit
	far := spatial.CellOf(orb.Point{104.095, 30.66}, 10)
	d.Cells = append(d.Cells, PopulationCell{Cell: far, Population: 99})
	src := NewNetwork(testGrid(), Centres(d), DefaultSnapLimitM, 0)
	if src.Unsnapped() != 1 {
		t.Fatalf("%d unsnapped, want 1", src.Unsnapped())
	}
	a, err := Analyze(cat, d, Options{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := a.Type("kindergarten")
	i := len(d.Cells) - 1
	if k.Hit(i).Found() || a.Reason(k, i) != ReasonNoNetwork {
		t.Errorf("far cell: %v, reason %q", k.Hit(i), a.Reason(k, i))
	}
	s := a.Summary("", DefaultProfile)
	if s.Types[0].NoNetwork != 99 {
		t.Errorf("no_network %v, want 99", s.Types[0].NoNetwork)
	}
}

func TestProfiles(t *testing.T) {
	p, err := ParseProfile("elderly")
	if err != nil || p.SpeedMPerMin != 50 || p.Minutes(300) != 6 {
		t.Errorf("elderly: %+v %v", p, err)
	}
	if _, err := ParseProfile("runner"); err == nil {
		t.Error("unknown profile accepted")
	}
	cat, d := gridDataset(t)
	a, _ := Analyze(cat, d, Options{Source: NewNetwork(testGrid(), Centres(d), DefaultSnapLimitM, 0)})
	def, eld := a.Summary("", DefaultProfile), a.Summary("", p)
	for i := range def.Types {
		if eld.Types[i].CoveredInTime > def.Types[i].CoveredInTime {
			t.Errorf("%s: elderly cover more in time than the default", def.Types[i].ID)
		}
		if def.Types[i].Covered != eld.Types[i].Covered {
			t.Errorf("%s: the profile must not change coverage in metres", def.Types[i].ID)
		}
	}
}
