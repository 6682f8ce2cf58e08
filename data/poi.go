package data

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The POI providers whose exports ReadPOIs takes, and the CRS each exports in.
var poiProviders = map[string]spatial.CRS{
	"amap":    spatial.GCJ02, // 高德
	"tencent": spatial.GCJ02, // 腾讯
	"baidu":   spatial.BD09,  // 百度
	"osm":     spatial.WGS84,
}

// POIProviders lists the accepted --provider values.
var POIProviders = []string{"amap", "baidu", "tencent", "osm"}

// ProviderCRS is the coordinate system a provider exports in.
func ProviderCRS(provider string) (spatial.CRS, error) {
	c, ok := poiProviders[provider]
	if !ok {
		return "", invalid("unknown provider %q (want %s)", provider, strings.Join(POIProviders, ", "))
	}
	return c, nil
}

//go:embed poi_rules.json
var defaultPOIRules []byte

// POIRule is one rule of the POI mapping: a set of words (any; none of not)
// or a regular expression on the name or the category text, or a code
// prefix; Types empty means "not a catalogue facility" (dropped).
type POIRule struct {
	Any    []string `json:"any,omitempty"`
	Not    []string `json:"not,omitempty"`
	Re     string   `json:"re,omitempty"`
	Prefix string   `json:"prefix,omitempty"`
	Types  []string `json:"types"`
	Note   string   `json:"note,omitempty"`
	re     *regexp.Regexp
}

// POIRules is the mapping from POI exports to catalogue types
// (data/poi_rules.json; see its note for the order of decision).
type POIRules struct {
	Note       string               `json:"note,omitempty"`
	Exclude    []POIRule            `json:"exclude"`
	Names      []POIRule            `json:"names"`
	Codes      map[string][]POIRule `json:"codes"`
	Categories []POIRule            `json:"categories"`
	Weak       []POIRule            `json:"weak"`
}

// DefaultPOIRules is the embedded mapping.
func DefaultPOIRules(cat *coverage.Catalog) (*POIRules, error) {
	var r POIRules
	if err := json.Unmarshal(defaultPOIRules, &r); err != nil {
		return nil, fmt.Errorf("embedded poi_rules.json: %v", err)
	}
	return &r, r.check("poi_rules.json", cat)
}

// DefaultPOIRulesJSON is the embedded mapping as written (for the docs and
// as a starting point for an override).
func DefaultPOIRulesJSON() []byte { return defaultPOIRules }

// ExtendPOIRules overrides the rules with a JSON file of the same shape:
// every list it gives replaces the default list of that name, and each
// provider's codes it gives replace that provider's codes.
func (r *POIRules) Extend(name string, src []byte, cat *coverage.Catalog) (*POIRules, error) {
	var o struct {
		Exclude    *[]POIRule           `json:"exclude"`
		Names      *[]POIRule           `json:"names"`
		Codes      map[string][]POIRule `json:"codes"`
		Categories *[]POIRule           `json:"categories"`
		Weak       *[]POIRule           `json:"weak"`
		Note       string               `json:"note"`
	}
	dec := json.NewDecoder(strings.NewReader(string(src)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, invalid("%s: not a POI rules file (JSON with exclude, names, codes, categories, weak): %v", name, err)
	}
	out := *r
	out.Codes = map[string][]POIRule{}
	for k, v := range r.Codes {
		out.Codes[k] = v
	}
	for dst, src := range map[*[]POIRule]*[]POIRule{&out.Exclude: o.Exclude, &out.Names: o.Names, &out.Categories: o.Categories, &out.Weak: o.Weak} {
		if src != nil {
			*dst = *src
		}
	}
	for k, v := range o.Codes {
		if _, ok := poiProviders[k]; !ok {
			return nil, invalid("%s: codes for unknown provider %q (want %s)", name, k, strings.Join(POIProviders, ", "))
		}
		out.Codes[k] = v
	}
	return &out, out.check(name, cat)
}

// check compiles the expressions and checks every type against the catalogue.
func (r *POIRules) check(name string, cat *coverage.Catalog) error {
	lists := []struct {
		what  string
		rules []POIRule
	}{{"exclude", r.Exclude}, {"names", r.Names}, {"categories", r.Categories}, {"weak", r.Weak}}
	for p, rs := range r.Codes {
		lists = append(lists, struct {
			what  string
			rules []POIRule
		}{"codes." + p, rs})
	}
	for _, l := range lists {
		for i := range l.rules {
			ru := &l.rules[i]
			where := fmt.Sprintf("%s %s[%d]", name, l.what, i)
			if strings.HasPrefix(l.what, "codes.") {
				if ru.Prefix == "" {
					return invalid("%s: a code rule needs \"prefix\"", where)
				}
			} else if len(ru.Any) == 0 && ru.Re == "" {
				return invalid("%s: a rule needs \"any\" (words) or \"re\" (a regular expression)", where)
			}
			if ru.Re != "" {
				re, err := regexp.Compile(ru.Re)
				if err != nil {
					return invalid("%s: re %q: %v", where, ru.Re, err)
				}
				ru.re = re
			}
			if l.what == "exclude" && len(ru.Types) > 0 {
				return invalid("%s: an exclude rule gives no types", where)
			}
			for j, t := range ru.Types {
				id, err := cat.CheckType(t) // an id or a Chinese name
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				ru.Types[j] = id
			}
		}
	}
	return nil
}

func (ru *POIRule) matches(s string) bool {
	if s == "" {
		return false
	}
	for _, n := range ru.Not {
		if strings.Contains(s, n) {
			return false
		}
	}
	if ru.re != nil && ru.re.MatchString(s) {
		return true
	}
	for _, a := range ru.Any {
		if strings.Contains(s, a) {
			return true
		}
	}
	return false
}

// describe names a rule for the report: its step and what matched.
func (ru *POIRule) describe(step, s string) string {
	what := ru.Prefix
	if what == "" {
		if ru.re != nil {
			what = ru.re.FindString(s)
		}
		for _, a := range ru.Any {
			if what == "" && strings.Contains(s, a) {
				what = a
			}
		}
	}
	d := step + ":" + what
	if len(ru.Types) == 0 {
		d += " → (dropped)"
	} else {
		d += " → " + strings.Join(ru.Types, "+")
	}
	if ru.Note != "" {
		d += " [" + ru.Note + "]"
	}
	return d
}

// POIOptions configure ReadPOIs.
type POIOptions struct {
	Provider string
	CRS      spatial.CRS // "" for the provider's own
	Rules    *POIRules   // nil for the default
	Sheet    string      // XLSX sheet ("" for the first)
	// DuplicateM is how close two rows of the same type and name must be to
	// be merged (default 50 m).
	DuplicateM float64
}

// POIRow is one row of the export as the report lists it.
type POIRow struct {
	Where    string   `json:"where"` // file and line/row
	Name     string   `json:"name"`
	Code     string   `json:"code,omitempty"`
	Category string   `json:"category,omitempty"`
	Types    []string `json:"types,omitempty"`
	Rule     string   `json:"rule"`            // the rule that decided
	Others   []string `json:"other,omitempty"` // rules that disagreed (ambiguous rows)
}

// POIDuplicate is a row merged into an earlier one of the same name and type.
type POIDuplicate struct {
	Kept, Merged string // where each row is
	Name, Type   string
	DistanceM    float64
}

// POIReport is what ReadPOIs did with every row.
type POIReport struct {
	File       string
	Provider   string
	CRS        spatial.CRS
	Encoding   string
	Rows       int
	PerType    map[string]int // facilities written per type
	Decided    []POIRow       // every row with types, in file order
	Dropped    []POIRow       // excluded, or matched only by a "no type" rule
	Unmatched  []POIRow       // no rule matched
	Ambiguous  []POIRow       // rules disagreed; Rule decided
	Duplicates []POIDuplicate
	RuleOf     map[string]string // facility id → the rule that decided its type
}

// ReadPOIs reads a POI export (CSV, GBK or UTF-8, or XLSX) of the given
// provider and maps every row to catalogue types with the rules, converting
// coordinates from the provider's CRS to WGS84. Columns (case-insensitive,
// first alias found): name/title/名称; typecode/code/类型编码 (amap codes;
// osm: tag "key=value"); type/category/tag/类型/分类; address/地址;
// location/坐标 ("lon,lat") or lon/lng/经度 + lat/纬度; id/uid.
// A row with bad coordinates fails the whole file, naming the row.
func ReadPOIs(name string, r io.Reader, cat *coverage.Catalog, o POIOptions) ([]coverage.Facility, *POIReport, error) {
	crs, err := ProviderCRS(o.Provider)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if o.CRS != "" {
		crs = o.CRS
	}
	rules := o.Rules
	if rules == nil {
		if rules, err = DefaultPOIRules(cat); err != nil {
			return nil, nil, err
		}
	}
	if o.DuplicateM == 0 {
		o.DuplicateM = 50
	}
	t, err := readTable(name, r, o.Sheet)
	if err != nil {
		return nil, nil, err
	}
	cName := t.column("name", "title", "名称", "poi名称", "poi_name")
	cCode := t.column("typecode", "type_code", "code", "类型编码", "分类编码", "分类代码", "category_code")
	if o.Provider == "osm" {
		cCode = t.column("osm_tag", "tag", "category", "typecode", "code")
	}
	cCat := t.column("type", "category", "detail_info.tag", "tag", "类型", "分类", "行业分类", "行业")
	if cCat == cCode {
		cCat = -1
	}
	cID := t.column("id", "uid", "poi_id", "poiid", "osm_id")
	cLoc := t.column("location", "lnglat", "lonlat", "坐标", "经纬度")
	cLon := t.column("lon", "lng", "longitude", "location.lng", "经度", "x")
	cLat := t.column("lat", "latitude", "location.lat", "纬度", "y")
	if cLoc < 0 && (cLon < 0 || cLat < 0) {
		return nil, nil, invalid("%s: no coordinate columns: want \"location\" (lon,lat) or \"lon\"/\"lng\"/\"经度\" and \"lat\"/\"纬度\" (header: %s)", t.name, strings.Join(t.header, ","))
	}
	if cName < 0 && cCode < 0 && cCat < 0 {
		return nil, nil, invalid("%s: no name, code or category column to classify by (header: %s)", t.name, strings.Join(t.header, ","))
	}
	rep := &POIReport{File: name, Provider: o.Provider, CRS: crs, Encoding: t.encoding, Rows: len(t.rows), PerType: map[string]int{}, RuleOf: map[string]string{}}
	stem := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	var out []coverage.Facility
	var from []string // where each facility came from
	for i := range t.rows {
		where := t.at(i)
		p, err := poiLocation(t, i, cLoc, cLon, cLat)
		if err != nil {
			return nil, nil, invalid("%s: %v", where, err)
		}
		if p, err = toWGS84(p, crs); err != nil {
			return nil, nil, invalid("%s: %v", where, err)
		}
		row := POIRow{Where: where, Name: t.cell(i, cName), Code: t.cell(i, cCode), Category: t.cell(i, cCat)}
		types, decided := rules.classify(o.Provider, &row)
		switch {
		case !decided:
			rep.Unmatched = append(rep.Unmatched, row)
			continue
		case len(types) == 0:
			rep.Dropped = append(rep.Dropped, row)
			continue
		}
		if len(row.Others) > 0 {
			rep.Ambiguous = append(rep.Ambiguous, row)
		}
		rep.Decided = append(rep.Decided, row)
		id := t.cell(i, cID)
		if id == "" {
			id = fmt.Sprintf("%s-%d", stem, t.lines[i])
		}
		for _, ty := range types {
			f := coverage.Facility{ID: id, Type: ty, Name: row.Name, Location: p, Status: coverage.Existing}
			if len(types) > 1 {
				f.ID = id + "-" + ty
			}
			out = append(out, f)
			from = append(from, where)
			rep.RuleOf[f.ID] = row.Rule
		}
	}
	out, rep.Duplicates = mergeDuplicates(out, from, o.DuplicateM)
	for _, f := range out {
		rep.PerType[f.Type]++
	}
	if err := uniqueIDs(name, out, func(i int) string { return "facility " + strconv.Quote(out[i].ID) }); err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, rep, invalid("%s: no row maps to a catalogue type (%d rows: %d unmatched, %d dropped); check --provider and the columns", name, rep.Rows, len(rep.Unmatched), len(rep.Dropped))
	}
	return out, rep, nil
}

func poiLocation(t *table, i, cLoc, cLon, cLat int) (orb.Point, error) {
	var ls, as string
	if cLoc >= 0 && t.cell(i, cLoc) != "" {
		parts := strings.FieldsFunc(t.cell(i, cLoc), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' })
		if len(parts) != 2 {
			return orb.Point{}, fmt.Errorf("location %q must be \"lon,lat\"", t.cell(i, cLoc))
		}
		ls, as = parts[0], parts[1]
	} else {
		ls, as = t.cell(i, cLon), t.cell(i, cLat)
	}
	lon, e1 := strconv.ParseFloat(ls, 64)
	lat, e2 := strconv.ParseFloat(as, 64)
	if e1 != nil || e2 != nil {
		return orb.Point{}, fmt.Errorf("lon %q / lat %q must be numbers", ls, as)
	}
	return orb.Point{lon, lat}, nil
}

// classify decides a row's types: exclude, names, codes, categories, weak
// names, in that order; later matches that disagree are recorded in
// row.Others. decided is false when no rule matched.
func (r *POIRules) classify(provider string, row *POIRow) (types []string, decided bool) {
	name := row.Name
	for i := range r.Exclude {
		if ru := &r.Exclude[i]; ru.matches(name) {
			row.Rule = ru.describe("exclude", name)
			return nil, true
		}
	}
	type match struct {
		types []string
		rule  string
	}
	var ms []match
	first := func(step string, rules []POIRule, s string) {
		for i := range rules {
			if ru := &rules[i]; ru.matches(s) {
				ms = append(ms, match{ru.Types, ru.describe(step, s)})
				return
			}
		}
	}
	first("name", r.Names, name)
	// The longest code prefix of any of the row's codes (amap lists several
	// as "090100|090300").
	best := -1
	var bestRule *POIRule
	for _, code := range strings.FieldsFunc(row.Code, func(r rune) bool { return r == '|' || r == ';' || r == ',' }) {
		code = strings.TrimSpace(code)
		for i := range r.Codes[provider] {
			ru := &r.Codes[provider][i]
			if strings.HasPrefix(code, ru.Prefix) && len(ru.Prefix) > best {
				best, bestRule = len(ru.Prefix), ru
			}
		}
	}
	if bestRule != nil {
		ms = append(ms, match{bestRule.Types, bestRule.describe("code", row.Code)})
	}
	first("category", r.Categories, row.Category)
	if len(ms) == 0 {
		first("weak", r.Weak, name)
	}
	if len(ms) == 0 {
		row.Rule = "no rule matched"
		return nil, false
	}
	row.Rule, row.Types = ms[0].rule, ms[0].types
	for _, m := range ms[1:] {
		if !sameTypes(m.types, ms[0].types) {
			row.Others = append(row.Others, m.rule)
		}
	}
	return ms[0].types, true
}

func sameTypes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// mergeDuplicates keeps the first of facilities with the same type and
// name (spaces and brackets ignored) within m metres of each other.
func mergeDuplicates(fs []coverage.Facility, from []string, m float64) ([]coverage.Facility, []POIDuplicate) {
	type key struct{ typ, name string }
	groups := map[key][]int{}
	var out []coverage.Facility
	var outFrom []string
	var dups []POIDuplicate
	for i, f := range fs {
		k := key{f.Type, normName(f.Name)}
		merged := false
		if k.name != "" {
			for _, j := range groups[k] {
				if d := spatial.DistanceM(out[j].Location, f.Location); d <= m {
					dups = append(dups, POIDuplicate{Kept: outFrom[j], Merged: from[i], Name: f.Name, Type: f.Type, DistanceM: d})
					merged = true
					break
				}
			}
		}
		if !merged {
			groups[k] = append(groups[k], len(out))
			out = append(out, f)
			outFrom = append(outFrom, from[i])
		}
	}
	return out, dups
}

// normName is a name compared for duplicates: without spaces and with
// full-width brackets as ASCII ones.
func normName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000':
			return -1
		case '（':
			return '('
		case '）':
			return ')'
		}
		return r
	}, s)
}
