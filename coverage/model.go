package coverage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Status is a facility's state in the plan.
type Status string

// Facility states. Only existing facilities count for the baseline; planned
// and under-construction ones count from their plan year on (Options.PlanYear).
const (
	Existing          Status = "existing"
	Planned           Status = "planned"
	UnderConstruction Status = "under_construction"
)

// ParseStatus accepts the three states, the words planners write for them
// (built, 已建, 建成 → existing; 规划, 拟建 → planned; 在建 →
// under_construction); empty means existing.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case "":
		return Existing, nil
	case Existing, Planned, UnderConstruction:
		return Status(s), nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "built", "completed", "已建", "已建成", "建成", "现状":
		return Existing, nil
	case "规划", "拟建", "计划":
		return Planned, nil
	case "在建", "under construction":
		return UnderConstruction, nil
	}
	return "", WithZH(fmt.Errorf("status %q is not one of existing, planned, under_construction (built, 已建, 规划, 在建 are understood too): %w", s, ErrInvalid),
		"状态「%s」不是 existing（已建）、planned（规划）、under_construction（在建）之一", s)
}

// Facility is one site offering one facility type.
type Facility struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"` // a catalogue id
	Name     string    `json:"name,omitempty"`
	Location orb.Point `json:"location"` // WGS84 [lon, lat]
	Capacity float64   `json:"capacity,omitempty"`
	Status   Status    `json:"status"`
	PlanYear int       `json:"plan_year,omitempty"`
}

// PopulationCell is the resident population of one H3 cell.
type PopulationCell struct {
	Cell       spatial.Cell
	Population float64
}

// UnitLevel is a level of the administrative hierarchy.
type UnitLevel string

// The hierarchy of Chinese urban governance, coarse to fine.
const (
	District  UnitLevel = "district"  // 区(市)县
	Street    UnitLevel = "street"    // 街道/镇 ≈ the 15-minute circle
	Community UnitLevel = "community" // 社区/村 ≈ the 5–10-minute circle
	Grid      UnitLevel = "grid"      // 网格
)

// UnitLevels lists the levels coarse to fine.
var UnitLevels = []UnitLevel{District, Street, Community, Grid}

// ParseUnitLevel accepts district, street, community and grid.
func ParseUnitLevel(s string) (UnitLevel, error) {
	for _, l := range UnitLevels {
		if string(l) == s {
			return l, nil
		}
	}
	return "", errZH(ErrInvalid, fmt.Sprintf("层级「%s」须为 district（区县）、street（街道）、community（社区）或 grid（网格）", s), "level %q is not one of district, street, community, grid", s)
}

// AdminUnit is one administrative area.
type AdminUnit struct {
	Level    UnitLevel
	Code     string
	Name     string
	Parent   string // code of the enclosing unit, or empty
	Geometry orb.MultiPolygon
}

// Dataset is everything an analysis reads. All coordinates are WGS84.
type Dataset struct {
	Name       string
	Resolution int // H3 resolution of Cells
	Facilities []Facility
	Cells      []PopulationCell
	Units      []AdminUnit
	// PopulationNote says where the population comes from, e.g. that it
	// is an estimate. It is repeated on every output that shows population.
	PopulationNote string
}

// Validate checks the dataset against the catalogue: every facility type is
// known, every cell is a valid cell at the dataset's resolution and appears
// once, populations are finite and not negative, unit codes are unique.
func (d *Dataset) Validate(cat *Catalog) error {
	if err := spatial.CheckResolution(d.Resolution); err != nil {
		return fmt.Errorf("dataset %s: %v: %w", d.Name, err, ErrInvalid)
	}
	ids := make(map[string]bool, len(d.Facilities))
	for i, f := range d.Facilities {
		if _, ok := cat.Type(f.Type); !ok {
			return fmt.Errorf("facility %d (%s): %w", i+1, f.ID, cat.unknownType(f.Type))
		}
		if err := spatial.CheckLonLat(f.Location); err != nil {
			return fmt.Errorf("facility %d (%s): %v: %w", i+1, f.ID, err, ErrInvalid)
		}
		if f.ID == "" || ids[f.ID] {
			return fmt.Errorf("facility %d: id %q is empty or repeated: %w", i+1, f.ID, ErrInvalid)
		}
		ids[f.ID] = true
	}
	if d.cellsOK() {
		return d.checkUnits()
	}
	seen := make(map[spatial.Cell]bool, len(d.Cells))
	for i, c := range d.Cells {
		if !c.Cell.IsValid() || c.Cell.Resolution() != d.Resolution {
			return fmt.Errorf("population cell %d (%v): not a valid H3 cell at resolution %d: %w", i+1, c.Cell, d.Resolution, ErrInvalid)
		}
		if seen[c.Cell] {
			return fmt.Errorf("population cell %d (%v) appears twice: %w", i+1, c.Cell, ErrInvalid)
		}
		seen[c.Cell] = true
		if !(c.Population >= 0) || c.Population > 1e9 {
			return fmt.Errorf("population cell %d (%v): population %v must be a finite number ≥ 0: %w", i+1, c.Cell, c.Population, ErrInvalid)
		}
	}
	return d.checkUnits()
}

func (d *Dataset) checkUnits() error {
	codes := make(map[string]bool, len(d.Units))
	for i, u := range d.Units {
		if u.Code == "" || codes[u.Code] {
			return fmt.Errorf("admin unit %d (%s): code %q is empty or repeated: %w", i+1, u.Name, u.Code, ErrInvalid)
		}
		codes[u.Code] = true
	}
	return nil
}

// cellsOK is the fast check of the cells: valid, at the resolution, finite
// populations, no repeats (found by sorting, not with a map of a million
// entries). When it fails, Validate's loop finds the first fault to report.
func (d *Dataset) cellsOK() bool {
	increasing := true // in id order, as stores load them: no duplicate, nothing to sort
	for i, c := range d.Cells {
		if !c.Cell.IsValid() || c.Cell.Resolution() != d.Resolution || !(c.Population >= 0) || c.Population > 1e9 {
			return false
		}
		if i > 0 && c.Cell <= d.Cells[i-1].Cell {
			increasing = false
		}
	}
	if increasing {
		return true
	}
	ids := make([]spatial.Cell, len(d.Cells))
	for i, c := range d.Cells {
		ids[i] = c.Cell
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return false
		}
	}
	return true
}

// ConvertPoint checks a point given in crs ("wgs84", "gcj02" or "bd09";
// empty means wgs84) and converts it to WGS84, for coordinates arriving by
// request rather than by file.
func ConvertPoint(p orb.Point, crs string) (orb.Point, error) {
	c, err := spatial.ParseCRS(crs)
	if err != nil {
		return p, errZH(ErrInvalid, fmt.Sprintf("未知的坐标系「%s」（须为 wgs84、gcj02 或 bd09，不填即 wgs84）", crs), "%v", err)
	}
	q, err := spatial.Convert(p, c)
	if err != nil {
		return p, errZH(ErrInvalid, fmt.Sprintf("坐标（%g, %g）在中国境外，%s 坐标系在此无定义：请检查 crs 与经纬度顺序", p[0], p[1], crs), "%v", err)
	}
	return q, nil
}
