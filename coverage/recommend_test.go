package coverage

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// randomCity is a small city of populated res-10 cells with a few existing
// kindergartens, for recommendation tests.
func randomCity(t testing.TB, seed int64, cells int) (*Catalog, *Dataset) {
	rng := rand.New(rand.NewSource(seed))
	d := &Dataset{Name: fmt.Sprintf("random-%d", seed), Resolution: 10}
	seen := map[spatial.Cell]bool{}
	for len(d.Cells) < cells {
		p := orb.Point{104.04 + rng.NormFloat64()*0.012, 30.66 + rng.NormFloat64()*0.012}
		c := spatial.CellOf(p, 10)
		if !seen[c] {
			seen[c] = true
			d.Cells = append(d.Cells, PopulationCell{Cell: c, Population: float64(1 + rng.Intn(400))})
		}
	}
	for i := 0; i < 3; i++ {
		d.Facilities = append(d.Facilities, Facility{ID: fmt.Sprintf("K%d", i), Type: "kindergarten", Status: Existing,
			Location: orb.Point{104.04 + rng.NormFloat64()*0.01, 30.66 + rng.NormFloat64()*0.01}})
	}
	d.Facilities = append(d.Facilities, Facility{ID: "KP", Type: "kindergarten", Status: Planned, PlanYear: 2027,
		Location: orb.Point{104.04, 30.66}})
	return DefaultCatalog(), d
}

func randomCandidates(seed int64, n int) []Candidate {
	rng := rand.New(rand.NewSource(seed))
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{ID: fmt.Sprintf("c%d", i), Location: orb.Point{104.04 + rng.NormFloat64()*0.012, 30.66 + rng.NormFloat64()*0.012}}
	}
	return out
}

func TestRecommendBasics(t *testing.T) {
	cat, d := randomCity(t, 1, 600)
	a, err := Analyze(cat, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := RecommendRequest{Types: []WeightedType{{ID: "kindergarten"}}, K: 5, Candidates: randomCandidates(2, 80)}
	r, err := a.Recommend(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sites) != 5 || r.Evaluations >= 5*80 {
		t.Fatalf("%d sites, %d evaluations (lazy greedy should need far fewer than k × candidates = 400)", len(r.Sites), r.Evaluations)
	}
	prev, prevShare := math.Inf(1), r.ShareStart["kindergarten"]
	for _, s := range r.Sites {
		if s.Gain > prev || s.Gain <= 0 {
			t.Errorf("gains must be positive and non-increasing: %v after %v", s.Gain, prev)
		}
		if sh := s.CumulativeShare["kindergarten"]; sh < prevShare {
			t.Errorf("cumulative share fell: %v → %v", prevShare, sh)
		}
		prev, prevShare = s.Gain, s.CumulativeShare["kindergarten"]
	}
	// The planned kindergarten counts as built: its neighbourhood is no gap.
	if r.ShareStart["kindergarten"] <= 0 {
		t.Error("existing and planned facilities must count at the start")
	}
	// Applying the chosen sites gives exactly the reported coverage.
	var ch []Change
	for _, s := range r.Sites {
		ch = append(ch, Change{Kind: Add, Facility: Facility{ID: s.ID, Type: "kindergarten", Location: s.Location}})
	}
	planned, _ := a.Apply([]Change{{Kind: Move, FacilityID: "KP", Facility: Facility{Location: d.Facilities[3].Location, Status: Existing}}})
	after, err := planned.Apply(ch)
	if err != nil {
		t.Fatal(err)
	}
	kt, _ := after.Type("kindergarten")
	if got, want := round4(kt.Share()), r.Sites[4].CumulativeShare["kindergarten"]; math.Abs(got-want) > 1e-4 {
		t.Errorf("applying the 5 sites gives share %v, the recommendation said %v", got, want)
	}

	// Target share: the fewest sites to reach it.
	tr, err := a.Recommend(RecommendRequest{Types: req.Types, TargetShare: r.Sites[2].CumulativeShare["kindergarten"] - 1e-4, Candidates: req.Candidates})
	if err != nil || len(tr.Sites) != 3 || !tr.TargetReached {
		t.Errorf("target share of the 3rd site: %d sites, reached %v, %v", len(tr.Sites), tr.TargetReached, err)
	}
	// Minimum spacing.
	sp, _ := a.Recommend(RecommendRequest{Types: req.Types, K: 5, Candidates: req.Candidates, MinSpacingM: 800})
	for i, x := range sp.Sites {
		for _, y := range sp.Sites[:i] {
			if dd := spatial.DistanceM(x.Location, y.Location); dd < 800 {
				t.Errorf("sites %s and %s are %.0f m apart, under the 800 m spacing", x.ID, y.ID, dd)
			}
		}
	}
	// Generated candidates from gap cells.
	gen, err := a.Recommend(RecommendRequest{Types: req.Types, K: 3})
	if err != nil || !gen.Generated || gen.Candidates == 0 || len(gen.Sites) != 3 {
		t.Errorf("generated: %+v %v", gen, err)
	}
	// Bad requests.
	for _, bad := range []RecommendRequest{{}, {Types: req.Types}, {Types: []WeightedType{{ID: "castle"}}, K: 1},
		{Types: req.Types, K: 1, Unit: "nowhere"}, {Types: req.Types, TargetShare: 1.5}} {
		if _, err := a.Recommend(bad); err == nil {
			t.Errorf("bad request accepted: %+v", bad)
		}
	}
}

func TestRecommendCapacity(t *testing.T) {
	cat, d := randomCity(t, 3, 400)
	a, _ := Analyze(cat, d, Options{})
	// nursing homes: 40 beds per 1000 residents aged 60+ → 0.04 × 0.1798 beds per resident
	cands := randomCandidates(4, 30)
	for i := range cands {
		cands[i].Capacity = 20 // 20 beds serve 20 / (0.04 × 0.1798) ≈ 2,781 residents
	}
	r, err := a.Recommend(RecommendRequest{Types: []WeightedType{{ID: "nursing_home"}}, K: 3, Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	limit := 20 / (0.04 * Share60Plus)
	for _, s := range r.Sites {
		if s.Gain > limit+0.1 {
			t.Errorf("site %s serves %v residents, over its capacity of %.0f", s.ID, s.Gain, limit)
		}
	}
}

// TestGreedyAgainstMILP compares lazy greedy with the exact optimum of the
// maximal covering problem, solved by GLPK, on instances small enough for it.
func TestGreedyAgainstMILP(t *testing.T) {
	glpsol, err := exec.LookPath("glpsol")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("glpsol (GLPK) is not installed; .ci/run must install glpk-utils")
		}
		t.Skip("glpsol not installed: run `make deps-glpk` (apt-get install glpk-utils)")
	}
	worst := 1.0
	types := []string{"kindergarten", "primary_school", "community_health_center"}
	for seed := int64(1); seed <= 9; seed++ {
		cat, d := randomCity(t, seed, 350)
		a, _ := Analyze(cat, d, Options{})
		cands := randomCandidates(seed+100, 80)
		k := 2 + int(seed)%6
		typ := types[int(seed)%3]
		r, err := a.Recommend(RecommendRequest{Types: []WeightedType{{ID: typ}}, K: k, Candidates: cands})
		if err != nil {
			t.Fatal(err)
		}
		greedy := 0.0
		for _, s := range r.Sites {
			greedy += s.Gain
		}
		plain, _ := a.Recommend(RecommendRequest{Types: []WeightedType{{ID: typ}}, K: k, Candidates: cands, GreedyOnly: true})
		greedyOnly := 0.0
		for _, s := range plain.Sites {
			greedyOnly += s.Gain
		}
		opt := solveMCLP(t, glpsol, a, typ, cands, k)
		ratio := greedy / opt
		t.Logf("seed %d: %s, k=%d, 80 candidates, 350 cells: optimum %.0f; lazy greedy %.0f (%.4f); with interchange %.0f (%.4f)",
			seed, typ, k, opt, greedyOnly, greedyOnly/opt, greedy, ratio)
		if greedy > opt+0.5 {
			t.Fatalf("greedy %v beats the optimum %v: the MILP or the greedy is wrong", greedy, opt)
		}
		worst = math.Min(worst, ratio)
	}
	if worst < 0.99 {
		t.Errorf("worst greedy/optimum ratio %.4f, want ≥ 0.99", worst)
	}
}

// solveMCLP writes the maximal covering problem as an LP file, solves it with
// glpsol and returns the optimal residents newly covered.
func solveMCLP(t *testing.T, glpsol string, a *Analysis, typ string, cands []Candidate, k int) float64 {
	t.Helper()
	fixed := a.withPlanned()
	tc, _ := fixed.Type(typ)
	covers := map[int][]int{} // cell → candidates reaching it
	for j, c := range cands {
		a.source.Reach(c.Location, tc.Type.MaxDistM, func(i int, _ float32) {
			if !tc.IsCovered(i) && a.Data.Cells[i].Population > 0 {
				covers[i] = append(covers[i], j)
			}
		})
	}
	var b strings.Builder
	b.WriteString("Maximize\n obj:")
	for i := range covers {
		fmt.Fprintf(&b, " + %g y%d", a.Data.Cells[i].Population, i)
	}
	b.WriteString("\nSubject To\n")
	for i, js := range covers {
		fmt.Fprintf(&b, " c%d: y%d", i, i)
		for _, j := range js {
			fmt.Fprintf(&b, " - x%d", j)
		}
		b.WriteString(" <= 0\n")
	}
	b.WriteString(" k:")
	for j := range cands {
		fmt.Fprintf(&b, " + x%d", j)
	}
	fmt.Fprintf(&b, " = %d\nBounds\n", k)
	for i := range covers {
		fmt.Fprintf(&b, " 0 <= y%d <= 1\n", i)
	}
	b.WriteString("Binary\n")
	for j := range cands {
		fmt.Fprintf(&b, " x%d\n", j)
	}
	b.WriteString("End\n")
	dir := t.TempDir()
	lp, out := filepath.Join(dir, "mclp.lp"), filepath.Join(dir, "mclp.out")
	if err := os.WriteFile(lp, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(glpsol, "--lp", lp, "--tmlim", "120", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("glpsol: %v\n%s", err, msg)
	}
	res, _ := os.ReadFile(out)
	m := regexp.MustCompile(`Objective:\s+obj = ([0-9.eE+-]+)`).FindSubmatch(res)
	if m == nil || !strings.Contains(string(res), "INTEGER OPTIMAL") {
		t.Fatalf("glpsol did not prove optimality:\n%.500s", res)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}
