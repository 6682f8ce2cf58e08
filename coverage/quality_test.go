package coverage

import (
	"strings"
	"testing"
)

func TestQualityRule(t *testing.T) {
	_, d := fxDataset(t)
	a, err := Analyze(DefaultCatalog(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kg, _ := a.Type("kindergarten")
	// the figures: 8 kindergartens for 886,481 residents, where a
	// 5-minute circle of 5,000–12,000 implies 74–177
	q := a.quality(kg, -1, 886481, 8)
	if q.Status != LikelyIncomplete || q.ExpectedMin != 73.9 || q.ExpectedMax != 177.3 || !strings.Contains(q.Note, "73–178") || !strings.Contains(q.NoteZH, "幼儿园") {
		t.Errorf("8 kindergartens: %+v", q)
	}
	if q := a.quality(kg, -1, 886481, 0); q.Status != NoneMapped {
		t.Errorf("0 kindergartens: %+v", q)
	}
	if q := a.quality(kg, -1, 886481, 40); q.Status != Plausible {
		t.Errorf("40 kindergartens (over half the lower bound): %+v", q)
	}
	// a small unit where the norm expects under one: a facility is plausible
	if q := a.quality(kg, 0, 3000, 1); q.Status != Plausible || q.Unit != "W" {
		t.Errorf("1 kindergarten for 3,000: %+v", q)
	}
	// a type's own band replaces the level's: health centres 1 per 30–100 k
	hc, _ := a.Type("community_health_center")
	if q := a.quality(hc, -1, 886481, 9); q.Status != Plausible || q.Band.Min != 30000 {
		t.Errorf("health centres: %+v", q)
	}
	// the audit reaches the summary, with the share labelled
	s := a.Summary(District, DefaultProfile)
	for _, ts := range s.Types {
		if ts.ID == "nursing_home" && (ts.DataQuality.Status != NoneMapped || ts.ShareNote == "" || ts.ShareNoteZH == "") {
			t.Errorf("nursing home summary: %+v", ts)
		}
	}
	if len(s.DataQuality.NoneMapped) == 0 || s.DataQuality.NoteZH == "" {
		t.Errorf("summary data quality: %+v", s.DataQuality)
	}
	for _, u := range s.Units {
		n := 0
		for _, ut := range u.Types {
			n += ut.Facilities
			if ut.DataQuality == "" {
				t.Errorf("unit %s type %s lacks its status", u.Code, ut.ID)
			}
		}
		if n != u.Facilities {
			t.Errorf("unit %s: %d facilities by type, %d in all", u.Code, n, u.Facilities)
		}
	}
	if _, err := a.Quality("幼儿园", "West"); err != nil {
		t.Errorf("quality by Chinese type and unit name: %v", err)
	}
}

func TestLevelBandsOverride(t *testing.T) {
	base := DefaultCatalog()
	if len(base.Levels) != 4 {
		t.Fatalf("default catalogue has %d level bands", len(base.Levels))
	}
	for _, l := range base.Levels {
		if l.Source == "" || l.Min <= 0 {
			t.Errorf("level %s lacks its band or source", l.ID)
		}
	}
	c, err := base.Extend("o.json", []byte(`{"levels":[{"id":"lc5","residents_min":3000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := c.Type("kindergarten")
	if b, _ := c.Band(k); b.Min != 3000 || b.Max != 12000 {
		t.Errorf("overridden band %+v", b)
	}
	if _, err := base.Extend("o.json", []byte(`{"levels":[{"id":"lc7","residents_min":3000,"residents_max":4000}]}`)); err == nil {
		t.Error("unknown level accepted")
	}
	if _, err := base.Extend("o.json", []byte(`{"levels":[{"id":"lc5","residents_min":30000}]}`)); err == nil {
		t.Error("min above max accepted")
	}
}
