// Package collection publishes what an analysis computed as feature
// collections: each has an id, titles, a geometry type, a property schema
// and an index that answers bbox, unit, property filters, paging and
// lookup by id without scanning every cell. It knows no wire format: the
// api package encodes the same query results as GeoJSON, OGC API items and
// vector tiles, and data writes them to files.
package collection

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Property types, as JSON Schema names them.
const (
	String  = "string"
	Number  = "number"
	Integer = "integer"
	Boolean = "boolean"
	Array   = "array"
)

// Property describes one feature property.
type Property struct {
	Name        string
	Type        string // String, Number, Integer, Boolean or Array (of strings)
	Title       string // Chinese title
	Description string // English description
}

// Feature is one feature of a collection. Query and Feature build a new
// geometry and property map for every call, so a caller may change them
// (the vector tile encoder projects and clips geometries in place). ID is the integer feature id
// (stable for the analysis; cells keep the same id in every cell
// collection); Key is the id the /v1 layers have always used (an H3 index, a
// facility id, a gap-area id).
type Feature struct {
	ID         int64
	Key        string
	Geometry   orb.Geometry
	Properties map[string]any
}

// Query selects features. The zero value selects everything.
type Query struct {
	Bound   *orb.Bound        // features whose geometry intersects it (cells and points: centre inside it)
	Unit    string            // admin unit code: features inside it
	Filters map[string]string // property name → value, compared as text
	Limit   int               // at most this many (0: no limit)
	Offset  int               // skip this many matching features first
	Profile coverage.Profile  // walking speed for minutes (zero value: default)
}

// Page is the answer to a query.
type Page struct {
	Features []Feature
	Matched  int // every feature the query selects, before paging
	// Scanned is how many features the index read to answer a bbox: for
	// cell collections, every cell of the H3 groups whose bound the R-tree
	// returned (cells of groups only partly inside have their centre
	// tested); for short lists, the bounds the R-tree returned. It shows
	// that a bbox reads the cells near it, not the whole city. 0 without a
	// bbox.
	Scanned int
}

// Collection is one published layer.
type Collection struct {
	ID           string
	Title        string // Chinese title
	TitleEN      string
	Description  string
	GeometryType string // Point, Polygon or MultiPolygon
	Properties   []Property
	// Layer is the /v1/layers name and Type the facility type ("" when the
	// collection is not per type).
	Layer string
	Type  string

	set *Set
	src source
}

// ErrNotFound and ErrInvalid are coverage's errors, so callers map them in
// one place.
var (
	ErrNotFound = coverage.ErrNotFound
	ErrInvalid  = coverage.ErrInvalid
)

// Property returns the schema of the named property.
func (c *Collection) Property(name string) (Property, bool) {
	for _, p := range c.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// Analysis is the analysis the collection publishes.
func (c *Collection) Analysis() *coverage.Analysis { return c.set.a }

// Extent is the bound of the collection's features (WGS84).
func (c *Collection) Extent() orb.Bound { return c.src.extent() }

// ReachM is how far, in metres, a feature's geometry may reach beyond what
// a bbox query matches it by: for H3 cells, matched by their centre, twice
// the mean hexagon edge of the resolution (a hexagon's circumradius is its
// edge; cells vary in size over the globe); 0 for the others, matched by
// their bound. A tile reaches this far past its edge so that cells it cuts
// are drawn.
func (c *Collection) ReachM() float64 {
	if _, ok := c.src.(*cellSource); !ok {
		return 0
	}
	return c.set.cellReachM()
}

// Count is the number of features with no filter.
func (c *Collection) Count() int { return c.src.len() }

// Meta returns collection-level facts: dataset, method, population note,
// detour and the type's radius, as the /v1 layers carry them.
func (c *Collection) Meta(p coverage.Profile) map[string]any {
	a := c.set.a
	m := map[string]any{"layer": c.Layer, "dataset": a.Data.Name}
	if c.Layer != "facilities" {
		m["population_note"] = a.Data.PopulationNote
		m["resolution"] = a.Data.Resolution
	}
	if c.Type != "" && c.Layer != "facilities" {
		t, _ := a.ResolveType(c.Type)
		if c.Layer != "catchment" {
			m["profile"] = profileOrDefault(p)
			m["facility_type"] = t.ID
			m["type_name_zh"] = t.NameZH
		}
		m["max_dist_m"] = t.MaxDistM
		m["method"] = a.Method
		m["approximate"] = a.Method == "euclidean"
		if a.Detour > 0 {
			m["detour"] = a.Detour
		}
	}
	return m
}

func profileOrDefault(p coverage.Profile) coverage.Profile {
	if p.SpeedMPerMin <= 0 {
		return coverage.DefaultProfile
	}
	return p
}

// Query answers q in id order.
func (c *Collection) Query(q Query) (Page, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return Page{}, &coverage.FieldError{Field: "limit", Err: coverage.WithZH(fmt.Errorf("limit and offset must not be negative: %w", ErrInvalid), "limit 与 offset 不能为负数")}
	}
	q.Profile = profileOrDefault(q.Profile)
	if len(q.Filters) > 0 {
		filters := make(map[string]string, len(q.Filters))
		for name, v := range q.Filters {
			p, ok := c.Property(name)
			if !ok {
				return Page{}, &coverage.FieldError{Field: name, Err: coverage.WithZH(fmt.Errorf("collection %s has no property %q to filter on: %w", c.ID, name, ErrInvalid),
					"集合 %s 没有可用于筛选的属性「%s」", c.ID, name)}
			}
			canon, err := canonicalFilter(p, v)
			if err != nil {
				return Page{}, &coverage.FieldError{Field: name, Err: err}
			}
			filters[name] = canon
		}
		q.Filters = filters
	}
	unit := -1
	if q.Unit != "" {
		i, err := c.set.resolveUnit(q.Unit)
		if err != nil {
			return Page{}, err
		}
		unit = i
	}
	var cand []int // ordinals, ascending; nil means every ordinal
	scanned := 0
	switch {
	case q.Bound != nil:
		cand, scanned = c.src.search(*q.Bound)
		if cand == nil { // nothing in the box (nil would mean every ordinal)
			cand = []int{}
		}
		if unit >= 0 {
			cand = filterOrdinals(cand, func(i int) bool { return c.src.inUnit(i, unit) })
		}
	case unit >= 0:
		cand = c.src.unitOrdinals(unit)
	}
	page := Page{Scanned: scanned}
	want := func() bool { return q.Limit == 0 || len(page.Features) < q.Limit }
	visit := func(i int) {
		if len(q.Filters) > 0 {
			f := c.src.feature(i, q.Profile)
			if !matches(f.Properties, q.Filters) {
				return
			}
			if page.Matched >= q.Offset && want() {
				page.Features = append(page.Features, f)
			}
			page.Matched++
			return
		}
		if page.Matched >= q.Offset && want() {
			page.Features = append(page.Features, c.src.feature(i, q.Profile))
		}
		page.Matched++
	}
	if len(q.Filters) == 0 { // counts are known: build only the page
		n := c.src.len()
		if cand != nil {
			n = len(cand)
		}
		page.Matched = n
		for k := q.Offset; k < n && want(); k++ {
			i := k
			if cand != nil {
				i = cand[k]
			}
			page.Features = append(page.Features, c.src.feature(i, q.Profile))
		}
		return page, nil
	}
	if cand != nil {
		for _, i := range cand {
			visit(i)
		}
	} else {
		for i := 0; i < c.src.len(); i++ {
			visit(i)
		}
	}
	return page, nil
}

// Feature returns the feature with the given integer id.
func (c *Collection) Feature(id int64, p coverage.Profile) (Feature, error) {
	i, ok := c.src.ordinal(id)
	if !ok {
		return Feature{}, coverage.WithZH(fmt.Errorf("collection %s has no feature %d: %w", c.ID, id, ErrNotFound), "集合 %s 中没有编号为 %d 的要素", c.ID, id)
	}
	return c.src.feature(i, profileOrDefault(p)), nil
}

func filterOrdinals(in []int, keep func(int) bool) []int {
	out := in[:0:0]
	for _, i := range in {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

func matches(p map[string]any, filters map[string]string) bool {
	for k, want := range filters {
		if FormatValue(p[k]) != want {
			return false
		}
	}
	return true
}

// canonicalFilter writes a filter value the way FormatValue writes the
// property's values: booleans from true/false/1/0 (GDAL sends its Boolean
// fields as 1 and 0), numbers in their shortest form (180.0 matches 180).
func canonicalFilter(p Property, v string) (string, error) {
	if v == "" { // matches null
		return v, nil
	}
	switch p.Type {
	case Boolean:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return "", coverage.WithZH(fmt.Errorf("%s=%q: %s is true or false (1 or 0); %s 取值为 true 或 false: %w", p.Name, v, p.Name, p.Name, ErrInvalid),
				"筛选条件 %s=「%s」：%s 取值为 true 或 false（1 或 0）", p.Name, v, p.Name)
		}
		return strconv.FormatBool(b), nil
	case Number, Integer:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", coverage.WithZH(fmt.Errorf("%s=%q: %s is a number; %s 须为数字: %w", p.Name, v, p.Name, p.Name, ErrInvalid),
				"筛选条件 %s=「%s」：%s 须为数字", p.Name, v, p.Name)
		}
		return FormatValue(f), nil
	}
	return v, nil
}

// FormatValue writes a property value as text, the way filters compare it
// (numbers in their shortest form, booleans as true/false, arrays
// comma-separated, null as the empty string).
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ",")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// source is what a collection indexes: ordinals 0..len()-1 in id order.
type source interface {
	len() int
	feature(i int, p coverage.Profile) Feature
	ordinal(id int64) (int, bool)
	// search returns the ordinals whose geometry is in b, ascending, and
	// how many features it read to find them.
	search(b orb.Bound) ([]int, int)
	inUnit(i, unit int) bool
	unitOrdinals(unit int) []int // ascending
	extent() orb.Bound
}

// Set holds every collection of one analysis.
type Set struct {
	a       *coverage.Analysis
	version string
	list    []*Collection
	byID    map[string]*Collection

	gridOnce  sync.Once
	grid      *cellGrid
	boundOnce sync.Once
	bound     orb.Bound // of the cell centres
	unitMu    sync.Mutex
	unitCell  map[int][]int32 // unit → its cells, ascending
	polyOnce  sync.Once
	polys     spatial.PolygonIndex[int]
}

// NewSet registers the collections of analysis a. version names the
// analysis (it changes whenever the analysis does), for caches and ETags.
// Indexes are built on first use.
func NewSet(a *coverage.Analysis, version string) *Set {
	s := &Set{a: a, version: version, byID: map[string]*Collection{}, unitCell: map[int][]int32{}}
	s.register()
	return s
}

// Analysis is the analysis the set publishes.
func (s *Set) Analysis() *coverage.Analysis { return s.a }

// Version names the analysis the set was built from.
func (s *Set) Version() string { return s.version }

// Collections lists every collection in a stable order.
func (s *Set) Collections() []*Collection { return s.list }

// Collection returns the collection with the given id.
func (s *Set) Collection(id string) (*Collection, error) {
	if c, ok := s.byID[id]; ok {
		return c, nil
	}
	return nil, coverage.WithZH(fmt.Errorf("collection %q does not exist (see /ogc/collections): %w", id, ErrNotFound),
		"没有集合「%s」（集合列表见 /ogc/collections）", id)
}

// ForLayer returns the collection behind a /v1 layer name and facility type.
func (s *Set) ForLayer(layer, typ string) (*Collection, error) {
	if typ != "" {
		t, err := s.a.ResolveType(typ)
		if err != nil {
			return nil, &coverage.FieldError{Field: "type", Err: err}
		}
		typ = t.ID
	}
	id := layer
	switch layer {
	case "facilities", "population":
	case "coverage", "gaps", "gap-areas":
		if typ == "" {
			return nil, &coverage.FieldError{Field: "type", Err: coverage.WithZH(fmt.Errorf("layer %s needs a facility type (type=…): %w", layer, ErrInvalid),
				"图层 %s 须指定设施类型（type=…）", layer)}
		}
		id = layer + "-" + typ
	case "catchment":
		id = "catchments-" + typ
	default:
		return nil, coverage.WithZH(fmt.Errorf("layer %q does not exist; layers: %s: %w", layer, strings.Join(LayerNames, ", "), ErrNotFound),
			"图层「%s」不存在；可用的图层：%s", layer, strings.Join(LayerNames, "、"))
	}
	return s.Collection(id)
}

// LayerNames lists the /v1 layers.
var LayerNames = []string{"facilities", "population", "coverage", "gaps", "gap-areas", "catchment", "units"}

// LayerNeedsType reports whether a /v1 layer is per facility type.
func LayerNeedsType(layer string) bool {
	return layer == "coverage" || layer == "gaps" || layer == "gap-areas"
}

func (s *Set) add(c *Collection) {
	c.set = s
	s.list = append(s.list, c)
	s.byID[c.ID] = c
}

func (s *Set) resolveUnit(code string) (int, error) {
	u, err := s.a.ResolveUnit(code) // a code or a name (成华区)
	if err != nil {
		return -1, &coverage.FieldError{Field: "unit", Err: err}
	}
	i, _ := s.a.UnitPosition(u.Code)
	return i, nil
}

// unitCells lists the cells of unit ui in ascending order (computed once).
func (s *Set) unitCells(ui int) []int32 {
	s.unitMu.Lock()
	defer s.unitMu.Unlock()
	if cells, ok := s.unitCell[ui]; ok {
		return cells
	}
	of := s.a.UnitCellIndex(s.a.Data.Units[ui].Level)
	var cells []int32
	for i, u := range of {
		if int(u) == ui {
			cells = append(cells, int32(i))
		}
	}
	s.unitCell[ui] = cells
	return cells
}

// cellInUnit reports whether cell i lies in unit ui.
func (s *Set) cellInUnit(i, ui int) bool {
	of := s.a.UnitCellIndex(s.a.Data.Units[ui].Level)
	return of != nil && int(of[i]) == ui
}

func sortedInts(v []int) []int {
	sort.Ints(v)
	return v
}

// Delta is the cells whose coverage of one type differs between before and
// after (a scenario), with the distances on both sides, and its facts.
func Delta(before, after *coverage.Analysis, typeID string) (Page, map[string]any, error) {
	cells, err := coverage.Delta(before, after, typeID)
	if err != nil {
		return Page{}, nil, &coverage.FieldError{Field: "type", Err: err}
	}
	tc, _ := before.Type(typeID)
	dist := func(h coverage.Hit) any {
		if !h.Found() {
			return nil
		}
		return math.Round(float64(h.DistM)*10) / 10
	}
	var p Page
	for _, d := range cells {
		c := before.Data.Cells[d.Cell]
		key := c.Cell.String()
		p.Features = append(p.Features, Feature{ID: int64(d.Cell) + 1, Key: key,
			Geometry: orb.Polygon{roundRing(spatial.Boundary(c.Cell))},
			Properties: map[string]any{"h3": key, "population": round1(c.Population), "type": tc.Type.ID, "type_name_zh": tc.Type.NameZH,
				"change": d.Change, "before_m": dist(d.Before), "after_m": dist(d.After)}})
	}
	p.Matched = len(p.Features)
	meta := map[string]any{"layer": "delta", "facility_type": tc.Type.ID, "type_name_zh": tc.Type.NameZH, "method": after.Method, "dataset": after.Data.Name}
	return p, meta, nil
}
