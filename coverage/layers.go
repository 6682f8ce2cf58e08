package coverage

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/spatial"
)

// LayerNames lists the layers an analysis publishes.
var LayerNames = []string{"facilities", "population", "coverage", "gaps", "gap-areas", "catchment", "units"}

// Query filters a layer. The zero value selects everything.
type Query struct {
	Type   string     // facility type id; required by coverage, gaps and gap-areas
	Bound  *orb.Bound // features whose geometry's bound intersects it (points: inside it)
	Unit   string     // features inside this admin unit (by cell centre, facility point, or touching for gap areas)
	Limit  int        // at most this many features (0: no limit)
	Offset int        // skip this many matching features first
	// Facility selects the facility of the catchment layer (required there).
	Facility string
	// Profile turns distances into minutes (zero value: DefaultProfile).
	Profile Profile
	// Level selects the admin units of one level (units layer; empty: all).
	Level UnitLevel
}

// LayerNeedsType reports whether a layer is per facility type.
func LayerNeedsType(layer string) bool {
	return layer == "coverage" || layer == "gaps" || layer == "gap-areas"
}

// Layer builds one layer as an RFC 7946 FeatureCollection. Collection-level
// facts (method, detour, population note, counts) are foreign members.
func (a *Analysis) Layer(name string, q Query) (*geojson.FeatureCollection, error) {
	known := false
	for _, l := range LayerNames {
		known = known || l == name
	}
	if !known {
		return nil, fmt.Errorf("layer %q does not exist; layers: %s: %w", name, strings.Join(LayerNames, ", "), ErrNotFound)
	}
	if q.Profile.SpeedMPerMin <= 0 {
		q.Profile = DefaultProfile
	}
	if name == "catchment" {
		return a.catchmentLayer(q)
	}
	if q.Limit < 0 {
		return nil, fieldErr("limit", fmt.Errorf("limit must not be negative: %w", ErrInvalid))
	}
	if q.Offset < 0 {
		return nil, fieldErr("offset", fmt.Errorf("offset must not be negative: %w", ErrInvalid))
	}
	var tc *TypeCoverage
	if q.Type != "" {
		var err error
		if tc, err = a.Type(q.Type); err != nil {
			return nil, fieldErr("type", err)
		}
	} else if LayerNeedsType(name) {
		return nil, fieldErr("type", fmt.Errorf("layer %s needs a facility type (type=…): %w", name, ErrInvalid))
	}
	unit := -1
	if q.Unit != "" {
		i, ok := a.unitIndex[q.Unit]
		if !ok {
			return nil, fieldErr("unit", fmt.Errorf("admin unit %q does not exist (see /v1/summary?by=district for the codes): %w", q.Unit, ErrNotFound))
		}
		unit = i
	}
	fc := geojson.NewFeatureCollection()
	fc.ExtraMembers = geojson.Properties{"layer": name, "dataset": a.Data.Name}
	if name != "facilities" {
		fc.ExtraMembers["population_note"] = a.Data.PopulationNote
		fc.ExtraMembers["resolution"] = a.Data.Resolution
	}
	if tc != nil && name != "facilities" && name != "population" {
		fc.ExtraMembers["profile"] = q.Profile
		fc.ExtraMembers["type"] = tc.Type.ID
		fc.ExtraMembers["max_dist_m"] = tc.Type.MaxDistM
		fc.ExtraMembers["method"] = a.Method
		fc.ExtraMembers["approximate"] = a.Method == "euclidean"
		if a.Detour > 0 {
			fc.ExtraMembers["detour"] = a.Detour
		}
	}
	matched := 0
	add := func(f *geojson.Feature) {
		if matched >= q.Offset && (q.Limit == 0 || len(fc.Features) < q.Limit) {
			fc.Append(f)
		}
		matched++
	}
	switch name {
	case "facilities":
		a.facilityFeatures(q, tc, unit, add)
	case "units":
		a.unitFeatures(q, tc, unit, add)
	case "population":
		a.cellFeatures(q, unit, func(i int) bool { return true }, func(i int, p geojson.Properties) {
			for _, l := range Levels {
				if c := a.Completeness(i, l); !math.IsNaN(c) {
					p["completeness_"+string(l)] = round4(c)
				}
			}
		}, add)
	case "coverage", "gaps":
		keep := func(i int) bool { return true }
		if name == "gaps" {
			keep = func(i int) bool { return a.Data.Cells[i].Population > 0 && !tc.IsCovered(i) }
		}
		a.cellFeatures(q, unit, keep, func(i int, p geojson.Properties) {
			h := tc.Hit(i)
			p["type"] = tc.Type.ID
			p["covered"] = tc.IsCovered(i)
			p["reason"] = nil
			if r := a.Reason(tc, i); r != "" {
				p["reason"] = r
			}
			p["distance_m"] = nil
			p["minutes"] = nil
			p["within_minutes"] = false
			p["facility_id"] = nil
			if h.Found() {
				p["distance_m"] = math.Round(float64(h.DistM)*10) / 10
				m := q.Profile.Minutes(float64(h.DistM))
				p["minutes"] = math.Round(m*10) / 10
				p["within_minutes"] = m <= tc.Type.MaxWalkMin+1e-9
				p["facility_id"] = a.Data.Facilities[tc.Facilities[h.Site]].ID
			}
		}, add)
	case "gap-areas":
		areas, err := a.GapAreas(tc.Type.ID)
		if err != nil {
			return nil, err
		}
		for _, g := range areas {
			if q.Bound != nil && !g.Geometry.Bound().Intersects(*q.Bound) {
				continue
			}
			if unit >= 0 && !contains(g.Units, a.Data.Units[unit].Code) {
				continue
			}
			f := geojson.NewFeature(roundMultiPolygon(g.Geometry))
			f.ID = g.ID
			f.Properties = geojson.Properties{
				"id": g.ID, "type": g.Type, "rank": g.Rank, "residents": g.Residents,
				"cells": len(g.Cells), "unit_code": nil, "unit_name": nil, "unit_level": nil, "units": g.Units,
			}
			if g.Unit != nil {
				f.Properties["unit_code"], f.Properties["unit_name"], f.Properties["unit_level"] = g.Unit.Code, g.Unit.Name, g.Unit.Level
			}
			add(f)
		}
	}
	fc.ExtraMembers["numberMatched"] = matched
	fc.ExtraMembers["numberReturned"] = len(fc.Features)
	return fc, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *Analysis) facilityFeatures(q Query, tc *TypeCoverage, unit int, add func(*geojson.Feature)) {
	var um orb.MultiPolygon
	if unit >= 0 {
		um = a.Data.Units[unit].Geometry
	}
	for _, f := range a.Data.Facilities {
		if tc != nil && f.Type != tc.Type.ID {
			continue
		}
		if q.Bound != nil && !q.Bound.Contains(f.Location) {
			continue
		}
		if um != nil && !spatial.MultiPolygonContains(um, f.Location) {
			continue
		}
		t, _ := a.Catalog.Type(f.Type)
		ft := geojson.NewFeature(f.Location)
		ft.ID = f.ID
		ft.Properties = geojson.Properties{
			"id": f.ID, "type": f.Type, "type_name_zh": t.NameZH, "level": t.Level,
			"name": f.Name, "status": f.Status, "plan_year": nil, "capacity": nil,
			"in_force": a.inForce(f),
		}
		if f.PlanYear > 0 {
			ft.Properties["plan_year"] = f.PlanYear
		}
		if f.Capacity > 0 {
			ft.Properties["capacity"] = f.Capacity
		}
		add(ft)
	}
}

// cellFeatures emits the cells that pass the filters as hexagons with their
// h3 id, population and units; extra adds layer-specific properties.
func (a *Analysis) cellFeatures(q Query, unit int, keep func(int) bool, extra func(int, geojson.Properties), add func(*geojson.Feature)) {
	for i, c := range a.Data.Cells {
		if !keep(i) {
			continue
		}
		if q.Bound != nil && !q.Bound.Contains(a.centres[i]) {
			continue
		}
		if unit >= 0 && !a.inUnit(i, unit) {
			continue
		}
		f := geojson.NewFeature(orb.Polygon{roundRing(spatial.Boundary(c.Cell))})
		id := c.Cell.String()
		f.ID = id
		f.Properties = geojson.Properties{"h3": id, "population": round1(c.Population)}
		for _, l := range UnitLevels {
			if u, ok := a.UnitOf(l, i); ok {
				f.Properties[string(l)] = u.Code
			}
		}
		extra(i, f.Properties)
		add(f)
	}
}

// Output coordinates are rounded to 1e-7° (about 1 cm), which keeps files
// small without moving anything a planner could see.
func roundCoord(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func roundRing(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = orb.Point{roundCoord(p[0]), roundCoord(p[1])}
	}
	return out
}

func roundMultiPolygon(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			out[i][j] = roundRing(r)
		}
	}
	return out
}

// catchmentLayer is one feature: the outline of the cells the facility serves.
func (a *Analysis) catchmentLayer(q Query) (*geojson.FeatureCollection, error) {
	if q.Facility == "" {
		return nil, fieldErr("facility", fmt.Errorf("layer catchment needs a facility id (facility=…): %w", ErrInvalid))
	}
	c, err := a.Catchment(q.Facility)
	if err != nil {
		return nil, fieldErr("facility", err)
	}
	fc := geojson.NewFeatureCollection()
	fc.ExtraMembers = geojson.Properties{
		"layer": "catchment", "dataset": a.Data.Name, "method": a.Method, "approximate": a.Method == "euclidean",
		"population_note": a.Data.PopulationNote, "resolution": a.Data.Resolution,
	}
	if a.Detour > 0 {
		fc.ExtraMembers["detour"] = a.Detour
	}
	if len(c.Cells) > 0 {
		f := geojson.NewFeature(roundMultiPolygon(c.Geometry))
		f.ID = c.Facility.ID
		f.Properties = geojson.Properties{
			"facility_id": c.Facility.ID, "name": c.Facility.Name, "type": c.Type.ID, "max_dist_m": c.Type.MaxDistM,
			"residents": c.Residents, "cells": len(c.Cells), "farthest_m": math.Round(c.FarthestM*10) / 10,
			"in_force": a.inForce(c.Facility),
		}
		fc.Append(f)
	}
	fc.ExtraMembers["numberMatched"] = len(fc.Features)
	fc.ExtraMembers["numberReturned"] = len(fc.Features)
	return fc, nil
}
