package data

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// ReadFacilities reads facilities from GeoJSON points or CSV
// (lon,lat,type[,name,capacity,status,plan_year,id]); the format follows the
// file name's extension. Coordinates are in crs and come out WGS84.
func ReadFacilities(name string, r io.Reader, crs spatial.CRS, cat *coverage.Catalog) ([]coverage.Facility, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return readFacilitiesCSV(name, r, crs, cat)
	case ".geojson", ".json":
		return readFacilitiesGeoJSON(name, r, crs, cat)
	}
	return nil, fmt.Errorf("%s: facilities must be .geojson, .json or .csv (a POI export, e.g. .xlsx from Amap, needs --provider amap|baidu|tencent|osm): %w", name, coverage.ErrInvalid)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, coverage.ErrInvalid)...)
}

// facilityFields checks and fills the non-spatial fields shared by both formats.
func facilityFields(f *coverage.Facility, cat *coverage.Catalog, capacity, status, planYear string) error {
	id, err := cat.CheckType(f.Type)
	if err != nil {
		return err
	}
	f.Type = id
	if capacity != "" {
		c, err := strconv.ParseFloat(capacity, 64)
		if err != nil || c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return invalid("capacity %q must be a number ≥ 0", capacity)
		}
		f.Capacity = c
	}
	s, err := coverage.ParseStatus(status)
	if err != nil {
		return err
	}
	f.Status = s
	if planYear != "" {
		y, err := strconv.Atoi(planYear)
		if err != nil || y < 1900 || y > 2200 {
			return invalid("plan_year %q must be a year such as 2026", planYear)
		}
		f.PlanYear = y
	}
	if f.Status != coverage.Existing && f.PlanYear == 0 {
		return invalid("a %s facility needs a plan_year", f.Status)
	}
	return nil
}

func readFacilitiesCSV(name string, r io.Reader, crs spatial.CRS, cat *coverage.Catalog) ([]coverage.Facility, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, invalid("%s: cannot read the header line: %v", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, req := range []string{"lon", "lat", "type"} {
		if _, ok := col[req]; !ok {
			return nil, invalid("%s line 1: the header lacks column %q (want lon,lat,type[,name,capacity,status,plan_year,id]; got %s)", name, req, strings.Join(header, ","))
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []coverage.Facility
	var lines []int
	stem := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	for {
		rec, line, err := nextRecord(name, cr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < len(header) && len(rec) < 3 {
			return nil, invalid("%s line %d: %d fields, want at least lon,lat,type", name, line, len(rec))
		}
		lon, e1 := strconv.ParseFloat(get(rec, "lon"), 64)
		lat, e2 := strconv.ParseFloat(get(rec, "lat"), 64)
		if e1 != nil || e2 != nil {
			return nil, invalid("%s line %d: lon %q / lat %q must be numbers", name, line, get(rec, "lon"), get(rec, "lat"))
		}
		p, err := toWGS84(orb.Point{lon, lat}, crs)
		if err != nil {
			return nil, invalid("%s line %d: %v", name, line, err)
		}
		f := coverage.Facility{ID: get(rec, "id"), Type: get(rec, "type"), Name: get(rec, "name"), Location: p}
		if f.ID == "" {
			f.ID = fmt.Sprintf("%s-%d", stem, line)
		}
		if err := facilityFields(&f, cat, get(rec, "capacity"), get(rec, "status"), get(rec, "plan_year")); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		out = append(out, f)
		lines = append(lines, line)
	}
	if err := uniqueIDs(name, out, func(i int) string { return fmt.Sprintf("line %d", lines[i]) }); err != nil {
		return nil, err
	}
	return out, nil
}

// uniqueIDs checks that no id repeats; where(i) names facility i's line or
// feature, e.g. "line 7".
func uniqueIDs(name string, fs []coverage.Facility, where func(i int) string) error {
	seen := make(map[string]int, len(fs))
	for i, f := range fs {
		if j, dup := seen[f.ID]; dup {
			return invalid("%s %s: facility id %q appears again (first at %s)", name, where(i), f.ID, where(j))
		}
		seen[f.ID] = i
	}
	return nil
}

// readFeatures decodes a GeoJSON FeatureCollection with a clear error.
func readFeatures(name string, r io.Reader) (*geojson.FeatureCollection, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(b[:min(int(se.Offset), len(b))]), "\n")
			return nil, invalid("%s line %d: not valid JSON: %v", name, line, err)
		}
		if i, ferr := badFeature(b); i > 0 {
			return nil, invalid("%s feature %d: not a valid GeoJSON Feature: %v", name, i, ferr)
		}
		return nil, invalid("%s: not a GeoJSON FeatureCollection: %v", name, err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, invalid("%s: GeoJSON type %q, want FeatureCollection", name, fc.Type)
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(b, &members) == nil {
		if f, ok := members["features"]; !ok || len(f) == 0 || f[0] != '[' {
			return nil, invalid("%s: the FeatureCollection has no \"features\" array (RFC 7946 §3.3)", name)
		}
	}
	for i, f := range fc.Features {
		if f == nil || f.Geometry == nil {
			return nil, invalid("%s feature %d: no geometry", name, i+1)
		}
	}
	if i, n := shortPosition(b); i > 0 {
		return nil, invalid("%s feature %d: a position has %d coordinate(s); GeoJSON needs [lon, lat]", name, i, n)
	}
	return fc, nil
}

// shortPosition finds the first feature with a position of fewer than two
// numbers (the decoder would read a missing latitude as 0), or 0.
func shortPosition(b []byte) (feature, n int) {
	var raw struct {
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return 0, 0
	}
	for i, f := range raw.Features {
		depth := 1 // an empty top-level array is an empty geometry, reported elsewhere
		if f.Geometry.Type == "Point" {
			depth = 0
		}
		if n := minPosition(f.Geometry.Coordinates, depth); n >= 0 && n < 2 {
			return i + 1, n
		}
	}
	return 0, 0
}

// minPosition is the smallest number of numbers in any innermost array of a
// coordinates value (-1 when there is none). An empty array below the top
// is an empty ring or part, which the readers report themselves.
func minPosition(c json.RawMessage, depth int) int {
	var nums []float64
	if json.Unmarshal(c, &nums) == nil {
		if len(nums) == 0 && depth > 0 {
			return -1
		}
		return len(nums)
	}
	var nested []json.RawMessage
	if json.Unmarshal(c, &nested) != nil {
		return -1
	}
	least := -1
	for _, x := range nested {
		if n := minPosition(x, depth+1); n >= 0 && (least < 0 || n < least) {
			least = n
		}
	}
	return least
}

// badFeature finds the first feature of a collection that does not decode,
// so that the error can name it; 0 when no single feature is at fault.
func badFeature(b []byte) (int, error) {
	var raw struct {
		Features []json.RawMessage `json:"features"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return 0, nil
	}
	for i, f := range raw.Features {
		if _, err := geojson.UnmarshalFeature(f); err != nil {
			return i + 1, err
		}
	}
	return 0, nil
}

// prop returns a property as a trimmed string ("" when absent or null).
func prop(p geojson.Properties, key string) string {
	v, ok := p[key]
	if !ok || v == nil {
		return ""
	}
	return strings.TrimSpace(valueText(v))
}

// valueText writes a property value as text: strings as they are, numbers
// in their shortest form, anything else as JSON.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func readFacilitiesGeoJSON(name string, r io.Reader, crs spatial.CRS, cat *coverage.Catalog) ([]coverage.Facility, error) {
	fc, err := readFeatures(name, r)
	if err != nil {
		return nil, err
	}
	return facilitiesFromFeatures(name, fc, crs, cat)
}

// facilitiesFromFeatures reads facilities from point features (GeoJSON, or
// a Shapefile's records) with properties type, name, capacity, status,
// plan_year, id.
func facilitiesFromFeatures(name string, fc *geojson.FeatureCollection, crs spatial.CRS, cat *coverage.Catalog) ([]coverage.Facility, error) {
	stem := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	out := make([]coverage.Facility, 0, len(fc.Features))
	for i, ft := range fc.Features {
		where := fmt.Sprintf("%s feature %d", name, i+1)
		pt, ok := ft.Geometry.(orb.Point)
		if !ok {
			return nil, invalid("%s: geometry %s, want Point", where, ft.Geometry.GeoJSONType())
		}
		p, err := toWGS84(pt, crs)
		if err != nil {
			return nil, invalid("%s: %v", where, err)
		}
		f := coverage.Facility{ID: prop(ft.Properties, "id"), Type: prop(ft.Properties, "type"), Name: prop(ft.Properties, "name"), Location: p}
		if f.ID == "" && ft.ID != nil {
			f.ID = fmt.Sprint(ft.ID)
		}
		if f.ID == "" {
			f.ID = fmt.Sprintf("%s-%d", stem, i+1)
		}
		if f.Type == "" {
			return nil, invalid("%s: property \"type\" (a catalogue id) is missing", where)
		}
		if err := facilityFields(&f, cat, prop(ft.Properties, "capacity"), prop(ft.Properties, "status"), prop(ft.Properties, "plan_year")); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out = append(out, f)
	}
	if err := uniqueIDs(name, out, func(i int) string { return fmt.Sprintf("feature %d", i+1) }); err != nil {
		return nil, err
	}
	return out, nil
}
