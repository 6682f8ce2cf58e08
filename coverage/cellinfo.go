package coverage

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// CellInfo is everything the analysis knows about one populated cell: who
// lives there, the units it belongs to, and for every facility type the
// nearest facility and whether it covers the cell (or why not).
type CellInfo struct {
	H3             string            `json:"h3"`
	Centre         orb.Point         `json:"centre"` // WGS84 [lon, lat]
	Population     float64           `json:"population"`
	PopulationNote string            `json:"population_note,omitempty"`
	Units          []UnitRef         `json:"units"`
	Completeness   map[Level]float64 `json:"completeness"`
	Method         string            `json:"method"`
	Profile        Profile           `json:"profile"`
	NoNetwork      bool              `json:"no_walkable_network_nearby"`
	Types          []CellType        `json:"types"`
}

// CellType is one facility type as seen from a cell.
type CellType struct {
	ID       string  `json:"id"`
	NameZH   string  `json:"name_zh"`
	NameEN   string  `json:"name_en"`
	Level    Level   `json:"level"`
	MaxDistM float64 `json:"max_dist_m"`
	Covered  bool    `json:"covered"`
	// Reason says why the cell is not covered (ReasonNoFacility or
	// ReasonNoNetwork); empty when it is.
	Reason string `json:"reason,omitempty"`
	// The nearest facility within the search limit (2 × the radius), if any.
	FacilityID   string   `json:"facility_id,omitempty"`
	FacilityName string   `json:"facility_name,omitempty"`
	DistM        *float64 `json:"distance_m"`
	Minutes      *float64 `json:"minutes"`
}

// CellAt finds the populated cell at p (the cell of the analysis'
// resolution that contains p).
func (a *Analysis) CellAt(p orb.Point) (int, error) {
	if err := spatial.CheckLonLat(p); err != nil {
		return -1, fieldErr("lon", errZH(ErrInvalid, fmt.Sprintf("位置（%g, %g）不是有效的经纬度：经度须在 -180 至 180、纬度须在 -90 至 90 之间", p[0], p[1]), "%v", err))
	}
	c := spatial.CellOf(p, a.Data.Resolution)
	i, ok := a.cellPos(c)
	if !ok {
		return -1, errZH(ErrNotFound, fmt.Sprintf("H3 单元 %s（%.6f, %.6f）无人居住（不是数据集 %s 中有人口的单元）", c, p[0], p[1], a.Data.Name), "nobody lives in H3 cell %s at %.6f,%.6f (no populated cell of dataset %s)", c, p[0], p[1], a.Data.Name)
	}
	return int(i), nil
}

// CellByID finds the populated cell with the given H3 index (hex text).
func (a *Analysis) CellByID(h3 string) (int, error) {
	c, err := spatial.ParseCell(h3)
	if err != nil {
		return -1, fieldErr("h3", errZH(ErrInvalid, fmt.Sprintf("「%s」不是 H3 单元编号", h3), "%q is not an H3 cell index", h3))
	}
	if c.Resolution() != a.Data.Resolution {
		return -1, fieldErr("h3", errZH(ErrInvalid, fmt.Sprintf("H3 单元 %s 的分辨率为 %d，而数据集 %s 的分辨率为 %d", h3, c.Resolution(), a.Data.Name, a.Data.Resolution), "H3 cell %s has resolution %d; dataset %s works at %d", h3, c.Resolution(), a.Data.Name, a.Data.Resolution))
	}
	i, ok := a.cellPos(c)
	if !ok {
		return -1, errZH(ErrNotFound, fmt.Sprintf("H3 单元 %s 不是数据集 %s 中有人口的单元", h3, a.Data.Name), "H3 cell %s is not a populated cell of dataset %s", h3, a.Data.Name)
	}
	return int(i), nil
}

// CellInfo describes populated cell i (from CellAt or CellByID); minutes
// use walking profile p.
func (a *Analysis) CellInfo(i int, p Profile) CellInfo {
	if p.SpeedMPerMin <= 0 {
		p = DefaultProfile
	}
	c := a.Data.Cells[i]
	out := CellInfo{
		H3: c.Cell.String(), Centre: orb.Point{roundCoord(a.Centre(i)[0]), roundCoord(a.Centre(i)[1])},
		Population: round1(c.Population), PopulationNote: a.Data.PopulationNote,
		Units: []UnitRef{}, Completeness: map[Level]float64{}, Method: a.Method, Profile: p,
		NoNetwork: a.unreachable(i),
	}
	for _, l := range UnitLevels {
		if u, ok := a.UnitOf(l, i); ok {
			out.Units = append(out.Units, UnitRef{Level: u.Level, Code: u.Code, Name: u.Name})
		}
	}
	for _, l := range Levels {
		if v := a.Completeness(i, l); !math.IsNaN(v) {
			out.Completeness[l] = round4(v)
		}
	}
	for _, tc := range a.Types() {
		t := tc.Type
		ct := CellType{ID: t.ID, NameZH: t.NameZH, NameEN: t.NameEN, Level: t.Level, MaxDistM: t.MaxDistM,
			Covered: tc.IsCovered(i), Reason: a.Reason(tc, i)}
		if h := tc.Hit(i); h.Found() {
			f := a.Data.Facilities[tc.Facilities[h.Site]]
			d := round1(float64(h.DistM))
			m := round1(p.Minutes(float64(h.DistM)))
			ct.FacilityID, ct.FacilityName, ct.DistM, ct.Minutes = f.ID, f.Name, &d, &m
		}
		out.Types = append(out.Types, ct)
	}
	return out
}
