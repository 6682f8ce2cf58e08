package coverage

import (
	"fmt"
	"sort"
	"strings"
)

// Division is one unit of the official administrative hierarchy (the
// National Bureau of Statistics' 统计用区划代码): its code, official name,
// level and parent, without geometry. The divisions say which units exist
// and what they are called; the dataset's AdminUnits (polygons) say where
// they are. A division without a polygon can be named and listed but not
// drawn or rolled up.
type Division struct {
	Level  UnitLevel `json:"level"`
	Code   string    `json:"code"`
	Name   string    `json:"name"`                 // the official name, e.g. 水井坊社区居委会
	Short  string    `json:"short_name,omitempty"` // the name people use, e.g. 水井坊社区
	Parent string    `json:"parent,omitempty"`     // the enclosing division's code
}

// Divisions is the admin hierarchy of a city: code → name → parent.
type Divisions struct {
	// Source says where the list comes from (vintage, licence file).
	Source string
	list   []Division
	byCode map[string]int
}

// ShortDivisionName is the name a planner writes for an official name: the
// residents' or villagers' committee suffix dropped (八宝街社区居民委员会 →
// 八宝街社区, 跳蹬村委会 → 跳蹬村).
func ShortDivisionName(name string) string {
	for _, s := range []struct{ suffix, keep string }{
		{"社区居民委员会", "社区"}, {"社区居委会", "社区"}, {"居民委员会", "社区"}, {"居委会", "社区"},
		{"村民委员会", "村"}, {"村委会", "村"},
	} {
		if strings.HasSuffix(name, s.suffix) {
			return strings.TrimSuffix(name, s.suffix) + s.keep
		}
	}
	return name
}

// NewDivisions checks and indexes a list: codes unique and not empty, every
// parent either in the list or the list's top (a parent no division has,
// e.g. the city 510100 of the districts).
func NewDivisions(source string, list []Division) (*Divisions, error) {
	d := &Divisions{Source: source, list: append([]Division(nil), list...), byCode: make(map[string]int, len(list))}
	for i := range d.list {
		v := &d.list[i]
		if v.Code == "" || v.Name == "" {
			return nil, fmt.Errorf("division %d: code and name are needed: %w", i+1, ErrInvalid)
		}
		if _, err := ParseUnitLevel(string(v.Level)); err != nil {
			return nil, fmt.Errorf("division %s: %w", v.Code, err)
		}
		if _, dup := d.byCode[v.Code]; dup {
			return nil, fmt.Errorf("division code %s appears twice: %w", v.Code, ErrInvalid)
		}
		if v.Short == "" {
			v.Short = ShortDivisionName(v.Name)
		}
		d.byCode[v.Code] = i
	}
	for _, v := range d.list {
		if p, ok := d.byCode[v.Parent]; ok && levelRank(d.list[p].Level) >= levelRank(v.Level) {
			return nil, fmt.Errorf("division %s (%s): its parent %s is not a coarser level: %w", v.Code, v.Level, v.Parent, ErrInvalid)
		}
	}
	return d, nil
}

func levelRank(l UnitLevel) int {
	for i, x := range UnitLevels {
		if x == l {
			return i
		}
	}
	return len(UnitLevels)
}

// Len is the number of divisions (0 for a nil list).
func (d *Divisions) Len() int {
	if d == nil {
		return 0
	}
	return len(d.list)
}

// Lookup returns the division with the given code.
func (d *Divisions) Lookup(code string) (Division, bool) {
	if d == nil {
		return Division{}, false
	}
	i, ok := d.byCode[code]
	if !ok {
		return Division{}, false
	}
	return d.list[i], true
}

// Count is the number of divisions of one level.
func (d *Divisions) Count(level UnitLevel) int {
	return len(d.List(level, ""))
}

// List returns the divisions of one level ("" for all) inside the division
// under ("" for all), in code order.
func (d *Divisions) List(level UnitLevel, under string) []Division {
	if d == nil {
		return nil
	}
	var out []Division
	for _, v := range d.list {
		if (level == "" || v.Level == level) && (under == "" || d.Within(v.Code, under)) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Within reports whether code is ancestor or lies inside it, following the
// parents.
func (d *Divisions) Within(code, ancestor string) bool {
	for seen := 0; code != "" && seen < 8; seen++ {
		if code == ancestor {
			return true
		}
		v, ok := d.Lookup(code)
		if !ok {
			return false
		}
		code = v.Parent
	}
	return false
}

// District returns the district a division lies in ("" when none).
func (d *Divisions) District(code string) Division {
	for seen := 0; code != "" && seen < 8; seen++ {
		v, ok := d.Lookup(code)
		if !ok {
			break
		}
		if v.Level == District {
			return v
		}
		code = v.Parent
	}
	return Division{}
}

// Named returns the divisions whose official or short name is name.
func (d *Divisions) Named(name string) []Division {
	if d == nil || name == "" {
		return nil
	}
	var out []Division
	for _, v := range d.list {
		if v.Name == name || v.Short == name {
			out = append(out, v)
		}
	}
	return out
}

// Containing returns the divisions a part of whose name is q (at least two
// characters), for names given loosely (石羊 → 石羊街道).
func (d *Divisions) Containing(q string) []Division {
	if d == nil || len([]rune(q)) < 2 {
		return nil
	}
	var out []Division
	for _, v := range d.list {
		if strings.Contains(v.Name, q) {
			out = append(out, v)
		}
	}
	return out
}

// Describe names a division with its level and district for messages:
// "石羊街道 510107063 (street, 武侯区)" and "石羊街道 510107063（街道，武侯区）".
func (d *Divisions) Describe(v Division) (en, zh string) {
	dist := d.District(v.Code)
	if dist.Code == "" || dist.Code == v.Code {
		return fmt.Sprintf("%s %s (%s)", v.Short, v.Code, v.Level), fmt.Sprintf("%s %s（%s）", v.Short, v.Code, v.Level.LevelNameZH())
	}
	return fmt.Sprintf("%s %s (%s, %s)", v.Short, v.Code, v.Level, dist.Name), fmt.Sprintf("%s %s（%s，%s）", v.Short, v.Code, v.Level.LevelNameZH(), dist.Name)
}

// UnitEntry is one admin unit in the list of a dataset's units: an official
// division, a polygon of the dataset, or both (Boundary).
type UnitEntry struct {
	Level      UnitLevel `json:"level"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Short      string    `json:"short_name,omitempty"`
	Parent     string    `json:"parent,omitempty"`
	ParentName string    `json:"parent_name,omitempty"`
	District   string    `json:"district,omitempty"` // the district's name
	// Official says the code is among the official divisions; Boundary
	// that the dataset has its polygon (it can be drawn, filtered, rolled up).
	Official bool `json:"official"`
	Boundary bool `json:"boundary"`
}

// UnitList lists the units of one level ("" for all) inside the unit named
// by under ("" for all; a code or a name, polygon or not): the official
// divisions and the dataset's polygons, in code order.
func (a *Analysis) UnitList(level UnitLevel, under string) ([]UnitEntry, error) {
	if under != "" {
		code, err := a.ResolveCode(under)
		if err != nil {
			return nil, fieldErr("parent", err)
		}
		under = code
	}
	within := func(code string) bool {
		return under == "" || a.Divisions.Within(code, under) || a.UnitWithin(code, under)
	}
	byCode := map[string]*UnitEntry{}
	var out []*UnitEntry
	for _, v := range a.Divisions.List(level, "") {
		if within(v.Code) {
			e := &UnitEntry{Level: v.Level, Code: v.Code, Name: v.Name, Short: v.Short, Parent: v.Parent, Official: true}
			byCode[v.Code] = e
			out = append(out, e)
		}
	}
	for _, u := range a.Data.Units {
		if (level != "" && u.Level != level) || !within(u.Code) {
			continue
		}
		if e, ok := byCode[u.Code]; ok {
			e.Boundary = true
			continue
		}
		e := &UnitEntry{Level: u.Level, Code: u.Code, Name: u.Name, Parent: u.Parent, Boundary: true}
		byCode[u.Code] = e
		out = append(out, e)
	}
	res := make([]UnitEntry, len(out))
	for i, e := range out {
		e.ParentName = a.unitName(e.Parent)
		if d := a.Divisions.District(e.Code); d.Code != "" && d.Code != e.Code {
			e.District = d.Name
		}
		res[i] = *e
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Code < res[j].Code })
	return res, nil
}

// unitName is the name of a unit or official division by its code ("" when
// neither knows it).
func (a *Analysis) unitName(code string) string {
	if code == "" {
		return ""
	}
	if u, ok := a.Unit(code); ok {
		return u.Name
	}
	if v, ok := a.Divisions.Lookup(code); ok {
		return v.Name
	}
	return ""
}

// Resolve returns the division named by s: its code, its official or short
// name, or a part of a name that fits one division only. A name fitting
// several is an ErrInvalid error listing them with their districts; an
// unknown one an ErrNotFound error.
func (d *Divisions) Resolve(s string) (Division, error) {
	q := strings.TrimSpace(s)
	if v, ok := d.Lookup(q); ok {
		return v, nil
	}
	for _, hit := range [][]Division{d.Named(q), d.Containing(q)} {
		switch {
		case len(hit) == 1:
			return hit[0], nil
		case len(hit) > 1:
			var en, zh []string
			for _, v := range hit {
				e, z := d.Describe(v)
				en, zh = append(en, e), append(zh, z)
			}
			return Division{}, WithZH(fmt.Errorf("admin unit %q fits %d official divisions: %s; give the code: %w: %w", s, len(hit), strings.Join(en, ", "), errAmbiguous, ErrInvalid),
				"行政单元「%s」对应 %d 个正式行政区划：%s；请给出代码", s, len(hit), strings.Join(zh, "、"))
		}
	}
	return Division{}, WithZH(fmt.Errorf("admin unit %q is not among the %d official divisions: %w", s, d.Len(), ErrNotFound),
		"行政单元「%s」不在 %d 个正式行政区划中", s, d.Len())
}
