package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"lifecircle/coverage"
	"lifecircle/spatial/network"
)

// The one way from inputs to an analysis: load → walking network → snap →
// overlap check → analyse. analyze, serve, serve --store, export and
// cmd/comparepeer all go through Build, so they measure distance the same
// way on the same inputs.

// Extract is a walking-network source: an OSM extract (PBF or XML) held in
// memory, from a file, an embedded sample or a store.
type Extract struct {
	Name     string // file name, or where it came from
	Data     []byte
	Imported time.Time // when a store took it in (zero for files)
}

// ReadExtract reads an extract from the OS (fsys nil) or from fsys.
func ReadExtract(fsys fs.FS, path string) (*Extract, error) {
	in := Inputs{FS: fsys}
	b, err := in.read(path)
	if err != nil {
		return nil, fmt.Errorf("OSM extract: %w", err)
	}
	return &Extract{Name: path, Data: b}, nil
}

// SHA256 is the hex SHA-256 of the extract's bytes.
func (e *Extract) SHA256() string {
	h := sha256.Sum256(e.Data)
	return hex.EncodeToString(h[:])
}

// BuildOptions are the choices of a build; the zero value means the defaults.
type BuildOptions struct {
	Detour, SearchFactor float64
	PlanYear             int
	Rule                 *WalkRule // nil: DefaultWalkRule
	SnapM                float64   // 0: coverage.DefaultSnapLimitM
	MinComponent         int
	// NoNetwork measures straight line × detour even with an extract.
	NoNetwork bool
	// Basemap also reads the map context from the extract.
	Basemap bool
	// Logger receives the steps (nil: none).
	Logger *slog.Logger
	// Declared, when set, holds the CRS each file was declared in: the
	// facilities and boundaries are checked against the walking network
	// for the GCJ-02 / BD-09 trap (CheckCRS), loudly warned.
	Declared *Inputs
	// Boundaries are the units of each boundary file (LoadInputs), so
	// each file is checked on its own and named; nil takes the dataset's
	// units as one file.
	Boundaries []BoundarySet

	loadWarnings []string // BuildInputs: what Load warned of
}

// BuildInfo says how a build went, for logs and comparisons.
type BuildInfo struct {
	Method  string
	Network *coverage.NetworkRef
	OSM     OSMStats
	// Warnings were logged; the first names a straight-line fallback.
	Warnings                     []string
	Graph, Snap, Analyse         time.Duration
	Cells, Unsnapped, Facilities int
	// CRS holds the coordinate-trap checks (with Declared); CRSSuspect is
	// true when an input looks like GCJ-02 or BD-09 declared as WGS84.
	CRS        []CRSCheck
	CRSSuspect bool
}

// BuildInputs loads the inputs (in.OSM, when set, is the extract) and
// builds their analysis.
func BuildInputs(in Inputs, opts BuildOptions) (*coverage.Analysis, BuildInfo, error) {
	start := time.Now()
	var loadWarnings []string
	if in.OnWarning == nil {
		in.OnWarning = func(w string) { loadWarnings = append(loadWarnings, w) }
	}
	ld, err := LoadInputs(in)
	if err != nil {
		return nil, BuildInfo{}, err
	}
	cat, ds := ld.Catalog, ld.Dataset
	opts.loadWarnings = loadWarnings
	logf(opts.Logger, "loaded", "dataset", ds.Name, "facilities", len(ds.Facilities), "cells", len(ds.Cells), "units", len(ds.Units), "ms", time.Since(start).Milliseconds())
	var ex *Extract
	if in.OSM != "" {
		if ex, err = ReadExtract(in.FS, in.OSM); err != nil {
			return nil, BuildInfo{}, err
		}
	}
	if opts.Declared == nil {
		opts.Declared, opts.Boundaries = &in, ld.Boundaries
	}
	return Build(cat, ds, ex, in.Population, opts)
}

// Build analyses a loaded dataset, on the walking network of ex when given
// (and not opts.NoNetwork), else by straight line × detour with a warning.
// population names where the cells came from, for error messages.
func Build(cat *coverage.Catalog, ds *coverage.Dataset, ex *Extract, population string, opts BuildOptions) (*coverage.Analysis, BuildInfo, error) {
	info := BuildInfo{Cells: len(ds.Cells), Facilities: len(ds.Facilities)}
	for _, w := range opts.loadWarnings {
		info.warn(opts.Logger, w)
	}
	snapM := opts.SnapM
	if snapM == 0 {
		snapM = coverage.DefaultSnapLimitM
	}
	if !(snapM > 0 && snapM <= 2000) {
		return nil, info, fmt.Errorf("--snap-m %v must be in (0, 2000] metres: %w", snapM, coverage.ErrInvalid)
	}
	rule := DefaultWalkRule()
	if opts.Rule != nil {
		rule = *opts.Rule
	}
	aopts := coverage.Options{Detour: opts.Detour, SearchFactor: opts.SearchFactor, PlanYear: opts.PlanYear, Divisions: DivisionsFor(ds)}
	if ex != nil && opts.Basemap {
		b, st, err := ReadBasemap(ex.Name, bytes.NewReader(ex.Data))
		if err != nil {
			return nil, info, err
		}
		logf(opts.Logger, "basemap", "file", ex.Name, "features", b.Len(), "layers", st.Layers, "incomplete_areas", st.IncompleteAreas,
			"missing_node_refs", st.MissingNodeRefs, "ms", st.Elapsed.Milliseconds())
		aopts.Basemap = b
	}
	var graph *network.Graph
	if ex != nil && !opts.NoNetwork {
		g, st, err := ReadOSM(ex.Name, bytes.NewReader(ex.Data), rule)
		if err != nil {
			return nil, info, err
		}
		info.OSM, info.Graph = st, st.Elapsed
		logf(opts.Logger, "network", "file", ex.Name, "format", st.Format, "nodes_read", st.NodesRead, "ways_kept", st.WaysKept,
			"graph_nodes", st.Graph.Nodes, "graph_edges", st.Graph.Edges, "km", int(st.Graph.LengthKm), "components", st.Graph.Components,
			"tiny_islands", st.Graph.TinyIslands, "missing_node_refs", st.MissingRefs, "ms", st.Elapsed.Milliseconds())
		if st.WarningIslands != "" {
			info.warn(opts.Logger, st.WarningIslands)
		}
		graph = g
		t0 := time.Now()
		src := coverage.NewNetwork(g, coverage.Centres(ds), snapM, opts.MinComponent)
		info.Snap, info.Unsnapped = time.Since(t0), src.Unsnapped()
		warn, err := CheckNetworkOverlap(Inputs{OSM: ex.Name, Population: population}, ds, src.Unsnapped(), st, snapM)
		if err != nil {
			return nil, info, err
		}
		if warn != "" {
			info.warn(opts.Logger, warn)
		}
		logf(opts.Logger, "snapped", "cells", len(ds.Cells), "unsnapped", src.Unsnapped(), "ms", info.Snap.Milliseconds())
		aopts.Source = src
		ref := &coverage.NetworkRef{Source: ex.Name, SHA256: ex.SHA256(), Bytes: len(ex.Data), Nodes: st.Graph.Nodes, Edges: st.Graph.Edges}
		if !ex.Imported.IsZero() {
			ref.Imported = ex.Imported.UTC().Format(time.RFC3339)
		}
		aopts.Network, info.Network = ref, ref
	}
	if opts.Declared != nil { // the coordinate trap, with or without a network
		info.CRS = CheckDatasetCRS(*opts.Declared, ds, opts.Boundaries, graph)
		for _, c := range info.CRS {
			if c.Suspect() {
				info.CRSSuspect = true
				info.warn(opts.Logger, "COORDINATES: "+c.Message+" / "+c.MessageZH)
			}
		}
	}
	t0 := time.Now()
	a, err := coverage.Analyze(cat, ds, aopts)
	if err != nil {
		return nil, info, err
	}
	info.Analyse, info.Method = time.Since(t0), a.Method
	if en, _ := a.DistanceWarning(); en != "" {
		info.warn(opts.Logger, en)
	}
	// each type's distances are computed on first use (coverage.Analyze):
	// what took ms here is the preparation, not the 35 types
	logf(opts.Logger, "analysis prepared", "dataset", ds.Name, "method", a.Method, "types", a.NumTypes(), "computed", a.Computed(), "ms", info.Analyse.Milliseconds())
	return a, info, nil
}

func (info *BuildInfo) warn(l *slog.Logger, msg string) {
	info.Warnings = append(info.Warnings, msg)
	if l != nil {
		l.Warn("build", "warning", msg)
	}
}

func logf(l *slog.Logger, msg string, args ...any) {
	if l != nil {
		l.Info(msg, args...)
	}
}
