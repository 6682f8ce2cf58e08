package coverage

import (
	"fmt"
	"sort"

	"lifecircle/spatial"
)

// Apply returns the analysis of the baseline with changes made: facilities
// added, moved or removed. a itself never changes. Only the types the
// changes touch are recomputed; a type that only gains facilities is
// updated from the new sites' reach alone (exact: a new site can only bring
// facilities closer), the others by one search per type.
func (a *Analysis) Apply(changes []Change) (*Analysis, error) {
	facs := make([]Facility, len(a.Data.Facilities))
	copy(facs, a.Data.Facilities)
	index := make(map[string]int, len(facs))
	for i, f := range facs {
		index[f.ID] = i
	}
	removed := map[int]bool{}
	touched := map[string]bool{} // types needing a full recompute
	added := map[string][]Facility{}
	for k, ch := range changes {
		where := fmt.Sprintf("change %d (%s)", k+1, ch.Kind)
		switch ch.Kind {
		case Add:
			f := ch.Facility
			if f.ID == "" {
				f.ID = fmt.Sprintf("new-%d", len(facs)+1)
			}
			if _, dup := index[f.ID]; dup {
				return nil, errZH(ErrInvalid, fmt.Sprintf("第 %d 项变更（%s）：设施编号「%s」已存在", k+1, ch.Kind, f.ID), "%s: facility id %q already exists", where, f.ID)
			}
			if err := a.checkNewFacility(&f); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			index[f.ID] = len(facs)
			facs = append(facs, f)
			added[f.Type] = append(added[f.Type], f)
		case Move, Remove:
			i, ok := index[ch.FacilityID]
			if !ok || removed[i] {
				return nil, errZH(ErrNotFound, fmt.Sprintf("第 %d 项变更（%s）：设施「%s」不存在", k+1, ch.Kind, ch.FacilityID), "%s: facility %q does not exist", where, ch.FacilityID)
			}
			old := facs[i]
			touched[old.Type] = true
			if ch.Kind == Remove {
				removed[i] = true
				continue
			}
			f := old
			f.Location = ch.Facility.Location
			if ch.Facility.Name != "" {
				f.Name = ch.Facility.Name
			}
			if ch.Facility.Capacity > 0 {
				f.Capacity = ch.Facility.Capacity
			}
			if ch.Facility.Status != "" {
				f.Status, f.PlanYear = ch.Facility.Status, ch.Facility.PlanYear
			}
			if err := a.checkNewFacility(&f); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			facs[i] = f
			touched[f.Type] = true
		default:
			return nil, errZH(ErrInvalid, fmt.Sprintf("第 %d 项变更：类型「%s」须为 add（新增）、move（迁移）或 remove（撤除）", k+1, ch.Kind), "change %d: kind %q is not add, move or remove", k+1, ch.Kind)
		}
	}
	kept := facs[:0:0]
	for i, f := range facs {
		if !removed[i] {
			kept = append(kept, f)
		}
	}
	data := *a.Data
	data.Facilities = kept
	b := a.derive(&data)
	for ti := range b.tcs {
		t := a.tcs[ti].Type
		nt := b.newTypeCoverage(t)
		b.tcs[ti] = nt
		switch id := t.ID; {
		case touched[id]:
			b.lazy[ti].fill = func(nt *TypeCoverage) { b.computeType(b.source, nt) }
		case len(added[id]) > 0:
			fs := added[id]
			b.lazy[ti].fill = func(nt *TypeCoverage) { b.extendType(a, a.typeAt(ti), nt, fs) }
		default:
			b.shareType(a, ti)
		}
	}
	return b, nil
}

// shareType makes b's type ti share a's coverage of it unchanged (the
// same facilities in force, perhaps at other positions in Data.Facilities:
// b's Facilities are its own).
func (b *Analysis) shareType(a *Analysis, ti int) {
	b.lazy[ti].sameAs = a
	b.lazy[ti].fill = func(nt *TypeCoverage) {
		tc := a.typeAt(ti)
		nt.Hits, nt.Residents, nt.Covered = tc.Hits, tc.Residents, tc.Covered
	}
}

// checkNewFacility validates a facility a scenario brings in.
func (a *Analysis) checkNewFacility(f *Facility) error {
	id, err := a.Catalog.CheckType(f.Type)
	if err != nil {
		return err
	}
	f.Type = id
	if err := spatial.CheckLonLat(f.Location); err != nil {
		return errZH(ErrInvalid, fmt.Sprintf("设施 %s 的经纬度（%g, %g）超出范围", f.ID, f.Location[0], f.Location[1]), "facility %s: %v", f.ID, err)
	}
	if f.Status == "" {
		f.Status = Existing
	}
	if _, err := ParseStatus(string(f.Status)); err != nil {
		return err
	}
	if !(f.Capacity >= 0) {
		return errZH(ErrInvalid, fmt.Sprintf("设施 %s 的容量 %v 须不小于 0", f.ID, f.Capacity), "facility %s: capacity %v must be ≥ 0", f.ID, f.Capacity)
	}
	return nil
}

// derive makes an analysis of data sharing a's cells, units and source.
func (a *Analysis) derive(data *Dataset) *Analysis {
	b := &Analysis{
		Catalog: a.Catalog, Data: data, Method: a.Method, Detour: a.Detour, PlanYear: a.PlanYear,
		SearchFactor: a.SearchFactor, Basemap: a.Basemap, Network: a.Network, Divisions: a.Divisions, cellIndex: a.cellIndex, unitIndex: a.unitIndex,
		geo: a.geo, levels: a.levels, typeIndex: a.typeIndex, population: a.population, source: a.source,
		unreachable: a.unreachable, gaps: map[string][]GapArea{}, mandatory: a.mandatory, rings: a.rings,
		tcs: make([]*TypeCoverage, len(a.tcs)), lazy: make([]lazyType, len(a.tcs)), workers: a.workers,
	}
	b.facIndex = make(map[string]int, len(data.Facilities))
	for i, f := range data.Facilities {
		b.facIndex[f.ID] = i
	}
	return b
}

func (b *Analysis) newTypeCoverage(t FacilityType) *TypeCoverage {
	return &TypeCoverage{Type: t, Facilities: b.facilitiesOf(t.ID)}
}

// facilitiesOf lists the facilities of a type in force, in dataset order.
func (b *Analysis) facilitiesOf(id string) []int32 {
	var out []int32
	for i, f := range b.Data.Facilities {
		if f.Type == id && b.inForce(f) {
			out = append(out, int32(i))
		}
	}
	return out
}

// extendType fills nt (b's, made by newTypeCoverage) with a copy of tc's
// hits extended by the new sites; tc belongs to a.
func (b *Analysis) extendType(a *Analysis, tc, nt *TypeCoverage, added []Facility) {
	nt.Residents = tc.Residents
	// Hit.Site indexes nt.Facilities: map the old sites by facility id.
	pos := make(map[string]int32, len(nt.Facilities))
	for k, fi := range nt.Facilities {
		pos[b.Data.Facilities[fi].ID] = int32(k)
	}
	nt.Hits = make([]Hit, len(b.Data.Cells))
	if tc.Hits == nil {
		for i := range nt.Hits {
			nt.Hits[i] = NoHit
		}
	} else {
		old := make([]int32, len(tc.Facilities))
		for k, fi := range tc.Facilities {
			old[k] = pos[a.Data.Facilities[fi].ID]
		}
		for i, h := range tc.Hits {
			if h.Site >= 0 {
				h.Site = old[h.Site]
			}
			nt.Hits[i] = h
		}
	}
	limit := tc.Type.MaxDistM * b.SearchFactor
	for _, f := range added {
		if !b.inForce(f) {
			continue
		}
		site := pos[f.ID]
		b.source.Reach(f.Location, limit, func(cell int, d float32) {
			if h := nt.Hits[cell]; d < h.DistM || (d == h.DistM && site < h.Site) {
				nt.Hits[cell] = Hit{DistM: d, Site: site}
			}
		})
	}
	for i, c := range b.Data.Cells {
		if nt.IsCovered(i) {
			nt.Covered += c.Population
		}
	}
}

// TypeDelta is how one type's coverage changed.
type TypeDelta struct {
	ID             string  `json:"id"`
	NewlyCovered   float64 `json:"newly_covered"`
	NewlyUncovered float64 `json:"newly_uncovered"`
	CellsChanged   int     `json:"cells_changed"`
	ShareBefore    float64 `json:"share_before"`
	ShareAfter     float64 `json:"share_after"`
}

// UnitDelta is the change inside one admin unit.
type UnitDelta struct {
	Level UnitLevel   `json:"level"`
	Code  string      `json:"code"`
	Name  string      `json:"name"`
	Types []TypeDelta `json:"types"`
}

// Comparison is a scenario against its baseline.
type Comparison struct {
	Types []TypeDelta `json:"types"`
	Units []UnitDelta `json:"units,omitempty"`
}

// Compare reports, per type and per admin unit, the residents newly covered
// and newly uncovered in after compared with before (both analyses of the
// same cells). Types and units without change are left out.
func Compare(before, after *Analysis) Comparison {
	c := Comparison{Types: []TypeDelta{}}
	unitTypes := map[int]map[string]*TypeDelta{}
	for ti := range before.tcs {
		if after.lazy[ti].sameAs == before || before.lazy[ti].sameAs == after {
			continue // the same coverage on both sides: no cell changed
		}
		tb, ta := before.typeAt(ti), after.typeAt(ti)
		if tb == ta || (tb.Hits == nil && ta.Hits == nil) {
			continue
		}
		d := TypeDelta{ID: tb.Type.ID, ShareBefore: round4(tb.Share()), ShareAfter: round4(ta.Share())}
		for i, cell := range before.Data.Cells {
			cb, ca := tb.IsCovered(i), ta.IsCovered(i)
			if cb == ca {
				continue
			}
			d.CellsChanged++
			gain := cell.Population
			if cb {
				d.NewlyUncovered += gain
				gain = -gain
			} else {
				d.NewlyCovered += gain
			}
			for _, of := range before.units() {
				if ui := of[i]; ui >= 0 {
					if unitTypes[int(ui)] == nil {
						unitTypes[int(ui)] = map[string]*TypeDelta{}
					}
					ud := unitTypes[int(ui)][d.ID]
					if ud == nil {
						ud = &TypeDelta{ID: d.ID}
						unitTypes[int(ui)][d.ID] = ud
					}
					ud.CellsChanged++
					if gain > 0 {
						ud.NewlyCovered += gain
					} else {
						ud.NewlyUncovered -= gain
					}
				}
			}
		}
		if d.CellsChanged > 0 {
			d.NewlyCovered, d.NewlyUncovered = round1(d.NewlyCovered), round1(d.NewlyUncovered)
			c.Types = append(c.Types, d)
		}
	}
	for ui, types := range unitTypes {
		u := before.Data.Units[ui]
		ud := UnitDelta{Level: u.Level, Code: u.Code, Name: u.Name}
		// the unit's own shares before and after, beside its gains
		of := before.units()[u.Level]
		residents := 0.0
		covB, covA := map[string]float64{}, map[string]float64{}
		for i, cell := range before.Data.Cells {
			if int(of[i]) != ui {
				continue
			}
			residents += cell.Population
			for id := range types {
				t := before.typeIndex[id]
				if before.typeAt(t).IsCovered(i) {
					covB[id] += cell.Population
				}
				if after.typeAt(t).IsCovered(i) {
					covA[id] += cell.Population
				}
			}
		}
		for id, td := range types {
			td.ShareBefore, td.ShareAfter = round4(share(covB[id], residents)), round4(share(covA[id], residents))
			td.NewlyCovered, td.NewlyUncovered = round1(td.NewlyCovered), round1(td.NewlyUncovered)
			ud.Types = append(ud.Types, *td)
		}
		sort.Slice(ud.Types, func(i, j int) bool { return ud.Types[i].ID < ud.Types[j].ID })
		c.Units = append(c.Units, ud)
	}
	sort.Slice(c.Units, func(i, j int) bool { return c.Units[i].Code < c.Units[j].Code })
	return c
}

// DeltaCell is one cell whose coverage of a type changed.
type DeltaCell struct {
	Cell   int    // index into Data.Cells
	Change string // newly_covered or newly_uncovered
	Before Hit    // nearest facility before
	After  Hit    // and after
}

// Delta lists the cells whose coverage of one type changed between before
// and after (the same dataset), in cell order.
func Delta(before, after *Analysis, typeID string) ([]DeltaCell, error) {
	tb, err := before.Type(typeID)
	if err != nil {
		return nil, err
	}
	ta, err := after.Type(tb.Type.ID)
	if err != nil {
		return nil, err
	}
	var out []DeltaCell
	for i := range before.Data.Cells {
		cb, ca := tb.IsCovered(i), ta.IsCovered(i)
		if cb == ca {
			continue
		}
		change := "newly_covered"
		if cb {
			change = "newly_uncovered"
		}
		out = append(out, DeltaCell{Cell: i, Change: change, Before: tb.Hit(i), After: ta.Hit(i)})
	}
	return out, nil
}
