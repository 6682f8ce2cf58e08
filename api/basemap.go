package api

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// basemapID is the tileset of the offline basemap drawn from the OSM extract.
const basemapID = "basemap"

// basemapTiles tiles the basemap: one MVT layer per kind of feature.
type basemapTiles struct{}

func (b *basemapTiles) name() string                         { return basemapID }
func (b *basemapTiles) minZoom() int                         { return 0 }
func (b *basemapTiles) bound() orb.Bound                     { return orb.Bound{} }
func (b *basemapTiles) fields() map[string]string            { return nil }
func (b *basemapTiles) layerNames() []string                 { return nil }
func (b *basemapTiles) layerFields(string) map[string]string { return nil }
func (b *basemapTiles) features(orb.Bound, maptile.Zoom) (map[string]*geojson.FeatureCollection, error) {
	return nil, nil
}

// basemapLayer is the server's basemap (nil without one).
func (s *Server) basemapLayer() tileLayer { return nil }
