package main

import (
	"slices"
	"testing"
)

func TestClassifySchool(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"成都市人北实验小学", []string{"primary_school"}},
		{"电子科技大学附实小蓝水湾校区", []string{"primary_school"}},
		{"列五中学", []string{"middle_school"}},
		{"石室初中青龙校区", []string{"middle_school"}},
		{"成都49中", []string{"middle_school"}},
		{"成都铁中", []string{"middle_school"}},
		{"成都市实验外国语学校（高中部）", []string{"middle_school"}},
		{"成都石室中学初中学校（东区）", []string{"middle_school"}},
		{"成都双语实验学校", []string{"primary_school", "middle_school"}},
		{"千里马大地幼儿园", []string{"kindergarten"}},
		{"西南交通大学 - Xinan Jiaotong University", nil},
		{"成华区教师进修学校", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := classify(poi{category: "amenity=school", name: tt.name, names: tt.name, named: tt.name != ""})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.types, tt.want) {
				t.Errorf("types = %v, want %v (rule %q)", m.types, tt.want, m.rule)
			}
		})
	}
}

func TestClassifyPark(t *testing.T) {
	tests := []struct {
		areaHa  float64
		hasArea bool
		want    string
	}{
		{11.7, true, "park_lc15"},
		{5.0, true, "park_lc15"},
		{4.97, true, "park_lc10"},
		{1.0, true, "park_lc10"},
		{0.99, true, "park_lc5"},
		{0, false, "park_lc10"},
	}
	for _, tt := range tests {
		m, err := classify(poi{category: "leisure=park", areaHa: tt.areaHa, hasArea: tt.hasArea})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.types) != 1 || m.types[0] != tt.want {
			t.Errorf("park %.2f ha (area %v) = %v, want %s", tt.areaHa, tt.hasArea, m.types, tt.want)
		}
	}
}

func TestClassifyUnknownTag(t *testing.T) {
	if _, err := classify(poi{category: "amenity=bank"}); err == nil {
		t.Error("want an error for a tag without a rule")
	}
}

func TestCanonicalOSMID(t *testing.T) {
	tests := map[string]string{
		"n1003921259": "n1003921259",
		"a206590152":  "w103295076",
		"a15555915":   "r7777957",
	}
	for in, want := range tests {
		got, err := canonicalOSMID(in)
		if err != nil || got != want {
			t.Errorf("canonicalOSMID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := canonicalOSMID("x12"); err == nil {
		t.Error("want an error for an unknown prefix")
	}
}

func TestFormatTenths(t *testing.T) {
	tests := map[int64]string{0: "0.0", 7: "0.7", 10: "1.0", 8864807: "886480.7"}
	for in, want := range tests {
		if got := formatTenths(in); got != want {
			t.Errorf("formatTenths(%d) = %q, want %q", in, got, want)
		}
	}
}
