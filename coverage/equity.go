package coverage

import (
	"fmt"
	"sort"
)

// Lorenz is the Lorenz curve of covered residents across units: units
// sorted by covered share (ties by code), the cumulative share of residents
// (X) against the cumulative share of covered residents (Y), from (0,0) to
// (1,1). Units[k] is the unit that takes the curve to point k+1.
type Lorenz struct {
	X     []float64     `json:"x"`
	Y     []float64     `json:"y"`
	Units []LorenzPoint `json:"units"`
}

// LorenzPoint names the unit behind one step of the curve.
type LorenzPoint struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Residents float64 `json:"residents"`
	Covered   float64 `json:"covered"`
	Share     float64 `json:"share"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
}

// Reasons an equity or capacity answer gives no number.
const (
	BasisNoFacilities = "no_facilities" // no facility of the type in force
	BasisNoCoverage   = "no_coverage"   // nobody in the units is covered
	BasisFewCovered   = "few_covered"   // under 5 % covered in every unit
	BasisNoCapacities = "no_capacities" // no facility gives a capacity
	BasisNoNorm       = "no_norm"       // the catalogue has no capacity norm for the type
)

// Equity is how evenly one type's coverage falls across the units of a level.
type Equity struct {
	Type   string    `json:"type"`
	NameZH string    `json:"type_name_zh"`
	Level  UnitLevel `json:"level"`
	Units  int       `json:"units"`
	// Gini is 0 when every unit has the same covered share, towards 1 when
	// coverage is concentrated in few units (population-weighted). It is
	// null when it would rest on too little (Insufficient says why).
	Gini         *float64 `json:"gini"`
	Lorenz       Lorenz   `json:"lorenz"`
	Insufficient string   `json:"insufficient,omitempty"`
	// DataQuality is the citywide audit of the type's inventory; Note
	// explains a missing Gini or a suspect one.
	DataQuality string `json:"data_quality"`
	Note        string `json:"note,omitempty"`
	NoteZH      string `json:"note_zh,omitempty"`
}

// Equity computes the population-weighted Gini coefficient and Lorenz curve
// of a type's covered share across the units of a level. Without any
// facility or covered resident there is no Gini (null, with the reason);
// where no unit reaches 5 % coverage it is computed but flagged.
func (a *Analysis) Equity(typeID string, level UnitLevel) (*Equity, error) {
	tc, err := a.Type(typeID)
	if err != nil {
		return nil, fieldErr("type", err)
	}
	if err := a.CheckLevel(level); err != nil {
		return nil, err
	}
	of := a.units()[level]
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
	var us []LorenzPoint
	totalPop, totalCov := 0.0, 0.0
	for ui, p := range pop {
		if p > 0 {
			u := a.Data.Units[ui]
			us = append(us, LorenzPoint{Code: u.Code, Name: u.Name, Residents: p, Covered: cov[ui], Share: cov[ui] / p})
			totalPop += p
			totalCov += cov[ui]
		}
	}
	sort.Slice(us, func(i, j int) bool {
		if us[i].Share != us[j].Share {
			return us[i].Share < us[j].Share
		}
		return us[i].Code < us[j].Code
	})
	q := a.quality(tc, -1, a.population, len(tc.Facilities))
	e := &Equity{Type: tc.Type.ID, NameZH: tc.Type.ShortNameZH(), Level: level, Units: len(us),
		Lorenz: Lorenz{X: []float64{0}, Y: []float64{0}, Units: []LorenzPoint{}}, DataQuality: q.Status}
	maxShare := 0.0
	for _, v := range us {
		maxShare = max(maxShare, v.Share)
	}
	switch {
	case len(tc.Facilities) == 0:
		e.Insufficient = BasisNoFacilities
		e.Note = fmt.Sprintf("no %s is in force: there is no distribution to measure (%s)", tc.Type.ID, q.Note)
		e.NoteZH = fmt.Sprintf("没有在用的%s，无从衡量分布（%s）", e.NameZH, q.NoteZH)
	case totalPop == 0 || totalCov == 0:
		e.Insufficient = BasisNoCoverage
		e.Note = fmt.Sprintf("no resident of any %s is covered by %s: a Gini coefficient would mean nothing", level, tc.Type.ID)
		e.NoteZH = fmt.Sprintf("各%s均无居民被%s覆盖，基尼系数没有意义", level.LevelNameZH(), e.NameZH)
	}
	if e.Insufficient != "" {
		return e, nil
	}
	x, y, area := 0.0, 0.0, 0.0
	for _, v := range us {
		nx, ny := x+v.Residents/totalPop, y+v.Covered/totalCov
		area += (nx - x) * (ny + y) // trapezoids under the curve (×2)
		x, y = nx, ny
		e.Lorenz.X = append(e.Lorenz.X, round4(x))
		e.Lorenz.Y = append(e.Lorenz.Y, round4(y))
		v.X, v.Y, v.Share = round4(x), round4(y), round4(v.Share)
		v.Residents, v.Covered = round1(v.Residents), round1(v.Covered)
		e.Lorenz.Units = append(e.Lorenz.Units, v)
	}
	g := round4(1 - area)
	e.Gini = &g
	switch {
	case maxShare < 0.05:
		e.Insufficient = BasisFewCovered
		e.Gini = nil
		e.Note = fmt.Sprintf("no %s has 5 %% of its residents covered by %s (highest %.1f %%): the Gini describes how a few covered pockets are spread, not equity of service", level, tc.Type.ID, 100*maxShare)
		e.NoteZH = fmt.Sprintf("没有一个%s的%s覆盖率达到 5%%（最高 %.1f%%）：基尼系数只反映零星覆盖点的分布，不能说明服务均等程度", level.LevelNameZH(), e.NameZH, 100*maxShare)
	case q.Suspect():
		e.Note = fmt.Sprintf("computed from a %s inventory: %s", q.Status, q.Note)
		e.NoteZH = "依据的设施数据不完整：" + q.NoteZH
	}
	return e, nil
}
