package coverage

import (
	"fmt"
	"math"

	"lifecircle/spatial"
)

// The data-quality audit: is a facility inventory complete enough for its
// coverage share to mean anything? The norms say how many residents one
// facility of a type is planned for (the resident band of the type's
// life-circle level, GB 50180-2018: a 5-minute circle holds 5,000–12,000
// residents, so 886 k residents imply 74–177 kindergartens). Against that,
// a type with no facility mapped is none_mapped, one with fewer than half
// the lower bound is likely_incomplete, anything else plausible. A share
// computed from a none_mapped or likely_incomplete inventory says more
// about the map than about the city, and is labelled so.

// Inventory statuses.
const (
	NoneMapped       = "none_mapped"
	LikelyIncomplete = "likely_incomplete"
	Plausible        = "plausible"
)

// IncompleteRatio: fewer mapped facilities than this share of the lower
// bound of the expected count makes an inventory likely incomplete.
const IncompleteRatio = 0.5

// Quality is the audit of one type's inventory over an area (the city, or
// one admin unit).
type Quality struct {
	Type     string `json:"type"`
	NameZH   string `json:"type_name_zh"`
	Unit     string `json:"unit,omitempty"`
	UnitName string `json:"unit_name,omitempty"`
	// Residents of the area; Mapped the facilities in force inside it.
	Residents float64 `json:"residents"`
	Mapped    int     `json:"mapped"`
	// ExpectedMin–ExpectedMax is residents / residents_max … residents /
	// residents_min of the band (0 when the type has no band).
	ExpectedMin float64      `json:"expected_min"`
	ExpectedMax float64      `json:"expected_max"`
	Band        ResidentBand `json:"band"`
	// Completeness is Mapped / ExpectedMin (how much of the lowest
	// plausible inventory is mapped; may exceed 1).
	Completeness float64 `json:"completeness"`
	Status       string  `json:"status"`
	Note         string  `json:"note"`
	NoteZH       string  `json:"note_zh"`
}

// Suspect reports whether a share computed from this inventory should not
// be quoted as a fact about the city.
func (q Quality) Suspect() bool { return q.Status == NoneMapped || q.Status == LikelyIncomplete }

// Quality audits the inventory of one type (id or Chinese name) citywide
// (unit "") or inside one admin unit (code or name).
func (a *Analysis) Quality(typeID, unit string) (Quality, error) {
	ti, err := a.typePos(typeID)
	if err != nil {
		return Quality{}, fieldErr("type", err)
	}
	tc := a.prepared(ti) // the audit counts facilities: no coverage needed
	if unit == "" {
		return a.quality(tc, -1, a.population, len(tc.Facilities)), nil
	}
	ui, err := a.resolveUnit(unit)
	if err != nil {
		return Quality{}, fieldErr("unit", err)
	}
	return a.quality(tc, ui, a.unitResidents(ui), a.facilitiesIn(tc, ui)), nil
}

// QualityAll audits every type citywide (unit "") or in one unit, in
// catalogue order.
func (a *Analysis) QualityAll(unit string) ([]Quality, error) {
	out := make([]Quality, 0, a.NumTypes())
	for ti := range a.NumTypes() {
		tc := a.prepared(ti)
		q, err := a.Quality(tc.Type.ID, unit)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// QualityCounts counts the types of each status citywide.
type QualityCounts struct {
	NoneMapped       []string `json:"none_mapped"`
	LikelyIncomplete []string `json:"likely_incomplete"`
	Plausible        int      `json:"plausible"`
	Note             string   `json:"note"`
	NoteZH           string   `json:"note_zh"`
}

// QualitySummary lists the types whose citywide inventory is missing or
// likely incomplete.
func (a *Analysis) QualitySummary() QualityCounts {
	c := QualityCounts{NoneMapped: []string{}, LikelyIncomplete: []string{}}
	for ti := range a.NumTypes() {
		tc := a.prepared(ti)
		switch a.quality(tc, -1, a.population, len(tc.Facilities)).Status {
		case NoneMapped:
			c.NoneMapped = append(c.NoneMapped, tc.Type.ID)
		case LikelyIncomplete:
			c.LikelyIncomplete = append(c.LikelyIncomplete, tc.Type.ID)
		default:
			c.Plausible++
		}
	}
	c.Note = fmt.Sprintf("%d of %d types have no facility mapped and %d have fewer than half the count the norms imply for %.0f residents: their shares describe the inventory, not the city",
		len(c.NoneMapped), a.NumTypes(), len(c.LikelyIncomplete), a.population)
	c.NoteZH = fmt.Sprintf("%d 类设施没有任何已录入设施，%d 类的录入数量不到按 %.0f 名居民的标准配置下限的一半：这些类型的覆盖率反映的是数据缺失，而不是实际服务水平",
		len(c.NoneMapped), len(c.LikelyIncomplete), a.population)
	return c
}

// LayerQuality is the audit as flat properties for a layer's or
// collection's metadata (and gap areas): data_quality, facilities_mapped,
// facilities_expected_min/max, data_quality_note(_zh), type_name_zh. unit
// may be "" (citywide).
func (a *Analysis) LayerQuality(typeID, unit string) (map[string]any, error) {
	q, err := a.Quality(typeID, unit)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"type_name_zh": q.NameZH, "data_quality": q.Status, "facilities_mapped": q.Mapped,
		"facilities_expected_min": q.ExpectedMin, "facilities_expected_max": q.ExpectedMax,
		"data_quality_note": q.Note, "data_quality_note_zh": q.NoteZH,
	}, nil
}

// unitResidents is the residents of unit ui, from one pass over the cells
// per analysis (it was a pass per request: the audit of a layer asked for
// one unit read every cell of the city).
func (a *Analysis) unitResidents(ui int) float64 {
	a.residentsOnce.Do(func() {
		res := make([]float64, len(a.Data.Units))
		for _, of := range a.units() {
			for i, u := range of {
				if u >= 0 {
					res[u] += a.Data.Cells[i].Population
				}
			}
		}
		a.unitRes = res
	})
	return a.unitRes[ui]
}

// facilitiesIn counts tc's facilities in force inside unit ui.
func (a *Analysis) facilitiesIn(tc *TypeCoverage, ui int) int {
	g := a.Data.Units[ui].Geometry
	n := 0
	for _, fi := range tc.Facilities {
		if spatial.MultiPolygonContains(g, a.Data.Facilities[fi].Location) {
			n++
		}
	}
	return n
}

// expectedRange writes an expected count range: whole numbers from 10 up,
// one decimal below.
func expectedRange(lo, hi float64) string {
	if hi >= 10 {
		return fmt.Sprintf("%.0f–%.0f", math.Floor(lo), math.Ceil(hi))
	}
	return fmt.Sprintf("%.1f–%.1f", lo, hi)
}

// quality applies the rule to an area of residents holding mapped
// facilities (ui -1: the city).
func (a *Analysis) quality(tc *TypeCoverage, ui int, residents float64, mapped int) Quality {
	t := tc.Type
	q := Quality{Type: t.ID, NameZH: t.ShortNameZH(), Residents: round1(residents), Mapped: mapped}
	if ui >= 0 {
		q.Unit, q.UnitName = a.Data.Units[ui].Code, a.Data.Units[ui].Name
	}
	band, ok := a.Catalog.Band(t)
	q.Band = band
	if ok {
		q.ExpectedMin = round1(residents / band.Max)
		q.ExpectedMax = round1(residents / band.Min)
		if q.ExpectedMin > 0 {
			q.Completeness = round4(float64(mapped) / q.ExpectedMin)
		}
	}
	rng := expectedRange(q.ExpectedMin, q.ExpectedMax)
	per := fmt.Sprintf("1 per %.0f–%.0f residents", band.Min, band.Max)
	perZH := fmt.Sprintf("每 %.0f–%.0f 名居民 1 处", band.Min, band.Max)
	switch {
	case mapped == 0 && (q.ExpectedMax >= 1 || len(tc.Facilities) == 0):
		q.Status = NoneMapped
		q.Note = fmt.Sprintf("no %s mapped where the norms imply %s for %.0f residents (%s): the share is 0 because the inventory is empty", t.ID, rng, residents, per)
		q.NoteZH = fmt.Sprintf("未录入任何%s，按标准 %.0f 名居民应有 %s 处（%s）：覆盖率为 0 是因为数据缺失", q.NameZH, residents, rng, perZH)
	case ok && float64(mapped) < IncompleteRatio*q.ExpectedMin:
		q.Status = LikelyIncomplete
		q.Note = fmt.Sprintf("%d %s mapped where the norms imply %s for %.0f residents (%s): the inventory is likely incomplete and the share understates coverage", mapped, t.ID, rng, residents, per)
		q.NoteZH = fmt.Sprintf("已录入%s %d 处，按标准 %.0f 名居民应有 %s 处（%s）：数据很可能不完整，覆盖率偏低", q.NameZH, mapped, residents, rng, perZH)
	default:
		q.Status = Plausible
		q.Note = fmt.Sprintf("%d %s mapped; the norms imply %s for %.0f residents (%s)", mapped, t.ID, rng, residents, per)
		q.NoteZH = fmt.Sprintf("已录入%s %d 处；按标准 %.0f 名居民应有 %s 处（%s）", q.NameZH, mapped, residents, rng, perZH)
	}
	return q
}

// QualityIn audits tc's inventory inside unit ui (an index into Data.Units)
// whose residents the caller already knows (UnitStats gives every unit's in
// one pass over the cells), for callers auditing many units at once.
func (a *Analysis) QualityIn(tc *TypeCoverage, ui int, residents float64) Quality {
	return a.quality(tc, ui, residents, a.facilitiesIn(tc, ui))
}
