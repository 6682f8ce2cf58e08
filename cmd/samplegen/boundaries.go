package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
)

// pinyin names of Chengdu's 20 county-level units, by adcode.
var districtPinyin = map[string]string{
	"510104": "Jinjiang", "510105": "Qingyang", "510106": "Jinniu", "510107": "Wuhou",
	"510108": "Chenghua", "510112": "Longquanyi", "510113": "Qingbaijiang", "510114": "Xindu",
	"510115": "Wenjiang", "510116": "Shuangliu", "510117": "Pidu", "510118": "Xinjin",
	"510121": "Jintang", "510129": "Dayi", "510131": "Pujiang", "510181": "Dujiangyan",
	"510182": "Pengzhou", "510183": "Qionglai", "510184": "Chongzhou", "510185": "Jianyang",
}

// district is one DataV district polygon and its part inside the sample bbox.
type district struct {
	code, name, nameEn string
	full               orb.MultiPolygon // unclipped, WGS84
	clipped            orb.MultiPolygon // ∩ cutBound, rounded to 1e-7, RFC 7946 winding
	fullAreaM2         float64
	clippedAreaM2      float64
}

// share is area(district ∩ bbox) / area(district), both on the sphere.
func (d *district) share() float64 { return d.clippedAreaM2 / d.fullAreaM2 }

// buildDistricts reads the WGS84 DataV districts and keeps those that
// intersect the sample bbox, clipped to it (Sutherland–Hodgman, orb/clip).
func buildDistricts(path string) ([]*district, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []*district
	for _, f := range fc.Features {
		d, err := newDistrict(f)
		if err != nil {
			return nil, err
		}
		if len(d.clipped) > 0 {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	for _, d := range out {
		fmt.Printf("chengdu: district %s %s: %.3f of %.3f km² inside the bbox (share %.4f)\n",
			d.code, d.nameEn, d.clippedAreaM2/1e6, d.fullAreaM2/1e6, d.share())
	}
	return out, nil
}

func newDistrict(f *geojson.Feature) (*district, error) {
	code := strconv.Itoa(int(f.Properties.MustFloat64("adcode", 0)))
	var full orb.MultiPolygon
	switch g := f.Geometry.(type) {
	case orb.MultiPolygon:
		full = g
	case orb.Polygon:
		full = orb.MultiPolygon{g}
	default:
		return nil, fmt.Errorf("district %s: unexpected geometry %T", code, f.Geometry)
	}
	nameEn, ok := districtPinyin[code]
	if !ok {
		return nil, fmt.Errorf("district %s: no pinyin name", code)
	}
	clipped := cleanMultiPolygon(clip.MultiPolygon(cutBound, full.Clone()))
	return &district{
		code:          code,
		name:          f.Properties.MustString("name", ""),
		nameEn:        nameEn,
		full:          full,
		clipped:       clipped,
		fullAreaM2:    geo.Area(full),
		clippedAreaM2: geo.Area(clipped),
	}, nil
}

// cleanMultiPolygon rounds to 1e-7, drops repeated points and empty rings,
// and sets RFC 7946 winding: outer rings counter-clockwise, holes clockwise.
func cleanMultiPolygon(mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		var poly orb.Polygon
		for i, r := range p {
			r = cleanRing(r)
			if r == nil {
				if i == 0 {
					break // no outer ring left
				}
				continue
			}
			want := orb.CCW
			if i > 0 {
				want = orb.CW
			}
			if r.Orientation() != want {
				r.Reverse()
			}
			poly = append(poly, r)
		}
		if len(poly) > 0 {
			out = append(out, poly)
		}
	}
	return out
}

func cleanRing(r orb.Ring) orb.Ring {
	var out orb.Ring
	for _, p := range r {
		p = roundPoint(p)
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	if len(out) < 4 {
		return nil
	}
	return out
}

func districtFeatures(ds []*district) []*geojson.Feature {
	var fs []*geojson.Feature
	for _, d := range ds {
		var g orb.Geometry = d.clipped
		if len(d.clipped) == 1 {
			g = d.clipped[0]
		}
		f := geojson.NewFeature(g)
		f.Properties = geojson.Properties{
			"level":      "district",
			"code":       d.code,
			"name":       d.name,
			"parent":     "510100",
			"name_en":    d.nameEn,
			"clipped_to": cutBoundText,
		}
		fs = append(fs, f)
	}
	return fs
}
