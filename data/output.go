package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// SummaryFile is what summary.json holds: the citywide summary and the
// per-unit roll-ups of every unit level present.
type SummaryFile struct {
	coverage.Summary
	UnitsByLevel map[coverage.UnitLevel][]coverage.UnitSummary `json:"units_by_level,omitempty"`
}

// NewSummaryFile rolls a up citywide and per unit level.
func NewSummaryFile(a *coverage.Analysis, p coverage.Profile) SummaryFile {
	s := SummaryFile{Summary: a.Summary("", p)}
	for _, l := range coverage.UnitLevels {
		if us := a.Summary(l, p); len(us.Units) > 0 {
			if s.UnitsByLevel == nil {
				s.UnitsByLevel = map[coverage.UnitLevel][]coverage.UnitSummary{}
			}
			s.UnitsByLevel[l] = us.Units
		}
	}
	return s
}

// WriteCellsCSV writes one row per populated cell: h3, population, then for
// every type with at least one facility <type>_m (metres to the nearest, empty
// when none is within the search limit) and <type>_covered (1 or 0).
func WriteCellsCSV(w io.Writer, a *coverage.Analysis) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var types []*coverage.TypeCoverage
	bw.WriteString("h3,population")
	for _, tc := range a.Types() {
		if len(tc.Facilities) > 0 {
			types = append(types, tc)
			fmt.Fprintf(bw, ",%s_m,%s_covered", tc.Type.ID, tc.Type.ID)
		}
	}
	bw.WriteByte('\n')
	buf := make([]byte, 0, 64)
	for i, c := range a.Data.Cells {
		bw.WriteString(c.Cell.String())
		bw.WriteByte(',')
		bw.Write(strconv.AppendFloat(buf[:0], c.Population, 'f', -1, 64))
		for _, tc := range types {
			bw.WriteByte(',')
			if h := tc.Hit(i); h.Found() {
				bw.Write(strconv.AppendFloat(buf[:0], float64(h.DistM), 'f', 1, 32))
			}
			if tc.IsCovered(i) {
				bw.WriteString(",1")
			} else {
				bw.WriteString(",0")
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteOutputs writes every output of an analysis into dir: summary.json,
// cells.csv, facilities.geojson, population.geojson, and for each type with
// at least one facility coverage_<type>.geojson, gaps_<type>.geojson and
// gap_areas_<type>.geojson. It writes into a temporary sibling directory and
// renames it at the end, so dir is either complete or absent. An existing,
// non-empty dir is refused rather than overwritten.
func WriteOutputs(dir string, a *coverage.Analysis, p coverage.Profile) (files []string, err error) {
	return WriteOutputsWith(dir, a, p, OutputOptions{})
}

// OutputOptions adjust WriteOutputs.
type OutputOptions struct {
	// ExcelCSV starts cells.csv with the UTF-8 byte-order mark, without
	// which Excel on Chinese Windows shows UTF-8 as mojibake.
	ExcelCSV bool
}

// WriteOutputsWith is WriteOutputs with options.
func WriteOutputsWith(dir string, a *coverage.Analysis, p coverage.Profile, o OutputOptions) (files []string, err error) {
	tmp, err := partialDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	w := &outputWriter{dir: tmp, a: a, p: p, o: o, set: collection.NewSet(a, "export")}
	if err := w.writeAll(); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil { // only an empty directory can be here
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return w.files, nil
}

// partialDir refuses a dir that is a file or not empty, and makes the
// temporary sibling directory the outputs are written into.
func partialDir(dir string) (string, error) {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("output path %s exists and is not a directory: %w", dir, coverage.ErrInvalid)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return "", fmt.Errorf("output directory %s exists and is not empty; remove it or choose another: %w", dir, coverage.ErrInvalid)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
}

// outputWriter writes the output files of one analysis into a directory
// and lists them.
type outputWriter struct {
	dir   string
	a     *coverage.Analysis
	p     coverage.Profile
	o     OutputOptions
	set   *collection.Set
	files []string
}

// writeAll writes every output file, in the order WriteOutputs lists them.
func (w *outputWriter) writeAll() error {
	summary := NewSummaryFile(w.a, w.p)
	if err := w.write("summary.json", func(out io.Writer) error {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}); err != nil {
		return err
	}
	if err := w.write("cells.csv", w.cellsCSV); err != nil {
		return err
	}
	if err := w.layer("facilities.geojson", "facilities", ""); err != nil {
		return err
	}
	if err := w.layer("population.geojson", "population", ""); err != nil {
		return err
	}
	cfc, err := catchments(w.a, w.set)
	if err != nil {
		return err
	}
	if err := w.write("catchments.geojson", jsonTo(cfc)); err != nil {
		return err
	}
	for _, tc := range w.a.Types() {
		id := tc.Type.ID
		for _, l := range []struct{ file, name string }{
			{"coverage_" + id + ".geojson", "coverage"},
			{"gaps_" + id + ".geojson", "gaps"},
			{"gap_areas_" + id + ".geojson", "gap-areas"},
		} {
			if err := w.layer(l.file, l.name, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// write writes one file with fn and lists it.
func (w *outputWriter) write(name string, fn func(io.Writer) error) error {
	f, err := os.Create(filepath.Join(w.dir, name))
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	w.files = append(w.files, name)
	return f.Close()
}

// cellsCSV is cells.csv, with the byte-order mark for Excel when asked.
func (w *outputWriter) cellsCSV(out io.Writer) error {
	if w.o.ExcelCSV {
		if _, err := io.WriteString(out, "\ufeff"); err != nil {
			return err
		}
	}
	return WriteCellsCSV(out, w.a)
}

// layer writes a layer (of a type, or "") as GeoJSON.
func (w *outputWriter) layer(file, name, typ string) error {
	fc, err := TypedLayer(w.set, name, typ, w.p)
	if err != nil {
		return err
	}
	return w.write(file, jsonTo(fc))
}

// jsonTo writes v as one line of JSON.
func jsonTo(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		enc := json.NewEncoder(bw)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return bw.Flush()
	}
}

// TypedLayer is one layer as written to files and exports (LayerFC): for a
// per-type layer the collection also carries the data-quality audit of the
// type's inventory (data_quality, facilities_mapped, facilities_expected_*,
// notes) and every feature its type_name_zh and data_quality, so that a
// GeoPackage row or a GeoJSON feature says whether the inventory behind it
// is complete.
func TypedLayer(set *collection.Set, name, typ string, p coverage.Profile) (*geojson.FeatureCollection, error) {
	fc, err := LayerFC(set, name, typ, p)
	if err != nil || !collection.LayerNeedsType(name) {
		return fc, err
	}
	lq, err := set.Analysis().LayerQuality(typ, "")
	if err != nil {
		return nil, err
	}
	for k, v := range lq {
		fc.ExtraMembers[k] = v
	}
	for _, f := range fc.Features {
		f.Properties["type_name_zh"] = lq["type_name_zh"]
		f.Properties["data_quality"] = lq["data_quality"]
	}
	return fc, nil
}
