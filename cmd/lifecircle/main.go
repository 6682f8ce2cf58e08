// Command lifecircle analyses and serves 15-minute life-circle facility
// coverage.
//
//	lifecircle analyze --facilities F --population F [--boundaries F] [--catalog F] --out DIR
//	lifecircle serve   [--addr HOST:PORT] [same inputs, or none for the embedded sample]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"lifecircle/api"
	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/data/memstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lifecircle:", api.Message(err)) // without the sentinels' words (…: invalid)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

const usage = `lifecircle: 15-minute community life-circle coverage

usage:
  lifecircle analyze [inputs] --out DIR     write every layer, summary.json and cells.csv
  lifecircle serve   [inputs] [--addr :8080] serve the HTTP API (no inputs: the embedded sample)
  lifecircle import  --store FILE.gpkg|--pg URL [inputs or --sample NAME] [--name NAME]
                     load the inputs into a store in one transaction (a GeoPackage file is created when missing)
  lifecircle export  --store FILE.gpkg|--pg URL --out FILE.gpkg [--name NAME] [--osm FILE] [--no-save]
                     analyse the stored datasets, store the coverage layers, write everything as a GeoPackage
  lifecircle export  --xlsx FILE.xlsx [--store …|inputs] [--by street,community] [--lang en]
                     the Excel workbook: summary, per unit and type, completeness, ranked gap areas
  lifecircle export  --shp FILE.shp --layer L [--type T] [--encoding gbk] [--store …|inputs]
                     one layer as a Shapefile (UTF-8 or GBK)
  lifecircle serve   --store FILE.gpkg|--pg URL [--name NAME] [--addr :8080]
                     serve a stored dataset; scenarios and proposals are written to the store
  lifecircle users   add|list|revoke --store FILE.gpkg|--pg URL [--name NAME --role ROLE [--unit CODE ...]]
                     API users: add prints the new token once
  lifecircle check   --store FILE.gpkg|--pg URL
                     check the whole store (every page and index, counts, networks) and say what was checked
serve options:
  --private           reads need a token too (writes always do)
  --allow-origin URL  a web origin allowed to write from a browser (repeat for several)

inputs:
  --facilities FILE   GeoJSON points, CSV lon,lat,type[,name,capacity,status,plan_year,id], or a Shapefile (.shp)
  --population FILE   H3 CSV (h3,population), GeoJSON or Shapefile points or polygons with "population",
                      or a GeoTIFF raster (WorldPop WGS 84, GHS-POP Mollweide)
  --boundaries FILE   GeoJSON, Shapefile or GeoPackage polygons with code (level, name, parent optional);
                      repeat for several files (districts and streets): their units are merged, and
                      --boundaries-level/-crs/-encoding/-layer apply to the --boundaries file before them
                      (given before the first one: to every file)
  --catalog FILE      JSON or YAML catalogue override (optional)
  --crs wgs84|gcj02|bd09   coordinates of the inputs (default wgs84); per input:
                      --facilities-crs, --population-crs, --boundaries-crs
  --sample NAME       an embedded sample instead of files: chengdu (default), porto_alegre
  --res N             H3 working resolution (default 10; the porto_alegre sample uses 9)
  --detour X          straight-line → walking factor (default 1.3)
  --search-factor X   report the nearest facility up to X × the type's radius (default 2)
  --plan-year YYYY    count planned facilities due by this year as built
  --osm FILE          OSM extract (PBF or XML): walking-network distances (the samples bring theirs)
  --no-network        straight line × detour even when an extract is given
  --walk-rule FILE    JSON walk rule replacing the default way filter
  --snap-m M          farthest a cell or facility may be from a walkable way (default 250)
  --min-component N   also snap to disconnected parts of ≥ N nodes (default 0: largest component only)
  --profile NAME      walking speed for minutes: default (60 m/min), elderly (50), adult (67)
  --facilities-layer, --population-layer, --boundaries-layer NAME
                      the layer of a GeoPackage (.gpkg) input (default: its only feature layer)
  --encoding E        Shapefile attributes: utf-8 or gbk (default: the .cpg, the table's language driver, or detected)
  --boundaries-level L  level of the boundary file's features without a "level" field (district, street, community, grid)
  --boundaries-encoding E  attributes of the boundary Shapefile: utf-8 or gbk (default --encoding)
  --provider P        --facilities is a POI export (CSV/XLSX) of amap, baidu, tencent or osm: classified
                      into catalogue types as by lifecircle classify (coordinates from the provider's CRS)
  --poi-rules FILE    JSON override of the POI rules (lifecircle classify --print-rules shows them)

  lifecircle classify --in FILE --provider amap|baidu|tencent|osm [--crs C] [--poi-rules F] [--sheet S]
                      --out facilities.geojson [--report FILE]
                      map a POI export to catalogue types; the report lists every decision
`

// inputFlags are the flags every subcommand shares.
type inputFlags struct {
	facilities, population, catalog string
	boundaries                      boundaryFlags
	crs, facCRS, popCRS             string
	sample                          string
	allowNoFacilities               bool
	res                             int
	detour, searchFactor            float64
	planYear                        int
	osm, walkRule                   string
	noNetwork                       bool
	snapM                           float64
	minComponent                    int
	profile                         string
	provider, poiRules              string
	encoding                        string
	facLayer, popLayer              string
	basemap                         bool // serve: also read the extract's basemap for the map tiles
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.facilities, "facilities", "", "facilities file")
	fs.BoolVar(&f.allowNoFacilities, "allow-no-facilities", false, "accept a facilities file with no facility (refused otherwise)")
	fs.StringVar(&f.population, "population", "", "population file")
	f.boundaries.register(fs)
	fs.StringVar(&f.catalog, "catalog", "", "catalogue override file")
	fs.StringVar(&f.crs, "crs", "", "CRS of the inputs: wgs84 (default), gcj02, bd09; with --provider the provider's own")
	fs.StringVar(&f.facCRS, "facilities-crs", "", "CRS of the facilities file (default --crs)")
	fs.StringVar(&f.popCRS, "population-crs", "", "CRS of the population file (default --crs)")
	fs.StringVar(&f.sample, "sample", "", "embedded sample: "+strings.Join(data.SampleNames, ", "))
	fs.IntVar(&f.res, "res", 0, "H3 working resolution (default 10)")
	fs.Float64Var(&f.detour, "detour", coverage.DefaultDetour, "detour factor for straight-line distance")
	fs.Float64Var(&f.searchFactor, "search-factor", coverage.DefaultSearchFactor, "search limit as a multiple of each type's radius")
	fs.IntVar(&f.planYear, "plan-year", 0, "count planned facilities due by this year")
	fs.StringVar(&f.osm, "osm", "", "OSM extract (PBF or XML) for walking distances")
	fs.BoolVar(&f.noNetwork, "no-network", false, "use straight line × detour even with an extract")
	fs.StringVar(&f.walkRule, "walk-rule", "", "JSON walk rule file")
	fs.Float64Var(&f.snapM, "snap-m", coverage.DefaultSnapLimitM, "snap limit in metres")
	fs.IntVar(&f.minComponent, "min-component", coverage.DefaultMinComponent, "also snap to disconnected network parts of at least N nodes (0: largest only)")
	fs.StringVar(&f.profile, "profile", "", "walking profile: default, elderly, adult")
	fs.StringVar(&f.provider, "provider", "", "read --facilities as a POI export of amap, baidu, tencent or osm (CSV or XLSX) and classify it")
	fs.StringVar(&f.encoding, "encoding", "", "attribute encoding of Shapefile inputs: utf-8 or gbk (default: the .cpg, else detected)")
	fs.StringVar(&f.facLayer, "facilities-layer", "", "layer of a GeoPackage --facilities (default its only layer)")
	fs.StringVar(&f.popLayer, "population-layer", "", "layer of a GeoPackage --population (default its only layer)")
	fs.StringVar(&f.poiRules, "poi-rules", "", "JSON override of the POI → catalogue rules (with --provider)")
}

// buildOptions are the flags of the one builder (data.Build).
func (f *inputFlags) buildOptions(logger *slog.Logger) (data.BuildOptions, error) {
	o := data.BuildOptions{Detour: f.detour, SearchFactor: f.searchFactor, PlanYear: f.planYear,
		SnapM: f.snapM, MinComponent: f.minComponent, NoNetwork: f.noNetwork, Basemap: f.basemap, Logger: logger}
	if !(f.snapM > 0 && f.snapM <= 2000) {
		return o, fmt.Errorf("--snap-m %v must be in (0, 2000] metres", f.snapM)
	}
	if f.walkRule != "" {
		src, err := os.ReadFile(f.walkRule)
		if err != nil {
			return o, err
		}
		rule, err := data.ParseWalkRule(f.walkRule, src)
		if err != nil {
			return o, err
		}
		o.Rule = &rule
	}
	return o, nil
}

// load reads the inputs, or the sample when none are given, and analyses
// them with the one builder.
func (f *inputFlags) load(logger *slog.Logger) (*coverage.Analysis, error) {
	g := *f
	if g.facilities == "" && g.population == "" && !g.boundaries.given() && g.sample == "" {
		g.sample = data.SampleNames[0] // no inputs: the embedded default sample
	}
	in, err := g.inputs()
	if err != nil {
		return nil, err
	}
	if f.osm != "" {
		if g.sample != "" {
			return nil, fmt.Errorf("--osm needs file inputs; the sample brings its own extract")
		}
		in.OSM = f.osm
	}
	opts, err := f.buildOptions(logger)
	if err != nil {
		return nil, err
	}
	in.OnPOIReport = func(r *data.POIReport) { logPOIReport(logger, r) }
	a, _, err := data.BuildInputs(in, opts)
	return a, err
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given: %w", flag.ErrHelp)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	switch args[0] {
	case "analyze", "analyse":
		return runAnalyze(args[1:], stdout, stderr, logger)
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr, logger)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr, logger)
	case "export":
		return runExport(ctx, args[1:], stdout, stderr, logger)
	case "classify":
		return runClassify(args[1:], stdout, stderr)
	case "users":
		return runUsers(ctx, args[1:], stdout, stderr, logger)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q: %w", args[0], flag.ErrHelp)
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func runAnalyze(args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("analyze", stderr)
	var in inputFlags
	in.register(fs)
	out := fs.String("out", "", "output directory (must not exist or be empty)")
	excelCSV := fs.Bool("excel-csv", false, "start cells.csv with a UTF-8 byte-order mark (Excel on Chinese Windows)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("analyze: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("analyze: --out DIR is required")
	}
	a, err := in.load(logger)
	if err != nil {
		return err
	}
	profile, err := coverage.ParseProfile(in.profile)
	if err != nil {
		return err
	}
	files, err := data.WriteOutputsWith(*out, a, profile, data.OutputOptions{ExcelCSV: *excelCSV})
	if err != nil {
		return err
	}
	s := a.Summary("", profile)
	zh := chineseLocale()
	if zh {
		fmt.Fprintf(stdout, "%s：%d 个网格，%.0f 名居民，距离算法 %s", s.Dataset, s.Cells, s.Residents, s.Method)
		if s.Detour > 0 {
			fmt.Fprintf(stdout, "（直线距离近似，绕行系数 %.2f）", s.Detour)
		}
		fmt.Fprintf(stdout, "\n已写出 %d 个文件到 %s\n", len(files), *out)
	} else {
		fmt.Fprintf(stdout, "%s: %d cells, %.0f residents, method %s", s.Dataset, s.Cells, s.Residents, s.Method)
		if s.Detour > 0 {
			fmt.Fprintf(stdout, " (approximate, detour %.2f)", s.Detour)
		}
		fmt.Fprintf(stdout, "\nwrote %d files to %s\n", len(files), *out)
	}
	writeSummaryTable(stdout, s, profile, zh)
	return nil
}

// chineseLocale reports whether the user's locale is Chinese (LC_ALL, then
// LC_MESSAGES, then LANG, as POSIX orders them).
func chineseLocale() bool {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return strings.HasPrefix(strings.ToLower(v), "zh")
		}
	}
	return false
}

// writeSummaryTable lists every catalogue type, those without any facility
// included, with the data-quality status of its inventory.
func writeSummaryTable(w io.Writer, s coverage.Summary, profile coverage.Profile, zh bool) {
	status := map[string]string{coverage.NoneMapped: "none_mapped", coverage.LikelyIncomplete: "likely_incomplete", coverage.Plausible: "plausible"}
	if zh {
		status = map[string]string{coverage.NoneMapped: "未录入", coverage.LikelyIncomplete: "很可能不完整", coverage.Plausible: "基本可信"}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", "设施类型", "设施数", "应有（按标准）", "数据状态", "覆盖人口", "覆盖率", "步行时间内（"+profile.Name+"）")
	} else {
		fmt.Fprintf(w, "%-34s %10s %12s %-18s %12s %8s %16s\n", "type", "facilities", "expected", "data", "covered", "share", "in time ("+profile.Name+")")
	}
	for _, t := range s.Types {
		q := t.DataQuality
		exp := fmt.Sprintf("%.0f–%.0f", math.Floor(q.ExpectedMin), math.Ceil(q.ExpectedMax))
		inTime := 100 * t.CoveredInTime / max(t.Residents, 1)
		if zh {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.0f\t%.1f%%\t%.1f%%\n", q.NameZH, t.Facilities, exp, status[q.Status], t.Covered, 100*t.Share, inTime)
		} else {
			fmt.Fprintf(w, "%-34s %10d %12s %-18s %12.0f %7.1f%% %15.1f%%\n", t.ID, t.Facilities, exp, status[q.Status], t.Covered, 100*t.Share, inTime)
		}
	}
	if zh {
		fmt.Fprintln(w, s.DataQuality.NoteZH)
	} else {
		fmt.Fprintln(w, s.DataQuality.Note)
	}
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("serve", stderr)
	var in inputFlags
	in.register(fs)
	var sf storeFlags
	sf.register(fs)
	var srvf serverFlags
	srvf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	in.basemap = true
	if sf.set() {
		return serveStore(ctx, &in, sf, &srvf, stdout, logger)
	}
	a, err := in.load(logger)
	if err != nil {
		return err
	}
	// Without a store file scenarios, proposals and plans live in memory
	// until the server stops.
	mem := memstore.New()
	if err := mem.SaveDataset(ctx, a.Catalog, a.Data); err != nil {
		return err
	}
	s := api.New(logger, a)
	s.SetStore(mem)
	return srvf.serveHTTP(ctx, s, stdout, fmt.Sprintf("lifecircle serving %s (scenarios in memory: give --store to keep them)", a.Data.Name))
}
