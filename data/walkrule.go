package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/paulmach/osm"

	"lifecircle/coverage"
)

// WalkRule decides which OSM ways a pedestrian can use. It is the one place
// the rule lives; `--walk-rule FILE` replaces it with a JSON file of the same
// shape. The default, in order of precedence:
//
//  1. foot=no|private|use_sidepath drops the way; foot=yes|designated|permissive
//     keeps it, whatever else it says (the OSRM foot profile's order).
//  2. access=no|private|agricultural|forestry|delivery, with no foot tag,
//     drops it.
//  3. highway=construction, a construction=* tag, and motorways drop it.
//  4. highway in Highways keeps it: footway, path, pedestrian, steps,
//     living_street, residential, service, unclassified, track, tertiary,
//     secondary, primary and their links, trunk and trunk_link (a trunk road
//     is kept unless foot=no, by rule 1), and road.
//
// Everything else (cycleway without foot=yes, bridleway, rail, rivers, ...)
// is dropped. Multipolygon relations tagged with a kept highway value
// (pedestrian squares) add their untagged member ways as outlines.
type WalkRule struct {
	Highways   []string `json:"highways"`  // highway values a pedestrian may use
	FootYes    []string `json:"foot_yes"`  // foot values that keep any way
	FootNo     []string `json:"foot_no"`   // foot values that drop any way
	AccessNo   []string `json:"access_no"` // access values that drop a way unless foot allows it
	NeverHighs []string `json:"never"`     // highway values always dropped (unless foot allows)
	DropConstr bool     `json:"drop_construction"`
}

// DefaultWalkRule is the rule described on WalkRule.
func DefaultWalkRule() WalkRule {
	return WalkRule{
		Highways: []string{"footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
			"unclassified", "track", "road", "tertiary", "tertiary_link", "secondary", "secondary_link",
			"primary", "primary_link", "trunk", "trunk_link"},
		FootYes:    []string{"yes", "designated", "permissive"},
		FootNo:     []string{"no", "private", "use_sidepath"},
		AccessNo:   []string{"private", "no", "agricultural", "forestry", "delivery"},
		NeverHighs: []string{"motorway", "motorway_link", "construction", "proposed"},
		DropConstr: true,
	}
}

// ParseWalkRule reads a rule from JSON; every list must be given.
func ParseWalkRule(name string, src []byte) (WalkRule, error) {
	var r WalkRule
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%s: %v: %w", name, err, coverage.ErrInvalid)
	}
	if len(r.Highways) == 0 && len(r.FootYes) == 0 {
		return r, fmt.Errorf("%s: a walk rule must list highways or foot_yes values: %w", name, coverage.ErrInvalid)
	}
	return r, nil
}

// compiled is a WalkRule as sets.
type compiledRule struct {
	highway, footYes, footNo, accessNo, never map[string]bool
	dropConstruction                          bool
}

func set(vs []string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func (r WalkRule) compile() compiledRule {
	return compiledRule{set(r.Highways), set(r.FootYes), set(r.FootNo), set(r.AccessNo), set(r.NeverHighs), r.DropConstr}
}

// walkable applies the rule; reason names why a way is dropped.
func (c compiledRule) walkable(tags osm.Tags) (ok bool, reason string) {
	foot := tags.Find("foot")
	switch {
	case c.footNo[foot]:
		return false, "foot=" + foot
	case c.footYes[foot]:
		return true, ""
	}
	hw := tags.Find("highway")
	if hw == "" {
		return false, "not a highway"
	}
	if a := tags.Find("access"); c.accessNo[a] && foot == "" {
		return false, "access=" + a
	}
	if c.never[hw] {
		return false, "highway=" + hw
	}
	if c.dropConstruction && tags.Find("construction") != "" {
		return false, "construction"
	}
	if c.highway[hw] {
		return true, ""
	}
	return false, "highway=" + hw
}

// sortedCounts renders a reason → count map deterministically.
func sortedCounts(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(out)
	return out
}
