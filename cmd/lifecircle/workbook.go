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
	start := time.Now()
	var a *coverage.Analysis
	if sf.set() {
		if err := in.noFileInputs("export"); err != nil {
			return err
		}
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
		if a, err = in.analyzeStored(cat, ds, logger); err != nil {
			return err
		}
	} else if a, err = in.load(logger); err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return api.WriteWorkbook(w, a, o) }); err != nil {
		return err
	}
	fi, _ := os.Stat(path)
	fmt.Fprintf(stdout, "wrote %s (%s, %d bytes) in %.1fs\n", path, a.Data.Name, fi.Size(), time.Since(start).Seconds())
	return nil
}
