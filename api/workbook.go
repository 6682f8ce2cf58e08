package api

// The Excel workbook (GET /v1/summary.xlsx, lifecircle export --xlsx) and
// the CSV for Excel users (GET /v1/summary.csv): what planners read.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"lifecircle/coverage"
)

// WorkbookOptions choose what the workbook holds.
type WorkbookOptions struct {
	// By lists the unit levels of the per-unit sheets (empty: every level
	// the dataset has).
	By      []coverage.UnitLevel
	Profile coverage.Profile
	English bool // English headers and labels instead of Chinese
	// GapAreasPerType caps the gap areas listed per type (default 20).
	GapAreasPerType int
	// Compare adds a scenario comparison sheet when set.
	Compare *coverage.Comparison
	// Recommend sets the recommendations sheet (nil: the defaults of
	// WorkbookRecommend).
	Recommend *WorkbookRecommend
	// Context ends the recommendations early (the client left, the
	// deadline passed); nil: never.
	Context context.Context
	// Now stamps the cover sheet (default time.Now).
	Now time.Time
	// tablesOnly leaves out the recommendations (the CSV has no use for them).
	tablesOnly bool
}

// WorkbookRecommend chooses the recommendations sheet: for each type,
// the first K sites of POST /v1/recommend (generated from gap cells,
// lazy greedy with interchange), in build order, inside Unit when given,
// at least MinSpacingM apart. Every type is its own recommendation (the
// same budgets as /v1/recommend apply to each).
type WorkbookRecommend struct {
	// Types are type ids or Chinese names; empty: every mandatory type
	// that leaves residents uncovered.
	Types       []string
	K           int // sites per type; 0: 5
	Unit        string
	MinSpacingM float64
}

// Bounds of the recommendations sheet: at most MaxRecommendTypes types of
// at most maxWorkbookRecK sites each.
const (
	defaultWorkbookRecK = 5
	maxWorkbookRecK     = 20
)

// column is one column of a sheet: its Chinese and English header and its
// Excel number format (0 general; see numFmt*).
type column struct {
	zh, en string
	format int
	width  float64
}

const (
	fmtText    = 0
	fmtInt     = 3  // #,##0
	fmtDecimal = 4  // #,##0.00
	fmtPercent = 10 // 0.00%
	fmtCoord   = -1 // 0.000000 (a custom format)
)

type sheet struct {
	zh, en string
	cols   []column
	rows   [][]any
}

func (c column) header(en bool) string {
	if en {
		return c.en
	}
	return c.zh
}

// label picks the Chinese or the English text.
func label(en bool, zh, e string) string {
	if en {
		return e
	}
	return zh
}

var levelNames = map[coverage.Level][2]string{
	coverage.Block: {"居住街坊", "residential block"},
	coverage.LC5:   {"五分钟生活圈", "5-minute circle"},
	coverage.LC10:  {"十分钟生活圈", "10-minute circle"},
	coverage.LC15:  {"十五分钟生活圈", "15-minute circle"},
}

var unitLevelNames = map[coverage.UnitLevel][2]string{
	coverage.District:  {"区（市）县", "district"},
	coverage.Street:    {"街道（镇）", "street"},
	coverage.Community: {"社区（村）", "community"},
	coverage.Grid:      {"网格", "grid"},
}

func levelName(en bool, l coverage.Level) string {
	n, ok := levelNames[l]
	if !ok {
		return string(l)
	}
	return label(en, n[0], n[1])
}

// workbookSheets builds every sheet's table from an analysis.
func workbookSheets(a *coverage.Analysis, o WorkbookOptions) ([]sheet, error) {
	b := newSheetBuilder(a, o)
	byLevels, err := b.levels()
	if err != nil {
		return nil, err
	}
	cs := b.citywide()
	us, comp := b.unitSheets(byLevels)
	out := []sheet{cs, us, comp}
	gs, err := b.gapAreas()
	if err != nil {
		return nil, err
	}
	out = append(out, gs)
	if !o.tablesOnly {
		rs, err := recommendSheet(a, o, b.city, b.typeName)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	if o.Compare != nil {
		out = append(out, compareSheet(o.Compare, b.en, b.typeName))
	}
	return out, nil
}

// sheetBuilder builds the tables of a workbook from one analysis: the
// citywide summary, a method per sheet.
type sheetBuilder struct {
	a     *coverage.Analysis
	o     WorkbookOptions
	en    bool
	city  coverage.Summary
	types map[string]coverage.TypeSummary // by type id
}

func newSheetBuilder(a *coverage.Analysis, o WorkbookOptions) *sheetBuilder {
	b := &sheetBuilder{a: a, o: o, en: o.English, city: a.Summary("", o.Profile), types: map[string]coverage.TypeSummary{}}
	for _, t := range b.city.Types {
		b.types[t.ID] = t
	}
	return b
}

// typeName is a type's name in the workbook's language.
func (b *sheetBuilder) typeName(id string) string {
	t := b.types[id]
	if b.en && t.NameEN != "" {
		return t.NameEN
	}
	return t.NameZH
}

// levels are the unit levels of the per-unit sheets: those asked for
// (each must have polygons: the one 404 of by=), else every level that
// has units.
func (b *sheetBuilder) levels() ([]coverage.UnitLevel, error) {
	byLevels := b.o.By
	for _, l := range byLevels {
		if err := b.a.CheckLevel(l); err != nil {
			return nil, err
		}
	}
	if len(byLevels) == 0 {
		for _, l := range coverage.UnitLevels {
			if len(b.a.Summary(l, b.o.Profile).Units) > 0 {
				byLevels = append(byLevels, l)
			}
		}
	}
	return byLevels, nil
}

// citywide is the citywide sheet, one row per type.
func (b *sheetBuilder) citywide() sheet {
	name := b.o.Profile.Name
	cs := sheet{zh: "全市汇总", en: "Citywide", cols: []column{
		{"类型编码", "type id", fmtText, 28}, {"设施类型", "facility type", fmtText, 34}, {"生活圈层级", "life-circle level", fmtText, 16},
		{"配置要求", "requirement", fmtText, 12}, {"服务半径（米）", "radius (m)", fmtInt, 12}, {"设施数", "facilities", fmtInt, 10},
		{"常住人口", "residents", fmtInt, 14}, {"覆盖人口", "covered", fmtInt, 14}, {"未覆盖人口", "uncovered", fmtInt, 14},
		{"覆盖率", "share covered", fmtPercent, 12}, {"步行时间内覆盖人口（" + name + "）", "covered in time (" + name + ")", fmtInt, 18},
		{"容量满足人口", "served (2SFCA)", fmtInt, 14}, {"容量不足人口", "capacity-short", fmtInt, 14},
		{"数据质量", "data quality", fmtText, 16}, {"预期设施数（下限）", "facilities expected (min)", fmtDecimal, 14},
		{"预期设施数（上限）", "facilities expected (max)", fmtDecimal, 14}, {"数据质量说明", "data quality note", fmtText, 50},
	}}
	for _, t := range b.city.Types {
		row := []any{t.ID, b.typeName(t.ID), levelName(b.en, t.Level), string(t.Requirement), t.MaxDistM, t.Facilities,
			t.Residents, t.Covered, t.Uncovered, t.Share, t.CoveredInTime, t.Served, t.CapacityShort}
		cs.rows = append(cs.rows, append(row, qualityCells(b.a, t.ID, "", b.en)...))
	}
	return cs
}

// unitSheets are the sheets per unit and type and of the completeness per
// unit, over the units of each level.
func (b *sheetBuilder) unitSheets(byLevels []coverage.UnitLevel) (us, comp sheet) {
	us = sheet{zh: "分单元分类型", en: "By unit and type", cols: []column{
		{"单元级别", "unit level", fmtText, 12}, {"单元编码", "unit code", fmtText, 14}, {"单元名称", "unit name", fmtText, 22},
		{"类型编码", "type id", fmtText, 28}, {"设施类型", "facility type", fmtText, 30}, {"常住人口", "residents", fmtInt, 12},
		{"覆盖人口", "covered", fmtInt, 12}, {"未覆盖人口", "uncovered", fmtInt, 12}, {"覆盖率", "share covered", fmtPercent, 10},
		{"容量满足人口", "served (2SFCA)", fmtInt, 14}, {"容量不足人口", "capacity-short", fmtInt, 14},
		{"数据质量", "data quality", fmtText, 16}, {"预期设施数（下限）", "facilities expected (min)", fmtDecimal, 14},
		{"预期设施数（上限）", "facilities expected (max)", fmtDecimal, 14}, {"数据质量说明", "data quality note", fmtText, 50},
	}}
	comp = sheet{zh: "单元完整度", en: "Completeness by unit", cols: []column{
		{"单元级别", "unit level", fmtText, 12}, {"单元编码", "unit code", fmtText, 14}, {"单元名称", "unit name", fmtText, 22},
		{"上级单元", "parent", fmtText, 14}, {"网格单元数", "cells", fmtInt, 10}, {"常住人口", "residents", fmtInt, 12},
	}}
	for _, l := range coverage.Levels {
		comp.cols = append(comp.cols, column{levelName(b.en, l) + "完整度", "completeness " + string(l), fmtPercent, 14})
	}
	for _, by := range byLevels {
		b.unitRows(by, &us, &comp)
	}
	return us, comp
}

// unitRows adds the rows of the units of one level (and of the cells
// outside every unit) to the per-unit sheets.
func (b *sheetBuilder) unitRows(by coverage.UnitLevel, us, comp *sheet) {
	s := b.a.Summary(by, b.o.Profile)
	units := s.Units
	if s.Unassigned != nil {
		units = append(units[:len(units):len(units)], *s.Unassigned)
	}
	ln := unitLevelNames[by]
	level := label(b.en, ln[0], ln[1])
	for _, u := range units {
		name := u.Name
		if u.Code == "" || u.Code == "unassigned" {
			name = label(b.en, "（不属于任何单元）", "(outside every unit)")
		}
		for _, t := range u.Types {
			row := []any{level, u.Code, name, t.ID, b.typeName(t.ID), u.Residents,
				t.Covered, t.Uncovered, t.Share, t.Served, t.CapacityShort}
			if s.Unassigned != nil && u.Code == s.Unassigned.Code {
				row = append(row, nil, nil, nil, nil)
			} else {
				row = append(row, qualityCells(b.a, t.ID, u.Code, b.en)...)
			}
			us.rows = append(us.rows, row)
		}
		row := []any{level, u.Code, name, u.Parent, u.Cells, u.Residents}
		for _, l := range coverage.Levels {
			if v, ok := u.Completeness[l]; ok {
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		comp.rows = append(comp.rows, row)
	}
}

// gapAreas is the sheet of the gap areas (the first GapAreasPerType, 20 by
// default, of each type) ranked by unserved residents across all types.
func (b *sheetBuilder) gapAreas() (sheet, error) {
	per := b.o.GapAreasPerType
	if per <= 0 {
		per = 20
	}
	gs := sheet{zh: "缺口区域排名", en: "Gap areas ranked", cols: []column{
		{"总排名", "rank", fmtInt, 8}, {"类型编码", "type id", fmtText, 28}, {"设施类型", "facility type", fmtText, 30},
		{"类型内排名", "rank in type", fmtInt, 10}, {"未覆盖人口", "unserved residents", fmtInt, 14}, {"网格单元数", "cells", fmtInt, 10},
		{"主要所在单元编码", "main unit code", fmtText, 16}, {"主要所在单元", "main unit", fmtText, 22}, {"涉及单元", "units touched", fmtText, 30},
		{"编号", "id", fmtText, 26},
	}}
	var gaps []coverage.GapArea
	for _, t := range b.city.Types {
		ga, err := b.a.GapAreas(t.ID)
		if err != nil {
			return gs, err
		}
		if len(ga) > per {
			ga = ga[:per]
		}
		gaps = append(gaps, ga...)
	}
	sort.SliceStable(gaps, func(i, j int) bool { return gaps[i].Residents > gaps[j].Residents })
	for i, g := range gaps {
		code, uname := "", ""
		if g.Unit != nil {
			code, uname = g.Unit.Code, g.Unit.Name
		}
		gs.rows = append(gs.rows, []any{i + 1, g.Type, b.typeName(g.Type), g.Rank, g.Residents, len(g.Cells), code, uname, strings.Join(g.Units, ", "), g.ID})
	}
	return gs, nil
}

// recommendSheet lists, per type, the recommended sites in build order
// with their gains and the units they fall in.
func recommendSheet(a *coverage.Analysis, o WorkbookOptions, city coverage.Summary, typeName func(string) string) (sheet, error) {
	r := WorkbookRecommend{}
	if o.Recommend != nil {
		r = *o.Recommend
	}
	if r.K == 0 {
		r.K = defaultWorkbookRecK
	}
	if r.K < 1 || r.K > maxWorkbookRecK {
		return sheet{}, badParamZH("rec_k", fmt.Sprintf("参数 rec_k %d 须为每类 1 至 %d 个选址", r.K, maxWorkbookRecK), "rec_k %d: want 1 to %d sites per type", r.K, maxWorkbookRecK)
	}
	var ids []string
	if len(r.Types) == 0 {
		for _, t := range city.Types {
			if t.Requirement == coverage.Mandatory && t.Uncovered > 0 {
				ids = append(ids, t.ID)
			}
		}
	} else {
		seen := map[string]bool{}
		for _, name := range r.Types {
			tc, err := a.Type(strings.TrimSpace(name))
			if err != nil {
				return sheet{}, blame("rec", err)
			}
			if seen[tc.Type.ID] {
				return sheet{}, badParamZH("rec", fmt.Sprintf("参数 rec 重复列出了设施类型 %s", tc.Type.ID), "rec lists type %s twice", tc.Type.ID)
			}
			seen[tc.Type.ID] = true
			ids = append(ids, tc.Type.ID)
		}
	}
	if len(ids) > coverage.MaxRecommendTypes {
		return sheet{}, badParamZH("rec", fmt.Sprintf("参数 rec 列出了 %d 种设施类型，最多 %d 种", len(ids), coverage.MaxRecommendTypes), "rec lists %d types; at most %d", len(ids), coverage.MaxRecommendTypes)
	}
	if r.Unit != "" {
		u, err := a.ResolveUnit(r.Unit)
		if err != nil {
			return sheet{}, blame("rec_unit", err)
		}
		r.Unit = u.Code
	}
	var levels []coverage.UnitLevel
	for _, l := range coverage.UnitLevels {
		if len(a.Summary(l, o.Profile).Units) > 0 {
			levels = append(levels, l)
		}
	}
	s := sheet{zh: "推荐选址", en: "Recommended sites", cols: []column{
		{"类型编码", "type id", fmtText, 28}, {"设施类型", "facility type", fmtText, 30}, {"建设顺序", "build order", fmtInt, 10},
		{"经度", "longitude", fmtCoord, 12}, {"纬度", "latitude", fmtCoord, 12},
		{"新增覆盖人口", "residents newly covered", fmtInt, 14}, {"累计覆盖率", "cumulative share", fmtPercent, 12},
		{"建设前覆盖率", "share before", fmtPercent, 12},
	}}
	for _, l := range levels {
		n := unitLevelNames[l]
		s.cols = append(s.cols, column{"所在" + n[0], "in " + n[1], fmtText, 18})
	}
	s.cols = append(s.cols, column{"候选点", "candidate", fmtText, 24})
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	for _, id := range ids {
		rec, err := a.RecommendContext(ctx, coverage.RecommendRequest{Types: []coverage.WeightedType{{ID: id, Weight: 1}},
			K: r.K, Unit: r.Unit, MinSpacingM: r.MinSpacingM})
		if err != nil {
			return sheet{}, blame("rec", err)
		}
		for _, site := range rec.Sites {
			row := []any{id, typeName(id), site.Rank, site.Location[0], site.Location[1],
				site.GainByType[id], site.CumulativeShare[id], rec.ShareStart[id]}
			units := unitsAt(a, site.Location)
			for _, l := range levels {
				if u, ok := units[l]; ok {
					row = append(row, u.Name+"（"+u.Code+"）")
				} else {
					row = append(row, nil)
				}
			}
			s.rows = append(s.rows, append(row, site.ID))
		}
	}
	return s, nil
}

// unitsAt finds the unit of each level a point lies in: the units of its
// populated cell, else the units whose outline holds it.
func unitsAt(a *coverage.Analysis, p orb.Point) map[coverage.UnitLevel]coverage.AdminUnit {
	out := map[coverage.UnitLevel]coverage.AdminUnit{}
	if i, err := a.CellAt(p); err == nil {
		for _, l := range coverage.UnitLevels {
			if u, ok := a.UnitOf(l, i); ok {
				out[l] = u
			}
		}
		return out
	}
	for _, u := range a.Data.Units {
		if _, ok := out[u.Level]; !ok && a.UnitContains(u.Code, p) {
			out[u.Level] = u
		}
	}
	return out
}

// compareSheet lists a scenario's gains and losses per type and unit.
func compareSheet(cmp *coverage.Comparison, en bool, typeName func(string) string) sheet {
	s := sheet{zh: "方案比较", en: "Scenario comparison", cols: []column{
		{"类型编码", "type id", fmtText, 28}, {"设施类型", "facility type", fmtText, 30}, {"单元编码", "unit code", fmtText, 14},
		{"单元名称", "unit name", fmtText, 22}, {"新增覆盖人口", "newly covered", fmtInt, 14}, {"新增未覆盖人口", "newly uncovered", fmtInt, 14},
	}}
	for _, r := range comparisonRows(cmp) {
		var code, name any = r.unit, r.unitName
		if r.unit == "" { // the citywide row of the type
			code, name = nil, label(en, "全市", "city")
		}
		s.rows = append(s.rows, []any{r.typ, typeName(r.typ), code, name, r.gained, r.lost})
	}
	return s
}

// coverSheet is the first sheet: what the numbers are and how they were made.
func coverSheet(a *coverage.Analysis, o WorkbookOptions) [][2]any {
	en := o.English
	s := a.Summary("", o.Profile)
	method := label(en, "步行路网距离（OSM 路网，多源 Dijkstra）", "walking-network distance (OSM network, multi-source Dijkstra)")
	if s.Method == "euclidean" {
		method = label(en, fmt.Sprintf("直线距离 × 绕行系数 %.2f（近似值）", s.Detour), fmt.Sprintf("straight line × detour factor %.2f (approximate)", s.Detour))
	}
	note := s.PopulationNote
	if note == "" {
		note = label(en, "（数据未附人口说明）", "(the dataset carries no population note)")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	rows := [][2]any{
		{label(en, "15分钟社区生活圈设施覆盖评估", "15-minute community life-circle facility coverage"), nil},
		{label(en, "数据集", "dataset"), s.Dataset},
		{label(en, "生成时间", "generated"), now.Format("2006-01-02 15:04 MST")},
		{label(en, "距离方法", "distance method"), method},
		{label(en, "覆盖口径", "what covered means"), label(en,
			"网格中心到最近同类设施的步行距离不超过该类型服务半径（GB 50180-2018、TD/T 1062-2021）；各层级不相互替代；仅计现状设施（除非指定规划年）",
			"the walk from the cell centre to the nearest facility of the type is within the type's radius (GB 50180-2018, TD/T 1062-2021); levels do not substitute for each other; only existing facilities count unless a plan year is given")},
		{label(en, "完整度", "completeness"), label(en, "某层级必配设施类型中覆盖该居民的比例，按人口加权", "the population-weighted share of a level's mandatory types that cover a resident")},
		{label(en, "步行速度", "walking profile"), fmt.Sprintf("%s (%.0f m/min)", s.Profile.Name, s.Profile.SpeedMPerMin)},
		{label(en, "H3 分辨率", "H3 resolution"), s.Resolution},
		{label(en, "网格单元数", "populated cells"), s.Cells},
		{label(en, "常住人口", "residents"), s.Residents},
		{label(en, "人口数据说明", "population note"), note},
	}
	if s.PlanYear > 0 {
		rows = append(rows, [2]any{label(en, "规划年（计入规划设施）", "plan year (planned facilities counted)"), s.PlanYear})
	}
	for _, l := range coverage.Levels {
		if v, ok := s.Completeness[l]; ok {
			rows = append(rows, [2]any{levelName(en, l) + label(en, "完整度（全市）", " completeness (citywide)"), v})
		}
	}
	return rows
}

// WriteWorkbook writes the workbook: a cover sheet with the method and the
// population note, then the citywide summary, per unit and type, the
// completeness per unit, the ranked gap areas, and the scenario comparison
// when given. Headers are Chinese (English with o.English), header rows are
// frozen, numbers carry Excel number formats.
func WriteWorkbook(w io.Writer, a *coverage.Analysis, o WorkbookOptions) error {
	if o.Profile.Name == "" {
		o.Profile = coverage.DefaultProfile
	}
	sheets, err := workbookSheets(a, o)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	x := &xlsxWriter{f: f, en: o.English}
	if err := x.writeCover(coverSheet(a, o)); err != nil {
		return err
	}
	if err := x.tableStyles(); err != nil {
		return err
	}
	for _, s := range sheets {
		if err := x.writeSheet(s); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// xlsxWriter writes a workbook's sheets into one excelize file: the cover
// first, then each table, with the styles made once.
type xlsxWriter struct {
	f      *excelize.File
	en     bool
	header int         // the style of a table's header row
	number map[int]int // the style of a number format
}

// newStyle makes a style of the file.
func (x *xlsxWriter) newStyle(s *excelize.Style, err *error) int {
	if *err != nil {
		return 0
	}
	id, e := x.f.NewStyle(s)
	*err = e
	return id
}

// writeCover writes the cover sheet (the first, renamed): a bold label
// per row, the title larger, and its value beside it (shares as
// percentages, other numbers as integers, text wrapped).
func (x *xlsxWriter) writeCover(rows [][2]any) error {
	f := x.f
	cover := label(x.en, "说明", "About")
	if err := f.SetSheetName("Sheet1", cover); err != nil {
		return err
	}
	var err error
	bold := x.newStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}, &err)
	title := x.newStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}, &err)
	wrap := x.newStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}, &err)
	pct := x.newStyle(&excelize.Style{NumFmt: fmtPercent, Alignment: &excelize.Alignment{Horizontal: "left"}}, &err)
	intLeft := x.newStyle(&excelize.Style{NumFmt: fmtInt, Alignment: &excelize.Alignment{Horizontal: "left"}}, &err)
	if err != nil {
		return err
	}
	for i, r := range rows {
		row := i + 1
		if err := f.SetCellValue(cover, cellName(1, row), r[0]); err != nil {
			return err
		}
		st := bold
		if i == 0 {
			st = title
		}
		f.SetCellStyle(cover, cellName(1, row), cellName(1, row), st)
		if r[1] == nil {
			continue
		}
		f.SetCellValue(cover, cellName(2, row), r[1])
		switch r[1].(type) {
		case float64:
			if v := r[1].(float64); v <= 1 && v >= 0 {
				f.SetCellStyle(cover, cellName(2, row), cellName(2, row), pct)
			} else {
				f.SetCellStyle(cover, cellName(2, row), cellName(2, row), intLeft)
			}
		case string:
			f.SetCellStyle(cover, cellName(2, row), cellName(2, row), wrap)
		}
	}
	f.SetColWidth(cover, "A", "A", 34)
	f.SetColWidth(cover, "B", "B", 90)
	return nil
}

// tableStyles makes the styles of the tables: the header row and each
// number format.
func (x *xlsxWriter) tableStyles() error {
	var err error
	x.header = x.newStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}}, &err)
	x.number = map[int]int{}
	for _, nf := range []int{fmtInt, fmtDecimal, fmtPercent} {
		x.number[nf] = x.newStyle(&excelize.Style{NumFmt: nf}, &err)
	}
	coordFmt := "0.000000"
	x.number[fmtCoord] = x.newStyle(&excelize.Style{CustomNumFmt: &coordFmt}, &err)
	return err
}

// writeSheet writes a table as a sheet: column widths, the header row
// frozen, the rows (numbers in their formats) and an autofilter.
func (x *xlsxWriter) writeSheet(s sheet) error {
	name := label(x.en, s.zh, s.en)
	if _, err := x.f.NewSheet(name); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for j, c := range s.cols {
		if c.width > 0 {
			if err := sw.SetColWidth(j+1, j+1, c.width); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := make([]any, len(s.cols))
	for j, c := range s.cols {
		hdr[j] = excelize.Cell{StyleID: x.header, Value: c.header(x.en)}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for i, r := range s.rows {
		if err := sw.SetRow(cellName(1, i+2), x.cells(s, r)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(s.rows) > 0 {
		return x.f.AutoFilter(name, "A1:"+cellName(len(s.cols), len(s.rows)+1), nil)
	}
	return nil
}

// cells is a row of a table with each number in its column's format.
func (x *xlsxWriter) cells(s sheet, r []any) []any {
	row := make([]any, len(r))
	for j, v := range r {
		if nf := s.cols[j].format; nf != fmtText && v != nil {
			row[j] = excelize.Cell{StyleID: x.number[nf], Value: v}
		} else {
			row[j] = v
		}
	}
	return row
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// WriteSummaryCSV writes the per-unit-and-type table (citywide rows first,
// unit level "city") as CSV; bom prefixes the UTF-8 byte-order mark Excel
// on Chinese Windows needs to read UTF-8.
func WriteSummaryCSV(w io.Writer, a *coverage.Analysis, o WorkbookOptions, bom bool) error {
	if o.Profile.Name == "" {
		o.Profile = coverage.DefaultProfile
	}
	o.tablesOnly = true
	sheets, err := workbookSheets(a, o)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if bom {
		buf.WriteString("\ufeff")
	}
	cw := csv.NewWriter(&buf)
	s := sheets[1] // by unit and type
	hdr := make([]string, len(s.cols))
	for j, c := range s.cols {
		hdr[j] = c.header(o.English)
	}
	cw.Write(hdr)
	city := sheets[0]
	for _, r := range city.rows { // citywide: id, name, level, req, radius, n, residents, covered, uncovered, share, in time, served, short
		cw.Write([]string{label(o.English, "全市", "city"), "", "", csvValue(r[0]), csvValue(r[1]), csvValue(r[6]), csvValue(r[7]), csvValue(r[8]), csvValue(r[9]), csvValue(r[11]), csvValue(r[12]),
			csvValue(r[13]), csvValue(r[14]), csvValue(r[15]), csvValue(r[16])})
	}
	for _, r := range s.rows {
		rec := make([]string, len(r))
		for j, v := range r {
			rec[j] = csvValue(v)
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	}
	return fmt.Sprint(v)
}

type comparisonRow struct {
	typ, unit, unitName string
	gained, lost        float64
}

// comparisonRows flattens a comparison: the citywide row of each type (no
// unit), then each unit's rows.
func comparisonRows(c *coverage.Comparison) []comparisonRow {
	var out []comparisonRow
	for _, t := range c.Types {
		out = append(out, comparisonRow{typ: t.ID, gained: t.NewlyCovered, lost: t.NewlyUncovered})
	}
	for _, u := range c.Units {
		for _, t := range u.Types {
			out = append(out, comparisonRow{typ: t.ID, unit: u.Code, unitName: u.Name, gained: t.NewlyCovered, lost: t.NewlyUncovered})
		}
	}
	return out
}

// workbookParams reads by, profile and lang of a workbook or CSV request.
func workbookParams(c *gin.Context, extra ...string) (WorkbookOptions, error) {
	var o WorkbookOptions
	if err := checkParams(c, append([]string{"by", "profile", "lang", "f", "rec", "rec_k", "rec_unit", "rec_spacing_m"}, extra...)...); err != nil {
		return o, err
	}
	o.Context = c.Request.Context()
	rec := WorkbookRecommend{}
	if v := c.Query("rec"); v != "" {
		rec.Types = strings.Split(v, ",")
	}
	if v := c.Query("rec_k"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > maxWorkbookRecK {
			return o, badParamZH("rec_k", fmt.Sprintf("参数 rec_k「%s」须为每类 1 至 %d 个选址", v, maxWorkbookRecK), "rec_k %q: want 1 to %d sites per type", v, maxWorkbookRecK)
		}
		rec.K = k
	}
	if v := c.Query("rec_spacing_m"); v != "" {
		m, err := strconv.ParseFloat(v, 64)
		if err != nil || m < 0 || m > 10000 || math.IsNaN(m) {
			return o, badParamZH("rec_spacing_m", fmt.Sprintf("参数 rec_spacing_m「%s」须为 0 至 10000 米", v), "rec_spacing_m %q: want metres from 0 to 10000", v)
		}
		rec.MinSpacingM = m
	}
	rec.Unit = c.Query("rec_unit")
	o.Recommend = &rec
	p, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		return o, blame("profile", err)
	}
	o.Profile = p
	if v := c.Query("by"); v != "" {
		for _, part := range strings.Split(v, ",") {
			l, err := coverage.ParseUnitLevel(strings.TrimSpace(part))
			if err != nil {
				return o, blame("by", err)
			}
			o.By = append(o.By, l)
		}
	}
	switch c.Query("lang") {
	case "", "zh", "zh-CN":
	case "en":
		o.English = true
	default:
		return o, badParamZH("lang", fmt.Sprintf("参数 lang「%s」须为 zh（默认）或 en", c.Query("lang")), "lang %q: want zh (default) or en", c.Query("lang"))
	}
	return o, nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) writeWorkbook(c *gin.Context, a *coverage.Analysis, o WorkbookOptions, file string) {
	var buf bytes.Buffer
	if err := WriteWorkbook(&buf, a, o); err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+file+`"`)
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

// handleSummaryXLSX: GET /v1/summary.xlsx?by=street,community&lang=en — the workbook.
func (s *Server) handleSummaryXLSX(c *gin.Context) {
	o, err := workbookParams(c)
	if err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	s.writeWorkbook(c, a, o, "lifecircle-summary.xlsx")
}

// handleSummaryCSV: GET /v1/summary.csv?by=street&bom=1 — the per-unit
// table as CSV; bom=1 for Excel on Chinese Windows.
func (s *Server) handleSummaryCSV(c *gin.Context) {
	o, err := workbookParams(c, "bom")
	if err != nil {
		writeError(c, err)
		return
	}
	bom := false
	switch c.Query("bom") {
	case "", "0", "false":
	case "1", "true":
		bom = true
	default:
		writeError(c, badParamZH("bom", fmt.Sprintf("参数 bom「%s」须为 1 或 0", c.Query("bom")), "bom %q: want 1 or 0", c.Query("bom")))
		return
	}
	var buf bytes.Buffer
	if err := WriteSummaryCSV(&buf, s.current(), o, bom); err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="lifecircle-summary.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// handleScenarioCompareXLSX: GET /v1/scenarios/{id}/compare.xlsx — the
// workbook of the scenario with its comparison against the baseline.
func (s *Server) handleScenarioCompareXLSX(c *gin.Context) {
	o, err := workbookParams(c)
	if err != nil {
		writeError(c, err)
		return
	}
	st, sc, ok := s.loadScenario(c, "by", "profile", "lang", "rec", "rec_k", "rec_unit", "rec_spacing_m")
	if !ok {
		return
	}
	defer st.mu.Unlock()
	cmp := coverage.Compare(st.base, st.a)
	o.Compare = &cmp
	s.writeWorkbook(c, st.a, o, "lifecircle-scenario-"+sc.ID+".xlsx")
}

// qualityCells are the data-quality columns of a type, citywide (unit "")
// or in a unit: status, expected facilities (min, max) and the note.
func qualityCells(a *coverage.Analysis, typ, unit string, en bool) []any {
	q, err := a.Quality(typ, unit)
	if err != nil {
		return []any{nil, nil, nil, nil}
	}
	note := q.NoteZH
	if en || note == "" {
		note = q.Note
	}
	var lo, hi any
	if q.ExpectedMax > 0 {
		lo, hi = q.ExpectedMin, q.ExpectedMax
	}
	return []any{q.Status, lo, hi, note}
}
