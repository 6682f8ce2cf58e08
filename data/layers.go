package data

import (
	"fmt"

	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// LayerFC writes one /v1-style layer of an analysis (string ids, the
// layer's facts as foreign members) from its collection, for the files and
// stores an export writes.
func LayerFC(set *collection.Set, layer, typ string, p coverage.Profile) (*geojson.FeatureCollection, error) {
	c, err := set.ForLayer(layer, typ)
	if err != nil {
		return nil, err
	}
	page, err := c.Query(collection.Query{Profile: p})
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	fc.ExtraMembers = geojson.Properties{}
	for k, v := range c.Meta(p) {
		fc.ExtraMembers[k] = v
	}
	fc.ExtraMembers["numberMatched"] = page.Matched
	fc.ExtraMembers["numberReturned"] = len(page.Features)
	for _, f := range page.Features {
		fc.Append(featureOf(f))
	}
	return fc, nil
}

func featureOf(f collection.Feature) *geojson.Feature {
	gf := geojson.NewFeature(f.Geometry)
	gf.ID = f.Key
	gf.Properties = geojson.Properties(f.Properties)
	return gf
}

// catchments puts the catchment of every facility in force in one layer.
func catchments(a *coverage.Analysis, set *collection.Set) (*geojson.FeatureCollection, error) {
	fc := geojson.NewFeatureCollection()
	fc.ExtraMembers = geojson.Properties{"layer": "catchments", "dataset": a.Data.Name, "method": a.Method}
	for _, tc := range a.Types() {
		c, err := set.Collection("catchments-" + tc.Type.ID)
		if err != nil {
			return nil, err
		}
		for _, fi := range tc.Facilities {
			f, err := c.Feature(int64(fi)+1, coverage.DefaultProfile)
			if err != nil {
				return nil, fmt.Errorf("catchment of %s: %w", a.Data.Facilities[fi].ID, err)
			}
			if f.Geometry != nil {
				fc.Append(featureOf(f))
			}
		}
	}
	return fc, nil
}
