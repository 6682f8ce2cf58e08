package coverage

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Types and units are named by planners in Chinese: a facility type by its
// id (kindergarten) or its Chinese name (幼儿园, or one of the alternatives of
// a name such as 养老院／老年养护院), a unit by its code (510108) or its name
// (成华区). A name that fits several is refused with the candidates listed.

// errAmbiguous marks a name that fits several types or units.
var errAmbiguous = errors.New("ambiguous")

// zhAlternatives splits a Chinese type name into the names a planner may
// use: the whole name, the name without its parenthetical, and each part
// separated by ／ (inside or outside the parenthesis).
func zhAlternatives(name string) []string {
	out := []string{name}
	main, paren := name, ""
	if i := strings.Index(name, "（"); i >= 0 {
		rest := name[i+len("（"):]
		j := strings.Index(rest, "）")
		if j < 0 {
			j = len(rest)
		}
		paren = rest[:j]
		main = name[:i] + strings.TrimPrefix(rest[j:], "）")
	}
	out = append(out, main)
	for _, part := range strings.Split(main, "／") {
		out = append(out, strings.TrimSpace(part))
	}
	for _, part := range strings.FieldsFunc(paren, func(r rune) bool { return r == '／' || r == '，' || r == '、' }) {
		if !strings.HasPrefix(part, "含") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

// ShortNameZH is the first alternative of a type's Chinese name (幼儿园,
// 养老院), for tables and lists.
func (t FacilityType) ShortNameZH() string {
	if t.NameZH == "" {
		return t.NameEN
	}
	alt := zhAlternatives(t.NameZH)
	return alt[2] // the first ／ part of the name without its parenthetical
}

// Resolve returns the type named by s: its id, its English name (any case),
// its Chinese name or one of that name's alternatives, or else a part of
// the Chinese name that fits one type only. An unknown name is an
// ErrInvalid error listing the types; a name fitting several types is an
// ErrInvalid error listing them.
func (c *Catalog) Resolve(s string) (FacilityType, error) {
	i, err := c.resolve(s)
	if err != nil {
		return FacilityType{}, err
	}
	return c.Types[i], nil
}

func (c *Catalog) resolve(s string) (int, error) {
	if i, ok := c.index[s]; ok {
		return i, nil
	}
	q := strings.TrimSpace(s)
	if q == "" {
		return -1, c.unknownType(s)
	}
	if i, ok := c.index[q]; ok {
		return i, nil
	}
	stages := []func(FacilityType) bool{
		func(t FacilityType) bool { return t.NameZH == q || strings.EqualFold(t.NameEN, q) },
		func(t FacilityType) bool {
			for _, a := range zhAlternatives(t.NameZH) {
				if a == q {
					return true
				}
			}
			return false
		},
		func(t FacilityType) bool { return utf8.RuneCountInString(q) >= 2 && strings.Contains(t.NameZH, q) },
	}
	for _, fits := range stages {
		var hit []int
		for i, t := range c.Types {
			if fits(t) {
				hit = append(hit, i)
			}
		}
		switch {
		case len(hit) == 1:
			return hit[0], nil
		case len(hit) > 1:
			en := make([]string, len(hit))
			zh := make([]string, len(hit))
			for k, i := range hit {
				t := c.Types[i]
				en[k] = fmt.Sprintf("%s (%s)", t.ID, t.ShortNameZH())
				zh[k] = fmt.Sprintf("%s（%s）", t.ShortNameZH(), t.ID)
			}
			return -1, WithZH(fmt.Errorf("facility type %q fits %d types: %s; give the id: %w: %w", s, len(hit), strings.Join(en, ", "), errAmbiguous, ErrInvalid),
				"设施类型「%s」对应 %d 个类型：%s；请给出类型编号", s, len(hit), strings.Join(zh, "、"))
		}
	}
	return -1, c.unknownType(s)
}

func (c *Catalog) unknownType(id string) error {
	types := append([]FacilityType(nil), c.Types...)
	sort.Slice(types, func(i, j int) bool { return types[i].ID < types[j].ID })
	en := make([]string, len(types))
	zh := make([]string, len(types))
	for i, t := range types {
		en[i] = t.ID
		zh[i] = fmt.Sprintf("%s（%s）", t.ShortNameZH(), t.ID)
	}
	return WithZH(fmt.Errorf("unknown facility type %q (give an id or a Chinese name); valid types: %s: %w", id, strings.Join(en, ", "), ErrInvalid),
		"未知的设施类型「%s」；可用类型（编号或中文名均可）：%s", id, strings.Join(zh, "、"))
}

// ResolveUnit returns the admin unit named by s: its code, its name, or a
// part of a name that fits one unit only (成华区 → 成华区). Names and codes
// of the official divisions (Divisions) are known too: one the dataset has
// no polygon of is an ErrNotFound error naming what is missing (石羊街道 is
// a street, but there are no street boundaries). An unknown unit is an
// ErrInvalid error naming it; a name fitting several units is an ErrInvalid
// error listing them with their codes, levels and districts.
func (a *Analysis) ResolveUnit(s string) (AdminUnit, error) {
	i, err := a.resolveUnit(s)
	if err != nil {
		return AdminUnit{}, err
	}
	return a.Data.Units[i], nil
}

// unitLevelZH names the unit levels in Chinese.
var unitLevelZH = map[UnitLevel]string{District: "区（市）县", Street: "街道", Community: "社区", Grid: "网格"}

// LevelNameZH is the Chinese name of a unit level (区（市）县, 街道, 社区, 网格).
func (l UnitLevel) LevelNameZH() string {
	if n, ok := unitLevelZH[l]; ok {
		return n
	}
	return string(l)
}

func (a *Analysis) resolveUnit(s string) (int, error) {
	i, _, err := a.resolveAny(s)
	return i, err
}

// ResolveCode returns the code of the unit or official division named by
// s, whether or not the dataset has its polygon (for lists and
// jurisdictions, which need no geometry).
func (a *Analysis) ResolveCode(s string) (string, error) {
	i, v, err := a.resolveAny(s)
	switch {
	case i >= 0:
		return a.Data.Units[i].Code, nil
	case v.Code != "":
		return v.Code, nil
	}
	return "", err
}

// resolveAny resolves s to a unit with a polygon (its index) or else to an
// official division without one (index -1, the division and the error
// saying what is missing).
func (a *Analysis) resolveAny(s string) (int, Division, error) {
	if i, ok := a.unitIndex[s]; ok {
		return i, Division{}, nil
	}
	q := strings.TrimSpace(s)
	if i, ok := a.unitIndex[q]; ok && q != "" {
		return i, Division{}, nil
	}
	if v, ok := a.Divisions.Lookup(q); ok && q != "" {
		return -1, v, a.noPolygon(v)
	}
	// a candidate is a unit with a polygon (index ≥ 0) or a division
	// without one, keyed by code so a unit and its division count once
	type cand struct {
		unit int
		div  Division
	}
	units := a.Data.Units
	stages := []struct {
		units func(AdminUnit) bool
		divs  func(string) []Division
	}{
		{func(u AdminUnit) bool { return u.Name == q || (u.Name != "" && ShortDivisionName(u.Name) == q) }, a.Divisions.Named},
		{func(u AdminUnit) bool { return utf8.RuneCountInString(q) >= 2 && strings.Contains(u.Name, q) }, a.Divisions.Containing},
	}
	for _, st := range stages {
		if q == "" {
			break
		}
		var hit []cand
		seen := map[string]bool{}
		for i, u := range units {
			if st.units(u) && !seen[u.Code] {
				seen[u.Code] = true
				hit = append(hit, cand{unit: i})
			}
		}
		for _, v := range st.divs(q) {
			if !seen[v.Code] {
				seen[v.Code] = true
				if i, ok := a.unitIndex[v.Code]; ok {
					hit = append(hit, cand{unit: i})
				} else {
					hit = append(hit, cand{unit: -1, div: v})
				}
			}
		}
		switch {
		case len(hit) == 1 && hit[0].unit >= 0:
			return hit[0].unit, Division{}, nil
		case len(hit) == 1:
			return -1, hit[0].div, a.noPolygon(hit[0].div)
		case len(hit) > 1:
			const show = 20
			var en, zh []string
			for k, h := range hit {
				if k == show {
					en = append(en, fmt.Sprintf("… %d more", len(hit)-show))
					zh = append(zh, fmt.Sprintf("……另有 %d 个", len(hit)-show))
					break
				}
				v := h.div
				if h.unit >= 0 {
					u := units[h.unit]
					d, ok := a.Divisions.Lookup(u.Code)
					if !ok {
						en = append(en, fmt.Sprintf("%s %s (%s)", u.Code, u.Name, u.Level))
						zh = append(zh, fmt.Sprintf("%s %s（%s）", u.Code, u.Name, u.Level.LevelNameZH()))
						continue
					}
					v = d
				}
				e, z := a.Divisions.Describe(v)
				en, zh = append(en, e), append(zh, z)
			}
			return -1, Division{}, WithZH(fmt.Errorf("admin unit %q fits %d units: %s; give the code: %w: %w", s, len(hit), strings.Join(en, ", "), errAmbiguous, ErrInvalid),
				"行政单元「%s」对应 %d 个单元：%s；请给出代码", s, len(hit), strings.Join(zh, "、"))
		}
	}
	what, whatZH := "code or name", "代码或名称均可"
	if isDigits(q) {
		what, whatZH = "no unit has this code", "没有这个代码的单元"
	}
	known, knownZH := "see /v1/units for the units", "单元列表见 /v1/units"
	if n := a.Divisions.Len(); n > 0 {
		known = fmt.Sprintf("neither among its %d boundaries nor among the %d official divisions (%s); see /v1/units for them", len(units), n, a.Divisions.Source)
		knownZH = fmt.Sprintf("既不在其 %d 个边界中，也不在 %d 个正式行政区划中；单元列表见 /v1/units", len(units), n)
	}
	return -1, Division{}, WithZH(fmt.Errorf("admin unit %q does not exist in dataset %s (%s; %s): %w", s, a.Data.Name, what, known, ErrInvalid),
		"数据集 %s 中没有行政单元「%s」（%s；%s）", a.Data.Name, s, whatZH, knownZH)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// noPolygon is the answer for an official division the dataset has no
// polygon of: it exists, but nothing can be drawn, filtered or rolled up
// by it until its boundaries are loaded.
func (a *Analysis) noPolygon(v Division) error {
	en, zh := a.Divisions.Describe(v)
	if !a.levels[v.Level] {
		return WithZH(fmt.Errorf("%s is an official unit, but dataset %s has no %s boundaries (polygons): load them with --boundaries FILE --boundaries-level %s to filter, draw or roll up by it: %w",
			en, a.Data.Name, v.Level, v.Level, ErrNotFound),
			"%s 是正式行政单元，但数据集 %s 没有%s边界：请用 --boundaries 文件 --boundaries-level %s 导入后再按它筛选、制图或汇总", zh, a.Data.Name, v.Level.LevelNameZH(), v.Level)
	}
	return WithZH(fmt.Errorf("%s is an official unit, but the %s boundaries of dataset %s have no polygon for it (load a boundary file that has it): %w", en, v.Level, a.Data.Name, ErrNotFound),
		"%s 是正式行政单元，但数据集 %s 的%s边界中没有它的多边形（请导入含有它的边界文件）", zh, a.Data.Name, v.Level.LevelNameZH())
}

// CheckLevel is nil when the dataset has units of level l, and otherwise
// the one answer every endpoint gives for a level without polygons: an
// ErrNotFound error on the field "by" naming what is missing.
func (a *Analysis) CheckLevel(l UnitLevel) error { return a.CheckLevelParam(l, "by") }

// CheckLevelParam is CheckLevel for a level given in another field (the
// units layer's level=).
func (a *Analysis) CheckLevelParam(l UnitLevel, field string) error {
	if l == "" || a.levels[l] {
		return nil
	}
	known, knownZH := "", ""
	if n := a.Divisions.Count(l); n > 0 {
		known = fmt.Sprintf(" (the %d official %s units are known by code and name: /v1/units?level=%s)", n, l, l)
		knownZH = fmt.Sprintf("（%d 个正式%s的代码和名称已知：/v1/units?level=%s）", n, l.LevelNameZH(), l)
	}
	return fieldErr(field, WithZH(fmt.Errorf("dataset %s has no %s boundaries%s: load them with --boundaries FILE --boundaries-level %s (GeoJSON, Shapefile or GeoPackage) to roll up by %s: %w", a.Data.Name, l, known, l, l, ErrNotFound),
		"数据集 %s 没有%s边界%s：请用 --boundaries 文件 --boundaries-level %s 导入（GeoJSON、Shapefile 或 GeoPackage）后再按%s汇总", a.Data.Name, l.LevelNameZH(), knownZH, l, l.LevelNameZH()))
}
