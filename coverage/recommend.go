package coverage

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// WeightedType is one type a recommended building should serve, with its
// weight in the objective (1 when unset).
type WeightedType struct {
	ID     string  `json:"id"`
	Weight float64 `json:"weight,omitempty"`
}

// UnmarshalJSON accepts a plain type name ("kindergarten", "幼儿园") as
// well as {"id", "weight"}; unknown fields of the object are refused.
func (w *WeightedType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*w = WeightedType{ID: s}
		return nil
	}
	type plain WeightedType
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*w = WeightedType(p)
	return nil
}

// Candidate is a possible site: a vacant plot, a public building, an
// existing service centre, or a gap cell's centre.
type Candidate struct {
	ID       string    `json:"id"`
	Location orb.Point `json:"location"` // WGS84 [lon, lat]
	Name     string    `json:"name,omitempty"`
	// Capacity (seats, beds, m², in the type's norm unit) limits how many
	// residents a site can serve, through the catalogue's norm; 0 = no limit.
	Capacity float64 `json:"capacity,omitempty"`
}

// RecommendRequest asks where the next sites should go.
type RecommendRequest struct {
	Types []WeightedType `json:"types"`
	// K sites, or (when TargetShare > 0) the fewest sites that bring the
	// weighted covered share of the demand to TargetShare (K then caps it;
	// 0 = up to 1000).
	K           int         `json:"k,omitempty"`
	TargetShare float64     `json:"target_share,omitempty"`
	Candidates  []Candidate `json:"candidates,omitempty"` // none: generated from gap cells
	// Unit limits candidates and demand to one admin unit (a street
	// official's jurisdiction).
	Unit        string  `json:"unit,omitempty"`
	MinSpacingM float64 `json:"min_spacing_m,omitempty"`
	// GreedyOnly skips the interchange refinement (for comparisons).
	GreedyOnly bool `json:"greedy_only,omitempty"`
	// MaxGenerated caps generated candidates; past it, gap cells are
	// grouped into their parent cells (default 100,000).
	MaxGenerated int `json:"max_generated,omitempty"`
}

// RecommendedSite is one chosen site, in build order.
type RecommendedSite struct {
	Rank      int     `json:"rank"`
	Candidate         // the site
	Gain      float64 `json:"gain"` // weighted residents newly covered by this site, given the sites before it
	// GainByType and CumulativeShare are per requested type.
	GainByType      map[string]float64 `json:"gain_by_type"`
	CumulativeShare map[string]float64 `json:"cumulative_share"`
	// CumulativeWeightedShare is the weighted share over all requested types.
	CumulativeWeightedShare float64 `json:"cumulative_weighted_share"`
}

// Recommendation is an ordered list of sites: the order is a build sequence.
type Recommendation struct {
	Sites         []RecommendedSite  `json:"sites"`
	Candidates    int                `json:"candidates"`
	Generated     bool               `json:"generated_candidates"`
	Demand        map[string]float64 `json:"demand"`      // residents per type in the area
	ShareStart    map[string]float64 `json:"share_start"` // with existing and planned facilities
	Evaluations   int                `json:"evaluations"` // gain evaluations (lazy greedy)
	Swaps         int                `json:"swaps"`       // improving interchanges after the greedy pass
	Restarts      int                `json:"restarts"`    // greedy restarts with a forced first site
	TargetReached bool               `json:"target_reached,omitempty"`
	Method        string             `json:"method"`
}

// Recommend chooses sites by lazy greedy (CELF) on marginal residents newly
// covered, weighted by type. Existing and planned facilities are fixed (they
// count as built). Maximal coverage is submodular, so greedy is within
// 1 − 1/e of the optimum; in practice much closer (see the MILP test).
func (a *Analysis) Recommend(req RecommendRequest) (*Recommendation, error) {
	return a.RecommendContext(context.Background(), req)
}

// Recommendation budgets: a request asks for at most MaxRecommendTypes
// distinct types, MaxGeneratedCandidates generated candidates, and
// k × candidates × types of at most RecommendWorkBudget (past it the
// request is refused naming the limit, before any work is done).
const (
	MaxRecommendTypes      = 40
	MaxGeneratedCandidates = 100_000
	MaxCandidates          = 20_000
	RecommendWorkBudget    = 20_000_000
)

// RecommendContext is Recommend that stops (with ctx's error) when ctx
// ends: the client left or its time is up.
func (a *Analysis) RecommendContext(ctx context.Context, req RecommendRequest) (*Recommendation, error) {
	if len(req.Types) > MaxRecommendTypes {
		return nil, fieldErr("types", errZH(ErrInvalid, fmt.Sprintf("types 列出了 %d 种设施类型，最多 %d 种", len(req.Types), MaxRecommendTypes), "types lists %d entries; at most %d", len(req.Types), MaxRecommendTypes))
	}
	if req.MaxGenerated < 0 || req.MaxGenerated > MaxGeneratedCandidates {
		return nil, fieldErr("max_generated", errZH(ErrInvalid, fmt.Sprintf("max_generated %d 须在 0（默认，即 %d）至 %d 之间", req.MaxGenerated, MaxGeneratedCandidates, MaxGeneratedCandidates), "max_generated %d must be from 0 (the default, %d) to %d", req.MaxGenerated, MaxGeneratedCandidates, MaxGeneratedCandidates))
	}
	if len(req.Candidates) > MaxCandidates {
		return nil, fieldErr("candidates", errZH(ErrInvalid, fmt.Sprintf("candidates 列出了 %d 个候选点，最多 %d 个", len(req.Candidates), MaxCandidates), "candidates lists %d sites; at most %d", len(req.Candidates), MaxCandidates))
	}
	if len(req.Types) == 0 {
		return nil, errZH(ErrInvalid, "选址推荐须至少指定一种设施类型", "recommend needs at least one facility type")
	}
	if req.K < 0 || req.K > 10000 {
		return nil, errZH(ErrInvalid, fmt.Sprintf("k %d 须在 1 至 10000 之间", req.K), "k %d must be between 1 and 10000", req.K)
	}
	if req.TargetShare < 0 || req.TargetShare > 1 {
		return nil, errZH(ErrInvalid, fmt.Sprintf("target_share %v 须在 (0, 1] 之内", req.TargetShare), "target_share %v must be in (0, 1]", req.TargetShare)
	}
	if req.K == 0 && req.TargetShare == 0 {
		return nil, errZH(ErrInvalid, "请给出 k（选址数量）或 target_share（目标覆盖比例）", "give k (number of sites) or target_share")
	}
	if req.MinSpacingM < 0 {
		return nil, errZH(ErrInvalid, "min_spacing_m 不能为负数", "min_spacing_m must not be negative")
	}
	k := req.K
	if k == 0 {
		k = 1000
	}
	unit := -1
	if req.Unit != "" {
		ui, err := a.resolveUnit(req.Unit)
		if err != nil {
			return nil, fieldErr("unit", err)
		}
		unit = ui
	}
	fixed := a.withPlanned()
	types := make([]*TypeCoverage, len(req.Types))
	weights := make([]float64, len(req.Types))
	maxRadius := 0.0
	seen := map[string]bool{}
	for t, wt := range req.Types {
		tc, err := fixed.Type(wt.ID)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("types[%d].id", t), AsInvalid(err))
		}
		if seen[tc.Type.ID] {
			return nil, fieldErr(fmt.Sprintf("types[%d].id", t), errZH(ErrInvalid, fmt.Sprintf("设施类型 %s 重复列出（每种类型只列一次，并给出权重）", tc.Type.ID), "type %s is listed twice (give each type once, with its weight)", tc.Type.ID))
		}
		seen[tc.Type.ID] = true
		types[t] = tc
		weights[t] = wt.Weight
		if weights[t] == 0 {
			weights[t] = 1
		}
		if weights[t] < 0 || math.IsNaN(weights[t]) {
			return nil, errZH(ErrInvalid, fmt.Sprintf("设施类型 %s 的权重 %v 须大于 0", wt.ID, wt.Weight), "type %s: weight %v must be > 0", wt.ID, wt.Weight)
		}
		maxRadius = math.Max(maxRadius, tc.Type.MaxDistM)
	}
	inArea := func(i int) bool { return unit < 0 || a.inUnit(i, unit) }

	// Remaining demand per (type, cell): residents not yet covered; start
	// is the state before any recommended site, which reset returns to.
	rec := &Recommendation{Demand: map[string]float64{}, ShareStart: map[string]float64{}, Method: a.Method}
	start, demand, coveredStart := startingDemand(types, a, inArea)
	remaining := make([][]float32, len(types))
	covered := make([]float64, len(types))
	for t, tc := range types {
		remaining[t] = make([]float32, len(a.Data.Cells))
		rec.Demand[tc.Type.ID] = round1(demand[t])
		rec.ShareStart[tc.Type.ID] = round4(share(coveredStart[t], demand[t]))
	}
	reset := func() {
		for t := range types {
			copy(remaining[t], start[t])
			covered[t] = coveredStart[t]
		}
	}
	reset()
	weightedShare := func() float64 {
		num, den := 0.0, 0.0
		for t := range types {
			num += weights[t] * covered[t]
			den += weights[t] * demand[t]
		}
		return share(num, den)
	}

	cands := req.Candidates
	if len(cands) == 0 {
		cands = a.gapCandidates(types, inArea, req.MaxGenerated)
		rec.Generated = true
	} else {
		var kept []Candidate
		for ci, c := range cands {
			if err := spatial.CheckLonLat(c.Location); err != nil {
				return nil, errZH(ErrInvalid, fmt.Sprintf("第 %d 个候选点（%s）的经纬度（%g, %g）超出范围", ci+1, c.ID, c.Location[0], c.Location[1]), "candidate %d (%s): %v", ci+1, c.ID, err)
			}
			if c.ID == "" {
				c.ID = fmt.Sprintf("candidate-%d", ci+1)
			}
			if unit >= 0 && !spatial.MultiPolygonContains(a.Data.Units[unit].Geometry, c.Location) {
				continue
			}
			kept = append(kept, c)
		}
		cands = kept
	}
	rec.Candidates = len(cands)
	if len(cands) == 0 {
		return rec, nil
	}
	if work := float64(min(k, len(cands))) * float64(len(cands)) * float64(len(types)); work > RecommendWorkBudget {
		return nil, fieldErr("k", fmt.Errorf("k × candidates × types = %d × %d × %d = %.3g is over the limit of %d: ask for fewer sites, types or candidates, or limit the search to a unit: %w",
			min(k, len(cands)), len(cands), len(types), work, RecommendWorkBudget, ErrInvalid))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Coverage sets: the uncovered demand each candidate reaches, per type,
	// nearest first (capacity fills nearest residents first).
	sets := a.candidateSets(cands, types, remaining, maxRadius)
	caps := make([][]float64, len(cands))
	for ci, c := range cands {
		caps[ci] = make([]float64, len(types))
		for t, tc := range types {
			caps[ci][t] = math.Inf(1)
			if c.Capacity > 0 {
				if per := perResidentNorm(tc.Type); per > 0 {
					caps[ci][t] = c.Capacity / per
				}
			}
		}
	}
	gainOf := func(ci int) (float64, []float64) {
		byType := make([]float64, len(types))
		total := 0.0
		for t := range types {
			left := caps[ci][t]
			for _, i := range sets[ci][t] {
				if left <= 0 {
					break
				}
				take := math.Min(float64(remaining[t][i]), left)
				byType[t] += take
				left -= take
			}
			total += weights[t] * byType[t]
		}
		return total, byType
	}

	take := func(ci int) []float64 {
		_, byType := gainOf(ci)
		for t := range types {
			left := caps[ci][t]
			for _, i := range sets[ci][t] {
				if left <= 0 {
					break
				}
				q := math.Min(float64(remaining[t][i]), left)
				remaining[t][i] -= float32(q)
				left -= q
			}
			covered[t] += byType[t]
		}
		return byType
	}
	// Phase 1, CELF: lazy greedy over a max-heap of stale upper bounds,
	// optionally with a forced first site.
	initial := make(celfHeap, 0, len(cands))
	for ci := range cands {
		if ci%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g, _ := gainOf(ci)
		rec.Evaluations++
		if g > 0 {
			initial = append(initial, celfItem{gain: g, cand: ci, round: 0})
		}
	}
	greedy := func(first int) []int {
		reset()
		h := append(celfHeap(nil), initial...)
		heap.Init(&h)
		var chosen []int
		var chosenAt []orb.Point
		if first >= 0 {
			take(first)
			chosen, chosenAt = append(chosen, first), append(chosenAt, cands[first].Location)
		}
		for len(chosen) < k && h.Len() > 0 && ctx.Err() == nil {
			if req.TargetShare > 0 && weightedShare() >= req.TargetShare {
				break
			}
			top := heap.Pop(&h).(celfItem)
			c := cands[top.cand]
			if top.cand == first || (req.MinSpacingM > 0 && tooClose(c.Location, chosenAt, req.MinSpacingM)) {
				continue
			}
			if top.round != len(chosen) {
				g, _ := gainOf(top.cand)
				rec.Evaluations++
				if g <= 0 {
					continue
				}
				top.gain, top.round = g, len(chosen)
				if h.Len() > 0 && g < h[0].gain {
					heap.Push(&h, top)
					continue
				}
			}
			take(top.cand)
			chosen = append(chosen, top.cand)
			chosenAt = append(chosenAt, c.Location)
		}
		return chosen
	}
	chosen := greedy(-1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Phase 2: interchange (Teitz–Bart): swap a chosen site for another
	// candidate while that covers more, from the greedy solution and from
	// restarts that force each of the best first sites (small problems
	// only). Without capacity limits only: with them, greedy stands.
	uncapacitated := true
	for ci := range caps {
		for t := range caps[ci] {
			uncapacitated = uncapacitated && math.IsInf(caps[ci][t], 1)
		}
	}
	if uncapacitated && !req.GreedyOnly && len(chosen) > 1 && !(req.TargetShare > 0 && req.K == 0) {
		objective := func(sol []int) float64 {
			reset()
			total := 0.0
			for _, ci := range sol {
				g, _ := gainOf(ci)
				total += g
				take(ci)
			}
			return total
		}
		budget := swapBudget(len(cands))
		best, swaps := interchange(append([]int(nil), chosen...), cands, sets, types, weights, a.Data.Cells, start, req.MinSpacingM, budget)
		bestObj := objective(best)
		restarts := 0
		if len(cands)*len(chosen) <= 200_000 {
			restarts = min(8, len(initial))
		}
		sort.Slice(initial, func(i, j int) bool {
			return initial[i].gain > initial[j].gain || (initial[i].gain == initial[j].gain && initial[i].cand < initial[j].cand)
		})
		for r := 0; r < restarts && ctx.Err() == nil; r++ {
			sol := greedy(initial[r].cand)
			sol, n := interchange(sol, cands, sets, types, weights, a.Data.Cells, start, req.MinSpacingM, budget)
			swaps += n
			if obj := objective(sol); obj > bestObj+1e-6 {
				best, bestObj = sol, obj
			}
		}
		chosen, rec.Swaps, rec.Restarts = best, swaps, restarts
	}

	// Phase 3: report in build order — greedy among the chosen sites, so
	// each site's gain is what it adds to the ones before it.
	reset()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	left := append([]int(nil), chosen...)
	for len(left) > 0 {
		best, bestG := 0, -1.0
		for x, ci := range left {
			if g, _ := gainOf(ci); g > bestG || (g == bestG && ci < left[best]) {
				best, bestG = x, g
			}
		}
		ci := left[best]
		left = append(left[:best], left[best+1:]...)
		byType := take(ci)
		site := RecommendedSite{Rank: len(rec.Sites) + 1, Candidate: cands[ci], Gain: round1(bestG),
			GainByType: map[string]float64{}, CumulativeShare: map[string]float64{}}
		for t, tc := range types {
			site.GainByType[tc.Type.ID] = round1(byType[t])
			site.CumulativeShare[tc.Type.ID] = round4(share(covered[t], demand[t]))
		}
		site.CumulativeWeightedShare = round4(weightedShare())
		rec.Sites = append(rec.Sites, site)
	}
	rec.TargetReached = req.TargetShare > 0 && weightedShare() >= req.TargetShare
	return rec, nil
}

// startingDemand is, per type, the uncovered residents of each cell in the
// area before any recommended site, the area's residents, and those
// already covered.
func startingDemand(types []*TypeCoverage, a *Analysis, inArea func(int) bool) (uncovered [][]float32, demand, covered []float64) {
	uncovered = make([][]float32, len(types))
	demand, covered = make([]float64, len(types)), make([]float64, len(types))
	for t, tc := range types {
		uncovered[t] = make([]float32, len(a.Data.Cells))
		for i, c := range a.Data.Cells {
			if !inArea(i) || c.Population <= 0 {
				continue
			}
			demand[t] += c.Population
			if tc.IsCovered(i) {
				covered[t] += c.Population
			} else {
				uncovered[t][i] = float32(c.Population)
			}
		}
	}
	return uncovered, demand, covered
}

// swapBudget bounds the interchange work (candidate evaluations).
func swapBudget(cands int) int { return max(2_000_000, 20*cands) }

// interchange improves a set of sites by single swaps (first improvement),
// until no swap helps or the budget of evaluations is spent.
func interchange(chosen []int, cands []Candidate, sets [][][]int32, types []*TypeCoverage, weights []float64,
	cells []PopulationCell, demand [][]float32, spacing float64, budget int) ([]int, int) {
	nT := len(types)
	cnt := make([][]uint16, nT)
	owner := make([][]int32, nT) // the chosen slot covering a cell, when cnt == 1
	for t := range types {
		cnt[t] = make([]uint16, len(cells))
		owner[t] = make([]int32, len(cells))
	}
	add := func(slot, ci int, delta int) {
		for t := range types {
			for _, i := range sets[ci][t] {
				cnt[t][i] = uint16(int(cnt[t][i]) + delta)
			}
		}
	}
	for slot, ci := range chosen {
		add(slot, ci, +1)
	}
	refreshOwners := func() {
		for slot, ci := range chosen {
			for t := range types {
				for _, i := range sets[ci][t] {
					if cnt[t][i] == 1 {
						owner[t][i] = int32(slot)
					}
				}
			}
		}
	}
	refreshOwners()
	loss := func(slot int) float64 {
		l := 0.0
		for t := range types {
			for _, i := range sets[chosen[slot]][t] {
				if cnt[t][i] == 1 {
					l += weights[t] * float64(demand[t][i])
				}
			}
		}
		return l
	}
	inSet := make(map[int]bool, len(chosen))
	for _, ci := range chosen {
		inSet[ci] = true
	}
	swaps := 0
	for improved := true; improved && budget > 0; {
		improved = false
		losses := make([]float64, len(chosen))
		for slot := range chosen {
			losses[slot] = loss(slot)
		}
		for c := range cands {
			if inSet[c] || budget <= 0 {
				continue
			}
			budget--
			// gain of adding c, and what of it each slot alone covers
			g0 := 0.0
			overlap := make(map[int32]float64)
			for t := range types {
				for _, i := range sets[c][t] {
					w := weights[t] * float64(demand[t][i])
					switch cnt[t][i] {
					case 0:
						g0 += w
					case 1:
						overlap[owner[t][i]] += w
					}
				}
			}
			bestSlot, bestDelta := -1, 1e-6
			for slot := range chosen {
				if d := g0 + overlap[int32(slot)] - losses[slot]; d > bestDelta {
					if spacing > 0 {
						ok := true
						for s2, cj := range chosen {
							if s2 != slot && spatial.DistanceM(cands[c].Location, cands[cj].Location) < spacing {
								ok = false
								break
							}
						}
						if !ok {
							continue
						}
					}
					bestSlot, bestDelta = slot, d
				}
			}
			if bestSlot < 0 {
				continue
			}
			old := chosen[bestSlot]
			add(bestSlot, old, -1)
			add(bestSlot, c, +1)
			delete(inSet, old)
			inSet[c] = true
			chosen[bestSlot] = c
			refreshOwners()
			for slot := range chosen {
				losses[slot] = loss(slot)
			}
			swaps++
			improved = true
		}
	}
	return chosen, swaps
}

func tooClose(p orb.Point, chosen []orb.Point, m float64) bool {
	for _, q := range chosen {
		if spatial.DistanceM(p, q) < m {
			return true
		}
	}
	return false
}

type celfItem struct {
	gain  float64
	cand  int
	round int // number of sites chosen when gain was computed
}

type celfHeap []celfItem

func (h celfHeap) Len() int { return len(h) }
func (h celfHeap) Less(i, j int) bool {
	if h[i].gain != h[j].gain {
		return h[i].gain > h[j].gain
	}
	return h[i].cand < h[j].cand
}
func (h celfHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *celfHeap) Push(x any)   { *h = append(*h, x.(celfItem)) }
func (h *celfHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// candidateSets computes, for every candidate and type, the cells with
// remaining demand within the type's radius, nearest first. One bounded
// search per candidate (at the largest radius) serves every type.
func (a *Analysis) candidateSets(cands []Candidate, types []*TypeCoverage, remaining [][]float32, maxRadius float64) [][][]int32 {
	sets := make([][][]int32, len(cands))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type hit struct {
				cell int32
				d    float32
			}
			var hits []hit
			for ci := range next {
				hits = hits[:0]
				a.source.Reach(cands[ci].Location, maxRadius, func(cell int, d float32) {
					hits = append(hits, hit{int32(cell), d})
				})
				sort.Slice(hits, func(i, j int) bool {
					return hits[i].d < hits[j].d || (hits[i].d == hits[j].d && hits[i].cell < hits[j].cell)
				})
				sets[ci] = make([][]int32, len(types))
				for t, tc := range types {
					r := float32(tc.Type.MaxDistM)
					for _, h := range hits {
						if h.d <= r && remaining[t][h.cell] > 0 {
							sets[ci][t] = append(sets[ci][t], h.cell)
						}
					}
				}
			}
		}()
	}
	for ci := range cands {
		next <- ci
	}
	close(next)
	wg.Wait()
	return sets
}

// gapCandidates makes candidates at the centres of the populated cells in
// the area that some requested type does not cover; past max of them, at
// the centres of their parent cells.
func (a *Analysis) gapCandidates(types []*TypeCoverage, inArea func(int) bool, max int) []Candidate {
	if max <= 0 {
		max = 100_000
	}
	var gap []spatial.Cell
	for i, c := range a.Data.Cells {
		if !inArea(i) || c.Population <= 0 {
			continue
		}
		for _, tc := range types {
			if !tc.IsCovered(i) {
				gap = append(gap, c.Cell)
				break
			}
		}
	}
	for res := a.Data.Resolution - 1; len(gap) > max && res >= spatial.MinResolution; res-- {
		seen := map[spatial.Cell]bool{}
		var parents []spatial.Cell
		for _, c := range gap {
			if p := c.Parent(res); !seen[p] {
				seen[p] = true
				parents = append(parents, p)
			}
		}
		gap = parents
	}
	out := make([]Candidate, len(gap))
	for i, c := range gap {
		out[i] = Candidate{ID: "gap-" + c.String(), Location: spatial.Center(c)}
	}
	return out
}

// withPlanned is a with every planned and under-construction facility
// counted as built (for recommendations, where they are fixed).
func (a *Analysis) withPlanned() *Analysis {
	var planned []Change
	for _, f := range a.Data.Facilities {
		if !a.inForce(f) {
			planned = append(planned, Change{Kind: Add, Facility: f})
		}
	}
	if len(planned) == 0 {
		return a
	}
	data := *a.Data
	b := a.derive(&data)
	b.PlanYear = 9999
	byType := map[string][]Facility{}
	for _, ch := range planned {
		byType[ch.Facility.Type] = append(byType[ch.Facility.Type], ch.Facility)
	}
	for ti := range b.tcs {
		t := a.tcs[ti].Type
		if fs := byType[t.ID]; len(fs) > 0 {
			b.tcs[ti] = b.newTypeCoverage(t)
			b.lazy[ti].fill = func(nt *TypeCoverage) { b.extendType(a, a.typeAt(ti), nt, fs) }
		} else {
			b.tcs[ti] = &TypeCoverage{Type: t, Facilities: a.tcs[ti].Facilities} // the same in force
			b.shareType(a, ti)
		}
	}
	return b
}

// perResidentNorm is the type's capacity norm per resident (of its cohort,
// with Chengdu's shares: 60+ 17.98 %, 0–14 13.28 %), or 0 when the
// catalogue has none. Households convert at 2.49 persons (2020 census).
func perResidentNorm(t FacilityType) float64 {
	if t.Norm == nil || t.Norm.Per <= 0 {
		return 0
	}
	per := t.Norm.Value / t.Norm.Per
	switch t.Norm.PerUnit {
	case "households":
		per /= ChengduHouseholdSize
	case "residents aged 60+":
		per *= Share60Plus
	}
	return per
}

// Chengdu 2020 census figures used to turn norms into per-resident terms
// (domain-standards.md §c).
const (
	ChengduHouseholdSize = 2.49
	Share60Plus          = 0.1798
	Share0to14           = 0.1328
)
