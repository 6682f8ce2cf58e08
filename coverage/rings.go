package coverage

import (
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// maxCachedRings bounds the hexagon outlines an analysis keeps (about
// 160 bytes each: 40 MB at most); beyond it outlines are computed per call.
const maxCachedRings = 1 << 18

// ringCache keeps the hexagon outline of each cell once it has been drawn:
// an outline is an H3 call through cgo (a quarter of the CPU of a
// 1,000-feature page or a tile), and cells never change within a dataset,
// so an analysis and every scenario derived from it share one cache.
type ringCache struct {
	once  sync.Once
	rings []atomic.Pointer[orb.Ring]
	kept  atomic.Int64
}

// CellRing returns the closed outline of cell i (an index into Data.Cells),
// WGS84 lon,lat, in a ring of the caller's own.
func (a *Analysis) CellRing(i int) orb.Ring {
	rc := a.rings
	if rc == nil {
		return spatial.Boundary(a.Data.Cells[i].Cell)
	}
	rc.once.Do(func() { rc.rings = make([]atomic.Pointer[orb.Ring], len(a.Data.Cells)) })
	if r := rc.rings[i].Load(); r != nil {
		return append(make(orb.Ring, 0, len(*r)), *r...)
	}
	r := spatial.Boundary(a.Data.Cells[i].Cell)
	if rc.kept.Load() < maxCachedRings {
		kept := append(make(orb.Ring, 0, len(r)), r...)
		if rc.rings[i].CompareAndSwap(nil, &kept) {
			rc.kept.Add(1)
		}
	}
	return r
}
