package coverage

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Options tune an analysis. The zero value means the defaults.
type Options struct {
	// Source measures distances. Nil means Euclidean with Detour.
	Source DistanceSource
	// Detour multiplies straight-line distance when Source is nil (default 1.3).
	Detour float64
	// SearchFactor sets how far past its radius a type's nearest facility is
	// still reported: the search limit is SearchFactor × max_dist_m
	// (default 2). Cells with nothing inside the limit get no distance.
	SearchFactor float64
	// PlanYear, when > 0, counts planned and under-construction facilities
	// whose plan year is ≤ PlanYear as built. 0 counts existing ones only.
	PlanYear int
	// Workers is how many types Types computes at once (default
	// GOMAXPROCS); a type asked for alone is computed by its caller.
	Workers int
	// Basemap, when set, is the offline basemap (roads, water, green,
	// buildings, places) read from the same OSM extract; it is carried as
	// Analysis.Basemap and shared by scenario analyses.
	Basemap *Basemap
	// Network describes the walking network Source was built from (nil:
	// none, distances are straight line × detour).
	Network *NetworkRef
	// Divisions is the official admin hierarchy of the dataset's city (nil:
	// none known): unit codes and names resolve through it.
	Divisions *Divisions
}

// NetworkRef identifies the walking network an analysis measured on: the
// OSM extract's name, its SHA-256 and when it was taken into use, so two
// answers can be checked to rest on the same network.
type NetworkRef struct {
	Source   string `json:"source"`
	SHA256   string `json:"sha256"`
	Bytes    int    `json:"bytes"`
	Imported string `json:"imported,omitempty"` // RFC 3339, when a store keeps it
	Nodes    int    `json:"graph_nodes,omitempty"`
	Edges    int    `json:"graph_edges,omitempty"`
}

// DistanceWarning is the warning every output of a straight-line analysis
// carries, in English and Chinese ("" for network analyses).
func (a *Analysis) DistanceWarning() (en, zh string) {
	if a.Method != "euclidean" {
		return "", ""
	}
	return fmt.Sprintf("APPROXIMATE: no walking network was given or stored, distances are straight line × %.2f; give an OSM extract (--osm, or import it into the store) for walking distances", a.Detour),
		fmt.Sprintf("近似结果：未提供也未存储步行路网，距离按直线 × %.2f 估算；请提供 OSM 路网（--osm，或导入存储）以得到步行距离", a.Detour)
}

// DefaultDetour is the straight-line to walking distance factor of
// domain-standards.md §b.4 (typical 1.2–1.4).
const DefaultDetour = 1.3

// DefaultSearchFactor is the default Options.SearchFactor.
const DefaultSearchFactor = 2.0

func (o Options) withDefaults() (Options, error) {
	if o.Detour == 0 {
		o.Detour = DefaultDetour
	}
	if !(o.Detour >= 1 && o.Detour <= 3) {
		return o, fmt.Errorf("detour factor %v must be between 1 and 3: %w", o.Detour, ErrInvalid)
	}
	if o.SearchFactor == 0 {
		o.SearchFactor = DefaultSearchFactor
	}
	if !(o.SearchFactor >= 1 && o.SearchFactor <= 10) {
		return o, fmt.Errorf("search factor %v must be between 1 and 10: %w", o.SearchFactor, ErrInvalid)
	}
	if o.PlanYear < 0 || o.PlanYear > 9999 {
		return o, fmt.Errorf("plan year %d is not a year: %w", o.PlanYear, ErrInvalid)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// Analysis is the coverage of one dataset under one catalogue: for every
// populated cell and every facility type, the nearest facility and whether it
// is within the type's radius. A type's coverage is computed when first
// asked for (Type, Types and every answer built on them), once, however
// many readers ask at the same time; otherwise the analysis is immutable
// once built and safe for concurrent readers.
type Analysis struct {
	Catalog  *Catalog
	Data     *Dataset
	Method   string  // "euclidean" or "network"
	Detour   float64 // straight-line factor; 0 unless Method is "euclidean"
	PlanYear int
	// SearchFactor is Options.SearchFactor.
	SearchFactor float64
	// Basemap is Options.Basemap: the map context drawn from the OSM
	// extract, nil when the analysis has none. Read-only.
	Basemap *Basemap
	// Network is Options.Network (nil for straight-line analyses).
	Network *NetworkRef
	// Divisions is Options.Divisions (nil when none is known). Read-only.
	Divisions *Divisions

	// geo holds the cell centres and each cell's units, computed on first
	// use (cells); shared with derived analyses.
	geo       *cellGeo
	levels    map[UnitLevel]bool // the levels Data.Units has
	cellIndex *cellLookup        // shared with derived analyses
	unitIndex map[string]int
	// tcs are the types' coverages in catalogue order. Type and Facilities
	// are set when the analysis is made; Hits, Residents and Covered only
	// once lazy[i] has run: read them through typeAt, Type or Types, which
	// compute a type on first use (prepared gives the rest).
	tcs        []*TypeCoverage
	lazy       []lazyType
	workers    int         // Options.Workers: types computed at once by Types
	allDone    atomic.Bool // every type is computed
	mandDone   atomic.Bool // every mandatory type is computed
	typeIndex  map[string]int
	population float64

	mandatory   [][]int // per level: the mandatory types (mandatoryByLevel)
	source      DistanceSource
	unreachable func(cell int) bool // no walkable network near the cell
	facIndex    map[string]int

	gapMu sync.Mutex
	gaps  map[string][]GapArea

	capMu sync.Mutex
	caps  map[string]*CapacityResult // plain 2SFCA per type, for summaries

	rings *ringCache // shared with derived (scenario) analyses

	sumMu sync.Mutex
	sums  map[string]Summary // Summary by level and profile

	residentsOnce sync.Once
	unitRes       []float64 // per admin unit: its residents (unitResidents)
}

// TypeCoverage is the coverage of one facility type.
type TypeCoverage struct {
	Type FacilityType
	// Facilities are the indices (into Data.Facilities) of the facilities
	// of this type that count; Hit.Site indexes this slice.
	Facilities []int32
	// Hits holds, per cell, the nearest facility; nil when there is none.
	Hits      []Hit
	Residents float64 // population of all cells
	Covered   float64 // population of covered cells
}

// IsCovered reports whether cell i is within the type's radius of a facility.
func (tc *TypeCoverage) IsCovered(i int) bool {
	return tc.Hits != nil && tc.Hits[i].Site >= 0 && float64(tc.Hits[i].DistM) <= tc.Type.MaxDistM
}

// Hit returns cell i's nearest facility (NoHit when none is in reach).
func (tc *TypeCoverage) Hit(i int) Hit {
	if tc.Hits == nil {
		return NoHit
	}
	return tc.Hits[i]
}

// Share is Covered / Residents (0 when nobody lives in the area).
func (tc *TypeCoverage) Share() float64 { return share(tc.Covered, tc.Residents) }

func share(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return part / whole
}

// Centres returns the centre points of the dataset's cells, in cell order,
// for building a DistanceSource.
// The cells are split between the cores (an H3 call per cell).
func Centres(d *Dataset) []orb.Point {
	out := make([]orb.Point, len(d.Cells))
	chunk := max((len(out)+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0), 4096)
	var wg sync.WaitGroup
	for lo := 0; lo < len(out); lo += chunk {
		hi := min(lo+chunk, len(out))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = spatial.Center(d.Cells[i].Cell)
			}
		}()
	}
	wg.Wait()
	return out
}

// Analyze prepares the coverage of every catalogue type over the dataset:
// it indexes the cells, assigns them to units and lists each type's
// facilities in force. Each type's distances are computed on first use
// (Type, Types), so a server can answer before every type is computed;
// the results are the same as computing them all here.
func Analyze(cat *Catalog, data *Dataset, opts Options) (*Analysis, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := data.Validate(cat); err != nil {
		return nil, err
	}
	a := &Analysis{
		Catalog:      cat,
		Data:         data,
		PlanYear:     opts.PlanYear,
		SearchFactor: opts.SearchFactor,
		Basemap:      opts.Basemap,
		Network:      opts.Network,
		Divisions:    opts.Divisions,
		cellIndex:    &cellLookup{},
		geo:          &cellGeo{},
		typeIndex:    make(map[string]int, len(cat.Types)),
		gaps:         map[string][]GapArea{},
		rings:        &ringCache{},
	}
	src := opts.Source
	if src == nil { // measured from the centres, computed on first use
		src = &Euclidean{detour: opts.Detour, centresFn: func() []orb.Point { return a.cells().centres }}
	}
	if e, ok := src.(*Euclidean); ok {
		a.Detour = e.Detour()
		a.geo.centres = e.centres
	}
	if n, ok := src.(*Network); ok {
		a.geo.centres = n.centres
	}
	if len(a.geo.centres) != len(data.Cells) {
		a.geo.centres = nil // computed on first use
	}
	a.Method = src.Method()
	a.source = src
	a.unreachable = func(int) bool { return false }
	if u, ok := src.(unreachable); ok {
		a.unreachable = u.Unreachable
	}
	a.facIndex = make(map[string]int, len(data.Facilities))
	for i, f := range data.Facilities {
		a.facIndex[f.ID] = i
	}
	for _, c := range data.Cells {
		a.population += c.Population
	}
	a.unitIndex = make(map[string]int, len(data.Units))
	a.levels = map[UnitLevel]bool{}
	for i, u := range data.Units {
		a.unitIndex[u.Code] = i
		a.levels[u.Level] = true
	}

	a.workers = opts.Workers
	for _, t := range cat.Types {
		a.typeIndex[t.ID] = len(a.tcs)
		a.tcs = append(a.tcs, &TypeCoverage{Type: t})
	}
	a.mandatory = a.mandatoryByLevel()
	for i, f := range data.Facilities {
		if !a.inForce(f) {
			continue
		}
		tc := a.tcs[a.typeIndex[f.Type]]
		tc.Facilities = append(tc.Facilities, int32(i))
	}
	// A type's coverage is computed when first asked for (typeAt), so a
	// server answers its first request without computing every type.
	a.lazy = make([]lazyType, len(a.tcs))
	for i := range a.lazy {
		a.lazy[i].fill = func(tc *TypeCoverage) { a.computeType(src, tc) }
	}
	return a, nil
}

// lazyType computes one type's coverage once, on first use.
type lazyType struct {
	once sync.Once
	done atomic.Bool
	// fill sets the type's Hits, Residents and Covered (its Type and
	// Facilities are set already).
	fill func(tc *TypeCoverage)
	// sameAs, when set, is the analysis this one was derived from whose
	// coverage of the type this one shares unchanged (same cells, same
	// facilities in force, same hits): Compare skips the type without
	// computing it.
	sameAs *Analysis
}

// typeAt returns the coverage of the i-th type, computing it on first use.
// Concurrent callers for one type wait for one computation.
func (a *Analysis) typeAt(i int) *TypeCoverage {
	l := &a.lazy[i]
	if !l.done.Load() {
		l.once.Do(func() {
			l.fill(a.tcs[i])
			l.fill = nil
			l.done.Store(true)
		})
	}
	return a.tcs[i]
}

// prepared returns the i-th type with only its Type and Facilities
// guaranteed (its coverage may not be computed yet): for what needs no
// distances, such as the inventory audit.
func (a *Analysis) prepared(i int) *TypeCoverage { return a.tcs[i] }

// computeAll computes every type not computed yet, Options.Workers at once.
func (a *Analysis) computeAll() { a.ComputeAll(nil, a.workers) }

// ComputeAll computes every type not computed yet, workers at once (a
// server warms an analysis up in the background with fewer workers than
// it has cores, leaving one to answer requests). When stop is closed no
// further type is started (nil: none stops it).
func (a *Analysis) ComputeAll(stop <-chan struct{}, workers int) {
	if a.allDone.Load() {
		return
	}
	all := make([]int, len(a.tcs))
	for i := range all {
		all[i] = i
	}
	if a.computeSome(all, workers, stop) {
		a.allDone.Store(true)
	}
}

// computeMandatory computes the mandatory types of every level (what
// completeness needs) not computed yet, Options.Workers at once.
func (a *Analysis) computeMandatory() {
	if a.mandDone.Load() || a.allDone.Load() {
		return
	}
	var some []int
	for _, types := range a.mandatoryByLevel() {
		some = append(some, types...)
	}
	a.computeSome(some, a.workers, nil)
	a.mandDone.Store(true)
}

// computeSome computes the given types not computed yet, workers at once
// (a type another reader is computing is waited for). It reports false
// when stop closed before every type was started.
func (a *Analysis) computeSome(types []int, workers int, stop <-chan struct{}) bool {
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				a.typeAt(i)
			}
		}()
	}
	all := true
	for _, i := range types {
		if a.lazy[i].done.Load() {
			continue
		}
		select {
		case work <- i:
			continue
		case <-stop: // a nil stop never closes
		}
		all = false
		break
	}
	close(work)
	wg.Wait()
	return all
}

// Computed reports how many types have their coverage computed (the
// others are computed on first use).
func (a *Analysis) Computed() int {
	n := 0
	for i := range a.lazy {
		if a.lazy[i].done.Load() {
			n++
		}
	}
	return n
}

// inForce reports whether f counts in this analysis.
func (a *Analysis) inForce(f Facility) bool {
	if f.Status == Existing || f.Status == "" {
		return true
	}
	return a.PlanYear > 0 && f.PlanYear > 0 && f.PlanYear <= a.PlanYear
}

func (a *Analysis) computeType(src DistanceSource, tc *TypeCoverage) {
	for _, c := range a.Data.Cells {
		tc.Residents += c.Population
	}
	if len(tc.Facilities) == 0 {
		return
	}
	sites := make([]orb.Point, len(tc.Facilities))
	for i, fi := range tc.Facilities {
		sites[i] = a.Data.Facilities[fi].Location
	}
	tc.Hits = make([]Hit, len(a.Data.Cells))
	src.Nearest(sites, tc.Type.MaxDistM*a.SearchFactor, tc.Hits)
	for i, c := range a.Data.Cells {
		if tc.IsCovered(i) {
			tc.Covered += c.Population
		}
	}
}

// assignUnits puts every cell in the units, one per level, that contain its
// centre. Where units of one level overlap, the first in the file wins.
//
// Cells are taken in id order, where the children of one coarser cell are
// adjacent: a group 3, 2 or 1 resolutions coarser (343, 49, 7 cells) whose
// box no unit boundary crosses shares the answer of its first cell, and each
// first cell's answer comes from a known point nearby (the enclosing or the
// previous group's first cell) by counting the boundaries crossed in
// between. Full point-in-polygon tests are left for the first cell of a
// worker's range and for the rare crossing too close to call.
func (a *Analysis) assignUnits(centres []orb.Point) map[UnitLevel][]int32 {
	unitOf := map[UnitLevel][]int32{}
	var ix spatial.Locator[int]
	for i, u := range a.Data.Units {
		ix.Insert(u.Geometry, i)
		if unitOf[u.Level] == nil {
			of := make([]int32, len(a.Data.Cells))
			for j := range of {
				of[j] = -1
			}
			unitOf[u.Level] = of
		}
	}
	if len(a.Data.Units) == 0 {
		return unitOf
	}
	mark := func(in []int32, cells []int32) {
		for _, s := range in {
			ui := ix.Key(s)
			of := unitOf[a.Data.Units[ui].Level]
			for _, ci := range cells {
				if of[ci] < 0 || ui < int(of[ci]) {
					of[ci] = int32(ui)
				}
			}
		}
	}
	order := make([]int32, len(a.Data.Cells))
	for i := range order {
		order[i] = int32(i)
	}
	cells := a.Data.Cells
	if !sort.SliceIsSorted(cells, func(i, j int) bool { return cells[i].Cell < cells[j].Cell }) {
		sort.Slice(order, func(i, j int) bool { return cells[order[i]].Cell < cells[order[j]].Cell })
	}
	// assign handles run, a group sharing an ancestor up resolutions
	// coarser than the cells, given a point from whose shapes fromIn are
	// known (nil: none known). It returns the shapes of the run's first
	// centre.
	var assign func(run []int32, up int, from orb.Point, fromIn []int32) []int32
	assign = func(run []int32, up int, from orb.Point, fromIn []int32) []int32 {
		p := centres[run[0]]
		var in []int32
		ok := false
		if fromIn != nil {
			in, ok = ix.Move(from, fromIn, p, nil)
		}
		if !ok {
			in = ix.Shapes(p, make([]int32, 0, 4))
		}
		if len(run) > 1 && up > 0 {
			b := orb.Bound{Min: p, Max: p}
			for _, ci := range run[1:] {
				b = b.Extend(centres[ci])
			}
			if ix.Crosses(b) {
				forGroups(cells, run, a.Data.Resolution-up+1, func(g []int32) { assign(g, up-1, p, in) })
				return in
			}
		}
		mark(in, run)
		return in
	}
	// Top groups are split between the cores; each cell is written by one.
	var tops [][]int32
	forGroups(cells, order, a.Data.Resolution-3, func(g []int32) { tops = append(tops, g) })
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(tops) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(tops); lo += chunk {
		hi := min(lo+chunk, len(tops))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last orb.Point
			var lastIn []int32
			for _, g := range tops[lo:hi] {
				if p := centres[g[0]]; lastIn != nil && spatial.DistanceM(last, p) > 20_000 {
					lastIn = nil // far away: one full test beats counting crossings
				}
				last, lastIn = centres[g[0]], assign(g, 3, last, lastIn)
			}
		}()
	}
	wg.Wait()
	return unitOf
}

// forGroups calls fn with each run of order (cells in id order) that shares
// an ancestor at resolution res: all cells have the dataset's resolution, so
// the id bits above the digit of res name the ancestor.
func forGroups(cells []PopulationCell, order []int32, res int, fn func([]int32)) {
	shift := uint(3 * (15 - max(res, 0)))
	start := 0
	for i := 1; i <= len(order); i++ {
		if i == len(order) || uint64(cells[order[i]].Cell)>>shift != uint64(cells[order[start]].Cell)>>shift {
			fn(order[start:i])
			start = i
		}
	}
}

// Population is the total population of the dataset.
func (a *Analysis) Population() float64 { return a.population }

// Types returns the coverage of every catalogue type, in catalogue order,
// computing those not computed yet (Options.Workers at once). The slice is
// shared and must not be modified.
func (a *Analysis) Types() []*TypeCoverage {
	a.computeAll()
	return a.tcs
}

// NumTypes is the number of types an analysis covers (the catalogue's), known
// without computing any.
func (a *Analysis) NumTypes() int { return len(a.tcs) }

// Type returns the coverage of one type, named by its id or its Chinese
// name (Catalog.Resolve): an unknown name is an ErrNotFound error listing
// the valid types, a name fitting several types an ErrInvalid one listing
// them.
func (a *Analysis) Type(id string) (*TypeCoverage, error) {
	i, err := a.typePos(id)
	if err != nil {
		return nil, err
	}
	return a.typeAt(i), nil
}

// ResolveType names a type as Type does, without computing its coverage.
func (a *Analysis) ResolveType(id string) (FacilityType, error) {
	i, err := a.typePos(id)
	if err != nil {
		return FacilityType{}, err
	}
	return a.tcs[i].Type, nil
}

// typePos is the position of the type id names (see Type).
func (a *Analysis) typePos(id string) (int, error) {
	if i, ok := a.typeIndex[id]; ok {
		return i, nil
	}
	t, err := a.Catalog.Resolve(id)
	if err != nil {
		if errors.Is(err, errAmbiguous) {
			return 0, err
		}
		return 0, WithZH(fmt.Errorf("%v: %w", err, ErrNotFound), "%s", MessageZH(err))
	}
	return a.typeIndex[t.ID], nil
}

// CellIndex returns the position of c in Data.Cells.
func (a *Analysis) CellIndex(c spatial.Cell) (int, bool) {
	i, ok := a.cellPos(c)
	return int(i), ok
}

// cellLookup maps a cell to its position in Data.Cells, built on first use.
type cellLookup struct {
	once sync.Once
	m    map[spatial.Cell]int32
}

// cellIdx is the position of c in Data.Cells (0 when it is not there).
func (a *Analysis) cellIdx(c spatial.Cell) int {
	i, _ := a.cellPos(c)
	return int(i)
}

// cellPos is the position of c in Data.Cells.
func (a *Analysis) cellPos(c spatial.Cell) (int32, bool) {
	l := a.cellIndex
	l.once.Do(func() {
		l.m = make(map[spatial.Cell]int32, len(a.Data.Cells))
		for i, c := range a.Data.Cells {
			l.m[c.Cell] = int32(i)
		}
	})
	i, ok := l.m[c]
	return i, ok
}

// Unit returns the unit with the given code.
func (a *Analysis) Unit(code string) (AdminUnit, bool) {
	i, ok := a.unitIndex[code]
	if !ok {
		return AdminUnit{}, false
	}
	return a.Data.Units[i], true
}

// UnitOf returns the unit of the given level that holds cell i.
func (a *Analysis) UnitOf(level UnitLevel, i int) (AdminUnit, bool) {
	of := a.units()[level]
	if of == nil || of[i] < 0 {
		return AdminUnit{}, false
	}
	return a.Data.Units[of[i]], true
}

// inUnit reports whether cell i lies in the unit with index ui.
func (a *Analysis) inUnit(i, ui int) bool {
	of := a.units()[a.Data.Units[ui].Level]
	return of != nil && int(of[i]) == ui
}

// Completeness is, for cell i and life-circle level l, the share of the
// level's mandatory types that cover the cell; NaN when the level has none.
func (a *Analysis) Completeness(i int, l Level) float64 {
	a.computeMandatory()
	for k, lv := range Levels {
		if lv == l {
			if types := a.mandatoryByLevel()[k]; len(types) > 0 {
				return a.coveredShare(i, types)
			}
		}
	}
	return math.NaN()
}

// mandatoryByLevel lists, per entry of Levels, the indices of the
// level's mandatory types (the catalogue decides; it never changes).
func (a *Analysis) mandatoryByLevel() [][]int {
	if a.mandatory != nil {
		return a.mandatory
	}
	out := make([][]int, len(Levels))
	for t, tc := range a.tcs { // Type only: nothing to compute
		for k, l := range Levels {
			if tc.Type.Level == l && tc.Type.Requirement == Mandatory {
				out[k] = append(out[k], t)
			}
		}
	}
	return out
}

// coveredShare is the share of the given types that cover cell i.
func (a *Analysis) coveredShare(i int, types []int) float64 {
	n := 0
	for _, t := range types {
		if a.typeAt(t).IsCovered(i) {
			n++
		}
	}
	return float64(n) / float64(len(types))
}

// Reason codes say why a cell is not covered.
const (
	ReasonNoFacility = "no_facility_in_reach"       // no facility of the type within its radius
	ReasonNoNetwork  = "no_walkable_network_nearby" // the cell is beyond the snap limit of every walkable way
)

// Reason says why cell i is not covered by tc, or "" when it is.
func (a *Analysis) Reason(tc *TypeCoverage, i int) string {
	switch {
	case tc.IsCovered(i):
		return ""
	case a.unreachable(i):
		return ReasonNoNetwork
	}
	return ReasonNoFacility
}

// Unreachable reports whether cell i has no walkable network nearby.
func (a *Analysis) Unreachable(i int) bool { return a.unreachable(i) }

// Source is the distance source the analysis was computed with.
func (a *Analysis) Source() DistanceSource { return a.source }

// UnitContains reports whether p lies inside the admin unit with the given
// code (false when there is no such unit).
func (a *Analysis) UnitContains(code string, p orb.Point) bool {
	i, ok := a.unitIndex[code]
	return ok && spatial.MultiPolygonContains(a.Data.Units[i].Geometry, p)
}

// Centre is the centre point of cell i.
func (a *Analysis) Centre(i int) orb.Point { return a.cells().centres[i] }

// FacilityIndex returns the position in Data.Facilities of the facility with
// the given id.
func (a *Analysis) FacilityIndex(id string) (int, bool) {
	i, ok := a.facIndex[id]
	return i, ok
}

// InForce reports whether facility f counts in this analysis (existing, or
// planned and due by the analysis's plan year).
func (a *Analysis) InForce(f Facility) bool { return a.inForce(f) }

// UnitCellIndex returns, per cell, the index into Data.Units of the unit of
// the given level holding it (-1: none), or nil when the level has no units.
// The slice is shared and must not be modified.
func (a *Analysis) UnitCellIndex(level UnitLevel) []int32 { return a.units()[level] }

// HasUnits reports whether the dataset has admin units of the level
// (without assigning cells to them).
func (a *Analysis) HasUnits(level UnitLevel) bool { return a.levels[level] }

// cellGeo is the cells' centres and, per level, each cell's unit.
type cellGeo struct {
	once    sync.Once
	centres []orb.Point           // set beforehand when the distance source has them
	unitOf  map[UnitLevel][]int32 // per level, per cell: unit index or -1
}

// cells computes, once, the centres of the cells (unless the distance
// source gave them) and the units holding each: nothing before the first
// answer needs them, and at a million cells they take a second of CPU.
func (a *Analysis) cells() *cellGeo {
	g := a.geo
	g.once.Do(func() {
		if g.centres == nil {
			g.centres = Centres(a.Data)
		}
		g.unitOf = a.assignUnits(g.centres)
	})
	return g
}

// units is, per level, each cell's unit index (-1: none).
func (a *Analysis) units() map[UnitLevel][]int32 { return a.cells().unitOf }

// UnitPosition returns the index into Data.Units of the unit with the given code.
func (a *Analysis) UnitPosition(code string) (int, bool) {
	i, ok := a.unitIndex[code]
	return i, ok
}
