package coverage

import (
	"fmt"
	"sort"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// GapArea is a contiguous group of populated cells that a type does not
// cover, outlined as a polygon.
type GapArea struct {
	ID        string           `json:"id"`   // <type>-<rank>
	Type      string           `json:"type"` // catalogue id
	Rank      int              `json:"rank"` // 1 = most unserved residents
	Residents float64          `json:"residents"`
	Cells     []spatial.Cell   `json:"-"`
	Geometry  orb.MultiPolygon `json:"-"`
	// Unit is the finest unit holding most of the area's residents; Units
	// lists the codes of every unit the area touches.
	Unit  *UnitRef `json:"unit,omitempty"`
	Units []string `json:"units,omitempty"`
}

// UnitRef names an administrative unit.
type UnitRef struct {
	Level UnitLevel `json:"level"`
	Code  string    `json:"code"`
	Name  string    `json:"name"`
}

// GapCells lists the indices of the populated cells that type tc does not cover.
func (a *Analysis) GapCells(tc *TypeCoverage) []int {
	var out []int
	for i, c := range a.Data.Cells {
		if c.Population > 0 && !tc.IsCovered(i) {
			out = append(out, i)
		}
	}
	return out
}

// GapAreas returns the gap areas of a type ranked by unserved residents
// (ties: more cells first, then the smaller first cell id). Results are
// cached; the slice must not be modified.
func (a *Analysis) GapAreas(typeID string) ([]GapArea, error) {
	tc, err := a.Type(typeID)
	if err != nil {
		return nil, err
	}
	typeID = tc.Type.ID
	a.gapMu.Lock()
	defer a.gapMu.Unlock()
	if g, ok := a.gaps[typeID]; ok {
		return g, nil
	}
	idx := a.GapCells(tc)
	cells := make([]spatial.Cell, len(idx))
	for i, ci := range idx {
		cells[i] = a.Data.Cells[ci].Cell
	}
	var areas []GapArea
	for _, group := range spatial.Components(cells) {
		g := GapArea{Type: typeID, Cells: group, Geometry: spatial.Outline(group)}
		byUnit := map[int]float64{}
		for _, c := range group {
			ci := int(a.cellIndex[c])
			pop := a.Data.Cells[ci].Population
			g.Residents += pop
			for _, of := range a.unitOf {
				if of[ci] >= 0 {
					byUnit[int(of[ci])] += pop
				}
			}
		}
		g.Residents = round1(g.Residents)
		g.Unit, g.Units = a.majorityUnit(byUnit)
		areas = append(areas, g)
	}
	sort.SliceStable(areas, func(i, j int) bool {
		if areas[i].Residents != areas[j].Residents {
			return areas[i].Residents > areas[j].Residents
		}
		if len(areas[i].Cells) != len(areas[j].Cells) {
			return len(areas[i].Cells) > len(areas[j].Cells)
		}
		return areas[i].Cells[0] < areas[j].Cells[0]
	})
	for i := range areas {
		areas[i].Rank = i + 1
		areas[i].ID = fmt.Sprintf("%s-%d", typeID, i+1)
	}
	a.gaps[typeID] = areas
	return areas, nil
}

// majorityUnit picks, at the finest level present, the unit with the most
// residents, and lists every unit touched (coarse to fine, then by code).
func (a *Analysis) majorityUnit(byUnit map[int]float64) (*UnitRef, []string) {
	if len(byUnit) == 0 {
		return nil, nil
	}
	rank := map[UnitLevel]int{}
	for i, l := range UnitLevels {
		rank[l] = i
	}
	ids := make([]int, 0, len(byUnit))
	for ui := range byUnit {
		ids = append(ids, ui)
	}
	sort.Slice(ids, func(i, j int) bool {
		ui, uj := a.Data.Units[ids[i]], a.Data.Units[ids[j]]
		if rank[ui.Level] != rank[uj.Level] {
			return rank[ui.Level] < rank[uj.Level]
		}
		return ui.Code < uj.Code
	})
	codes := make([]string, len(ids))
	best := -1
	for i, ui := range ids {
		codes[i] = a.Data.Units[ui].Code
		if best < 0 || rank[a.Data.Units[ui].Level] > rank[a.Data.Units[best].Level] ||
			(a.Data.Units[ui].Level == a.Data.Units[best].Level && byUnit[ui] > byUnit[best]) {
			best = ui
		}
	}
	u := a.Data.Units[best]
	return &UnitRef{Level: u.Level, Code: u.Code, Name: u.Name}, codes
}
