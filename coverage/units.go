package coverage

import "math"

// UnitStat is what a choropleth of one admin unit needs: its residents and
// cells, the population-weighted life-circle completeness per level (NaN
// where the level has no mandatory type or nobody lives), and, for one
// facility type, the residents it covers.
type UnitStat struct {
	Unit         int // index into Data.Units
	Residents    float64
	Cells        int
	Completeness []float64 // per Levels
	Covered      float64   // of the type asked for (0 without one)
}

// Share is Covered / Residents (NaN when nobody lives there).
func (u UnitStat) Share() float64 {
	if u.Residents <= 0 {
		return math.NaN()
	}
	return u.Covered / u.Residents
}

// UnitStats rolls the cells up into the units of one level, in Data.Units
// order; tc may be nil.
func (a *Analysis) UnitStats(level UnitLevel, tc *TypeCoverage) []UnitStat {
	of := a.unitOf[level]
	mand := a.mandatoryByLevel()
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
		if tc != nil && tc.IsCovered(i) {
			u.Covered += pop
		}
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
		u.Residents, u.Covered = round1(u.Residents), round1(u.Covered)
	}
	return out
}
