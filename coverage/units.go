package coverage

import "math"

// UnitStat is what a choropleth of one admin unit needs: its residents and
// cells and the population-weighted life-circle completeness per level (NaN
// where the level has no mandatory type or nobody lives). UnitTotals gives a
// type's covered residents.
type UnitStat struct {
	Unit         int // index into Data.Units
	Residents    float64
	Cells        int
	Completeness []float64 // per Levels
}

// UnitStats rolls the cells up into the units of one level, in Data.Units
// order.
func (a *Analysis) UnitStats(level UnitLevel) []UnitStat {
	of := a.units()[level]
	mand := a.mandatoryByLevel()
	a.computeMandatory()
	byUnit := map[int]*UnitStat{}
	var out []UnitStat
	for ui, u := range a.Data.Units {
		if u.Level == level {
			out = append(out, UnitStat{Unit: ui, Completeness: make([]float64, len(Levels))})
		}
	}
	for k := range out {
		byUnit[out[k].Unit] = &out[k]
	}
	for i, ui := range of {
		if ui < 0 {
			continue
		}
		pop := a.Data.Cells[i].Population
		u := byUnit[int(ui)]
		u.Residents += pop
		u.Cells++
		for k, types := range mand {
			if len(types) > 0 {
				u.Completeness[k] += pop * a.coveredShare(i, types)
			}
		}
	}
	for k := range out {
		u := &out[k]
		for l, types := range mand {
			if len(types) == 0 || u.Residents <= 0 {
				u.Completeness[l] = math.NaN()
			} else {
				u.Completeness[l] /= u.Residents
			}
		}
		u.Residents = round1(u.Residents)
	}
	return out
}

// UnitTotals sums, per admin unit of one level (indexed like Data.Units),
// its residents and the residents tc covers (tc may be nil): one pass over
// the cells, without the completeness UnitStats also works out.
func (a *Analysis) UnitTotals(level UnitLevel, tc *TypeCoverage) (residents, covered []float64) {
	residents = make([]float64, len(a.Data.Units))
	covered = make([]float64, len(a.Data.Units))
	for i, ui := range a.units()[level] {
		if ui < 0 {
			continue
		}
		pop := a.Data.Cells[i].Population
		residents[ui] += pop
		if tc != nil && tc.IsCovered(i) {
			covered[ui] += pop
		}
	}
	return residents, covered
}
