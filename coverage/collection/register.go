package collection

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Level names in Chinese, for titles.
var levelZH = map[coverage.UnitLevel]string{
	coverage.District: "区（市）县", coverage.Street: "街道（镇）", coverage.Community: "社区（村）", coverage.Grid: "网格",
}

var levelTitle = map[coverage.Level]string{coverage.Block: "街坊", coverage.LC5: "5分钟生活圈", coverage.LC10: "10分钟生活圈", coverage.LC15: "15分钟生活圈"}

func completenessProps(desc string) []Property {
	var out []Property
	for _, l := range coverage.Levels {
		out = append(out, Property{"completeness_" + string(l), Number, levelTitle[l] + "完整度", string(l) + ": " + desc})
	}
	return out
}

// cellProps are the properties every cell collection carries.
func cellProps() []Property {
	ps := []Property{
		{"h3", String, "H3 网格编号", "H3 cell index"},
		{"population", Number, "常住人口（估算）", "resident population of the cell (an estimate; see population_note)"},
	}
	for _, l := range coverage.UnitLevels {
		ps = append(ps, Property{string(l), String, levelZH[l] + "代码", "code of the " + string(l) + " holding the cell centre"})
	}
	return ps
}

var coverageProps = []Property{
	{"type", String, "设施类型", "facility type id"},
	{"type_name_zh", String, "设施类型名称", "facility type name in Chinese"},
	{"covered", Boolean, "是否覆盖", "a facility of the type is within its walking radius"},
	{"reason", String, "未覆盖原因", "why not covered: no_facility_in_reach or no_walkable_network_nearby"},
	{"distance_m", Number, "步行距离（米）", "distance to the nearest facility of the type, metres (null beyond the search limit)"},
	{"minutes", Number, "步行时间（分钟）", "walking minutes at the profile's speed"},
	{"within_minutes", Boolean, "在步行时间内", "minutes within the type's walking time"},
	{"facility_id", String, "最近设施", "id of the nearest facility"},
}

func (s *Set) register() {
	a := s.a
	s.add(&Collection{
		ID: "facilities", Layer: "facilities", Title: "公共服务设施", TitleEN: "Facilities",
		Description:  "设施点：现状、规划、在建 — facility points: existing, planned and under construction",
		GeometryType: "Point",
		Properties: []Property{
			{"id", String, "设施编号", "facility id"},
			{"type", String, "设施类型", "facility type id"},
			{"type_name_zh", String, "设施类型名称", "facility type name in Chinese"},
			{"level", String, "生活圈层级", "life-circle level of the type"},
			{"name", String, "名称", "facility name"},
			{"status", String, "状态", "existing, planned or under_construction"},
			{"plan_year", Integer, "规划年份", "year a planned facility is due"},
			{"capacity", Number, "规模", "capacity in the type's unit (places, beds, m²)"},
			{"in_force", Boolean, "计入分析", "counted in this analysis"},
		},
		src: &listSource{loadFn: s.facilityItems},
	})
	s.add(&Collection{
		ID: "population", Layer: "population", Title: "人口网格", TitleEN: "Population cells",
		Description:  "H3 人口网格与各层级生活圈完整度 — populated H3 cells with their life-circle completeness per level",
		GeometryType: "Polygon",
		Properties: append(cellProps(),
			completenessProps("share of the level's mandatory types covering the cell")...,
		),
		src: &cellSource{s: s, props: func(ci int, _ coverage.Profile, m map[string]any) {
			for _, l := range coverage.Levels {
				if c := a.Completeness(ci, l); !math.IsNaN(c) {
					m["completeness_"+string(l)] = round4(c)
				}
			}
		}},
	})
	for _, l := range coverage.UnitLevels {
		if !a.HasUnits(l) { // assigning the cells to units waits for first use
			continue
		}
		l := l
		s.add(&Collection{
			ID: "admin-units-" + string(l), Title: "行政区划：" + levelZH[l], TitleEN: "Admin units: " + string(l),
			Description:  levelZH[l] + "边界、人口 — " + string(l) + " boundaries with residents and cells",
			GeometryType: "MultiPolygon",
			Properties: append([]Property{
				{"code", String, "代码", "official code"},
				{"name", String, "名称", "name"},
				{"level", String, "层级", "district, street, community or grid"},
				{"parent", String, "上级代码", "code of the enclosing unit"},
				{"residents", Number, "常住人口（估算）", "residents of the unit's cells (an estimate)"},
				{"cells", Integer, "网格数", "H3 cells whose centre lies in the unit"},
			}, completenessProps("population-weighted share of the level's mandatory types covering the unit's cells")...),
			src: &listSource{loadFn: func() []item { return s.unitItems(l) }, extentFn: func() orb.Bound { return s.unitExtent(l) }},
		})
	}
	for _, t := range a.Catalog.Types { // the analysis's types, in its order
		s.registerType(t)
	}
}

// registerType adds the collections of one type; the type's coverage is
// computed when one of them is first read, not here.
func (s *Set) registerType(t coverage.FacilityType) {
	a := s.a
	var computed atomic.Pointer[coverage.TypeCoverage]
	coverageOf := func() *coverage.TypeCoverage { // computed on first use
		if tc := computed.Load(); tc != nil {
			return tc
		}
		tc, _ := a.Type(t.ID)
		computed.Store(tc)
		return tc
	}
	props := func(ci int, p coverage.Profile, m map[string]any) {
		tc := coverageOf()
		h := tc.Hit(ci)
		m["type"] = t.ID
		m["type_name_zh"] = t.NameZH
		m["covered"] = tc.IsCovered(ci)
		m["reason"] = nil
		if r := a.Reason(tc, ci); r != "" {
			m["reason"] = r
		}
		m["distance_m"], m["minutes"], m["within_minutes"], m["facility_id"] = nil, nil, false, nil
		if h.Found() {
			m["distance_m"] = math.Round(float64(h.DistM)*10) / 10
			min := p.Minutes(float64(h.DistM))
			m["minutes"] = math.Round(min*10) / 10
			m["within_minutes"] = min <= t.MaxWalkMin+1e-9
			m["facility_id"] = a.Data.Facilities[tc.Facilities[h.Site]].ID
		}
	}
	s.add(&Collection{
		ID: "coverage-" + t.ID, Layer: "coverage", Type: t.ID,
		Title: t.NameZH + "：步行覆盖", TitleEN: "Coverage: " + t.ID,
		Description:  "每个网格到最近" + t.NameZH + "的步行距离与是否覆盖 — walking distance to the nearest " + t.ID + " per cell, covered or not",
		GeometryType: "Polygon",
		Properties:   append(cellProps(), coverageProps...),
		src:          &cellSource{s: s, props: props},
	})
	s.add(&Collection{
		ID: "gaps-" + t.ID, Layer: "gaps", Type: t.ID,
		Title: t.NameZH + "：服务缺口网格", TitleEN: "Gaps: " + t.ID,
		Description:  "有人居住但步行范围内没有" + t.NameZH + "的网格 — populated cells no " + t.ID + " covers",
		GeometryType: "Polygon",
		Properties:   append(cellProps(), coverageProps...),
		src: &cellSource{s: s, props: props, membersFn: func() []int32 {
			gaps := a.GapCells(coverageOf())
			out := make([]int32, len(gaps))
			for i, g := range gaps {
				out[i] = int32(g)
			}
			return out
		}},
	})
	gapProps := []Property{
		{"id", String, "缺口区编号", "gap-area id: <type>-<rank>"},
		{"type", String, "设施类型", "facility type id"},
		{"type_name_zh", String, "设施类型名称", "facility type name in Chinese"},
		{"rank", Integer, "全市排名", "rank citywide by unserved residents (1 = most)"},
		{"rank_in_unit", Integer, "单元内排名", "rank within its unit by unserved residents (1 = most)"},
		{"residents", Number, "未覆盖人口", "residents of the area's cells (an estimate)"},
		{"cells", Integer, "网格数", "H3 cells in the area"},
		{"completeness", Number, "生活圈完整度", "mean life-circle completeness of the area's cells at the type's level"},
		{"unit_code", String, "所在单元代码", "code of the unit of the finest level present that holds the area"},
		{"unit_name", String, "所在单元名称", "name of that unit"},
		{"unit_level", String, "所在单元层级", "level of that unit"},
		{"units", Array, "所属单元", "codes of the unit and its parents, coarse to fine"},
		{"data_quality", String, "数据完整性", "the type's inventory in the area's unit: none_mapped, likely_incomplete or plausible"},
		{"facilities_mapped", Integer, "已录入设施数", "facilities of the type in force in the area's unit"},
		{"facilities_expected_min", Number, "按标准应有设施数（下限）", "facilities the norms lead one to expect in the unit, low end"},
	}
	for _, l := range coverage.UnitLevels {
		gapProps = append(gapProps, Property{string(l) + "_code", String, levelZH[l] + "代码", "code of the " + string(l) + " holding the area"})
	}
	s.add(&Collection{
		ID: "gap-areas-" + t.ID, Layer: "gap-areas", Type: t.ID,
		Title: t.NameZH + "：服务缺口区", TitleEN: "Gap areas: " + t.ID,
		Description:  "相邻缺口网格按最细一级行政单元合并、排名 — contiguous gap cells merged within each unit of the finest level and ranked",
		GeometryType: "MultiPolygon",
		Properties:   gapProps,
		// the extent holds every cell: the areas are known only once the
		// type's coverage is computed
		src: &listSource{loadFn: func() []item { return s.gapItems(t.ID) }, extentFn: s.reachBound},
	})
	s.add(&Collection{
		ID: "catchments-" + t.ID, Layer: "catchment", Type: t.ID,
		Title: t.NameZH + "：服务范围", TitleEN: "Catchments: " + t.ID,
		Description:  "每处" + t.NameZH + "步行半径内服务的网格轮廓 — the outline of the cells each " + t.ID + " serves within its radius",
		GeometryType: "MultiPolygon",
		Properties: []Property{
			{"facility_id", String, "设施编号", "facility id"},
			{"name", String, "名称", "facility name"},
			{"type", String, "设施类型", "facility type id"},
			{"type_name_zh", String, "设施类型名称", "facility type name in Chinese"},
			{"max_dist_m", Number, "服务半径（米）", "the type's walking radius, metres"},
			{"residents", Number, "服务人口", "residents of the cells served (an estimate)"},
			{"cells", Integer, "网格数", "H3 cells served"},
			{"farthest_m", Number, "最远距离（米）", "distance to the farthest cell served"},
			{"in_force", Boolean, "计入分析", "counted in this analysis"},
		},
		src: &listSource{loadFn: func() []item { return s.catchmentItems(t) }, extentFn: func() orb.Bound { return s.catchmentExtent(t) }},
	})
}

// unitsAt lists the admin units containing p (all levels).
func (s *Set) unitsAt(p orb.Point) []int {
	s.polyOnce.Do(func() {
		for i, u := range s.a.Data.Units {
			s.polys.Insert(u.Geometry, i)
		}
	})
	var out []int
	s.polys.Containing(p, func(k int) bool { out = append(out, k); return true })
	sort.Ints(out)
	return out
}

func (s *Set) facilityItems() []item {
	a := s.a
	out := make([]item, len(a.Data.Facilities))
	for i, f := range a.Data.Facilities {
		f := f
		t, _ := a.Catalog.Type(f.Type)
		out[i] = item{id: int64(i) + 1, bound: orb.Bound{Min: f.Location, Max: f.Location}, units: s.unitsAt(f.Location),
			build: func(coverage.Profile) Feature {
				m := map[string]any{
					"id": f.ID, "type": f.Type, "type_name_zh": t.NameZH, "level": t.Level,
					"name": f.Name, "status": f.Status, "plan_year": nil, "capacity": nil, "in_force": a.InForce(f),
				}
				if f.PlanYear > 0 {
					m["plan_year"] = f.PlanYear
				}
				if f.Capacity > 0 {
					m["capacity"] = f.Capacity
				}
				return Feature{ID: int64(i) + 1, Key: f.ID, Geometry: f.Location, Properties: m}
			}}
	}
	return out
}

// unitExtent is the union of the bounds of the units of level l, the
// extent unitItems would give, without rolling the cells up (which needs
// the coverage of the mandatory types).
func (s *Set) unitExtent(l coverage.UnitLevel) orb.Bound {
	var all orb.Bound
	first := true
	for _, u := range s.a.Data.Units {
		if u.Level != l {
			continue
		}
		if b := u.Geometry.Bound(); first {
			all, first = b, false
		} else {
			all = all.Union(b)
		}
	}
	return all
}

func (s *Set) unitItems(l coverage.UnitLevel) []item {
	a := s.a
	var out []item
	for _, st := range a.UnitStats(l) {
		st := st
		u := a.Data.Units[st.Unit]
		units := []int{st.Unit}
		if pi, ok := a.UnitPosition(u.Parent); ok && u.Parent != "" {
			units = append(units, pi)
		}
		id := int64(len(out)) + 1
		out = append(out, item{id: id, bound: u.Geometry.Bound(), units: units, build: func(coverage.Profile) Feature {
			m := map[string]any{"code": u.Code, "name": u.Name, "level": u.Level, "parent": nil,
				"residents": st.Residents, "cells": st.Cells}
			if u.Parent != "" {
				m["parent"] = u.Parent
			}
			for k, lv := range coverage.Levels {
				m["completeness_"+string(lv)] = nil
				if c := st.Completeness[k]; !math.IsNaN(c) {
					m["completeness_"+string(lv)] = round4(c)
				}
			}
			return Feature{ID: id, Key: u.Code, Geometry: roundMultiPolygon(u.Geometry), Properties: m}
		}})
	}
	return out
}

func (s *Set) gapItems(typeID string) []item {
	a := s.a
	areas, err := a.GapAreas(typeID)
	if err != nil {
		return nil
	}
	tc, _ := a.Type(typeID)
	// the audit of the type's inventory in each area's unit, with the
	// units' residents from one pass over the cells
	city, _ := a.Quality(typeID, "")
	audits := map[string]coverage.Quality{}
	residents := map[coverage.UnitLevel][]float64{}
	var qmu sync.Mutex
	quality := func(u *coverage.UnitRef) coverage.Quality {
		if u == nil {
			return city
		}
		qmu.Lock()
		defer qmu.Unlock()
		if q, ok := audits[u.Code]; ok {
			return q
		}
		if residents[u.Level] == nil {
			residents[u.Level], _ = a.UnitTotals(u.Level, nil)
		}
		ui, _ := a.UnitPosition(u.Code)
		q := a.QualityIn(tc, ui, residents[u.Level][ui])
		audits[u.Code] = q
		return q
	}
	out := make([]item, len(areas))
	for i := range areas {
		g := &areas[i]
		var units []int
		for _, code := range g.Units {
			if ui, ok := a.UnitPosition(code); ok {
				units = append(units, ui)
			}
		}
		out[i] = item{id: int64(g.Rank), bound: g.Geometry.Bound(), units: units, build: func(coverage.Profile) Feature {
			m := map[string]any{
				"id": g.ID, "type": g.Type, "type_name_zh": tc.Type.NameZH, "rank": g.Rank, "rank_in_unit": g.RankInUnit,
				"residents": g.Residents, "cells": len(g.Cells), "completeness": nil,
				"unit_code": nil, "unit_name": nil, "unit_level": nil, "units": g.Units,
			}
			if !math.IsNaN(g.Completeness) {
				m["completeness"] = round4(g.Completeness)
			}
			if g.Unit != nil {
				m["unit_code"], m["unit_name"], m["unit_level"] = g.Unit.Code, g.Unit.Name, g.Unit.Level
				m[string(g.Unit.Level)+"_code"] = g.Unit.Code
			}
			for _, p := range g.Parents {
				m[string(p.Level)+"_code"] = p.Code
			}
			q := quality(g.Unit)
			m["data_quality"], m["facilities_mapped"], m["facilities_expected_min"] = q.Status, q.Mapped, q.ExpectedMin
			return Feature{ID: int64(g.Rank), Key: g.ID, Geometry: roundMultiPolygon(g.Geometry), Properties: m}
		}}
	}
	return out
}

// catchmentBound is the bound of facility f's catchment: its type's radius
// around it.
func catchmentBound(f coverage.Facility, t coverage.FacilityType) orb.Bound {
	r := spatial.NewRuler(f.Location[1])
	dLon, dLat := r.Degrees(t.MaxDistM)
	return orb.Bound{Min: orb.Point{f.Location[0] - dLon, f.Location[1] - dLat}, Max: orb.Point{f.Location[0] + dLon, f.Location[1] + dLat}}
}

// catchmentExtent is the union of the bounds of t's catchments, the extent
// catchmentItems would give, without computing a catchment.
func (s *Set) catchmentExtent(t coverage.FacilityType) orb.Bound {
	var all orb.Bound
	first := true
	for _, f := range s.a.Data.Facilities {
		if f.Type != t.ID {
			continue
		}
		if b := catchmentBound(f, t); first {
			all, first = b, false
		} else {
			all = all.Union(b)
		}
	}
	return all
}

func (s *Set) catchmentItems(t coverage.FacilityType) []item {
	a := s.a
	var out []item
	var cache sync.Map
	for fi, f := range a.Data.Facilities {
		if f.Type != t.ID {
			continue
		}
		f := f
		b := catchmentBound(f, t)
		id := int64(fi) + 1
		out = append(out, item{id: id, bound: b, units: s.unitsAt(f.Location), build: func(coverage.Profile) Feature {
			v, ok := cache.Load(id)
			if !ok {
				c, err := a.Catchment(f.ID)
				if err != nil {
					return Feature{ID: id, Key: f.ID, Properties: map[string]any{"facility_id": f.ID}}
				}
				v, _ = cache.LoadOrStore(id, c)
			}
			c := v.(*coverage.Catchment)
			m := map[string]any{
				"facility_id": f.ID, "name": f.Name, "type": c.Type.ID, "type_name_zh": c.Type.NameZH, "max_dist_m": c.Type.MaxDistM,
				"residents": c.Residents, "cells": len(c.Cells), "farthest_m": math.Round(c.FarthestM*10) / 10,
				"in_force": a.InForce(f),
			}
			var g orb.Geometry
			if len(c.Cells) > 0 {
				g = roundMultiPolygon(c.Geometry)
			}
			return Feature{ID: id, Key: f.ID, Geometry: g, Properties: m}
		}})
	}
	return out
}
