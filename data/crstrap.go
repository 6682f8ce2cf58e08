package data

import (
	"fmt"
	"math"
	"sort"

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
	Input    string      `json:"input"` // "facilities" or "boundaries"
	Declared spatial.CRS `json:"declared"`
	// Likely is the CRS the points look like ("" when the declared one fits).
	Likely spatial.CRS `json:"likely,omitempty"`
	Points int         `json:"points"`
	// Median distance to the nearest walkable way as declared, and as
	// converted from Likely (or the best candidate), and the median shift
	// the conversion makes.
	DeclaredM  float64 `json:"median_to_network_declared_m"`
	ConvertedM float64 `json:"median_to_network_converted_m"`
	ShiftM     float64 `json:"median_shift_m"`
	Message    string  `json:"message,omitempty"`
	MessageZH  string  `json:"message_zh,omitempty"`
}

// Suspect reports whether the input looks like it is in another CRS.
func (c CRSCheck) Suspect() bool { return c.Likely != "" }

// crsSample caps how many points are snapped per input.
const crsSample = 3000

// CheckCRS tests points declared in declared (only WGS84 is tested: a
// declared GCJ-02 or BD-09 is the user's explicit word) against the
// walking network g. flag names the command-line flag that fixes it.
func CheckCRS(input string, points []orb.Point, declared spatial.CRS, g *network.Graph, flag string) CRSCheck {
	c := CRSCheck{Input: input, Declared: declared}
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

// CheckDatasetCRS runs CheckCRS on a dataset's facilities and boundary
// vertices as declared in in.
func CheckDatasetCRS(in Inputs, ds *coverage.Dataset, g *network.Graph) []CRSCheck {
	var out []CRSCheck
	fac := make([]orb.Point, len(ds.Facilities))
	for i, f := range ds.Facilities {
		fac[i] = f.Location
	}
	out = append(out, CheckCRS("facilities", fac, or(in.FacilitiesCRS, or(in.CRS, spatial.WGS84)), g, "--facilities-crs"))
	var verts []orb.Point
	for _, u := range ds.Units {
		for _, poly := range u.Geometry {
			for _, ring := range poly {
				verts = append(verts, ring...)
			}
		}
	}
	if len(verts) > 0 {
		out = append(out, CheckCRS("boundaries", verts, or(in.BoundariesCRS, or(in.CRS, spatial.WGS84)), g, "--boundaries-crs"))
	}
	return out
}
