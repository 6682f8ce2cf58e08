package coverage

import (
	"fmt"
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
	// DataQuality audits the inventory behind Share (see Quality); when it
	// is none_mapped or likely_incomplete, ShareNote says so.
	DataQuality Quality `json:"data_quality"`
	ShareNote   string  `json:"share_note,omitempty"`
	ShareNoteZH string  `json:"share_note_zh,omitempty"`
}

// UnitTypeShare is one type's coverage inside one unit.
type UnitTypeShare struct {
	ID string `json:"id"`
	// Facilities are those in force inside the unit; DataQuality is the
	// audit's status for the unit with the expected range.
	Facilities    int     `json:"facilities"`
	DataQuality   string  `json:"data_quality,omitempty"`
	ExpectedMin   float64 `json:"expected_min"`
	ExpectedMax   float64 `json:"expected_max"`
	Covered       float64 `json:"covered"`
	Uncovered     float64 `json:"uncovered"`
	Share         float64 `json:"share"`
	Served        float64 `json:"served"`
	CapacityShort float64 `json:"capacity_short"`
}

// UnitSummary is the coverage inside one administrative unit.
type UnitSummary struct {
	Level  UnitLevel `json:"level"`
	Code   string    `json:"code"`
	Name   string    `json:"name"`
	Parent string    `json:"parent,omitempty"`
	// ParentName is the enclosing unit's name (from the dataset or the
	// official divisions).
	ParentName string  `json:"parent_name,omitempty"`
	Cells      int     `json:"cells"`
	Residents  float64 `json:"residents"`
	// Facilities counts the facilities in force inside the unit.
	Facilities int `json:"facilities"`
	// Completeness is, per life-circle level, the population-weighted mean
	// share of the level's mandatory types that cover a resident.
	Completeness map[Level]float64 `json:"completeness"`
	Types        []UnitTypeShare   `json:"types"`
}

// Summary is the citywide coverage, and per unit when asked.
type Summary struct {
	Dataset     string  `json:"dataset"`
	Method      string  `json:"method"`
	Detour      float64 `json:"detour,omitempty"`
	Profile     Profile `json:"profile"`
	Approximate bool    `json:"approximate"`
	// Network is the walking network measured on; DistanceWarning(ZH)
	// says loudly when there was none (straight line × detour).
	Network           *NetworkRef       `json:"network,omitempty"`
	DistanceWarning   string            `json:"distance_warning,omitempty"`
	DistanceWarningZH string            `json:"distance_warning_zh,omitempty"`
	Resolution        int               `json:"resolution"`
	PlanYear          int               `json:"plan_year,omitempty"`
	PopulationNote    string            `json:"population_note,omitempty"`
	Cells             int               `json:"cells"`
	Residents         float64           `json:"residents"`
	Completeness      map[Level]float64 `json:"completeness"`
	Types             []TypeSummary     `json:"types"`
	// DataQuality lists the types whose inventory is missing or likely
	// incomplete citywide.
	DataQuality QualityCounts `json:"data_quality"`
	By          UnitLevel     `json:"by,omitempty"`
	Units       []UnitSummary `json:"units,omitempty"`
	// Unassigned holds the cells of no unit at level By.
	Unassigned *UnitSummary `json:"unassigned,omitempty"`
}

// Summary rolls coverage up citywide and, when by is not empty, per unit of
// that level (units in code order); minutes use walking profile p.
//
// The summary is computed once per analysis, level and profile (a pass over
// every cell for each type: a third of a second on a 1.3 M-cell city) and
// kept: callers must treat its lists and maps as read-only.
func (a *Analysis) Summary(by UnitLevel, p Profile) Summary {
	key := fmt.Sprintf("%s|%s|%g", by, p.Name, p.SpeedMPerMin)
	a.sumMu.Lock()
	defer a.sumMu.Unlock() // one computation per key, not one per waiting caller
	if s, ok := a.sums[key]; ok {
		return s
	}
	s := a.summary(by, p, true)
	if a.sums == nil {
		a.sums = map[string]Summary{}
	}
	a.sums[key] = s
	return s
}

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
		Network:        a.Network,
	}
	s.DistanceWarning, s.DistanceWarningZH = a.DistanceWarning()
	noNet := 0.0
	for i, c := range a.Data.Cells {
		if a.unreachable(i) {
			noNet += c.Population
		}
	}
	types := a.Types()
	for _, tc := range types {
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
		ts := TypeSummary{
			CoveredInTime: round1(inTime), NoNetwork: round1(noNet), InTimeByProfile: byProfile,
			Served: round1(tc.Covered),
			ID:     t.ID, NameZH: t.NameZH, NameEN: t.NameEN, Category: t.Category, Level: t.Level,
			Requirement: t.Requirement, MaxDistM: t.MaxDistM, Facilities: len(tc.Facilities),
			Residents: round1(tc.Residents), Covered: round1(tc.Covered),
			Uncovered: round1(tc.Residents - tc.Covered), Share: round4(tc.Share()),
			DataQuality: a.quality(tc, -1, a.population, len(tc.Facilities)),
		}
		if ts.DataQuality.Suspect() {
			q := ts.DataQuality
			ts.ShareNote = fmt.Sprintf("share from a %s inventory (%d mapped, %s expected)", q.Status, q.Mapped, expectedRange(q.ExpectedMin, q.ExpectedMax))
			ts.ShareNoteZH = fmt.Sprintf("覆盖率所依据的设施数据%s（已录入 %d 处，按标准应有 %s 处）",
				map[string]string{NoneMapped: "为空", LikelyIncomplete: "很可能不完整"}[q.Status], q.Mapped, expectedRange(q.ExpectedMin, q.ExpectedMax))
		}
		s.Types = append(s.Types, ts)
	}
	s.DataQuality = a.QualitySummary()
	caps := make([]*CapacityResult, len(types))
	if withCapacity {
		for i, tc := range types {
			if caps[i] = a.capacitySplit(tc); caps[i] != nil {
				s.Types[i].Served, s.Types[i].CapacityShort = caps[i].Served, caps[i].Short
			}
		}
	}
	if by == "" {
		s.Completeness = a.rollUp(func(int) int { return 0 }, 1, caps)[0].Completeness
		return s
	}
	// One pass over the cells: group g < len(units) is a unit of level by,
	// the last group the cells outside every such unit.
	s.By = by
	of := a.units()[by]
	var units []int
	group := make(map[int32]int)
	for ui, u := range a.Data.Units {
		if u.Level == by {
			group[int32(ui)] = len(units)
			units = append(units, ui)
		}
	}
	outside := len(units)
	rolled := a.rollUp(func(i int) int {
		if of == nil || of[i] < 0 {
			return outside
		}
		return group[of[i]]
	}, outside+1, caps)
	for g, ui := range units {
		u := a.Data.Units[ui]
		us := rolled[g]
		us.Level, us.Code, us.Name, us.Parent, us.ParentName = u.Level, u.Code, u.Name, u.Parent, a.unitName(u.Parent)
		for t, tc := range types {
			n := a.facilitiesIn(tc, ui)
			q := a.quality(tc, ui, residentsOf(rolled[g]), n)
			ut := &us.Types[t]
			ut.Facilities, ut.DataQuality, ut.ExpectedMin, ut.ExpectedMax = n, q.Status, q.ExpectedMin, q.ExpectedMax
			us.Facilities += n
		}
		s.Units = append(s.Units, us)
	}
	sort.Slice(s.Units, func(i, j int) bool { return s.Units[i].Code < s.Units[j].Code })
	if un := rolled[outside]; un.Cells > 0 {
		un.Level, un.Name = by, "outside every "+string(by)
		s.Unassigned = &un
	}
	s.Completeness = a.rollUp(func(int) int { return 0 }, 1, caps)[0].Completeness
	return s
}

// rollUp sums cells into groups in one pass: residents, per-type covered
// and capacity-short residents (caps[t] may be nil), and population-
// weighted completeness per life-circle level.
func (a *Analysis) rollUp(groupOf func(i int) int, groups int, caps []*CapacityResult) []UnitSummary {
	types := a.Types()
	nT := len(types)
	mand := a.mandatoryByLevel()
	cells := make([]int, groups)
	residents := make([]float64, groups)
	covered := make([]float64, groups*nT)
	short := make([]float64, groups*nT)
	complete := make([]float64, groups*len(Levels))
	for i, c := range a.Data.Cells {
		g := groupOf(i)
		cells[g]++
		residents[g] += c.Population
		for t, tc := range types {
			if tc.IsCovered(i) {
				covered[g*nT+t] += c.Population
				if caps[t] != nil && caps[t].Status[i] == CapacityShort {
					short[g*nT+t] += c.Population
				}
			}
		}
		for l, types := range mand {
			if len(types) > 0 {
				complete[g*len(Levels)+l] += c.Population * a.coveredShare(i, types)
			}
		}
	}
	out := make([]UnitSummary, groups)
	for g := range out {
		us := UnitSummary{Cells: cells[g], Residents: round1(residents[g]), Completeness: map[Level]float64{}}
		for l, types := range mand {
			if len(types) > 0 {
				us.Completeness[Levels[l]] = round4(share(complete[g*len(Levels)+l], residents[g]))
			}
		}
		for t, tc := range types {
			cv, sh := covered[g*nT+t], short[g*nT+t]
			us.Types = append(us.Types, UnitTypeShare{
				ID: tc.Type.ID, Covered: round1(cv), Uncovered: round1(residents[g] - cv),
				Share: round4(share(cv, residents[g])), Served: round1(cv - sh), CapacityShort: round1(sh),
			})
		}
		out[g] = us
	}
	return out
}

func residentsOf(u UnitSummary) float64 { return u.Residents }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// roundCoord rounds a coordinate to 1e-7° (about 1 cm).
func roundCoord(v float64) float64 { return math.Round(v*1e7) / 1e7 }
