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
// part of a name that fits one unit only (成华 → 成华区). An unknown unit is
// an ErrNotFound error; a name fitting several units is an ErrInvalid error
// listing them with their codes and levels.
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
	if i, ok := a.unitIndex[s]; ok {
		return i, nil
	}
	q := strings.TrimSpace(s)
	if i, ok := a.unitIndex[q]; ok && q != "" {
		return i, nil
	}
	units := a.Data.Units
	stages := []func(AdminUnit) bool{
		func(u AdminUnit) bool { return u.Name == q },
		func(u AdminUnit) bool { return utf8.RuneCountInString(q) >= 2 && strings.Contains(u.Name, q) },
	}
	for _, fits := range stages {
		if q == "" {
			break
		}
		var hit []int
		for i, u := range units {
			if fits(u) {
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
				u := units[i]
				en[k] = fmt.Sprintf("%s %s (%s)", u.Code, u.Name, u.Level)
				zh[k] = fmt.Sprintf("%s %s（%s）", u.Code, u.Name, u.Level.LevelNameZH())
			}
			return -1, WithZH(fmt.Errorf("admin unit %q fits %d units: %s; give the code: %w: %w", s, len(hit), strings.Join(en, ", "), errAmbiguous, ErrInvalid),
				"行政单元「%s」对应 %d 个单元：%s；请给出代码", s, len(hit), strings.Join(zh, "、"))
		}
	}
	return -1, WithZH(fmt.Errorf("admin unit %q does not exist in dataset %s (code or name; see /v1/summary?by=district for the units): %w", s, a.Data.Name, ErrNotFound),
		"数据集 %s 中没有行政单元「%s」（代码或名称均可；单元列表见 /v1/summary?by=district）", a.Data.Name, s)
}

// CheckLevel is nil when the dataset has units of level l, and otherwise
// the one answer every endpoint gives for a level without polygons: an
// ErrNotFound error on the field "by" naming what is missing.
func (a *Analysis) CheckLevel(l UnitLevel) error {
	if l == "" || a.unitOf[l] != nil {
		return nil
	}
	return fieldErr("by", WithZH(fmt.Errorf("dataset %s has no %s boundaries: load them with --boundaries (GeoJSON with level %q) to roll up by %s: %w", a.Data.Name, l, l, l, ErrNotFound),
		"数据集 %s 没有%s边界：请用 --boundaries 导入（GeoJSON，level 为 %q）后再按%s汇总", a.Data.Name, l.LevelNameZH(), l, l.LevelNameZH()))
}
