package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// sameCoverage fails when two analyses of the same cells disagree on any
// type's covered flags or distances.
func sameCoverage(t *testing.T, what string, x, y *Analysis) {
	t.Helper()
	for ti, tx := range x.Types() {
		ty := y.Types()[ti]
		if math.Abs(tx.Covered-ty.Covered) > 1e-6 || len(tx.Facilities) != len(ty.Facilities) {
			t.Fatalf("%s: %s covered %v vs %v, %d vs %d facilities", what, tx.Type.ID, tx.Covered, ty.Covered, len(tx.Facilities), len(ty.Facilities))
		}
		for i := range x.Data.Cells {
			hx, hy := tx.Hit(i), ty.Hit(i)
			if hx.Found() != hy.Found() || (hx.Found() && math.Abs(float64(hx.DistM-hy.DistM)) > 0.01) {
				t.Fatalf("%s: %s cell %d: %v vs %v", what, tx.Type.ID, i, hx, hy)
			}
			if hx.Found() && x.Data.Facilities[tx.Facilities[hx.Site]].ID != y.Data.Facilities[ty.Facilities[hy.Site]].ID && hx.DistM != hy.DistM {
				t.Fatalf("%s: %s cell %d: nearest facility differs", what, tx.Type.ID, i)
			}
		}
	}
}

func scenarioChanges() []Change {
	return []Change{
		{Kind: Add, Facility: Facility{ID: "K9", Type: "kindergarten", Location: orb.Point{104.0612, 30.6628}}},
		{Kind: Add, Facility: Facility{ID: "P9", Type: "pharmacy", Location: orb.Point{104.0650, 30.6600}}},
		{Kind: Move, FacilityID: "H2", Facility: Facility{Location: orb.Point{104.0660, 30.6640}}},
		{Kind: Remove, FacilityID: "H1"},
	}
}

func TestApplyEqualsFreshAnalysis(t *testing.T) {
	for _, method := range []string{"euclidean", "network"} {
		cat, d := gridDataset(t)
		opts := Options{}
		if method == "network" {
			opts.Source = NewNetwork(testGrid(), Centres(d), DefaultSnapLimitM, 0)
		}
		base, err := Analyze(cat, d, opts)
		if err != nil {
			t.Fatal(err)
		}
		scen, err := base.Apply(scenarioChanges())
		if err != nil {
			t.Fatal(err)
		}
		// the same dataset, built by hand and analysed from scratch
		d2 := *d
		d2.Facilities = []Facility{
			d.Facilities[0],
			{ID: "H2", Type: "community_health_center", Location: orb.Point{104.0660, 30.6640}, Status: Existing},
			{ID: "K9", Type: "kindergarten", Location: orb.Point{104.0612, 30.6628}, Status: Existing},
			{ID: "P9", Type: "pharmacy", Location: orb.Point{104.0650, 30.6600}, Status: Existing},
		}
		fresh, err := Analyze(cat, &d2, Options{Source: base.Source()})
		if err != nil {
			t.Fatal(err)
		}
		sameCoverage(t, method, scen, fresh)
		// the baseline is untouched
		again, _ := Analyze(cat, d, Options{Source: base.Source()})
		sameCoverage(t, method+" baseline", base, again)
		if len(base.Data.Facilities) != 3 {
			t.Fatalf("baseline facilities changed: %d", len(base.Data.Facilities))
		}
		// Compare agrees with the shares
		c := Compare(base, scen)
		for _, td := range c.Types {
			tb, _ := base.Type(td.ID)
			ts, _ := scen.Type(td.ID)
			if math.Abs((tb.Covered+td.NewlyCovered-td.NewlyUncovered)-ts.Covered) > 0.5 {
				t.Errorf("%s %s: %v + %v − %v ≠ %v", method, td.ID, tb.Covered, td.NewlyCovered, td.NewlyUncovered, ts.Covered)
			}
		}
		if len(c.Types) != 3 {
			t.Errorf("%s: %d types changed, want 3 (kindergarten, pharmacy, health centre)", method, len(c.Types))
		}
		if cells, err := Delta(base, scen, "kindergarten"); err != nil || len(cells) == 0 {
			t.Errorf("%s delta layer: %v", method, err)
		}
	}
}

func TestApplyRejectsBadChanges(t *testing.T) {
	cat, d := gridDataset(t)
	base, _ := Analyze(cat, d, Options{})
	bad := [][]Change{
		{{Kind: Remove, FacilityID: "nope"}},
		{{Kind: Move, FacilityID: "K1", Facility: Facility{Location: orb.Point{30, 104}}}},
		{{Kind: Add, Facility: Facility{ID: "K1", Type: "kindergarten", Location: orb.Point{104.06, 30.66}}}},
		{{Kind: Add, Facility: Facility{Type: "castle", Location: orb.Point{104.06, 30.66}}}},
		{{Kind: "paint"}},
		{{Kind: Remove, FacilityID: "K1"}, {Kind: Remove, FacilityID: "K1"}},
	}
	for i, ch := range bad {
		if _, err := base.Apply(ch); err == nil {
			t.Errorf("bad change set %d accepted", i)
		}
	}
}

func TestWhatIfEqualsApply(t *testing.T) {
	for _, method := range []string{"euclidean", "network"} {
		cat, d := gridDataset(t)
		opts := Options{}
		if method == "network" {
			opts.Source = NewNetwork(testGrid(), Centres(d), DefaultSnapLimitM, 0)
		}
		base, _ := Analyze(cat, d, opts)
		site := Site{Types: []string{"kindergarten", "community_health_center", "pharmacy"}, Location: orb.Point{104.0665, 30.6630}}
		g, err := base.WhatIf(site)
		if err != nil {
			t.Fatal(err)
		}
		var changes []Change
		for _, typ := range site.Types {
			changes = append(changes, Change{Kind: Add, Facility: Facility{ID: "new-" + typ, Type: typ, Location: site.Location}})
		}
		after, err := base.Apply(changes)
		if err != nil {
			t.Fatal(err)
		}
		cmp := Compare(base, after)
		want := map[string]float64{}
		for _, td := range cmp.Types {
			want[td.ID] = td.NewlyCovered
		}
		for _, tg := range g.Types {
			if tg.NewlyCovered != want[tg.ID] {
				t.Errorf("%s %s: what-if gains %v, applying the site gains %v", method, tg.ID, tg.NewlyCovered, want[tg.ID])
			}
		}
		if g.ResidentsNewlyCovered <= 0 || len(g.Cells) == 0 {
			t.Errorf("%s: the site gains nobody: %+v", method, g)
		}
		for _, cg := range g.Cells {
			for l, after := range cg.After {
				if after <= cg.Before[l] {
					t.Errorf("%s cell %s: completeness %s %v → %v", method, cg.H3, l, cg.Before[l], after)
				}
			}
		}
	}
}
