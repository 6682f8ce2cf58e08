package coverage

import (
	"fmt"
	"sort"
)

// Lorenz is the Lorenz curve of covered residents across units: units
// sorted by covered share, the cumulative share of residents (X) against the
// cumulative share of covered residents (Y), from (0,0) to (1,1).
type Lorenz struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Equity is how evenly one type's coverage falls across the units of a level.
type Equity struct {
	Type  string    `json:"type"`
	Level UnitLevel `json:"level"`
	Units int       `json:"units"`
	// Gini is 0 when every unit has the same covered share, towards 1 when
	// coverage is concentrated in few units (population-weighted).
	Gini   float64 `json:"gini"`
	Lorenz Lorenz  `json:"lorenz"`
}

// Equity computes the population-weighted Gini coefficient and Lorenz curve
// of a type's covered share across the units of a level.
func (a *Analysis) Equity(typeID string, level UnitLevel) (*Equity, error) {
	tc, err := a.Type(typeID)
	if err != nil {
		return nil, fieldErr("type", err)
	}
	of := a.unitOf[level]
	if of == nil {
		return nil, fieldErr("by", fmt.Errorf("no %s units are loaded: %w", level, ErrNotFound))
	}
	pop := map[int32]float64{}
	cov := map[int32]float64{}
	for i, c := range a.Data.Cells {
		if ui := of[i]; ui >= 0 {
			pop[ui] += c.Population
			if tc.IsCovered(i) {
				cov[ui] += c.Population
			}
		}
	}
	type u struct{ pop, cov float64 }
	var us []u
	totalPop, totalCov := 0.0, 0.0
	for ui, p := range pop {
		if p > 0 {
			us = append(us, u{p, cov[ui]})
			totalPop += p
			totalCov += cov[ui]
		}
	}
	sort.Slice(us, func(i, j int) bool { return us[i].cov/us[i].pop < us[j].cov/us[j].pop })
	e := &Equity{Type: tc.Type.ID, Level: level, Units: len(us), Lorenz: Lorenz{X: []float64{0}, Y: []float64{0}}}
	if totalPop == 0 || totalCov == 0 {
		return e, nil
	}
	x, y, area := 0.0, 0.0, 0.0
	for _, v := range us {
		nx, ny := x+v.pop/totalPop, y+v.cov/totalCov
		area += (nx - x) * (ny + y) // trapezoids under the curve (×2)
		x, y = nx, ny
		e.Lorenz.X = append(e.Lorenz.X, round4(x))
		e.Lorenz.Y = append(e.Lorenz.Y, round4(y))
	}
	e.Gini = round4(1 - area)
	return e, nil
}
