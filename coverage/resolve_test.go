package coverage

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestResolveTypeByChineseName(t *testing.T) {
	c := DefaultCatalog()
	for name, want := range map[string]string{
		"kindergarten": "kindergarten", "幼儿园": "kindergarten", " 幼儿园 ": "kindergarten",
		"养老院": "nursing_home", "老年养护院": "nursing_home", "社区医院": "community_health_center",
		"小学": "primary_school", "Kindergarten": "kindergarten", "小型多功能运动场地": "small_sports_field",
		"托育": "nursery",
	} {
		got, err := c.Resolve(name)
		if err != nil || got.ID != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", name, got.ID, err, want)
		}
	}
	// 公园 fits the three parks: a 400 listing them, in both languages
	_, err := c.Resolve("公园")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "park_lc5") || !strings.Contains(err.Error(), "park_lc15") {
		t.Errorf("ambiguous 公园: %v", err)
	}
	if zh := MessageZH(err); !strings.Contains(zh, "个类型：") || !strings.Contains(zh, "park_lc10") {
		t.Errorf("ambiguous 公园, Chinese text %q", zh)
	}
	_, err = c.Resolve("hospital")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "valid types: bus_stop") || !strings.Contains(MessageZH(err), "幼儿园（kindergarten）") {
		t.Errorf("unknown type: %v / %s", err, MessageZH(err))
	}
}

func TestAnalysisResolvesTypesAndUnits(t *testing.T) {
	_, d0 := fxDataset(t)
	a, err := Analyze(DefaultCatalog(), d0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := a.Type("幼儿园")
	if err != nil || tc.Type.ID != "kindergarten" {
		t.Fatalf("Type(幼儿园) = %v, %v", tc, err)
	}
	if _, err := a.Type("castle"); !errors.Is(err, ErrNotFound) || MessageZH(err) == "" {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := a.Type("公园"); !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
		t.Errorf("ambiguous type must be a 400 (ErrInvalid only): %v", err)
	}
	if len(a.Data.Units) == 0 {
		t.Fatal("fixture has no units")
	}
	u0 := a.Data.Units[0]
	for _, key := range []string{u0.Code, u0.Name} {
		u, err := a.ResolveUnit(key)
		if err != nil || u.Code != u0.Code {
			t.Errorf("ResolveUnit(%q) = %v, %v", key, u.Code, err)
		}
	}
	if _, err := a.ResolveUnit("火星区"); !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) || !strings.Contains(MessageZH(err), "火星区") {
		t.Errorf("unknown unit: %v", err)
	}
	// two units sharing a name: refused, both listed with their codes
	d := *a.Data
	d.Units = append(append([]AdminUnit(nil), d.Units...), AdminUnit{Level: Street, Code: "S-dup", Name: u0.Name,
		Geometry: orb.MultiPolygon{{orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{0.1, 0.1}}.ToRing()}}})
	b, err := Analyze(a.Catalog, &d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.ResolveUnit(u0.Name)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "S-dup") || !strings.Contains(err.Error(), u0.Code) || !strings.Contains(MessageZH(err), "街道") {
		t.Errorf("ambiguous unit: %v / %s", err, MessageZH(err))
	}
	// equity, capacity and gap areas answer with the id, whatever the name given
	e, err := a.Equity("幼儿园", District)
	if err == nil && e.Type != "kindergarten" {
		t.Errorf("equity type %q", e.Type)
	}
	r, err := a.Capacity("幼儿园", CapacityOptions{})
	if err != nil || r.Type != "kindergarten" {
		t.Errorf("capacity: %v %v", r, err)
	}
	g, err := a.GapAreas("幼儿园")
	if err != nil || (len(g) > 0 && g[0].Type != "kindergarten") {
		t.Errorf("gap areas: %v", err)
	}
}
