package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"lifecircle/api"
	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/data"
)

// exportWorkbook writes the Excel workbook of a stored dataset (with
// --store/--pg) or of the inputs (files or a sample, analysed as analyze
// does). The file is complete or absent.
func exportWorkbook(ctx context.Context, in *inputFlags, sf storeFlags, path, by, lang string, stdout io.Writer, logger *slog.Logger) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("export: %s exists; remove it or choose another file", path)
	}
	var o api.WorkbookOptions
	switch lang {
	case "zh", "":
	case "en":
		o.English = true
	default:
		return fmt.Errorf("export: --lang %q: want zh or en", lang)
	}
	for _, part := range strings.Split(by, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		l, err := coverage.ParseUnitLevel(part)
		if err != nil {
			return fmt.Errorf("export: --by: %w", err)
		}
		o.By = append(o.By, l)
	}
	p, err := coverage.ParseProfile(in.profile)
	if err != nil {
		return err
	}
	o.Profile = p
	o.Context = ctx // the recommendations sheet stops with the command
	start := time.Now()
	a, err := in.exportAnalysis(ctx, sf, logger)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return api.WriteWorkbook(w, a, o) }); err != nil {
		return err
	}
	fi, _ := os.Stat(path)
	fmt.Fprintf(stdout, "wrote %s (%s, %d bytes) in %.1fs\n", path, a.Data.Name, fi.Size(), time.Since(start).Seconds())
	return nil
}

// exportAnalysis analyses what an export without --out reads: the stored
// dataset (--store/--pg, --name when several) or the inputs.
func (in *inputFlags) exportAnalysis(ctx context.Context, sf storeFlags, logger *slog.Logger) (*coverage.Analysis, error) {
	if !sf.set() {
		return in.load(logger)
	}
	if err := in.noFileInputs("export"); err != nil {
		return nil, err
	}
	st, err := sf.open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	name, err := pickDataset(ctx, st, sf.name, sf.where())
	if err != nil {
		return nil, err
	}
	cat, ds, err := st.LoadDataset(ctx, name)
	if err != nil {
		return nil, err
	}
	return in.analyzeStored(ctx, st, cat, ds, logger)
}

// exportShapefile writes one layer of the analysis as a Shapefile.
func exportShapefile(ctx context.Context, in *inputFlags, sf storeFlags, path, layer, typ, encoding string, stdout io.Writer, logger *slog.Logger) error {
	if layer == "" {
		return fmt.Errorf("export: --shp needs --layer (%s) and, for per-type layers, --type", strings.Join(collection.LayerNames, ", "))
	}
	p, err := coverage.ParseProfile(in.profile)
	if err != nil {
		return err
	}
	a, err := in.exportAnalysis(ctx, sf, logger)
	if err != nil {
		return err
	}
	fc, err := data.TypedLayer(collection.NewSet(a, "export"), layer, typ, p)
	if err != nil {
		return fmt.Errorf("export: --layer %s --type %s: %w", layer, typ, err)
	}
	st, err := data.WriteShapefile(path, fc, encoding)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d features, fields %s", path, st.Features, strings.Join(st.Fields, ","))
	if st.Truncated > 0 {
		fmt.Fprintf(stdout, " (%d text values cut at 254 bytes, the dBASE limit)", st.Truncated)
	}
	fmt.Fprintln(stdout)
	return nil
}
