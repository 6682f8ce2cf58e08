package data

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
	"lifecircle/spatial/network"
)

// The coordinate trap: Chinese map apps and POI exports give GCJ-02 (AMap,
// Tencent) or BD-09 (Baidu), 300–700 m off WGS84 in Chengdu. Declared as
// WGS84 they load without complaint and every distance is wrong. Points
// that were mapped where people walk sit on or beside the walking network;
// shifted by the conversion they sit systematically farther from it. So
// the check snaps the points as declared and as each conversion would put
// them, and says so when a conversion brings them markedly closer.

// CRSCheck is what the check found for one input.
type CRSCheck struct {
	Input string `json:"input"` // "facilities" or "boundaries"
	// File is the boundary file checked (one check per file).
	File     string      `json:"file,omitempty"`
	Declared spatial.CRS `json:"declared"`
	// Likely is the CRS the points look like ("" when the declared one fits).
	Likely spatial.CRS `json:"likely,omitempty"`
	Points int         `json:"points"`
	// Median distance to the nearest walkable way as declared, and as
	// converted from Likely (or the best candidate), and the median shift
	// the conversion makes.
	DeclaredM  float64 `json:"median_to_network_declared_m,omitempty"`
	ConvertedM float64 `json:"median_to_network_converted_m,omitempty"`
	ShiftM     float64 `json:"median_shift_m"`
	// Against names what the points were compared with: "network" (the
	// walking network given), "reference_network" (the embedded sample's
	// OSM extract, when no network was given and the points lie in it),
	// "reference_boundaries" (the sample's district polygons: share of
	// vertices on their edges) or "boundaries" (the dataset's own unit
	// polygons: share of facilities outside every unit).
	Against string `json:"against"`
	// DeclaredShare and ConvertedShare are the share measured by the
	// polygon checks (vertices on the reference edges, facilities outside
	// the boundaries), as given and as converted from Likely (or the best
	// candidate).
	DeclaredShare  float64 `json:"declared_share,omitempty"`
	ConvertedShare float64 `json:"converted_share,omitempty"`
	Message        string  `json:"message,omitempty"`
	MessageZH      string  `json:"message_zh,omitempty"`
}

// Suspect reports whether the input looks like it is in another CRS.
func (c CRSCheck) Suspect() bool { return c.Likely != "" }

// crsSample caps how many points are snapped per input.
const crsSample = 3000

// CheckCRS tests points declared in declared (only WGS84 is tested: a
// declared GCJ-02 or BD-09 is the user's explicit word) against the
// walking network g. flag names the command-line flag that fixes it.
func CheckCRS(input string, points []orb.Point, declared spatial.CRS, g *network.Graph, flag string) CRSCheck {
	c := CRSCheck{Input: input, Declared: declared, Against: "network"}
	if declared != spatial.WGS84 || g == nil || len(points) < 5 {
		return c
	}
	if len(points) > crsSample { // an even sample keeps it fast
		step := float64(len(points)) / crsSample
		s := make([]orb.Point, 0, crsSample)
		for i := 0.0; int(i) < len(points); i += step {
			s = append(s, points[int(i)])
		}
		points = s
	}
	// only points over the network's extent say anything (a citywide
	// boundary file against a central extract)
	var b orb.Bound
	for i, p := range g.Shape {
		if i == 0 {
			b = orb.Bound{Min: p, Max: p}
		}
		b = b.Extend(p)
	}
	inside := points[:0:0]
	for _, p := range points {
		if b.Contains(p) {
			inside = append(inside, p)
		}
	}
	points = inside
	if len(points) < 5 {
		return c
	}
	c.Points = len(points)
	snapper := network.NewSnapper(g, 0)
	const limit = 1500.0
	median := func(ps []orb.Point) float64 {
		d := make([]float64, 0, len(ps))
		for _, p := range ps {
			s := snapper.Snap(p, limit)
			if s.Edge < 0 {
				d = append(d, limit)
			} else {
				d = append(d, float64(s.SnapM))
			}
		}
		return medianM(d)
	}
	c.DeclaredM = math.Round(median(points)*10) / 10
	best := math.Inf(1)
	for _, cand := range []spatial.CRS{spatial.GCJ02, spatial.BD09} {
		conv := make([]orb.Point, len(points))
		shifts := make([]float64, len(points))
		for i, p := range points {
			conv[i] = spatial.ToWGS84(p, cand)
			shifts[i] = spatial.DistanceM(p, conv[i])
		}
		shift := medianM(shifts)
		if shift < 100 { // outside China the conversions do nothing
			continue
		}
		m := median(conv)
		if m < best {
			best = m
			c.ConvertedM, c.ShiftM = math.Round(m*10)/10, math.Round(shift)
			// converting must bring the points markedly closer to where
			// people walk: under 80 % of the declared distance and at
			// least 5 m closer (on the Chengdu sample, WGS84 facilities
			// sit at a median 22 m and moving them 360 m puts them at 33
			// m; GCJ-02 ones sit at 30 m and converting brings them to 21)
			if m < 0.8*c.DeclaredM && c.DeclaredM-m >= 5 {
				c.Likely = cand
			} else {
				c.Likely = ""
			}
		}
	}
	if c.Likely != "" {
		c.Message = fmt.Sprintf("%s declared WGS84 look like %s: as given, their median distance to the walking network is %.0f m; converted from %s (a %.0f m shift) it is %.0f m. Give %s %s to convert them, or %s wgs84 to confirm they are WGS84",
			input, c.Likely, c.DeclaredM, c.Likely, c.ShiftM, c.ConvertedM, flag, c.Likely, flag)
		c.MessageZH = fmt.Sprintf("%s声明为 WGS84，但看起来是 %s 坐标：按原样到步行路网的中位距离为 %.0f 米，按 %s 转换（偏移 %.0f 米）后为 %.0f 米。请用 %s %s 转换，或用 %s wgs84 确认确为 WGS84",
			inputZH(input), c.Likely, c.DeclaredM, c.Likely, c.ShiftM, c.ConvertedM, flag, c.Likely, flag)
	}
	return c
}

func inputZH(input string) string {
	switch input {
	case "facilities":
		return "设施"
	case "boundaries":
		return "边界"
	}
	return input
}

func medianM(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// CheckDatasetCRS checks a dataset's facilities and boundary vertices as
// declared in in, the vertices of each boundary file on their own (sets,
// from LoadInputs; nil takes the dataset's units as one file): against
// the walking network g when there is one; else, where the points lie in
// the embedded sample's extract, against its walking network; and always
// against each other and the shipped district polygons
// (CheckVerticesOnEdges, CheckFacilitiesInUnits), so a GCJ-02 input
// declared WGS84 is caught without any network. A boundary file's check
// names the file and the option that fixes it.
func CheckDatasetCRS(in Inputs, ds *coverage.Dataset, sets []BoundarySet, g *network.Graph) []CRSCheck {
	var out []CRSCheck
	facCRS := or(in.FacilitiesCRS, or(in.CRS, spatial.WGS84))
	fac := make([]orb.Point, len(ds.Facilities))
	for i, f := range ds.Facilities {
		fac[i] = f.Location
	}
	if sets == nil && len(ds.Units) > 0 {
		one := BoundarySet{Units: ds.Units}
		if len(in.Boundaries) == 1 {
			one.File = in.Boundaries[0]
		}
		sets = []BoundarySet{one}
	}
	type group struct {
		file, flag string
		crs        spatial.CRS
		verts      []orb.Point
	}
	var groups []group
	var all []orb.Point
	anyWGS := facCRS == spatial.WGS84
	for _, s := range sets {
		gr := group{file: s.File.Path, crs: or(s.File.CRS, or(in.CRS, spatial.WGS84)), flag: "--boundaries-crs"}
		if gr.file != "" {
			gr.flag = "--boundaries " + gr.file + " --boundaries-crs"
		}
		for _, u := range s.Units {
			for _, poly := range u.Geometry {
				for _, ring := range poly {
					gr.verts = append(gr.verts, ring...)
				}
			}
		}
		if len(gr.verts) == 0 {
			continue
		}
		all = append(all, gr.verts...)
		anyWGS = anyWGS || gr.crs == spatial.WGS84
		groups = append(groups, gr)
	}
	named := func(c CRSCheck, gr group) CRSCheck {
		c.File = gr.file
		if gr.file != "" && c.Message != "" {
			c.Message, c.MessageZH = gr.file+": "+c.Message, gr.file+"："+c.MessageZH
		}
		return c
	}
	against := "network"
	if g == nil && anyWGS {
		g, against = referenceNetwork(append(append([]orb.Point(nil), fac...), all...)), "reference_network"
	}
	if g != nil {
		checks := []CRSCheck{CheckCRS("facilities", fac, facCRS, g, "--facilities-crs")}
		for _, gr := range groups {
			checks = append(checks, named(CheckCRS("boundaries", gr.verts, gr.crs, g, gr.flag), gr))
		}
		for _, c := range checks {
			c.Against = against
			if against == "reference_network" && c.Message != "" { // say which network
				c.Message = strings.Replace(c.Message, "the walking network", "the walking network of the shipped central-Chengdu OSM extract (no --osm given)", 1)
				c.MessageZH = strings.Replace(c.MessageZH, "步行路网", "内置成都中心城区 OSM 步行路网（未给 --osm）", 1)
			}
			out = append(out, c)
		}
	}
	for _, gr := range groups {
		if gr.crs != spatial.WGS84 {
			continue
		}
		if ref := referenceBoundaries(); ref != nil {
			out = append(out, named(CheckVerticesOnEdges("boundaries", gr.verts, gr.crs, ref, "reference_boundaries", gr.flag), gr))
		}
	}
	if len(ds.Units) > 0 {
		out = append(out, CheckFacilitiesInUnits(fac, facCRS, ds.Units, "--facilities-crs"))
	}
	return out
}

// Confirmed says whether the CRS of the input a check is about was given
// explicitly (--crs, --facilities-crs, or the boundary file's CRS), the
// user's word that overrides a suspicion.
func (in Inputs) Confirmed(c CRSCheck) bool {
	if in.CRS != "" {
		return true
	}
	switch c.Input {
	case "facilities":
		return in.FacilitiesCRS != ""
	case "boundaries":
		for _, b := range in.Boundaries {
			if b.Path == c.File || c.File == "" {
				if b.CRS != "" {
					return true
				}
			}
		}
	}
	return false
}

// Edges is a boundary layer's edges, indexed for nearest-distance queries
// (a graph of the rings, snapped to as a walking network is).
type Edges struct {
	g      *network.Graph
	snap   *network.Snapper
	bounds orb.Bound
}

// NewEdges indexes the rings of units (WGS84).
func NewEdges(units []coverage.AdminUnit) (*Edges, error) {
	var ways []network.Way
	id := int64(1)
	var b orb.Bound
	first := true
	for _, u := range units {
		for _, poly := range u.Geometry {
			for _, r := range poly {
				w := network.Way{}
				start := id
				for i, p := range r {
					if first {
						b, first = orb.Bound{Min: p, Max: p}, false
					}
					b = b.Extend(p)
					if i == len(r)-1 && p == r[0] {
						w.IDs = append(w.IDs, start)
					} else {
						w.IDs = append(w.IDs, id)
						id++
					}
					w.Points = append(w.Points, p)
				}
				ways = append(ways, w)
			}
		}
	}
	g, err := network.Build(ways)
	if err != nil {
		return nil, err
	}
	return &Edges{g: g, snap: network.NewSnapper(g, 1), bounds: b}, nil
}

// onEdgeM is how near a reference edge a vertex must be to lie "on" it:
// well under the 360–950 m the conversions move points in Chengdu, well
// over the simplification of two tracings of one border.
const onEdgeM = 30.0

// CheckVerticesOnEdges tests boundary vertices declared in declared (only
// WGS84 is tested) against the edges of a boundary layer known to be in
// WGS84: where two layers share borders, their vertices lie on each
// other's edges; shifted by a conversion, most sit hundreds of metres
// off. The input looks like Likely when converting from it puts markedly
// more vertices on the reference edges (at least 30 %, and at least twice
// the share as given, over at least 20 vertices inside the reference).
func CheckVerticesOnEdges(input string, verts []orb.Point, declared spatial.CRS, ref *Edges, against, flag string) CRSCheck {
	c := CRSCheck{Input: input, Declared: declared, Against: against}
	if declared != spatial.WGS84 || ref == nil || len(verts) < 20 {
		return c
	}
	if len(verts) > crsSample {
		step := float64(len(verts)) / crsSample
		s := make([]orb.Point, 0, crsSample)
		for i := 0.0; int(i) < len(verts); i += step {
			s = append(s, verts[int(i)])
		}
		verts = s
	}
	share := func(cand spatial.CRS) (float64, int) {
		n, on := 0, 0
		for _, p := range verts {
			q := spatial.ToWGS84(p, cand)
			if !ref.bounds.Contains(q) {
				continue
			}
			n++
			if s := ref.snap.Snap(q, onEdgeM); s.OK() {
				on++
			}
		}
		if n == 0 {
			return 0, 0
		}
		return float64(on) / float64(n), n
	}
	decl, n := share(spatial.WGS84)
	if n < 20 {
		return c
	}
	c.Points, c.DeclaredShare = n, round3(decl)
	best := -1.0
	for _, cand := range []spatial.CRS{spatial.GCJ02, spatial.BD09} {
		shift := medianShift(verts, cand)
		if shift < 100 {
			continue
		}
		conv, m := share(cand)
		if m < 20 || conv <= best {
			continue
		}
		best = conv
		c.ConvertedShare, c.ShiftM = round3(conv), math.Round(shift)
		c.Likely = ""
		if conv >= 0.3 && conv >= 2*decl {
			c.Likely = cand
		}
	}
	if c.Likely != "" {
		c.Message = fmt.Sprintf("%s declared WGS84 look like %s: as given, %.0f%% of their %d vertices inside the sample's district polygons lie on those polygons' edges (within %.0f m); converted from %s (a %.0f m shift) %.0f%% do. Give %s %s to convert them, or %s wgs84 to confirm they are WGS84",
			input, c.Likely, 100*c.DeclaredShare, c.Points, onEdgeM, c.Likely, c.ShiftM, 100*c.ConvertedShare, flag, c.Likely, flag)
		c.MessageZH = fmt.Sprintf("%s声明为 WGS84，但看起来是 %s 坐标：按原样，样例区界范围内的 %d 个顶点中有 %.0f%% 落在区界上（%.0f 米内）；按 %s 转换（偏移 %.0f 米）后为 %.0f%%。请用 %s %s 转换，或用 %s wgs84 确认确为 WGS84",
			inputZH(input), c.Likely, c.Points, 100*c.DeclaredShare, onEdgeM, c.Likely, c.ShiftM, 100*c.ConvertedShare, flag, c.Likely, flag)
	}
	return c
}

// CheckFacilitiesInUnits tests facilities declared in declared (only WGS84
// is tested) against the dataset's unit polygons: facilities are
// collected for an area, so they fall inside its units; shifted by a
// conversion, those near the outer border fall out. They look like Likely
// when converting from it leaves markedly fewer outside (at most 60 % as
// many, and at least max(10, 3 % of them) fewer).
func CheckFacilitiesInUnits(fac []orb.Point, declared spatial.CRS, units []coverage.AdminUnit, flag string) CRSCheck {
	c := CRSCheck{Input: "facilities", Declared: declared, Against: "boundaries"}
	if declared != spatial.WGS84 || len(fac) < 20 || len(units) == 0 {
		return c
	}
	var ix spatial.Locator[int]
	for i, u := range units {
		ix.Insert(u.Geometry, i)
	}
	var buf []int32
	outside := func(cand spatial.CRS) int {
		n := 0
		for _, p := range fac {
			buf = ix.Shapes(spatial.ToWGS84(p, cand), buf[:0])
			if len(buf) == 0 {
				n++
			}
		}
		return n
	}
	decl := outside(spatial.WGS84)
	c.Points = len(fac)
	c.DeclaredShare = round3(float64(decl) / float64(len(fac)))
	best := math.MaxInt
	for _, cand := range []spatial.CRS{spatial.GCJ02, spatial.BD09} {
		shift := medianShift(fac, cand)
		if shift < 100 {
			continue
		}
		conv := outside(cand)
		if conv >= best {
			continue
		}
		best = conv
		c.ConvertedShare, c.ShiftM = round3(float64(conv)/float64(len(fac))), math.Round(shift)
		c.Likely = ""
		if float64(conv) <= 0.6*float64(decl) && decl-conv >= max(10, int(math.Ceil(0.03*float64(len(fac))))) {
			c.Likely = cand
		}
	}
	if c.Likely != "" {
		conv := int(math.Round(c.ConvertedShare * float64(len(fac))))
		c.Message = fmt.Sprintf("facilities declared WGS84 look like %s: as given, %d of %d lie outside every boundary polygon; converted from %s (a %.0f m shift) %d do. Give %s %s to convert them, or %s wgs84 to confirm they are WGS84",
			c.Likely, decl, len(fac), c.Likely, c.ShiftM, conv, flag, c.Likely, flag)
		c.MessageZH = fmt.Sprintf("设施声明为 WGS84，但看起来是 %s 坐标：按原样，%d 个设施中有 %d 个落在所有边界之外；按 %s 转换（偏移 %.0f 米）后为 %d 个。请用 %s %s 转换，或用 %s wgs84 确认确为 WGS84",
			c.Likely, len(fac), decl, c.Likely, c.ShiftM, conv, flag, c.Likely, flag)
	}
	return c
}

func medianShift(ps []orb.Point, cand spatial.CRS) float64 {
	step := max(1, len(ps)/500)
	var d []float64
	for i := 0; i < len(ps); i += step {
		d = append(d, spatial.DistanceM(ps[i], spatial.ToWGS84(ps[i], cand)))
	}
	return medianM(d)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// The references shipped with the product: the sample's district polygons
// (WGS84) and the walking network of its OSM extract (central Chengdu).
var reference struct {
	edgesOnce, netOnce sync.Once
	edges              *Edges
	net                *network.Graph
	netBounds          orb.Bound
}

// referenceBoundaries returns the edges of the sample's districts (nil if
// they cannot be read, which the sample tests rule out).
func referenceBoundaries() *Edges {
	reference.edgesOnce.Do(func() {
		b, err := SampleFile(sampleBoundaries)
		if err != nil {
			return
		}
		units, err := ReadBoundaries(sampleBoundaries, bytes.NewReader(b), spatial.WGS84)
		if err != nil {
			return
		}
		reference.edges, _ = NewEdges(units)
	})
	return reference.edges
}

const (
	sampleBoundaries = "sample/chengdu/boundaries.geojson"
	sampleExtract    = "sample/chengdu/osm.pbf"
)

// sampleExtractBounds is the bbox the sample's extract was cut to.
var sampleExtractBounds = orb.Bound{Min: orb.Point{104.0421, 30.6528}, Max: orb.Point{104.1296, 30.7279}}

// referenceNetwork returns the walking network of the sample's extract
// when at least 20 of the points lie in its bbox (read once), else nil.
func referenceNetwork(points []orb.Point) *network.Graph {
	in := 0
	for _, p := range points {
		if sampleExtractBounds.Contains(p) {
			in++
		}
	}
	if in < 20 {
		return nil
	}
	reference.netOnce.Do(func() {
		b, err := SampleFile(sampleExtract)
		if err != nil {
			return
		}
		g, _, err := ReadOSM(sampleExtract, bytes.NewReader(b), DefaultWalkRule())
		if err == nil {
			reference.net = g
		}
	})
	return reference.net
}
