package coverage

import (
	"math"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Hit is the nearest facility found for one demand cell.
type Hit struct {
	DistM float32 // metres along the method's path; +Inf when Site < 0
	Site  int32   // index into the sites given to Nearest, or -1: none within the limit
}

// NoHit is a Hit with nothing found.
var NoHit = Hit{DistM: float32(math.Inf(1)), Site: -1}

// Found reports whether a site was found.
func (h Hit) Found() bool { return h.Site >= 0 }

// DistanceSource measures how far each demand cell is from its nearest
// site. A source is bound to the demand cells it was built for and is safe
// for concurrent use once built.
type DistanceSource interface {
	// Method names the measure in outputs: "euclidean" or "network".
	Method() string
	// Nearest sets out[i] to the nearest of sites from demand cell i, for
	// every cell with a site within limitM metres, and to NoHit for the
	// rest. len(out) is the number of demand cells.
	Nearest(sites []orb.Point, limitM float64, out []Hit)
	// Reach calls fn for every demand cell within limitM metres of one
	// site, with the distance. It touches only what the site can reach.
	Reach(site orb.Point, limitM float64, fn func(cell int, distM float32))
}

// unreachable is implemented by sources that can leave a cell off the
// measure altogether (no walkable network nearby).
type unreachable interface {
	Unreachable(cell int) bool
}

// Euclidean measures straight-line distance times a detour factor. It is the
// approximate method used when no walking network is loaded. Each site marks
// the cells within reach through an R-tree of cell centres, so the cost
// grows with sites × cells in reach, not with all cells.
type Euclidean struct {
	detour  float64
	centres []orb.Point
	// centresFn, when centres is nil, gives them on first use (an
	// analysis's own centres, computed when first needed).
	centresFn func() []orb.Point
	once      sync.Once
	index     spatial.PointIndex[int32] // built on first use (indexed)
}

// NewEuclidean measures from the demand points (cell centres). detour
// multiplies straight-line metres (1.3 by default: street networks are
// rarely straight). The points are indexed when first measured from, so
// an analysis answers what needs no distance without waiting for it.
func NewEuclidean(centres []orb.Point, detour float64) *Euclidean {
	return &Euclidean{detour: detour, centres: centres}
}

// indexed returns the R-tree of the centres, built once (in cell order,
// so searches visit cells in the same order every time).
func (e *Euclidean) indexed() *spatial.PointIndex[int32] {
	e.once.Do(func() {
		centres := e.centres
		if centres == nil && e.centresFn != nil {
			centres = e.centresFn()
		}
		for i, p := range centres {
			e.index.Insert(p, int32(i))
		}
	})
	return &e.index
}

// Method is "euclidean".
func (e *Euclidean) Method() string { return "euclidean" }

// Detour is the factor straight-line distances are multiplied by.
func (e *Euclidean) Detour() float64 { return e.detour }

// Nearest implements DistanceSource.
func (e *Euclidean) Nearest(sites []orb.Point, limitM float64, out []Hit) {
	for i := range out {
		out[i] = NoHit
	}
	straight := limitM / e.detour
	ix := e.indexed()
	for s, p := range sites {
		r := spatial.NewRuler(p[1])
		ix.WithinM(r, p, straight, func(_ orb.Point, cell int32, d float64) bool {
			if dm := float32(d * e.detour); dm < out[cell].DistM || (dm == out[cell].DistM && int32(s) < out[cell].Site) {
				out[cell] = Hit{DistM: dm, Site: int32(s)}
			}
			return true
		})
	}
}

// Reach implements DistanceSource.
func (e *Euclidean) Reach(site orb.Point, limitM float64, fn func(cell int, distM float32)) {
	r := spatial.NewRuler(site[1])
	e.indexed().WithinM(r, site, limitM/e.detour, func(_ orb.Point, cell int32, d float64) bool {
		fn(int(cell), float32(d*e.detour))
		return true
	})
}

// NearestOne finds the nearest of sites to one point, by R-tree nearest
// search over the sites; a reference for Nearest and the answer for point
// queries.
func NearestOne(sites *spatial.PointIndex[int32], p orb.Point, limitM, detour float64) Hit {
	r := spatial.NewRuler(p[1])
	k, _, d, ok := sites.Nearest(r, p, limitM/detour)
	if !ok {
		return NoHit
	}
	return Hit{DistM: float32(d * detour), Site: k}
}
