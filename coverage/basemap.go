package coverage

import (
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// The basemap layers, in drawing order (bottom first).
const (
	BasemapWater     = "water"     // polygons (lakes, riverbanks, reservoirs) and lines (rivers, canals, streams)
	BasemapGreen     = "green"     // polygons: parks, grass, woods, meadows
	BasemapBuildings = "buildings" // polygons
	BasemapRoads     = "roads"     // lines, Class = OSM highway value (links folded into their road)
	BasemapPlaces    = "places"    // points: place labels
)

// BasemapLayers lists the basemap layers in drawing order.
var BasemapLayers = []string{BasemapWater, BasemapGreen, BasemapBuildings, BasemapRoads, BasemapPlaces}

// BasemapFeature is one feature of the offline basemap: context drawn under
// the analysis layers (roads, water, green, buildings, place labels).
type BasemapFeature struct {
	// ID is unique within the basemap: the OSM id × 10 + 1 (node),
	// 2 (way) or 3 (relation), as OpenMapTiles numbers OSM objects.
	ID    uint64
	Layer string // one of BasemapLayers
	// Class is the kind within the layer: the OSM value that put the
	// feature there (roads "primary", water "river"/"water"/"riverbank",
	// green "park"/"wood"/"grass", places "suburb"/"neighbourhood", ...).
	Class  string
	Name   string // OSM name (in Chengdu usually Chinese); may be empty
	NameZH string // name:zh, else name when it is written in Chinese
	NameEN string // name:en
	// MinZoom is the lowest web-map zoom the feature is drawn at.
	MinZoom int
	// Geometry is WGS84 lon,lat: Point (places), LineString or
	// MultiLineString (roads, waterways), Polygon or MultiPolygon (areas;
	// outer rings counter-clockwise, holes clockwise, as RFC 7946). It is
	// shared by every reader: clone it before projecting or clipping.
	Geometry orb.Geometry
}

// BasemapLayerInfo describes one layer present in a basemap (for TileJSON
// vector_layers and the like).
type BasemapLayerInfo struct {
	ID       string
	Features int
	MinZoom  int // the lowest MinZoom of its features
}

// Basemap holds the basemap features with a spatial index per minimum zoom,
// so a query at a low zoom never touches the features drawn only nearer in.
// Build it with NewBasemap; it is read-only afterwards and safe for
// concurrent queries.
type Basemap struct {
	Features []BasemapFeature
	levels   []basemapLevel // by minZoom ascending
	bound    orb.Bound
}

type basemapLevel struct {
	minZoom int
	tree    rtree.RTreeG[int32]
}

// NewBasemap indexes features (taking ownership of the slice). Features
// without geometry are dropped.
func NewBasemap(features []BasemapFeature) *Basemap {
	b := &Basemap{}
	kept := features[:0]
	for _, f := range features {
		if f.Geometry != nil {
			kept = append(kept, f)
		}
	}
	b.Features = kept
	byZoom := map[int]*basemapLevel{}
	for i := range b.Features {
		f := &b.Features[i]
		lv := byZoom[f.MinZoom]
		if lv == nil {
			lv = &basemapLevel{minZoom: f.MinZoom}
			byZoom[f.MinZoom] = lv
		}
		fb := f.Geometry.Bound()
		lv.tree.Insert(fb.Min, fb.Max, int32(i))
		if i == 0 {
			b.bound = fb
		} else {
			b.bound = b.bound.Union(fb)
		}
	}
	for _, lv := range byZoom {
		b.levels = append(b.levels, *lv)
	}
	sort.Slice(b.levels, func(i, j int) bool { return b.levels[i].minZoom < b.levels[j].minZoom })
	return b
}

// Len is the number of features.
func (b *Basemap) Len() int {
	if b == nil {
		return 0
	}
	return len(b.Features)
}

// Bound is the extent of every feature (the zero bound when empty).
func (b *Basemap) Bound() orb.Bound {
	if b == nil {
		return orb.Bound{}
	}
	return b.bound
}

// Layers lists the layers present, in drawing order, with their counts.
func (b *Basemap) Layers() []BasemapLayerInfo {
	if b == nil {
		return nil
	}
	info := map[string]*BasemapLayerInfo{}
	for i := range b.Features {
		f := &b.Features[i]
		li := info[f.Layer]
		if li == nil {
			li = &BasemapLayerInfo{ID: f.Layer, MinZoom: f.MinZoom}
			info[f.Layer] = li
		}
		li.Features++
		li.MinZoom = min(li.MinZoom, f.MinZoom)
	}
	var out []BasemapLayerInfo
	for _, id := range BasemapLayers {
		if li := info[id]; li != nil {
			out = append(out, *li)
		}
	}
	return out
}

// Query calls fn for every feature whose bounding box intersects bound and
// whose MinZoom ≤ zoom, until fn returns false. Features come lower
// MinZoom first (major roads before minor ones). fn must not modify the
// feature or its geometry.
func (b *Basemap) Query(bound orb.Bound, zoom int, fn func(*BasemapFeature) bool) {
	if b == nil {
		return
	}
	more := true
	for li := range b.levels {
		lv := &b.levels[li]
		if lv.minZoom > zoom {
			break
		}
		lv.tree.Search(bound.Min, bound.Max, func(_, _ [2]float64, i int32) bool {
			more = fn(&b.Features[i])
			return more
		})
		if !more {
			return
		}
	}
}
