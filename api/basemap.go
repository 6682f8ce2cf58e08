package api

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"lifecircle/coverage"
)

// basemapID is the tileset of the offline basemap drawn from the OSM
// extract the walking network comes from.
const basemapID = "basemap"

// basemapTiles tiles the basemap: one MVT layer per kind of feature
// (water, green, buildings, roads, places).
type basemapTiles struct{ bm *coverage.Basemap }

// basemapLayer is the server's basemap (nil without one).
func (s *Server) basemapLayer() tileLayer {
	if bm := s.current().Basemap; bm != nil && bm.Len() > 0 {
		return &basemapTiles{bm}
	}
	return nil
}

func (b *basemapTiles) name() string     { return basemapID }
func (b *basemapTiles) minZoom() int     { return 0 }
func (b *basemapTiles) bound() orb.Bound { return b.bm.Bound() }
func (b *basemapTiles) reachM() float64  { return 0 } // found by bound

func (b *basemapTiles) fields() map[string]string {
	return map[string]string{"class": "String", "name": "String", "name_zh": "String", "name_en": "String"}
}

func (b *basemapTiles) layerNames() []string {
	var out []string
	for _, l := range b.bm.Layers() {
		out = append(out, l.ID)
	}
	return out
}

func (b *basemapTiles) layerFields(string) map[string]string { return b.fields() }

func (b *basemapTiles) features(bound orb.Bound, z maptile.Zoom) (map[string]*geojson.FeatureCollection, error) {
	out := map[string]*geojson.FeatureCollection{}
	b.bm.Query(bound, int(z), func(f *coverage.BasemapFeature) bool {
		fc := out[f.Layer]
		if fc == nil {
			fc = geojson.NewFeatureCollection()
			out[f.Layer] = fc
		}
		gf := geojson.NewFeature(orb.Clone(f.Geometry)) // the encoder overwrites geometry
		gf.ID = f.ID
		gf.Properties = geojson.Properties{"class": f.Class}
		if f.Name != "" {
			gf.Properties["name"] = f.Name
		}
		if f.NameZH != "" {
			gf.Properties["name_zh"] = f.NameZH
		}
		if f.NameEN != "" {
			gf.Properties["name_en"] = f.NameEN
		}
		fc.Append(gf)
		return true
	})
	return out, nil
}
