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
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output path %s exists and is not a directory: %w", dir, coverage.ErrInvalid)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("output directory %s exists and is not empty; remove it or choose another: %w", dir, coverage.ErrInvalid)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		files = append(files, name)
		return f.Close()
	}
	jsonTo := func(v any) func(io.Writer) error {
		return func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<16)
			enc := json.NewEncoder(bw)
			if err := enc.Encode(v); err != nil {
				return err
			}
			return bw.Flush()
		}
	}
	set := collection.NewSet(a, "export")
	summary := NewSummaryFile(a, p)
	if err := write("summary.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(summary)
	}); err != nil {
		return nil, err
	}
	if err := write("cells.csv", func(w io.Writer) error {
		if o.ExcelCSV {
			if _, err := io.WriteString(w, "\ufeff"); err != nil {
				return err
			}
		}
		return WriteCellsCSV(w, a)
	}); err != nil {
		return nil, err
	}
	layer := func(file, name, typ string) error {
		fc, err := TypedLayer(set, name, typ, p)
		if err != nil {
			return err
		}
		return write(file, jsonTo(fc))
	}
	if err := layer("facilities.geojson", "facilities", ""); err != nil {
		return nil, err
	}
	if err := layer("population.geojson", "population", ""); err != nil {
		return nil, err
	}
	cfc, err := catchments(a, set)
	if err != nil {
		return nil, err
	}
	if err := write("catchments.geojson", jsonTo(cfc)); err != nil {
		return nil, err
	}
	for _, tc := range a.Types() {
		id := tc.Type.ID
		for _, l := range []struct{ file, name string }{
			{"coverage_" + id + ".geojson", "coverage"},
			{"gaps_" + id + ".geojson", "gaps"},
			{"gap_areas_" + id + ".geojson", "gap-areas"},
		} {
			if err := layer(l.file, l.name, id); err != nil {
				return nil, err
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil { // only an empty directory can be here
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return files, nil
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
