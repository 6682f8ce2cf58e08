package coverage

import (
	"math"

	"github.com/paulmach/orb/geojson"
)

// unitFeatures emits the admin units (of q.Level when given) as polygons
// with code, name, level, parent, residents, cells and the
// population-weighted completeness per life-circle level; with a type, also
// its covered residents and share — what a choropleth needs.
func (a *Analysis) unitFeatures(q Query, tc *TypeCoverage, unit int, add func(*geojson.Feature)) {
	type acc struct {
		residents, covered float64
		cells              int
		compl              []float64
	}
	accs := make([]acc, len(a.Data.Units))
	mand := a.mandatoryByLevel()
	for l, of := range a.unitOf {
		if q.Level != "" && l != q.Level {
			continue
		}
		for i, ui := range of {
			if ui < 0 {
				continue
			}
			pop := a.Data.Cells[i].Population
			u := &accs[ui]
			u.residents += pop
			u.cells++
			if tc != nil && tc.IsCovered(i) {
				u.covered += pop
			}
			if u.compl == nil {
				u.compl = make([]float64, len(Levels))
			}
			for k, types := range mand {
				if len(types) > 0 {
					u.compl[k] += pop * a.coveredShare(i, types)
				}
			}
		}
	}
	for ui, u := range a.Data.Units {
		if q.Level != "" && u.Level != q.Level {
			continue
		}
		if unit >= 0 && ui != unit && u.Parent != a.Data.Units[unit].Code {
			continue
		}
		if q.Bound != nil && !u.Geometry.Bound().Intersects(*q.Bound) {
			continue
		}
		s := accs[ui]
		f := geojson.NewFeature(roundMultiPolygon(u.Geometry))
		f.ID = u.Code
		f.Properties = geojson.Properties{
			"code": u.Code, "name": u.Name, "level": u.Level, "parent": nil,
			"residents": round1(s.residents), "cells": s.cells,
		}
		if u.Parent != "" {
			f.Properties["parent"] = u.Parent
		}
		for k, types := range mand {
			if len(types) == 0 {
				continue
			}
			v := any(nil)
			if s.residents > 0 {
				v = round4(s.compl[k] / s.residents)
			}
			f.Properties["completeness_"+string(Levels[k])] = v
		}
		if tc != nil {
			f.Properties["type"] = tc.Type.ID
			f.Properties["covered"] = round1(s.covered)
			f.Properties["share"] = nil
			if s.residents > 0 {
				f.Properties["share"] = math.Round(s.covered/s.residents*1e4) / 1e4
			}
		}
		add(f)
	}
}
