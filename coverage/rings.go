package coverage

import (
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// maxCachedRings bounds the hexagon outlines an analysis keeps (192 bytes
// each: 48 MB at most); beyond it outlines are computed per call.
const maxCachedRings = 1 << 18

// ringCache keeps the hexagon outline of each cell once it has been drawn:
// an outline is an H3 call through cgo (a quarter of the CPU of a
// 1,000-feature page or a tile), and cells never change within a dataset,
// so an analysis and every scenario derived from it share one cache.
type ringCache struct {
	once  sync.Once
	rings []atomic.Pointer[hexRing]
	kept  atomic.Int64
}

// hexRing is one kept outline in one allocation: an H3 cell has at most 10
// vertices, closed by repeating the first.
type hexRing struct {
	n   int
	pts [11]orb.Point
}

// CellRing returns the closed outline of cell i (an index into Data.Cells),
// WGS84 lon,lat, in a ring of the caller's own.
func (a *Analysis) CellRing(i int) orb.Ring {
	rc := a.rings
	if rc == nil {
		return spatial.Boundary(a.Data.Cells[i].Cell)
	}
	rc.once.Do(func() { rc.rings = make([]atomic.Pointer[hexRing], len(a.Data.Cells)) })
	if h := rc.rings[i].Load(); h != nil {
		return append(make(orb.Ring, 0, h.n), h.pts[:h.n]...)
	}
	r := spatial.Boundary(a.Data.Cells[i].Cell)
	if len(r) <= len(hexRing{}.pts) && rc.kept.Load() < maxCachedRings {
		h := &hexRing{n: len(r)}
		copy(h.pts[:], r)
		if rc.rings[i].CompareAndSwap(nil, h) {
			rc.kept.Add(1)
		}
	}
	return r
}

// cellBoundary is the closed outline of a cell: the kept one of a cell of
// the data (CellRing), else drawn; for spatial.OutlineOf, so that gap
// areas and catchments outline the hexagons the layers already drew.
func (a *Analysis) cellBoundary(c spatial.Cell) orb.Ring {
	if i, ok := a.cellPos(c); ok {
		return a.CellRing(int(i))
	}
	return spatial.Boundary(c)
}
