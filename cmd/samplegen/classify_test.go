package main

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
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

func TestClassifyPitch(t *testing.T) {
	tests := []struct {
		m2      float64
		hasArea bool
		want    []string
	}{
		{7000, true, []string{"large_sports_field"}},
		{3150, true, []string{"large_sports_field"}},
		{3149, true, []string{"medium_sports_field"}},
		{1310, true, []string{"medium_sports_field"}},
		{1309, true, []string{"small_sports_field"}},
		{770, true, []string{"small_sports_field"}},
		{769, true, nil},
		{0, false, []string{"small_sports_field"}},
	}
	for _, tt := range tests {
		m, err := classify(poi{category: "leisure=pitch", areaHa: tt.m2 / 1e4, hasArea: tt.hasArea})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.types, tt.want) {
			t.Errorf("pitch %.0f m² (area %v) = %v, want %v", tt.m2, tt.hasArea, m.types, tt.want)
		}
	}
}

func TestClassifyPolice(t *testing.T) {
	tests := map[string][]string{
		"成都二仙桥派出所": {"police_station"},
		"":         {"police_station"},
		"保卫处":      nil,
		"金牛公安办证中心": nil,
	}
	for name, want := range tests {
		m, err := classify(poi{category: "amenity=police", name: name, names: name, named: name != ""})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.types, want) {
			t.Errorf("police %q = %v, want %v", name, m.types, want)
		}
	}
}

func TestStationName(t *testing.T) {
	for in, want := range map[string]string{"骡马市站": "骡马市", "骡马市": "骡马市", "天府广场（1号线）": "天府广场"} {
		if got := stationName(in); got != want {
			t.Errorf("stationName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPointOnSurface(t *testing.T) {
	// An L-shaped ring whose area centroid lies outside it.
	r := orb.Ring{{0, 0}, {10, 0}, {10, 1}, {1, 1}, {1, 10}, {0, 10}, {0, 0}}
	if p := pointOnSurface(r); !planar.RingContains(r, p) {
		t.Errorf("pointOnSurface = %v, not inside the ring", p)
	}
	sq := orb.Ring{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}
	if p := pointOnSurface(sq); p != (orb.Point{1, 1}) {
		t.Errorf("pointOnSurface(square) = %v, want the centroid", p)
	}
}
