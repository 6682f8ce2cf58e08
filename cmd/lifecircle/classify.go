package main

// lifecircle classify: a POI export (Amap, Baidu, Tencent, OSM) → catalogue
// facilities, with a report of every decision. See data.ReadPOIs.

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"lifecircle/coverage"
	"lifecircle/data"
	"lifecircle/spatial"
)

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("classify", stderr)
	in := fs.String("in", "", "POI export: CSV (UTF-8 or GBK) or XLSX")
	provider := fs.String("provider", "", "who exported it: "+strings.Join(data.POIProviders, ", "))
	crsFlag := fs.String("crs", "", "coordinates of the export (default: the provider's own — amap/tencent gcj02, baidu bd09, osm wgs84)")
	rulesFile := fs.String("poi-rules", "", "JSON override of the POI rules")
	catalog := fs.String("catalog", "", "catalogue override (JSON or YAML)")
	sheet := fs.String("sheet", "", "XLSX sheet (default the first)")
	out := fs.String("out", "", "facilities GeoJSON to write (refused if it exists)")
	reportPath := fs.String("report", "", "report file (default: beside --out, .report.txt)")
	printRules := fs.Bool("print-rules", false, "print the default POI rules (JSON) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printRules {
		_, err := stdout.Write(data.DefaultPOIRulesJSON())
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("classify: unexpected argument %q", fs.Arg(0))
	}
	if *in == "" || *provider == "" || *out == "" {
		return fmt.Errorf("classify: --in FILE, --provider %s and --out FILE.geojson are required", strings.Join(data.POIProviders, "|"))
	}
	var crs spatial.CRS
	if *crsFlag != "" {
		var err error
		if crs, err = spatial.ParseCRS(*crsFlag); err != nil {
			return fmt.Errorf("classify: --crs: %w", err)
		}
	}
	cat := coverage.DefaultCatalog()
	if *catalog != "" {
		src, err := os.ReadFile(*catalog)
		if err != nil {
			return err
		}
		if cat, err = cat.Extend(*catalog, src); err != nil {
			return err
		}
	}
	rules, err := data.DefaultPOIRules(cat)
	if err != nil {
		return err
	}
	if *rulesFile != "" {
		src, err := os.ReadFile(*rulesFile)
		if err != nil {
			return err
		}
		if rules, err = rules.Extend(*rulesFile, src, cat); err != nil {
			return err
		}
	}
	if *reportPath == "" {
		*reportPath = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".report.txt"
	}
	for _, p := range []string{*out, *reportPath} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("classify: %s exists; remove it or choose another", p)
		}
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	facs, rep, err := data.ReadPOIs(*in, f, cat, data.POIOptions{Provider: *provider, CRS: crs, Rules: rules, Sheet: *sheet})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*reportPath, func(w io.Writer) error { return data.WritePOIReport(w, rep, cat) }); err != nil {
		return err
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error { return data.WritePOIFacilities(w, facs, rep, cat) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s, %s → WGS84): %d rows → %d facilities of %d types; %d dropped, %d unmatched, %d ambiguous, %d duplicates merged\nwrote %s and %s\n",
		*in, *provider, rep.CRS, rep.Rows, len(facs), len(rep.PerType), len(rep.Dropped), len(rep.Unmatched), len(rep.Ambiguous), len(rep.Duplicates), *out, *reportPath)
	return nil
}

// writeFileAtomic writes path through a temporary sibling renamed into
// place: the file is complete or absent.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// logPOIReport logs what classifying a POI export did (import, analyze, serve).
func logPOIReport(logger *slog.Logger, r *data.POIReport) {
	logger.Info("poi", "file", r.File, "provider", r.Provider, "crs", r.CRS, "encoding", r.Encoding, "rows", r.Rows,
		"types", len(r.PerType), "dropped", len(r.Dropped), "unmatched", len(r.Unmatched), "ambiguous", len(r.Ambiguous), "duplicates", len(r.Duplicates))
	for _, u := range r.Unmatched {
		logger.Warn("poi unmatched", "where", u.Where, "name", u.Name, "code", u.Code, "category", u.Category)
	}
	for _, a := range r.Ambiguous {
		logger.Warn("poi ambiguous", "where", a.Where, "name", a.Name, "rule", a.Rule, "other", strings.Join(a.Others, "; "))
	}
}
