package main

// The persistent stores on the command line: import, export, and serve
// --store/--pg. See data/gpkgstore and data/pgstore.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"lifecircle/api"
	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/data/gpkgstore"
	"lifecircle/data/pgstore"
	"lifecircle/data/store"
	"lifecircle/spatial"
)

// storeFlags select a store.
type storeFlags struct {
	path, pg, name string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "store", "", "GeoPackage store file (created when missing)")
	fs.StringVar(&f.pg, "pg", "", "PostgreSQL URL of a PostGIS store, e.g. postgres://user@host:5432/db")
	fs.StringVar(&f.name, "name", "", "dataset name in the store")
}

// set is true when any store flag is given (--name alone then fails, naming --store and --pg).
func (f *storeFlags) set() bool { return f.path != "" || f.pg != "" || f.name != "" }

// open opens the GeoPackage file (--store) or the PostgreSQL database
// (--pg); exactly one must be given.
func (f *storeFlags) open(ctx context.Context) (coverage.Store, error) {
	switch {
	case f.path != "" && f.pg != "":
		return nil, fmt.Errorf("give either a GeoPackage file (--store) or a PostgreSQL URL (--pg), not both")
	case f.path != "":
		return gpkgstore.Open(f.path)
	case f.pg != "":
		return pgstore.Open(ctx, f.pg)
	}
	return nil, fmt.Errorf("no store given: use --store FILE.gpkg or --pg URL")
}

func (f *storeFlags) where() string {
	if f.path != "" {
		return f.path
	}
	return "PostgreSQL"
}

// inputs builds the data inputs from the flags: files, or an embedded sample.
func (f *inputFlags) inputs() (data.Inputs, error) {
	var in data.Inputs
	if o := f.boundaries.orphan(); o != "" {
		return in, fmt.Errorf("%s is given but no --boundaries file: it applies to the --boundaries file before it", o)
	}
	switch {
	case f.sample != "" && (f.facilities != "" || f.population != ""):
		return in, fmt.Errorf("--sample cannot be combined with --facilities/--population (--boundaries adds files to the sample's)")
	case f.sample != "":
		var err error
		if in, err = data.SampleInputs(f.sample); err != nil {
			return in, err
		}
		in.Boundaries = append(in.Boundaries, f.boundaries.list()...) // e.g. streets beside its districts
		if f.catalog != "" || f.provider != "" || f.poiRules != "" {
			return in, fmt.Errorf("--catalog, --provider and --poi-rules need file inputs; the sample has its own")
		}
	case f.facilities == "" || f.population == "":
		return in, fmt.Errorf("give --facilities FILE and --population FILE (or --sample NAME)")
	default:
		in = data.Inputs{Facilities: f.facilities, Population: f.population, Boundaries: f.boundaries.list(), Catalog: f.catalog,
			Provider: f.provider, POIRules: f.poiRules, Encoding: f.encoding,
			FacilitiesLayer: f.facLayer, PopulationLayer: f.popLayer}
		if f.provider != "" {
			if _, err := data.ProviderCRS(f.provider); err != nil {
				return in, fmt.Errorf("--provider: %w", err)
			}
		} else if f.poiRules != "" {
			return in, fmt.Errorf("--poi-rules needs --provider")
		}
		base := filepath.Base(f.population)
		in.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	var err error
	for _, c := range []struct {
		s   string
		dst *spatial.CRS
	}{{f.crs, &in.CRS}, {f.facCRS, &in.FacilitiesCRS}, {f.popCRS, &in.PopulationCRS}} {
		if c.s == "" {
			continue
		}
		if *c.dst, err = spatial.ParseCRS(c.s); err != nil {
			return in, err
		}
	}
	in.AllowNoFacilities = f.allowNoFacilities
	if f.res != 0 {
		in.Resolution = f.res
	}
	return in, nil
}

// noFileInputs refuses the input flags where a store is the input.
func (f *inputFlags) noFileInputs(cmd string) error {
	if f.facilities != "" || f.population != "" || f.boundaries.given() || f.catalog != "" || f.sample != "" {
		return fmt.Errorf("%s reads the dataset from the store; load files into it first with lifecircle import", cmd)
	}
	return nil
}

// analyzeStored analyses a stored dataset with the one builder, on the
// walking network: --osm when given, else the extract the store keeps with
// the dataset; straight line × detour (with a warning) only when there is
// neither, or with --no-network.
func (f *inputFlags) analyzeStored(ctx context.Context, st coverage.Store, cat *coverage.Catalog, ds *coverage.Dataset, logger *slog.Logger) (*coverage.Analysis, error) {
	opts, err := f.buildOptions(logger)
	if err != nil {
		return nil, err
	}
	var ex *data.Extract
	switch {
	case f.osm != "":
		if ex, err = data.ReadExtract(nil, f.osm); err != nil {
			return nil, err
		}
	case st != nil:
		if ns, ok := st.(coverage.NetworkStore); ok {
			n, err := ns.Network(ctx, ds.Name)
			switch {
			case err == nil:
				ex = &data.Extract{Name: n.Name, Data: n.Extract, Imported: n.Imported}
				if ex.SHA256() != n.SHA256 {
					return nil, fmt.Errorf("the walking network stored with %s is damaged (SHA-256 differs from the one recorded at import)", ds.Name)
				}
			case !errors.Is(err, coverage.ErrNotFound):
				return nil, err
			}
		}
	}
	a, _, err := data.Build(cat, ds, ex, "the stored dataset "+ds.Name, opts)
	return a, err
}

// pickDataset is --name, or the store's only dataset.
func pickDataset(ctx context.Context, st coverage.Store, name, where string) (string, error) {
	if name != "" {
		return name, nil
	}
	names, err := st.Datasets(ctx)
	if err != nil {
		return "", err
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("the store %s holds no dataset yet: load one with lifecircle import --store/--pg … --facilities F --population F (or --sample chengdu)", where)
	case 1:
		return names[0], nil
	}
	return "", fmt.Errorf("the store %s holds %d datasets (%s): choose one with --name", where, len(names), strings.Join(names, ", "))
}

// isTerminal says whether w is a terminal a progress bar may draw on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("CI") == "true" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// importProgress reports SaveDataset's progress: a bar on a terminal, a
// log line per tenth otherwise.
func importProgress(stderr io.Writer, logger *slog.Logger) (store.Progress, func()) {
	if isTerminal(stderr) {
		var bar *progressbar.ProgressBar
		return func(stage string, done, total int) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr),
						progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
						progressbar.OptionSetItsString("rows"), progressbar.OptionThrottle(100*time.Millisecond))
				}
				if stage == "commit" {
					stage = "committing"
				}
				bar.Describe(fmt.Sprintf("%-16s", stage))
				bar.Set(done) //nolint:errcheck // drawing only
			}, func() {
				if bar != nil {
					bar.Finish() //nolint:errcheck // drawing only
					fmt.Fprintln(stderr)
				}
			}
	}
	next := 0
	return func(stage string, done, total int) {
		if total == 0 || done*10 >= next*total {
			logger.Info("import", "stage", stage, "rows", done, "of", total)
			next = done*10/max(total, 1) + 1
		}
	}, func() {}
}

// runImport is `lifecircle import`: input files or a sample, checked,
// into a store in one transaction.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	r := &importRun{stdout: stdout, stderr: stderr, logger: logger}
	if err := r.parse(args); err != nil {
		return err
	}
	if err := r.read(); err != nil {
		return err
	}
	if err := r.checkCoordinates(); err != nil {
		return err
	}
	return r.save(ctx)
}

// importRun is one `lifecircle import`: its flags, the dataset read, the
// extract to keep with it; each stage a method, nothing written before
// save.
type importRun struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	in             inputFlags
	sf             storeFlags
	inputs         data.Inputs
	start          time.Time
	cat            *coverage.Catalog
	ds             *coverage.Dataset
	bounds         []data.BoundarySet // the units of each boundary file
	ex             *data.Extract      // nil: no walking network
	checks         []data.CRSCheck
}

// parse reads the command line into the inputs.
func (r *importRun) parse(args []string) error {
	fs := newFlagSet("import", r.stderr)
	r.in.register(fs)
	r.sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	if !r.sf.set() {
		return fmt.Errorf("import: give the store: --store FILE.gpkg or --pg URL")
	}
	if r.in.walkRule != "" {
		return fmt.Errorf("import: the store keeps the extract, not a walk rule; give --walk-rule to serve or export instead")
	}
	inputs, err := r.in.inputs()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if r.in.osm != "" {
		if r.in.sample != "" {
			return fmt.Errorf("import: --osm needs file inputs; the sample brings its own extract")
		}
		inputs.OSM = r.in.osm
	}
	if r.in.noNetwork {
		inputs.OSM = ""
	}
	if r.sf.name != "" {
		inputs.Name = r.sf.name
	}
	inputs.OnPOIReport = func(rep *data.POIReport) { logPOIReport(r.logger, rep) }
	inputs.OnWarning = func(w string) { r.logger.Warn("import", "warning", w) }
	r.inputs = inputs
	return nil
}

// read loads the dataset from the input files or the sample.
func (r *importRun) read() error {
	r.start = time.Now()
	r.logger.Info("import", "stage", "reading", "facilities", r.inputs.Facilities, "population", r.inputs.Population, "boundaries", len(r.inputs.Boundaries))
	ld, err := data.LoadInputs(r.inputs)
	if err != nil {
		return err
	}
	r.cat, r.ds, r.bounds = ld.Catalog, ld.Dataset, ld.Boundaries
	r.logger.Info("import", "stage", "read", "dataset", r.ds.Name, "facilities", len(r.ds.Facilities), "cells", len(r.ds.Cells), "units", len(r.ds.Units), "ms", time.Since(r.start).Milliseconds())
	return nil
}

// checkCoordinates checks the extract (readable, overlapping the
// population) and the coordinates of the inputs before anything is
// written: a store is not written from input that looks like GCJ-02 or
// BD-09 declared WGS84 unless the CRS is confirmed.
func (r *importRun) checkCoordinates() error {
	if r.inputs.OSM != "" {
		if err := r.checkExtract(); err != nil {
			return err
		}
	} else {
		// no network: the facilities and boundaries are still checked
		// against each other and the shipped references
		r.checks = data.CheckDatasetCRS(r.inputs, r.ds, r.bounds, nil)
		for _, c := range r.checks {
			if c.Suspect() {
				r.logger.Warn("import", "warning", "COORDINATES: "+c.Message+" / "+c.MessageZH)
			}
		}
	}
	for _, c := range r.checks {
		if c.Suspect() && !r.inputs.Confirmed(c) {
			return fmt.Errorf("import: %s (nothing was written) / %s: %w", c.Message, c.MessageZH, coverage.ErrInvalid)
		}
	}
	return nil
}

// checkExtract reads the extract, to be kept with the dataset, and builds
// the analysis on it once, for its checks.
func (r *importRun) checkExtract() error {
	var err error
	if r.ex, err = data.ReadExtract(r.inputs.FS, r.inputs.OSM); err != nil {
		return err
	}
	opts, err := r.in.buildOptions(r.logger)
	if err != nil {
		return err
	}
	opts.Basemap = false
	opts.Declared, opts.Boundaries = &r.inputs, r.bounds
	_, info, err := data.Build(r.cat, r.ds, r.ex, r.inputs.Population, opts)
	if err != nil {
		return fmt.Errorf("import: %w (nothing was written)", err)
	}
	r.checks = info.CRS
	return nil
}

// save writes the dataset, with its walking network where the store keeps
// one, in one transaction, and says what it wrote.
func (r *importRun) save(ctx context.Context) error {
	st, err := r.sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	report, finish := importProgress(r.stderr, r.logger)
	saveStart := time.Now()
	saveCtx, netNote := r.withNetwork(store.WithProgress(ctx, report), st)
	err = st.SaveDataset(saveCtx, r.cat, r.ds)
	finish()
	if err != nil {
		return fmt.Errorf("import into %s: %w (the store is as it was)", r.sf.where(), err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	ds := r.ds
	fmt.Fprintf(r.stdout, "imported %s into %s: %d facilities, %d population cells, %d admin units, %s in %.1fs (write %.1fs)\n",
		ds.Name, r.sf.where(), len(ds.Facilities), len(ds.Cells), len(ds.Units), netNote, time.Since(r.start).Seconds(), time.Since(saveStart).Seconds())
	return nil
}

// withNetwork puts the extract into the save's context when st keeps
// walking networks (it then goes in with the dataset, in the same
// transaction), and says what the dataset measures with.
func (r *importRun) withNetwork(ctx context.Context, st coverage.Store) (context.Context, string) {
	netNote := "no walking network (serve and export will measure straight line × detour unless given --osm)"
	if r.ex == nil {
		return ctx, netNote
	}
	ex := r.ex
	if _, ok := st.(coverage.NetworkStore); !ok {
		r.logger.Warn("import", "warning", "this store keeps no walking network: serve --store and export need --osm "+ex.Name)
		return ctx, netNote
	}
	ctx = store.WithNetwork(ctx, coverage.StoredNetwork{Name: ex.Name, SHA256: ex.SHA256(), Imported: time.Now().UTC(), Extract: ex.Data})
	return ctx, fmt.Sprintf("walking network %s (%d bytes, sha256 %.12s…)", ex.Name, len(ex.Data), ex.SHA256())
}

// runExport is `lifecircle export`: a GeoPackage of whole datasets with
// their computed layers (--out), or a workbook (--xlsx) or a Shapefile
// (--shp).
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	e := &exportRun{stdout: stdout, logger: logger}
	if err := e.parse(args, stderr); err != nil {
		return err
	}
	if e.xlsx != "" && e.out == "" {
		return exportWorkbook(ctx, &e.in, e.sf, e.xlsx, e.by, e.lang, stdout, logger)
	}
	if e.shp != "" && e.out == "" {
		return exportShapefile(ctx, &e.in, e.sf, e.shp, e.layer, e.typ, e.in.encoding, stdout, logger)
	}
	if err := e.check(); err != nil {
		return err
	}
	src, err := e.sf.open(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	names, err := e.datasets(ctx, src)
	if err != nil {
		return err
	}
	start := time.Now()
	// Computed layers go into the source store (unless --no-save), then
	// everything is copied into a new file beside --out, renamed at the end.
	extra := map[string][]data.NamedLayer{}
	for _, name := range names {
		if extra[name], err = e.layers(ctx, src, name); err != nil {
			return err
		}
	}
	return exportTo(ctx, src, names, extra, e.out, stdout, start)
}

// exportRun is one `lifecircle export`: its flags and each stage of a
// GeoPackage export a method (a workbook or a Shapefile is written by
// exportWorkbook, exportShapefile).
type exportRun struct {
	stdout io.Writer
	logger *slog.Logger
	in     inputFlags
	sf     storeFlags
	out    string
	noSave bool
	xlsx   string
	by     string
	lang   string
	shp    string
	layer  string
	typ    string
	// profile is the walkers of the computed layers (set by check)
	profile coverage.Profile
}

// parse reads the command line.
func (e *exportRun) parse(args []string, stderr io.Writer) error {
	fs := newFlagSet("export", stderr)
	e.in.register(fs)
	e.sf.register(fs)
	fs.StringVar(&e.out, "out", "", "GeoPackage file to write (must not exist)")
	fs.BoolVar(&e.noSave, "no-save", false, "do not store the computed layers back into the source store")
	fs.StringVar(&e.xlsx, "xlsx", "", "Excel workbook to write (must not exist): summary, per unit and type, gap areas")
	fs.StringVar(&e.by, "by", "", "unit levels of the workbook's per-unit sheets, e.g. street,community (default every level present)")
	fs.StringVar(&e.lang, "lang", "zh", "workbook language: zh or en")
	fs.StringVar(&e.shp, "shp", "", "write one layer as a Shapefile (FILE.shp with .shx/.dbf/.prj/.cpg); --encoding gbk for GBK")
	fs.StringVar(&e.layer, "layer", "", "the layer of --shp: facilities, population, coverage, gaps, gap-areas, …")
	fs.StringVar(&e.typ, "type", "", "the facility type of a per-type --shp layer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// check refuses a GeoPackage export that cannot be made before the store
// is opened: no store or --out, file inputs, an unknown profile, --out the
// store itself or a file that exists.
func (e *exportRun) check() error {
	switch {
	case !e.sf.set():
		return fmt.Errorf("export: give the store: --store FILE.gpkg or --pg URL")
	case e.out == "":
		return fmt.Errorf("export: --out FILE.gpkg is required")
	}
	if err := e.in.noFileInputs("export"); err != nil {
		return err
	}
	var err error
	if e.profile, err = coverage.ParseProfile(e.in.profile); err != nil {
		return err
	}
	if e.sf.path != "" {
		a, _ := filepath.Abs(e.sf.path)
		b, _ := filepath.Abs(e.out)
		if a == b {
			return fmt.Errorf("export: --out is the store itself")
		}
	}
	if _, err := os.Stat(e.out); err == nil {
		return fmt.Errorf("export: %s exists; remove it or choose another file", e.out)
	}
	return nil
}

// datasets is --name, or every dataset of the store.
func (e *exportRun) datasets(ctx context.Context, src coverage.Store) ([]string, error) {
	if e.sf.name != "" {
		return []string{e.sf.name}, nil
	}
	names, err := src.Datasets(ctx)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("export: the store %s holds no dataset", e.sf.where())
	}
	return names, nil
}

// layers analyses a stored dataset and computes its layers, stored back
// into src unless --no-save.
func (e *exportRun) layers(ctx context.Context, src coverage.Store, name string) ([]data.NamedLayer, error) {
	cat, ds, err := src.LoadDataset(ctx, name)
	if err != nil {
		return nil, err
	}
	a, err := e.in.analyzeStored(ctx, src, cat, ds, e.logger)
	if err != nil {
		return nil, err
	}
	layers, err := data.AnalysisLayers(a, e.profile)
	if err != nil {
		return nil, err
	}
	if e.noSave {
		return layers, nil
	}
	if err := saveLayers(ctx, src, name, layers); err != nil {
		return nil, err
	}
	e.logger.Info("export", "dataset", name, "layers_stored", len(layers))
	return layers, nil
}

// saveLayers stores an analysis's layers in st: in one transaction for a
// GeoPackage (where a gaps layer then shares its coverage layer's rows).
func saveLayers(ctx context.Context, st coverage.Store, dataset string, layers []data.NamedLayer) error {
	if g, ok := st.(*gpkgstore.Store); ok {
		ls := make([]gpkgstore.Layer, len(layers))
		for i, l := range layers {
			ls[i] = gpkgstore.Layer{Name: l.Name, Features: l.Features}
		}
		if err := g.SaveLayers(ctx, dataset, ls); err != nil {
			return fmt.Errorf("storing the layers of %s: %w", dataset, err)
		}
		return nil
	}
	for _, l := range layers {
		if err := st.SaveLayer(ctx, dataset, l.Name, l.Features); err != nil {
			return fmt.Errorf("storing layer %s of %s: %w", l.Name, dataset, err)
		}
	}
	return nil
}

// exportTo copies datasets from src into a new GeoPackage at out, with the
// layers computed for each dataset (extra; stored layers of the same names
// are not copied). The file is written beside out without a sync per
// write, synced once complete and linked into place: out is whole or
// absent.
func exportTo(ctx context.Context, src coverage.Store, names []string, extra map[string][]data.NamedLayer, out string, stdout io.Writer, start time.Time) error {
	stats, err := writeExport(ctx, src, names, extra, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d datasets (%d scenarios, %d proposals, %d plan items, %d layers, %d audit entries) to %s in %.1fs\n",
		stats.Datasets, stats.Scenarios, stats.Proposals, stats.PlanItems, stats.Layers, stats.Audit, out, time.Since(start).Seconds())
	return nil
}

// writeExport is the writing part of an export (what BenchmarkExportWrite
// measures).
func writeExport(ctx context.Context, src coverage.Store, names []string, extra map[string][]data.NamedLayer, out string) (data.CopyStats, error) {
	var stats data.CopyStats
	abs, err := filepath.Abs(out)
	if err != nil {
		return stats, err
	}
	dir := filepath.Dir(abs)
	tmp := filepath.Join(dir, "."+filepath.Base(abs)+fmt.Sprintf(".partial-%d", os.Getpid()))
	for _, s := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(tmp + s)
	}
	dst, err := gpkgstore.CreateExport(tmp)
	if err != nil {
		return stats, err
	}
	ok := false
	defer func() {
		if !ok {
			dst.Close()
			for _, s := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(tmp + s)
			}
		}
	}()
	computed := func(dataset, layer string) bool {
		for _, l := range extra[dataset] {
			if l.Name == layer {
				return true
			}
		}
		return false
	}
	if stats, err = data.CopyStoreSkipping(ctx, dst, src, names, computed); err != nil {
		return stats, fmt.Errorf("export: %w", err)
	}
	for _, name := range names {
		if layers := extra[name]; len(layers) > 0 {
			if err := saveLayers(ctx, dst, name, layers); err != nil {
				return stats, fmt.Errorf("export: %w", err)
			}
			stats.Layers += len(layers)
		}
	}
	if err := dst.CloseExport(); err != nil {
		return stats, err
	}
	if err := os.Link(tmp, abs); err != nil {
		return stats, fmt.Errorf("export: %w", err)
	}
	os.Remove(tmp)
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return stats, err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return stats, err
	}
	return stats, nil
}

// serveStore serves a stored dataset and gives the API the store for
// scenarios and proposals.
func serveStore(ctx context.Context, in *inputFlags, sf storeFlags, srvf *serverFlags, stdout io.Writer, logger *slog.Logger) error {
	if err := in.noFileInputs("serve --store/--pg"); err != nil {
		return err
	}
	start := time.Now()
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	name, err := pickDataset(ctx, st, sf.name, sf.where())
	if err != nil {
		return err
	}
	cat, ds, err := st.LoadDataset(ctx, name)
	if err != nil {
		return err
	}
	logger.Info("loaded", "store", sf.where(), "dataset", ds.Name, "facilities", len(ds.Facilities), "cells", len(ds.Cells), "units", len(ds.Units), "ms", time.Since(start).Milliseconds())
	a, err := in.analyzeStored(ctx, st, cat, ds, logger)
	if err != nil {
		return err
	}
	s := api.New(logger, a)
	s.SetStore(st)
	if err := srvf.serveHTTP(ctx, s, stdout, fmt.Sprintf("lifecircle serving %s from %s", ds.Name, sf.where())); err != nil {
		return err
	}
	return st.Close()
}

// runCheck checks a whole store (what opening it does not: every page and
// index, the counts recorded at import, the networks' hashes) and prints
// each check with its outcome; a failed check is an error.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", stderr)
	var sf storeFlags
	fs.StringVar(&sf.path, "store", "", "GeoPackage store file")
	fs.StringVar(&sf.pg, "pg", "", "PostgreSQL URL of a PostGIS store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check: unexpected argument %q", fs.Arg(0))
	}
	if sf.path != "" {
		if _, err := os.Stat(sf.path); err != nil {
			return fmt.Errorf("check: %w", err) // never create a store to check it
		}
	}
	start := time.Now()
	st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer st.Close()
	c, ok := st.(store.Checker)
	if !ok {
		return fmt.Errorf("check: the store %s cannot be checked", sf.where())
	}
	results, err := c.CheckAll(ctx)
	if err != nil {
		return fmt.Errorf("check of %s could not finish: %w", sf.where(), err)
	}
	fmt.Fprintf(stdout, "检查存储 / checking the store %s (opened: header, application_id, schema version; for a GeoPackage quick_check of the schema and small tables)\n", sf.where())
	failed := 0
	for _, r := range results {
		if len(r.Problems) == 0 {
			fmt.Fprintf(stdout, "  通过 ok      %s\n", r.What)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "  失败 FAILED  %s\n", r.What)
		for _, p := range r.Problems {
			fmt.Fprintf(stdout, "               %s\n", p)
		}
	}
	if failed > 0 {
		return fmt.Errorf("存储已损坏 / the store %s is damaged: %d of %d checks failed (listed above)", sf.where(), failed, len(results))
	}
	fmt.Fprintf(stdout, "全部通过 / all %d checks passed in %.1fs\n", len(results), time.Since(start).Seconds())
	return nil
}
