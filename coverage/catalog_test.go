package coverage

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultCatalog(t *testing.T) {
	c := DefaultCatalog()
	if len(c.Types) != 35 {
		t.Fatalf("default catalogue has %d types, want the 35 of domain-standards.md §(a)", len(c.Types))
	}
	k, ok := c.Type("kindergarten")
	if !ok || k.MaxDistM != 300 || k.Level != LC5 || k.Requirement != Mandatory {
		t.Errorf("kindergarten = %+v", k)
	}
	for id, want := range map[string]float64{"primary_school": 500, "community_health_center": 1000, "waste_collection_point": 70, "metro_station": 800, "culture_activity_station": 500} {
		ft, ok := c.Type(id)
		if !ok || ft.MaxDistM != want {
			t.Errorf("%s: max_dist_m %v, want %v", id, ft.MaxDistM, want)
		}
	}
	for _, ft := range c.Types {
		if ft.Source == "" || ft.Confidence == "" || ft.NameZH == "" || ft.NameEN == "" {
			t.Errorf("%s lacks its source, confidence or names", ft.ID)
		}
	}
}

func TestCatalogOverride(t *testing.T) {
	base := DefaultCatalog()
	c, err := base.Extend("override.json", []byte(`{"types":[{"id":"kindergarten","max_dist_m":500},
	  {"id":"elderly_canteen_plus","name_zh":"长者食堂","category":"elderly","level":"lc5","max_walk_min":5,"max_dist_m":300,"requirement":"optional","source":"local","confidence":"I"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := c.Type("kindergarten")
	if k.MaxDistM != 500 || k.NameZH != "幼儿园" || k.Level != LC5 {
		t.Errorf("override must change only max_dist_m: %+v", k)
	}
	if len(c.Types) != 36 {
		t.Errorf("want 36 types after adding one, got %d", len(c.Types))
	}
	if kb, _ := base.Type("kindergarten"); kb.MaxDistM != 300 {
		t.Error("Extend modified the base catalogue")
	}
	y, err := base.Extend("override.yaml", []byte("types:\n  - id: primary_school\n    max_dist_m: 1000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := y.Type("primary_school"); p.MaxDistM != 1000 {
		t.Errorf("YAML override: %+v", p)
	}
}

func TestCatalogErrors(t *testing.T) {
	base := DefaultCatalog()
	cases := map[string]string{
		`{"types":[{"id":"kindergarten","max_dist_m":-5}]}`: `type 1 ("kindergarten"): max_dist_m -5`,
		`{"types":[{"id":"kindergarten","level":"lc20"}]}`:  `level "lc20" is not one of`,
		`{"types":[{"id":"kindergarten","radius":300}]}`:    `unknown field "radius"`,
		`{"types":[{"id":"new_type","max_dist_m":300}]}`:    `type 1 ("new_type"): name_zh or name_en is required`,
		`{"types":[{"id":"Bad-Id","name_en":"x"}]}`:         `id "Bad-Id" must be`,
		`{"types":[]}`: `no "types" given`,
		"types: [ {id: kindergarten, requirement: maybe} ]":                     `requirement "maybe" is not one of`,
		`{"types":[{"id":"kindergarten"}, {"id":"pharmacy","max_walk_min":0}]}`: `type 2 ("pharmacy"): max_walk_min 0`,
	}
	for src, want := range cases {
		_, err := base.Extend("cat.json", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "cat.json") {
			t.Errorf("%s:\n got %v\nwant it to name the file and say %q", src, err, want)
		}
	}
}
