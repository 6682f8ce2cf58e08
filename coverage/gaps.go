package coverage

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// GapArea is a contiguous group of populated cells that a type does not
// cover, outlined as a polygon. An area never crosses the boundary of the
// finest admin level present: contiguous gaps are split there, so each area
// lies in exactly one unit of that level (or outside every unit).
type GapArea struct {
	ID         string           `json:"id"`           // <type>-<rank>
	Type       string           `json:"type"`         // catalogue id
	Rank       int              `json:"rank"`         // citywide, 1 = most unserved residents
	RankInUnit int              `json:"rank_in_unit"` // within Unit, 1 = most unserved residents
	Residents  float64          `json:"residents"`
	Cells      []spatial.Cell   `json:"-"`
	Geometry   orb.MultiPolygon `json:"-"`
	// Completeness is the mean life-circle completeness of the area's
	// cells at the type's level (NaN when the level has no mandatory type).
	Completeness float64 `json:"-"`
	// Unit is the finest-level unit holding the area (nil when the dataset
	// has no units or the area lies outside all of them); Parents are the
	// units of the coarser levels holding it, coarse to fine; Units lists
	// the codes of Parents and Unit.
	Unit    *UnitRef  `json:"unit,omitempty"`
	Parents []UnitRef `json:"parents,omitempty"`
	Units   []string  `json:"units,omitempty"`
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

// FinestLevel is the finest admin level the dataset has units of ("" when
// it has none).
func (a *Analysis) FinestLevel() UnitLevel {
	var finest UnitLevel
	for _, l := range UnitLevels {
		if a.levels[l] {
			finest = l
		}
	}
	return finest
}

// GapAreas returns the gap areas of a type ranked by unserved residents
// (ties: more cells first, then the smaller first cell id), split at the
// boundaries of the finest admin level. Results are cached; the slice must
// not be modified.
func (a *Analysis) GapAreas(typeID string) ([]GapArea, error) {
	tc, err := a.Type(typeID)
	if err != nil {
		return nil, err
	}
	typeID = tc.Type.ID
	a.gapMu.Lock()
	defer a.gapMu.Unlock()
	if g, ok := a.gaps[tc.Type.ID]; ok {
		return g, nil
	}
	finest := a.units()[a.FinestLevel()] // nil without units
	byUnit := map[int32][]spatial.Cell{}
	var unitOrder []int32
	for _, ci := range a.GapCells(tc) {
		u := int32(-1)
		if finest != nil {
			u = finest[ci]
		}
		if _, ok := byUnit[u]; !ok {
			unitOrder = append(unitOrder, u)
		}
		byUnit[u] = append(byUnit[u], a.Data.Cells[ci].Cell)
	}
	levelIdx := -1
	for k, l := range Levels {
		if l == tc.Type.Level {
			levelIdx = k
		}
	}
	var areas []GapArea
	for _, u := range unitOrder {
		for _, group := range spatial.Components(byUnit[u]) {
			areas = append(areas, a.gapArea(tc, u, group, levelIdx))
		}
	}
	less := func(x, y *GapArea) bool {
		if x.Residents != y.Residents {
			return x.Residents > y.Residents
		}
		if len(x.Cells) != len(y.Cells) {
			return len(x.Cells) > len(y.Cells)
		}
		return x.Cells[0] < y.Cells[0]
	}
	sort.SliceStable(areas, func(i, j int) bool { return less(&areas[i], &areas[j]) })
	inUnit := map[string]int{}
	for i := range areas {
		areas[i].Rank = i + 1
		areas[i].ID = fmt.Sprintf("%s-%d", tc.Type.ID, i+1)
		key := ""
		if areas[i].Unit != nil {
			key = areas[i].Unit.Code
		}
		inUnit[key]++
		areas[i].RankInUnit = inUnit[key]
	}
	a.gaps[tc.Type.ID] = areas
	return areas, nil
}

// gapArea outlines one contiguous group of gap cells inside finest-level
// unit u (-1: outside every unit) and names its units.
func (a *Analysis) gapArea(tc *TypeCoverage, u int32, group []spatial.Cell, levelIdx int) GapArea {
	g := GapArea{Type: tc.Type.ID, Cells: group, Geometry: spatial.OutlineOf(group, a.cellBoundary), Completeness: math.NaN()}
	var mandatory []int
	if levelIdx >= 0 {
		mandatory = a.mandatoryByLevel()[levelIdx]
	}
	sum := 0.0
	for _, c := range group {
		ci := a.cellIdx(c)
		g.Residents += a.Data.Cells[ci].Population
		if len(mandatory) > 0 {
			sum += a.coveredShare(ci, mandatory)
		}
	}
	g.Residents = round1(g.Residents)
	if len(mandatory) > 0 {
		g.Completeness = sum / float64(len(group))
	}
	first := a.cellIdx(group[0])
	for _, l := range UnitLevels {
		of := a.units()[l]
		if of == nil || of[first] < 0 {
			continue
		}
		ui := of[first]
		unit := a.Data.Units[ui]
		ref := UnitRef{Level: unit.Level, Code: unit.Code, Name: unit.Name}
		g.Units = append(g.Units, unit.Code)
		if u >= 0 && ui == u {
			g.Unit = &ref
		} else {
			g.Parents = append(g.Parents, ref)
		}
	}
	if g.Unit == nil && len(g.Parents) > 0 { // outside the finest level: the deepest unit found
		g.Unit = &g.Parents[len(g.Parents)-1]
		g.Parents = g.Parents[:len(g.Parents)-1]
	}
	return g
}
