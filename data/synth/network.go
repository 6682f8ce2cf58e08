package synth

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
	"lifecircle/spatial/network"
)

// StreetKeep is the share of lattice links that become streets: well above
// the bond-percolation threshold of the hexagonal-cell lattice (0.347), so
// almost every node joins one network, yet irregular (dead ends, detours).
const StreetKeep = 0.6

// Streets makes a synthetic walking network over a dataset's cells, for
// benchmarks: a node near the centre of every populated cell and of every
// cell next to one (jittered up to ±20 m), a street between neighbouring
// nodes with probability StreetKeep (decided by a hash of the pair, so the
// result does not depend on order), each street bent through one shape
// point. About 1.8 streets per node; 1.3 M populated cells give over 2 M
// streets. Deterministic for a seed.
func Streets(ds *coverage.Dataset, seed uint64) []network.Way {
	cells := make([]spatial.Cell, 0, len(ds.Cells)*5/4)
	seen := make(map[spatial.Cell]bool, len(ds.Cells)*5/4)
	var nb []spatial.Cell
	for _, c := range ds.Cells {
		if !seen[c.Cell] {
			seen[c.Cell] = true
			cells = append(cells, c.Cell)
		}
	}
	for _, c := range ds.Cells {
		nb = spatial.Neighbors(nb[:0], c.Cell)
		for _, n := range nb {
			if !seen[n] {
				seen[n] = true
				cells = append(cells, n)
			}
		}
	}
	slices.Sort(cells)
	pos := func(c spatial.Cell) orb.Point {
		p := spatial.Center(c)
		r := spatial.NewRuler(p[1])
		dx, dy := r.Degrees(20)
		return orb.Point{p[0] + dx*signedUnit(seed, 11, uint64(c)), p[1] + dy*signedUnit(seed, 12, uint64(c))}
	}
	points := make(map[spatial.Cell]orb.Point, len(cells))
	for _, c := range cells {
		points[c] = pos(c)
	}
	ways := make([]network.Way, 0, len(cells)*2)
	shapeID := int64(-1)
	for _, a := range cells {
		nb = spatial.Neighbors(nb[:0], a)
		for _, b := range nb {
			if b <= a {
				continue // each pair once
			}
			pb, ok := points[b]
			if !ok || unit(seed, 13, uint64(a)^splitmix(uint64(b))) >= StreetKeep {
				continue
			}
			pa := points[a]
			// bend: the midpoint pushed sideways by up to ±15 m
			mid := orb.Point{(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2}
			r := spatial.NewRuler(mid[1])
			ax, ay := r.Degrees(1)
			vx, vy := (pb[0]-pa[0])/ax, (pb[1]-pa[1])/ay
			l := math.Hypot(vx, vy)
			off := 15 * signedUnit(seed, 14, uint64(a)^splitmix(uint64(b)+1))
			if l > 0 {
				mid[0] += -vy / l * off * ax
				mid[1] += vx / l * off * ay
			}
			ways = append(ways, network.Way{
				IDs:    []int64{int64(a), shapeID, int64(b)},
				Points: []orb.Point{pa, mid, pb},
			})
			shapeID--
		}
	}
	return ways
}

// unit is a deterministic number in [0, 1) for (seed, stream, key).
func unit(seed, stream, key uint64) float64 {
	return float64(splitmix(seed^splitmix(stream^splitmix(key)))>>11) / (1 << 53)
}

func signedUnit(seed, stream, key uint64) float64 { return 2*unit(seed, stream, key) - 1 }
