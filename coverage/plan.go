package coverage

import (
	"fmt"
	"sort"
	"time"
)

// TrajectoryStep is coverage at one point of a multi-year plan.
type TrajectoryStep struct {
	Label string `json:"label"` // "baseline" or the year
	Year  int    `json:"year,omitempty"`
	// Items counts the plan items built by this step (cumulative).
	Items int           `json:"items"`
	Types []TypeSummary `json:"types"`
	// Units is per admin unit of the finest level present, per type share.
	Units []UnitSummary `json:"units,omitempty"`
}

// Trajectory is the plan laid out year by year.
type Trajectory struct {
	Steps []TrajectoryStep `json:"steps"`
	// ImplementationRate is plan items already built (status existing) over
	// all plan items; Built and Planned are the counts.
	ImplementationRate float64 `json:"implementation_rate"`
	Built              int     `json:"built"`
	Planned            int     `json:"planned"`
}

// Trajectory computes coverage at baseline and after each plan year,
// assuming every item is built in its year. The baseline is a (existing
// facilities); items already built (status existing) but not yet in the
// dataset are added at baseline, unless they are dated in a year after the
// current one: those go into their year like any other item.
func (a *Analysis) Trajectory(items []PlanItem, by UnitLevel) (*Trajectory, error) {
	tr := &Trajectory{}
	years := map[int]bool{}
	items = append([]PlanItem(nil), items...)
	for i, it := range items {
		id, err := a.Catalog.CheckType(it.Type)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("items[%d].type", i), WithZH(fmt.Errorf("plan item %d (%s): %w", i+1, it.ID, err), "规划项目 %d（%s）：%s", i+1, it.ID, MessageZH(err)))
		}
		items[i].Type = id
		if it.Year < 1900 || it.Year > 2200 {
			return nil, errZH(ErrInvalid, fmt.Sprintf("第 %d 个规划项目（%s）：%d 不是有效的规划年份（1900 至 2200）", i+1, it.ID, it.Year), "plan item %d (%s): year %d is not a plan year", i+1, it.ID, it.Year)
		}
		tr.Planned++
		if it.Status == Existing {
			tr.Built++
		}
		if !atBaseline(it) {
			years[it.Year] = true
		}
	}
	tr.ImplementationRate = round4(share(float64(tr.Built), float64(tr.Planned)))
	step := func(label string, year int, cur *Analysis, n int) TrajectoryStep {
		s := cur.summary(by, DefaultProfile, false)
		return TrajectoryStep{Label: label, Year: year, Items: n, Types: s.Types, Units: s.Units}
	}
	var built []Change
	for _, it := range items {
		if atBaseline(it) {
			built = append(built, planChange(it))
		}
	}
	cur, err := a.Apply(built)
	if err != nil {
		return nil, err
	}
	n := len(built)
	tr.Steps = append(tr.Steps, step("baseline", 0, cur, n))
	ys := make([]int, 0, len(years))
	for y := range years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	for _, y := range ys {
		var ch []Change
		for _, it := range items {
			if !atBaseline(it) && it.Year == y {
				ch = append(ch, planChange(it))
			}
		}
		if cur, err = cur.Apply(ch); err != nil {
			return nil, err
		}
		n += len(ch)
		tr.Steps = append(tr.Steps, step(fmt.Sprint(y), y, cur, n))
	}
	return tr, nil
}

// thisYear is the current year (a variable for tests).
var thisYear = func() int { return time.Now().Year() }

// atBaseline reports whether a plan item is counted at baseline: built
// (status existing) and not dated after the current year.
func atBaseline(it PlanItem) bool { return it.Status == Existing && it.Year <= thisYear() }

func planChange(it PlanItem) Change {
	return Change{Kind: Add, Facility: Facility{ID: "plan-" + it.ID, Type: it.Type, Name: it.Name,
		Location: it.Location, Status: Existing}}
}

// PhaseYear is one year of a phased build list.
type PhaseYear struct {
	Year  int               `json:"year"`
	Sites []RecommendedSite `json:"sites"`
	Cost  float64           `json:"cost,omitempty"`
	// CumulativeShare per type and weighted, after this year's sites.
	CumulativeShare         map[string]float64 `json:"cumulative_share"`
	CumulativeWeightedShare float64            `json:"cumulative_weighted_share"`
}

// Phase splits an ordered recommendation into years: each year takes the
// next sites, by marginal gain, until its count (perYear) or budget (cost
// per site × sites ≤ budget) is used. The recommendation's order is kept,
// so the biggest gains come first.
func Phase(rec *Recommendation, firstYear, years, perYear int, budget, costPerSite float64) ([]PhaseYear, error) {
	if years <= 0 || years > 20 {
		return nil, errZH(ErrInvalid, fmt.Sprintf("年数 years %d 须在 1 至 20 之间", years), "years %d must be 1..20", years)
	}
	if perYear <= 0 && budget <= 0 {
		return nil, errZH(ErrInvalid, "请给出每年的选址数量或每年的预算", "give a per-year count or a per-year budget")
	}
	if budget > 0 && costPerSite <= 0 {
		return nil, errZH(ErrInvalid, "给出预算时须给出每处设施的造价", "a budget needs a cost per site")
	}
	var out []PhaseYear
	next := 0
	for y := 0; y < years && next < len(rec.Sites); y++ {
		py := PhaseYear{Year: firstYear + y}
		for next < len(rec.Sites) {
			if perYear > 0 && len(py.Sites) >= perYear {
				break
			}
			if budget > 0 && py.Cost+costPerSite > budget+1e-9 {
				break
			}
			py.Sites = append(py.Sites, rec.Sites[next])
			py.Cost += costPerSite
			next++
		}
		if len(py.Sites) == 0 {
			break
		}
		last := py.Sites[len(py.Sites)-1]
		py.CumulativeShare, py.CumulativeWeightedShare = last.CumulativeShare, last.CumulativeWeightedShare
		if budget <= 0 {
			py.Cost = 0
		}
		out = append(out, py)
	}
	return out, nil
}
