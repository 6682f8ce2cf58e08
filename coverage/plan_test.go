package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestTrajectory(t *testing.T) {
	cat, d := gridDataset(t)
	a, _ := Analyze(cat, d, Options{})
	items := []PlanItem{
		{ID: "1", Type: "kindergarten", Location: orb.Point{104.0612, 30.6628}, Year: 2018, Status: Existing},
		{ID: "2", Type: "kindergarten", Location: orb.Point{104.0700, 30.6650}, Year: 2019, Status: Planned},
		{ID: "3", Type: "pharmacy", Location: orb.Point{104.0650, 30.6600}, Year: 2019, Status: Planned},
		{ID: "4", Type: "kindergarten", Location: orb.Point{104.0620, 30.6560}, Year: 2020, Status: UnderConstruction},
	}
	tr, err := a.Trajectory(items, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 3 || tr.Steps[0].Label != "baseline" || tr.Steps[1].Year != 2019 || tr.Steps[2].Year != 2020 {
		t.Fatalf("steps %+v", tr.Steps)
	}
	if tr.Built != 1 || tr.Planned != 4 || tr.ImplementationRate != 0.25 {
		t.Errorf("implementation %d/%d = %v, want 1/4 = 0.25", tr.Built, tr.Planned, tr.ImplementationRate)
	}
	share := func(s TrajectoryStep, id string) float64 {
		for _, ts := range s.Types {
			if ts.ID == id {
				return ts.Share
			}
		}
		return -1
	}
	k0, _ := a.Type("kindergarten")
	if share(tr.Steps[0], "kindergarten") <= round4(k0.Share()) {
		t.Error("the already-built item must count at baseline")
	}
	if !(share(tr.Steps[1], "kindergarten") > share(tr.Steps[0], "kindergarten") && share(tr.Steps[2], "kindergarten") > share(tr.Steps[1], "kindergarten")) {
		t.Errorf("kindergarten share must grow year by year: %v %v %v", share(tr.Steps[0], "kindergarten"), share(tr.Steps[1], "kindergarten"), share(tr.Steps[2], "kindergarten"))
	}
	if share(tr.Steps[1], "pharmacy") <= share(tr.Steps[0], "pharmacy") {
		t.Error("the 2019 pharmacy must raise pharmacy coverage")
	}
	if _, err := a.Trajectory([]PlanItem{{ID: "x", Type: "castle", Year: 2020}}, ""); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestPhase(t *testing.T) {
	rec := &Recommendation{}
	for i := 0; i < 7; i++ {
		rec.Sites = append(rec.Sites, RecommendedSite{Rank: i + 1, Gain: float64(100 - i), CumulativeWeightedShare: float64(i+1) / 10})
	}
	ys, err := Phase(rec, 2026, 3, 3, 0, 0)
	if err != nil || len(ys) != 3 || len(ys[0].Sites) != 3 || len(ys[1].Sites) != 3 || len(ys[2].Sites) != 1 {
		t.Fatalf("count phasing: %+v %v", ys, err)
	}
	if ys[0].Sites[0].Rank != 1 || ys[1].CumulativeWeightedShare != 0.6 || ys[2].Year != 2028 {
		t.Errorf("order or cumulative share lost: %+v", ys)
	}
	yb, err := Phase(rec, 2026, 3, 0, 250, 100) // two sites a year within 250
	if err != nil || len(yb) != 3 || len(yb[0].Sites) != 2 || yb[0].Cost != 200 {
		t.Errorf("budget phasing: %+v %v", yb, err)
	}
	if _, err := Phase(rec, 2026, 3, 0, 0, 0); err == nil {
		t.Error("phasing without count or budget accepted")
	}
}

func TestEquityGini(t *testing.T) {
	cat, d := fxDataset(t)
	a, _ := Analyze(cat, d, Options{Detour: 1})
	e, err := a.Equity("pharmacy", District)
	if err != nil {
		t.Fatal(err)
	}
	// independent: population-weighted mean absolute difference of the shares
	s := a.Summary(District, DefaultProfile)
	var p, y []float64
	total := 0.0
	for _, u := range s.Units {
		for _, ts := range u.Types {
			if ts.ID == "pharmacy" {
				p = append(p, u.Residents)
				y = append(y, ts.Covered/u.Residents)
				total += u.Residents
			}
		}
	}
	mu, g := 0.0, 0.0
	for i := range p {
		mu += p[i] / total * y[i]
	}
	for i := range p {
		for j := range p {
			g += p[i] / total * p[j] / total * math.Abs(y[i]-y[j])
		}
	}
	g /= 2 * mu
	if e.Gini == nil || math.Abs(*e.Gini-g) > 1e-3 || e.Units != 2 {
		t.Fatalf("Gini %v over %d units, mean-difference formula %v (%s)", e.Gini, e.Units, g, e.Note)
	}
	if n := len(e.Lorenz.X); n != 3 || e.Lorenz.X[n-1] != 1 || e.Lorenz.Y[n-1] != 1 {
		t.Errorf("Lorenz %+v", e.Lorenz)
	}
	// the points name their units, lowest share first (ties by code)
	if len(e.Lorenz.Units) != 2 || e.Lorenz.Units[0].Share > e.Lorenz.Units[1].Share || e.Lorenz.Units[1].X != 1 || e.Lorenz.Units[0].Name == "" {
		t.Errorf("Lorenz units %+v", e.Lorenz.Units)
	}
	// no facility: no Gini, and the reason
	e, err = a.Equity("primary_school", District)
	if err != nil || e.Gini != nil || e.Insufficient != BasisNoFacilities || e.DataQuality != NoneMapped || e.NoteZH == "" {
		t.Errorf("equity without facilities: %+v, %v", e, err)
	}
	if _, err := a.Equity("pharmacy", Street); err == nil {
		t.Error("equity over missing street units accepted")
	}
}
