package coverage

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Site is a proposed facility site offering one or more types (one
// building can host several: the community service complex).
type Site struct {
	Types    []string  `json:"types"`
	Location orb.Point `json:"location"` // WGS84 [lon, lat]
	Capacity float64   `json:"capacity,omitempty"`
	Name     string    `json:"name,omitempty"`
}

// Gain is what a proposed site would change, computed from its own reach
// only: nothing else in the city is re-scored.
type Gain struct {
	// NewlyCovered counts, per type, the residents the site would bring
	// within the type's radius who are not covered now.
	Types []TypeGain `json:"types"`
	// Units holds the same per admin unit (streets, communities, ...).
	Units []UnitGain `json:"units,omitempty"`
	// Cells lists the cells that would change.
	Cells []CellGain `json:"cells"`
	// ResidentsNewlyCovered counts each resident once, whatever the number
	// of types they gain.
	ResidentsNewlyCovered float64 `json:"residents_newly_covered"`
}

// TypeGain is one type's gain.
type TypeGain struct {
	ID           string  `json:"id"`
	NewlyCovered float64 `json:"newly_covered"`
	Cells        int     `json:"cells"`
	ShareBefore  float64 `json:"share_before"`
	ShareAfter   float64 `json:"share_after"`
	Reached      float64 `json:"reached"` // residents within the radius, covered before or not
}

// UnitGain is the gain inside one admin unit.
type UnitGain struct {
	Level UnitLevel          `json:"level"`
	Code  string             `json:"code"`
	Name  string             `json:"name"`
	Gain  map[string]float64 `json:"newly_covered"` // type → residents
}

// CellGain is one cell that a site would change.
type CellGain struct {
	Cell       spatial.Cell       `json:"-"`
	H3         string             `json:"h3"`
	Population float64            `json:"population"`
	Types      []string           `json:"types"` // the types it would newly be covered for
	DistM      map[string]float64 `json:"distance_m"`
	// Completeness before and after, per life-circle level touched.
	Before map[Level]float64 `json:"completeness_before"`
	After  map[Level]float64 `json:"completeness_after"`
}

// WhatIf scores a proposed site against the current state: one bounded
// search from the site per type (its radius), nothing else.
func (a *Analysis) WhatIf(s Site) (*Gain, error) {
	if len(s.Types) == 0 {
		return nil, errZH(ErrInvalid, "拟建设施点须至少有一种设施类型", "a proposed site needs at least one facility type")
	}
	if err := spatial.CheckLonLat(s.Location); err != nil {
		return nil, errZH(ErrInvalid, fmt.Sprintf("拟建设施点的经纬度（%g, %g）超出范围", s.Location[0], s.Location[1]), "site location: %v", err)
	}
	g := &Gain{}
	cells := map[int]*CellGain{}
	unitGain := map[int32]map[string]float64{}
	for _, id := range s.Types {
		tc, err := a.Type(id)
		if err != nil {
			return nil, AsInvalid(err)
		}
		id = tc.Type.ID
		tg := TypeGain{ID: id, ShareBefore: round4(tc.Share())}
		a.source.Reach(s.Location, tc.Type.MaxDistM, func(i int, d float32) {
			pop := a.Data.Cells[i].Population
			tg.Reached += pop
			if tc.IsCovered(i) || pop <= 0 {
				return
			}
			tg.NewlyCovered += pop
			tg.Cells++
			cg := cells[i]
			if cg == nil {
				c := a.Data.Cells[i].Cell
				cg = &CellGain{Cell: c, H3: c.String(), Population: pop, DistM: map[string]float64{}}
				cells[i] = cg
			}
			cg.Types = append(cg.Types, id)
			cg.DistM[id] = math.Round(float64(d)*10) / 10
			for _, of := range a.units() {
				if ui := of[i]; ui >= 0 {
					if unitGain[ui] == nil {
						unitGain[ui] = map[string]float64{}
					}
					unitGain[ui][id] += pop
				}
			}
		})
		tg.ShareAfter = round4(share(tc.Covered+tg.NewlyCovered, tc.Residents))
		tg.NewlyCovered, tg.Reached = round1(tg.NewlyCovered), round1(tg.Reached)
		g.Types = append(g.Types, tg)
	}
	for i, cg := range cells {
		g.ResidentsNewlyCovered += cg.Population
		cg.Before, cg.After = map[Level]float64{}, map[Level]float64{}
		for k, types := range a.mandatoryByLevel() {
			gained := 0
			for _, t := range types {
				if !a.typeAt(t).IsCovered(i) && slices.Contains(cg.Types, a.prepared(t).Type.ID) {
					gained++
				}
			}
			if gained > 0 {
				before := a.coveredShare(i, types)
				cg.Before[Levels[k]] = round4(before)
				cg.After[Levels[k]] = round4(before + float64(gained)/float64(len(types)))
			}
		}
		g.Cells = append(g.Cells, *cg)
	}
	sort.Slice(g.Cells, func(i, j int) bool { return g.Cells[i].Cell < g.Cells[j].Cell })
	g.ResidentsNewlyCovered = round1(g.ResidentsNewlyCovered)
	for ui, m := range unitGain {
		u := a.Data.Units[ui]
		for k, v := range m {
			m[k] = round1(v)
		}
		g.Units = append(g.Units, UnitGain{Level: u.Level, Code: u.Code, Name: u.Name, Gain: m})
	}
	sort.Slice(g.Units, func(i, j int) bool { return g.Units[i].Code < g.Units[j].Code })
	return g, nil
}
