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
	switch {
	case f.sample != "" && (f.facilities != "" || f.population != "" || f.boundaries != ""):
		return in, fmt.Errorf("--sample cannot be combined with --facilities/--population/--boundaries")
	case f.sample != "":
		var err error
		if in, err = data.SampleInputs(f.sample); err != nil {
			return in, err
		}
		if f.catalog != "" || f.provider != "" || f.poiRules != "" {
			return in, fmt.Errorf("--catalog, --provider and --poi-rules need file inputs; the sample has its own")
		}
	case f.facilities == "" || f.population == "":
		return in, fmt.Errorf("give --facilities FILE and --population FILE (or --sample NAME)")
	default:
		in = data.Inputs{Facilities: f.facilities, Population: f.population, Boundaries: f.boundaries, Catalog: f.catalog,
			Provider: f.provider, POIRules: f.poiRules, Encoding: f.encoding, BoundariesLevel: f.boundariesLevel,
			FacilitiesLayer: f.facLayer, PopulationLayer: f.popLayer, BoundariesLayer: f.bndLayer}
		if f.boundariesLevel != "" {
			if _, err := coverage.ParseUnitLevel(f.boundariesLevel); err != nil {
				return in, fmt.Errorf("--boundaries-level: %w", err)
			}
		}
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
	}{{f.crs, &in.CRS}, {f.facCRS, &in.FacilitiesCRS}, {f.popCRS, &in.PopulationCRS}, {f.bndCRS, &in.BoundariesCRS}} {
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
	if f.facilities != "" || f.population != "" || f.boundaries != "" || f.catalog != "" || f.sample != "" {
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

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("import", stderr)
	var in inputFlags
	in.register(fs)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	if !sf.set() {
		return fmt.Errorf("import: give the store: --store FILE.gpkg or --pg URL")
	}
	explicit := map[string]bool{} // flags given on the command line
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if in.walkRule != "" {
		return fmt.Errorf("import: the store keeps the extract, not a walk rule; give --walk-rule to serve or export instead")
	}
	inputs, err := in.inputs()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if in.osm != "" {
		if in.sample != "" {
			return fmt.Errorf("import: --osm needs file inputs; the sample brings its own extract")
		}
		inputs.OSM = in.osm
	}
	if in.noNetwork {
		inputs.OSM = ""
	}
	if sf.name != "" {
		inputs.Name = sf.name
	}
	inputs.OnPOIReport = func(r *data.POIReport) { logPOIReport(logger, r) }
	inputs.OnWarning = func(w string) { logger.Warn("import", "warning", w) }
	start := time.Now()
	logger.Info("import", "stage", "reading", "facilities", inputs.Facilities, "population", inputs.Population, "boundaries", inputs.Boundaries)
	cat, ds, err := data.Load(inputs)
	if err != nil {
		return err
	}
	logger.Info("import", "stage", "read", "dataset", ds.Name, "facilities", len(ds.Facilities), "cells", len(ds.Cells), "units", len(ds.Units), "ms", time.Since(start).Milliseconds())
	// the extract is checked (readable, overlapping the population) before
	// anything is written, then kept with the dataset
	var ex *data.Extract
	var checks []data.CRSCheck
	if inputs.OSM != "" {
		if ex, err = data.ReadExtract(inputs.FS, inputs.OSM); err != nil {
			return err
		}
		opts, err := in.buildOptions(logger)
		if err != nil {
			return err
		}
		opts.Basemap = false
		opts.Declared = &inputs
		_, info, err := data.Build(cat, ds, ex, inputs.Population, opts)
		if err != nil {
			return fmt.Errorf("import: %w (nothing was written)", err)
		}
		checks = info.CRS
	} else {
		// no network: the facilities and boundaries are still checked
		// against each other and the shipped references
		checks = data.CheckDatasetCRS(inputs, ds, nil)
		for _, c := range checks {
			if c.Suspect() {
				logger.Warn("import", "warning", "COORDINATES: "+c.Message+" / "+c.MessageZH)
			}
		}
	}
	// the coordinate trap: a store is not written from input that looks
	// like GCJ-02 or BD-09 declared WGS84 unless the CRS is confirmed
	for _, c := range checks {
		confirmed := explicit["crs"] || explicit[strings.TrimPrefix(map[string]string{"facilities": "--facilities-crs", "boundaries": "--boundaries-crs"}[c.Input], "--")]
		if c.Suspect() && !confirmed {
			return fmt.Errorf("import: %s (nothing was written) / %s: %w", c.Message, c.MessageZH, coverage.ErrInvalid)
		}
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	report, finish := importProgress(stderr, logger)
	saveStart := time.Now()
	saveCtx := store.WithProgress(ctx, report)
	netNote := "no walking network (serve and export will measure straight line × detour unless given --osm)"
	if ex != nil {
		// the network goes in with the dataset, in the same transaction
		if _, ok := st.(coverage.NetworkStore); !ok {
			logger.Warn("import", "warning", "this store keeps no walking network: serve --store and export need --osm "+ex.Name)
		} else {
			saveCtx = store.WithNetwork(saveCtx, coverage.StoredNetwork{Name: ex.Name, SHA256: ex.SHA256(), Imported: time.Now().UTC(), Extract: ex.Data})
			netNote = fmt.Sprintf("walking network %s (%d bytes, sha256 %.12s…)", ex.Name, len(ex.Data), ex.SHA256())
		}
	}
	err = st.SaveDataset(saveCtx, cat, ds)
	finish()
	if err != nil {
		return fmt.Errorf("import into %s: %w (the store is as it was)", sf.where(), err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s into %s: %d facilities, %d population cells, %d admin units, %s in %.1fs (write %.1fs)\n",
		ds.Name, sf.where(), len(ds.Facilities), len(ds.Cells), len(ds.Units), netNote, time.Since(start).Seconds(), time.Since(saveStart).Seconds())
	return nil
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("export", stderr)
	var in inputFlags
	in.register(fs)
	var sf storeFlags
	sf.register(fs)
	out := fs.String("out", "", "GeoPackage file to write (must not exist)")
	noSave := fs.Bool("no-save", false, "do not store the computed layers back into the source store")
	xlsx := fs.String("xlsx", "", "Excel workbook to write (must not exist): summary, per unit and type, gap areas")
	by := fs.String("by", "", "unit levels of the workbook's per-unit sheets, e.g. street,community (default every level present)")
	lang := fs.String("lang", "zh", "workbook language: zh or en")
	shp := fs.String("shp", "", "write one layer as a Shapefile (FILE.shp with .shx/.dbf/.prj/.cpg); --encoding gbk for GBK")
	layer := fs.String("layer", "", "the layer of --shp: facilities, population, coverage, gaps, gap-areas, …")
	typ := fs.String("type", "", "the facility type of a per-type --shp layer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	}
	if *xlsx != "" && *out == "" {
		return exportWorkbook(ctx, &in, sf, *xlsx, *by, *lang, stdout, logger)
	}
	if *shp != "" && *out == "" {
		return exportShapefile(ctx, &in, sf, *shp, *layer, *typ, in.encoding, stdout, logger)
	}
	switch {
	case !sf.set():
		return fmt.Errorf("export: give the store: --store FILE.gpkg or --pg URL")
	case *out == "":
		return fmt.Errorf("export: --out FILE.gpkg is required")
	}
	if err := in.noFileInputs("export"); err != nil {
		return err
	}
	profile, err := coverage.ParseProfile(in.profile)
	if err != nil {
		return err
	}
	if sf.path != "" {
		a, _ := filepath.Abs(sf.path)
		b, _ := filepath.Abs(*out)
		if a == b {
			return fmt.Errorf("export: --out is the store itself")
		}
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("export: %s exists; remove it or choose another file", *out)
	}
	src, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	names := []string{sf.name}
	if sf.name == "" {
		if names, err = src.Datasets(ctx); err != nil {
			return err
		}
		if len(names) == 0 {
			return fmt.Errorf("export: the store %s holds no dataset", sf.where())
		}
	}
	start := time.Now()
	// Computed layers go into the source store (unless --no-save), then
	// everything is copied into a new file beside --out, renamed at the end.
	extra := map[string][]data.NamedLayer{}
	for _, name := range names {
		cat, ds, err := src.LoadDataset(ctx, name)
		if err != nil {
			return err
		}
		a, err := in.analyzeStored(ctx, src, cat, ds, logger)
		if err != nil {
			return err
		}
		layers, err := data.AnalysisLayers(a, profile)
		if err != nil {
			return err
		}
		extra[name] = layers
		if *noSave {
			continue
		}
		if err := saveLayers(ctx, src, name, layers); err != nil {
			return err
		}
		logger.Info("export", "dataset", name, "layers_stored", len(layers))
	}
	return exportTo(ctx, src, names, extra, *out, stdout, start)
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
