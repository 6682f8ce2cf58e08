package coverage

import (
	"math"
	"sort"
)

// TypeSummary is the coverage of one type over an area.
type TypeSummary struct {
	ID          string      `json:"id"`
	NameZH      string      `json:"name_zh"`
	NameEN      string      `json:"name_en"`
	Category    string      `json:"category"`
	Level       Level       `json:"level"`
	Requirement Requirement `json:"requirement"`
	MaxDistM    float64     `json:"max_dist_m"`
	Facilities  int         `json:"facilities"`
	Residents   float64     `json:"residents"`
	Covered     float64     `json:"covered"`
	Uncovered   float64     `json:"uncovered"`
	Share       float64     `json:"share"`
	// CoveredInTime counts residents whose nearest facility is within
	// max_walk_min at the profile's speed (the radius in metres is what
	// "covered" means; this shows how it feels for slower walkers).
	CoveredInTime float64 `json:"covered_in_time"`
	// InTimeByProfile is CoveredInTime for every built-in profile, side by
	// side (default, elderly, adult).
	InTimeByProfile map[string]float64 `json:"covered_in_time_by_profile"`
	// NoNetwork counts residents with no walkable network nearby.
	NoNetwork float64 `json:"no_network,omitempty"`
	// Served, CapacityShort and Uncovered split the residents by 2SFCA
	// (see Capacity): covered and enough supply per resident, covered
	// but short of the catalogue norm, or not covered. Without a norm or
	// capacities every covered resident counts as served.
	Served        float64 `json:"served"`
	CapacityShort float64 `json:"capacity_short"`
}

// UnitTypeShare is one type's coverage inside one unit.
type UnitTypeShare struct {
	ID            string  `json:"id"`
	Covered       float64 `json:"covered"`
	Uncovered     float64 `json:"uncovered"`
	Share         float64 `json:"share"`
	Served        float64 `json:"served"`
	CapacityShort float64 `json:"capacity_short"`
}

// UnitSummary is the coverage inside one administrative unit.
type UnitSummary struct {
	Level     UnitLevel `json:"level"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent,omitempty"`
	Cells     int       `json:"cells"`
	Residents float64   `json:"residents"`
	// Completeness is, per life-circle level, the population-weighted mean
	// share of the level's mandatory types that cover a resident.
	Completeness map[Level]float64 `json:"completeness"`
	Types        []UnitTypeShare   `json:"types"`
}

// Summary is the citywide coverage, and per unit when asked.
type Summary struct {
	Dataset        string            `json:"dataset"`
	Method         string            `json:"method"`
	Detour         float64           `json:"detour,omitempty"`
	Profile        Profile           `json:"profile"`
	Approximate    bool              `json:"approximate"`
	Resolution     int               `json:"resolution"`
	PlanYear       int               `json:"plan_year,omitempty"`
	PopulationNote string            `json:"population_note,omitempty"`
	Cells          int               `json:"cells"`
	Residents      float64           `json:"residents"`
	Completeness   map[Level]float64 `json:"completeness"`
	Types          []TypeSummary     `json:"types"`
	By             UnitLevel         `json:"by,omitempty"`
	Units          []UnitSummary     `json:"units,omitempty"`
	// Unassigned holds the cells of no unit at level By.
	Unassigned *UnitSummary `json:"unassigned,omitempty"`
}

// Summary rolls coverage up citywide and, when by is not empty, per unit of
// that level (units in code order); minutes use walking profile p.
func (a *Analysis) Summary(by UnitLevel, p Profile) Summary { return a.summary(by, p, true) }

// summary leaves the 2SFCA split out when withCapacity is false (plan
// trajectories, where each step is a new analysis).
func (a *Analysis) summary(by UnitLevel, p Profile, withCapacity bool) Summary {
	s := Summary{
		Dataset:        a.Data.Name,
		Method:         a.Method,
		Detour:         a.Detour,
		Profile:        p,
		Approximate:    a.Method == "euclidean",
		Resolution:     a.Data.Resolution,
		PlanYear:       a.PlanYear,
		PopulationNote: a.Data.PopulationNote,
		Cells:          len(a.Data.Cells),
		Residents:      round1(a.population),
		Completeness:   a.completeness(func(int) bool { return true }),
	}
	noNet := 0.0
	for i, c := range a.Data.Cells {
		if a.unreachable(i) {
			noNet += c.Population
		}
	}
	for _, tc := range a.types {
		t := tc.Type
		inTime := 0.0
		byProfile := make(map[string]float64, len(Profiles))
		for i, c := range a.Data.Cells {
			h := tc.Hit(i)
			if !h.Found() {
				continue
			}
			if p.Minutes(float64(h.DistM)) <= t.MaxWalkMin+1e-9 {
				inTime += c.Population
			}
			for _, pp := range Profiles {
				if pp.Minutes(float64(h.DistM)) <= t.MaxWalkMin+1e-9 {
					byProfile[pp.Name] += c.Population
				}
			}
		}
		for k, v := range byProfile {
			byProfile[k] = round1(v)
		}
		s.Types = append(s.Types, TypeSummary{
			CoveredInTime: round1(inTime), NoNetwork: round1(noNet), InTimeByProfile: byProfile,
			Served: round1(tc.Covered),
			ID:     t.ID, NameZH: t.NameZH, NameEN: t.NameEN, Category: t.Category, Level: t.Level,
			Requirement: t.Requirement, MaxDistM: t.MaxDistM, Facilities: len(tc.Facilities),
			Residents: round1(tc.Residents), Covered: round1(tc.Covered),
			Uncovered: round1(tc.Residents - tc.Covered), Share: round4(tc.Share()),
		})
	}
	for i, tc := range a.types {
		if !withCapacity {
			break
		}
		if r := a.capacitySplit(tc); r != nil {
			s.Types[i].Served, s.Types[i].CapacityShort = r.Served, r.Short
		}
	}
	if by == "" {
		return s
	}
	s.By = by
	of := a.unitOf[by]
	for ui, u := range a.Data.Units {
		if u.Level != by {
			continue
		}
		us := a.unitSummary(func(i int) bool { return of[i] == int32(ui) }, withCapacity)
		us.Level, us.Code, us.Name, us.Parent = u.Level, u.Code, u.Name, u.Parent
		s.Units = append(s.Units, us)
	}
	sort.Slice(s.Units, func(i, j int) bool { return s.Units[i].Code < s.Units[j].Code })
	un := a.unitSummary(func(i int) bool { return of == nil || of[i] < 0 }, withCapacity)
	if un.Cells > 0 {
		un.Level, un.Name = by, "outside every "+string(by)
		s.Unassigned = &un
	}
	return s
}

func (a *Analysis) unitSummary(in func(i int) bool, withCapacity bool) UnitSummary {
	us := UnitSummary{Completeness: a.completeness(in)}
	for i, c := range a.Data.Cells {
		if in(i) {
			us.Cells++
			us.Residents += c.Population
		}
	}
	for _, tc := range a.types {
		covered, short := 0.0, 0.0
		var r *CapacityResult
		if withCapacity {
			r = a.capacitySplit(tc)
		}
		for i, c := range a.Data.Cells {
			if in(i) && tc.IsCovered(i) {
				covered += c.Population
				if r != nil && r.Status[i] == CapacityShort {
					short += c.Population
				}
			}
		}
		us.Types = append(us.Types, UnitTypeShare{
			ID: tc.Type.ID, Covered: round1(covered),
			Uncovered: round1(us.Residents - covered), Share: round4(share(covered, us.Residents)),
			Served: round1(covered - short), CapacityShort: round1(short),
		})
	}
	us.Residents = round1(us.Residents)
	return us
}

// completeness is the population-weighted completeness per level over the
// cells selected by in. Levels without mandatory types are left out.
func (a *Analysis) completeness(in func(i int) bool) map[Level]float64 {
	out := map[Level]float64{}
	for _, l := range Levels {
		var types []*TypeCoverage
		for _, tc := range a.types {
			if tc.Type.Level == l && tc.Type.Requirement == Mandatory {
				types = append(types, tc)
			}
		}
		if len(types) == 0 {
			continue
		}
		num, den := 0.0, 0.0
		for i, c := range a.Data.Cells {
			if !in(i) {
				continue
			}
			covered := 0
			for _, tc := range types {
				if tc.IsCovered(i) {
					covered++
				}
			}
			num += c.Population * float64(covered) / float64(len(types))
			den += c.Population
		}
		out[l] = round4(share(num, den))
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
