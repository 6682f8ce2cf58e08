package coverage

import (
	"fmt"
	"math"
	"sort"
)

// CellStatus is a cell's standing for one type once capacity counts.
type CellStatus string

// Every populated cell is served, capacity-short (in reach, but the supply
// per resident is below the norm) or uncovered.
const (
	Served        CellStatus = "served"
	CapacityShort CellStatus = "capacity_short"
	Uncovered     CellStatus = "uncovered"
)

// ReasonCapacityShort is the reason code of capacity-short cells.
const ReasonCapacityShort = "capacity_short"

// DecayStep weights supply and demand up to UpTo × the type's radius.
type DecayStep struct {
	UpTo   float64 `json:"up_to"`  // fraction of the radius, (0, 1]
	Weight float64 `json:"weight"` // (0, 1]
}

// E2SFCASteps are the distance-decay steps of Luo & Qi (2009): weights 1.00,
// 0.68 and 0.22 for the nearest, middle and farthest third of the radius.
var E2SFCASteps = []DecayStep{{1.0 / 3, 1}, {2.0 / 3, 0.68}, {1, 0.22}}

// CapacityOptions choose plain 2SFCA (no steps) or E2SFCA (steps).
type CapacityOptions struct {
	Steps []DecayStep
}

// CapacityResult is the supply–demand picture of one type (2SFCA family).
type CapacityResult struct {
	Type   string  `json:"type"`
	Method string  `json:"method"` // "2sfca" or "e2sfca"
	Norm   float64 `json:"norm_per_resident"`
	// Per cell (dataset order): supply per resident (0 when nothing is in
	// reach), status and reason ("" when served).
	Ratio  []float64    `json:"-"`
	Status []CellStatus `json:"-"`
	Reason []string     `json:"-"`
	// Per facility in force (TypeCoverage.Facilities order): its
	// supply-to-demand ratio R_j; NaN when its capacity is unknown.
	FacilityRatio []float64 `json:"-"`
	// Residents by status, and those served only by facilities of unknown
	// capacity (counted as served).
	Served          float64        `json:"served"`
	Short           float64        `json:"capacity_short"`
	Uncovered       float64        `json:"uncovered"`
	AssumedServed   float64        `json:"served_capacity_unknown"`
	UnknownCapacity int            `json:"facilities_capacity_unknown"`
	Units           []UnitCapacity `json:"units,omitempty"`
	// Insufficient says why the split means little (no_facilities,
	// no_capacities, no_norm); Note explains, DataQuality audits the
	// inventory.
	Insufficient string `json:"insufficient,omitempty"`
	DataQuality  string `json:"data_quality"`
	Note         string `json:"note,omitempty"`
	NoteZH       string `json:"note_zh,omitempty"`
}

// UnitCapacity is the split inside one admin unit.
type UnitCapacity struct {
	Level     UnitLevel `json:"level"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Served    float64   `json:"served"`
	Short     float64   `json:"capacity_short"`
	Uncovered float64   `json:"uncovered"`
	// MeanRatio is the population-weighted supply per resident.
	MeanRatio float64 `json:"mean_ratio"`
}

// Capacity computes the two-step floating catchment area (2SFCA) supply
// ratio of a type, or E2SFCA with distance-decay steps:
//
//	R_j = S_j / Σ_k w(d_kj) P_k          over cells k within the radius of j
//	A_i = Σ_j w(d_ij) R_j                over facilities j within the radius of i
//
// S_j is the facility's capacity, P_k the cell's residents, w the decay
// weight (1 for plain 2SFCA). A covered cell whose A_i is below the
// catalogue norm (per resident) is capacity-short. Facilities without a
// capacity take no part; cells reached only by them count as served.
func (a *Analysis) Capacity(typeID string, opts CapacityOptions) (*CapacityResult, error) {
	tc, err := a.Type(typeID)
	if err != nil {
		return nil, err
	}
	for i, s := range opts.Steps {
		if !(s.UpTo > 0 && s.UpTo <= 1 && s.Weight > 0 && s.Weight <= 1) || (i > 0 && s.UpTo <= opts.Steps[i-1].UpTo) {
			return nil, errZH(ErrInvalid, fmt.Sprintf("第 %d 级衰减（%v）：up_to 须在 (0, 1] 内递增，weight 须在 (0, 1] 内", i+1, s), "decay step %d (%v): up_to must increase within (0, 1] and weight lie in (0, 1]", i+1, s)
		}
	}
	radius := tc.Type.MaxDistM
	weight := func(d float32) float64 {
		if len(opts.Steps) == 0 {
			return 1
		}
		x := float64(d) / radius
		for _, s := range opts.Steps {
			if x <= s.UpTo+1e-12 {
				return s.Weight
			}
		}
		return 0
	}
	n := len(a.Data.Cells)
	r := &CapacityResult{Type: tc.Type.ID, Method: "2sfca", Norm: perResidentNorm(tc.Type),
		Ratio: make([]float64, n), Status: make([]CellStatus, n), Reason: make([]string, n),
		FacilityRatio: make([]float64, len(tc.Facilities))}
	if len(opts.Steps) > 0 {
		r.Method = "e2sfca"
	}
	type reach struct {
		cell int
		w    float64
	}
	reaches := make([][]reach, len(tc.Facilities))
	unknownOnly := make([]bool, n) // reached only by unknown-capacity facilities
	known := make([]bool, n)
	// Step 1: each facility's supply over the weighted demand it reaches.
	for k, fi := range tc.Facilities {
		f := a.Data.Facilities[fi]
		demand := 0.0
		a.source.Reach(f.Location, radius, func(cell int, d float32) {
			w := weight(d)
			if w == 0 {
				return
			}
			reaches[k] = append(reaches[k], reach{cell, w})
			demand += w * a.Data.Cells[cell].Population
		})
		switch {
		case f.Capacity <= 0:
			r.FacilityRatio[k] = math.NaN()
			r.UnknownCapacity++
			for _, x := range reaches[k] {
				if !known[x.cell] {
					unknownOnly[x.cell] = true
				}
			}
		case demand > 0:
			r.FacilityRatio[k] = f.Capacity / demand
		}
	}
	// Step 2: each cell sums the ratios of the facilities that reach it.
	for k := range tc.Facilities {
		if math.IsNaN(r.FacilityRatio[k]) {
			continue
		}
		for _, x := range reaches[k] {
			r.Ratio[x.cell] += x.w * r.FacilityRatio[k]
			known[x.cell], unknownOnly[x.cell] = true, false
		}
	}
	units := map[int32]*UnitCapacity{}
	unitPop := map[int32]float64{}
	for i, c := range a.Data.Cells {
		switch {
		case !tc.IsCovered(i):
			r.Status[i], r.Reason[i] = Uncovered, a.Reason(tc, i)
			r.Uncovered += c.Population
		case r.Norm > 0 && known[i] && r.Ratio[i] < r.Norm:
			r.Status[i], r.Reason[i] = CapacityShort, ReasonCapacityShort
			r.Short += c.Population
		default:
			r.Status[i] = Served
			r.Served += c.Population
			if !known[i] {
				r.AssumedServed += c.Population
			}
		}
		for _, of := range a.units() {
			ui := of[i]
			if ui < 0 {
				continue
			}
			u := units[ui]
			if u == nil {
				uu := a.Data.Units[ui]
				u = &UnitCapacity{Level: uu.Level, Code: uu.Code, Name: uu.Name}
				units[ui] = u
			}
			switch r.Status[i] {
			case Served:
				u.Served += c.Population
			case CapacityShort:
				u.Short += c.Population
			default:
				u.Uncovered += c.Population
			}
			u.MeanRatio += c.Population * r.Ratio[i]
			unitPop[ui] += c.Population
		}
	}
	for ui, u := range units {
		u.MeanRatio = math.Round(share(u.MeanRatio, unitPop[ui])*1e6) / 1e6
		u.Served, u.Short, u.Uncovered = round1(u.Served), round1(u.Short), round1(u.Uncovered)
		r.Units = append(r.Units, *u)
	}
	sort.Slice(r.Units, func(i, j int) bool { return r.Units[i].Code < r.Units[j].Code })
	r.Served, r.Short, r.Uncovered, r.AssumedServed = round1(r.Served), round1(r.Short), round1(r.Uncovered), round1(r.AssumedServed)
	q := a.quality(tc, -1, a.population, len(tc.Facilities))
	r.DataQuality = q.Status
	name := tc.Type.ShortNameZH()
	switch {
	case len(tc.Facilities) == 0:
		r.Insufficient = BasisNoFacilities
		r.Note = fmt.Sprintf("no %s is in force: there is no supply to compare with demand (%s)", tc.Type.ID, q.Note)
		r.NoteZH = fmt.Sprintf("没有在用的%s，无从比较供需（%s）", name, q.NoteZH)
	case r.Norm == 0:
		r.Insufficient = BasisNoNorm
		r.Note = fmt.Sprintf("the catalogue gives %s no capacity norm: covered residents count as served", tc.Type.ID)
		r.NoteZH = fmt.Sprintf("目录未给出%s的容量标准：被覆盖的居民均按已服务计", name)
	case r.UnknownCapacity == len(tc.Facilities):
		r.Insufficient = BasisNoCapacities
		r.Note = fmt.Sprintf("none of the %d %s gives a capacity: served is only coverage (served_capacity_unknown), nothing is known of supply", len(tc.Facilities), tc.Type.ID)
		r.NoteZH = fmt.Sprintf("%d 处%s均未给出容量：“已服务”只是覆盖，供给情况未知", len(tc.Facilities), name)
	case q.Suspect():
		r.Note = fmt.Sprintf("computed from a %s inventory: %s", q.Status, q.Note)
		r.NoteZH = "依据的设施数据不完整：" + q.NoteZH
	}
	return r, nil
}

// capacitySplit is the plain-2SFCA result of a type, computed once per
// analysis (nil for types with no facility in force).
func (a *Analysis) capacitySplit(tc *TypeCoverage) *CapacityResult {
	if len(tc.Facilities) == 0 {
		return nil
	}
	a.capMu.Lock()
	defer a.capMu.Unlock()
	if a.caps == nil {
		a.caps = map[string]*CapacityResult{}
	}
	if r, ok := a.caps[tc.Type.ID]; ok {
		return r
	}
	r, err := a.Capacity(tc.Type.ID, CapacityOptions{})
	if err != nil {
		return nil
	}
	a.caps[tc.Type.ID] = r
	return r
}
