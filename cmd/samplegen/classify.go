package main

import (
	"fmt"
	"strings"
)

// mapping is the decision for one OSM object: the catalogue types it
// becomes (none means dropped) and the rule that decided it. Rules marked
// listed have their features named one by one in SOURCES.md, because they
// rest on a name or a judgement rather than on the tag alone.
type mapping struct {
	types  []string
	rule   string
	listed bool
}

func mapTo(rule string, types ...string) mapping { return mapping{types: types, rule: rule} }

// judged is like mapTo but marks the rule for a per-feature listing.
func judged(rule string, types ...string) mapping {
	return mapping{types: types, rule: rule, listed: true}
}

// poi is what the classifier needs to know about one facility.
type poi struct {
	category string // OSM key=value
	name     string // the display name (name:zh, else name)
	names    string // name, name:zh and name:en joined, for keyword tests
	named    bool   // has a name, name:zh or name:en
	areaHa   float64
	hasArea  bool // areaHa comes from a polygon
}

// classify maps one OSM facility to catalogue types.
func classify(p poi) (mapping, error) {
	switch p.category {
	case "amenity=kindergarten":
		return mapTo("kindergarten", "kindergarten"), nil
	case "amenity=school":
		return classifySchool(p), nil
	case "amenity=hospital":
		if containsAny(p.names, "诊所") {
			return judged("hospital whose name says 诊所 (clinic) → community_health_station", "community_health_station"), nil
		}
		return mapTo("hospital → community_health_center (approximation: a hospital serves at least the street level)", "community_health_center"), nil
	case "amenity=clinic":
		if containsAny(p.names, "丽婴房") {
			return judged("dropped: 丽婴房 (Les Enphants) is a baby-goods retail brand, a probable mis-tag"), nil
		}
		return mapTo("clinic → community_health_station", "community_health_station"), nil
	case "amenity=doctors":
		return mapTo("doctors → community_health_station", "community_health_station"), nil
	case "amenity=pharmacy":
		return mapTo("pharmacy", "pharmacy"), nil
	case "amenity=marketplace":
		return classifyMarket(p), nil
	case "shop=greengrocer":
		return judged("greengrocer → fresh_market (a fruit/vegetable shop; weaker than a 菜市场)", "fresh_market"), nil
	case "shop=supermarket":
		if containsAny(p.names, "红旗", "喔喔", "Convenience", "便利") {
			return judged("supermarket of a convenience-store chain (红旗连锁 Hongqi, 喔喔 OO Convenience) → convenience_store", "convenience_store"), nil
		}
		return mapTo("supermarket", "supermarket"), nil
	case "amenity=library":
		if containsAny(p.names, "校区", "交大", "大学") {
			return judged("dropped: university campus library (not a public culture facility)"), nil
		}
		return judged("public library → culture_activity_station", "culture_activity_station"), nil
	case "leisure=park":
		return classifyPark(p), nil
	case "leisure=playground":
		return mapTo("playground → kids_elderly_activity_area", "kids_elderly_activity_area"), nil
	case "amenity=university", "amenity=college":
		return judged("dropped: university/college (no life-circle catalogue type)"), nil
	case "highway=bus_stop":
		return mapTo("bus_stop", "bus_stop"), nil
	case "station=subway", "public_transport=station":
		if p.hasArea {
			return judged("subway station mapped as a closed way, no station node of that name within 300 m → metro_station", "metro_station"), nil
		}
		return mapTo("subway station node → metro_station (one per station)", "metro_station"), nil
	case "public_transport=stop_position":
		return judged("subway stop position (platform point), no station node or way of that name within 300 m → metro_station", "metro_station"), nil
	case "railway=subway_entrance":
		return judged("subway entrance with no station taken within 300 m → metro_station", "metro_station"), nil
	case "amenity=toilets":
		return mapTo("toilets → public_toilet", "public_toilet"), nil
	case "amenity=police":
		if containsAny(p.names, "保卫处") {
			return judged("dropped: 保卫处 is a campus/work-unit security office, not a police station"), nil
		}
		if containsAny(p.names, "办证中心") {
			return judged("dropped: police permit/ID service hall (办证中心), not a 派出所"), nil
		}
		if !p.named {
			return judged("unnamed police → police_station (assumption: may be a police post 警务站 rather than a 派出所)", "police_station"), nil
		}
		return mapTo("police (named 派出所) → police_station", "police_station"), nil
	case "amenity=post_office":
		return mapTo("post office → post_office", "post_office"), nil
	case "shop=convenience":
		if containsAny(p.names, "布艺") {
			return judged("dropped: 布艺 (fabric/soft-furnishing shop), a probable mis-tag"), nil
		}
		return mapTo("convenience → convenience_store", "convenience_store"), nil
	case "leisure=pitch":
		return classifyPitch(p), nil
	}
	return mapping{}, fmt.Errorf("no mapping rule for tag %q", p.category)
}

// classifySchool decides the school level from the Chinese name. OSM in
// Chengdu (2018) tags every school amenity=school, with no isced:level.
func classifySchool(p poi) mapping {
	n := p.names
	switch {
	case !p.named || strings.TrimSpace(n) == "":
		return judged("dropped: unnamed school (level unknown)")
	case containsAny(n, "幼儿园"):
		return judged("school whose name says 幼儿园 → kindergarten", "kindergarten")
	case containsAny(n, "大学") && !containsAny(n, "小学", "实小", "中学"):
		return judged("dropped: a university tagged amenity=school")
	case containsAny(n, "电大", "进修", "培训"):
		return judged("dropped: adult, teacher-training or tutoring school")
	case containsAny(n, "高中"):
		return judged("name says 高中 (senior-high campus) → middle_school, candidate only", "middle_school")
	}
	primary := containsAny(n, "小学", "实小")
	middle := containsAny(n, "中学", "初中")
	abbreviated := !middle && strings.HasSuffix(stripBrackets(p.name), "中")
	switch {
	case primary && (middle || abbreviated):
		return mapTo("name says both 小学 and 中学 → primary_school + middle_school", "primary_school", "middle_school")
	case primary:
		return mapTo("name says 小学 (or 实小) → primary_school", "primary_school")
	case middle:
		return mapTo("name says 中学 or 初中 → middle_school", "middle_school")
	case abbreviated:
		return judged("name ends in the abbreviation 中 (e.g. 成都49中 = 第四十九中学) → middle_school", "middle_school")
	case containsAny(n, "学校"):
		return judged("other 学校 (外国语/实验/双语 etc.), assumed nine-year 九年一贯制 → primary_school + middle_school", "primary_school", "middle_school")
	}
	return judged("dropped: school level cannot be told from the name")
}

// classifyMarket keeps food markets. OSM amenity=marketplace in Chengdu also
// tags wholesale and specialist markets, which are not fresh markets.
func classifyMarket(p poi) mapping {
	switch {
	case containsAny(p.names, "电子", "军用", "面料", "辅料", "文殊坊"):
		return judged("dropped: specialist non-food market or commercial quarter (电子城, 军用品, 面料辅料, 文殊坊)")
	case containsAny(p.names, "菜市场", "农贸", "便民市场", "生鲜"):
		return mapTo("marketplace named 菜市场/农贸/便民市场 → fresh_market", "fresh_market")
	}
	return judged("marketplace, unnamed or generic 市场 → fresh_market (assumption)", "fresh_market")
}

// GB 50180-2018 §4.0.4 minimum park sizes per life-circle level.
const (
	parkLC15MinHa = 5.0
	parkLC10MinHa = 1.0
)

// classifyPark applies the GB 50180 size rule to the park polygon area.
func classifyPark(p poi) mapping {
	switch {
	case !p.hasArea:
		return judged("park mapped as a node (no area) → park_lc10 (default)", "park_lc10")
	case p.areaHa >= parkLC15MinHa:
		return judged("park polygon ≥ 5 ha → park_lc15", "park_lc15")
	case p.areaHa >= parkLC10MinHa:
		return judged("park polygon ≥ 1 ha and < 5 ha → park_lc10", "park_lc10")
	}
	return judged("park polygon < 1 ha → park_lc5", "park_lc5")
}

// GB 50180-2018 appendix B land sizes of the multi-sport grounds, in m².
const (
	largeFieldMinM2  = 3150
	mediumFieldMinM2 = 1310
	smallFieldMinM2  = 770
)

// classifyPitch applies the GB 50180 land sizes to the pitch polygon area.
// A pitch under 770 m² (e.g. one basketball court) is dropped: it is below
// the smallest ball-games ground, and outdoor_fitness_area (室外综合健身场地,
// fitness equipment and elderly activity space) is a different facility.
func classifyPitch(p poi) mapping {
	m2 := p.areaHa * 1e4
	switch {
	case !p.hasArea:
		return judged("pitch mapped as a node (no area) → small_sports_field (default)", "small_sports_field")
	case m2 >= largeFieldMinM2:
		return judged("pitch polygon ≥ 3150 m² → large_sports_field", "large_sports_field")
	case m2 >= mediumFieldMinM2:
		return judged("pitch polygon ≥ 1310 m² and < 3150 m² → medium_sports_field", "medium_sports_field")
	case m2 >= smallFieldMinM2:
		return judged("pitch polygon ≥ 770 m² and < 1310 m² → small_sports_field", "small_sports_field")
	}
	return judged("dropped: pitch polygon < 770 m² (below the smallest GB 50180 ball-games ground)")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// stripBrackets removes a trailing bracketed part such as （东区） or (东区).
func stripBrackets(s string) string {
	s = strings.TrimSpace(s)
	for _, open := range []string{"（", "("} {
		if i := strings.Index(s, open); i > 0 {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}
