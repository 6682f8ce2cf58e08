package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/uber/h3-go/v4"
)

// poaCatalog overrides the coverage radius for the comparison with the
// pgRouting peer, which uses 1000 m for both facility types.
const poaCatalog = `{"types":[{"id":"primary_school","max_dist_m":1000},{"id":"community_health_center","max_dist_m":1000}]}` + "\n"

// hexRow is one row of r5r's poa_hexgrid.csv.
type hexRow struct {
	id         string
	cell       h3.Cell
	lon, lat   float64
	population float64
	schools    int
	healthcare int
	empty      bool // population, schools or healthcare was empty
}

type portoAlegre struct {
	rows          []hexRow
	popCells      int
	population    float64
	schools       int
	healthcare    int
	emptyCounts   int     // rows with an empty count field (read as 0)
	maxCentreOffM float64 // hexgrid lon/lat vs h3-go cell centre
	pbf           copied
}

func buildPortoAlegre(in, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	rows, err := readHexgrid(filepath.Join(in, "poa_hexgrid.csv"))
	if err != nil {
		return err
	}
	pa := &portoAlegre{rows: rows}
	for _, r := range rows {
		if r.empty {
			pa.emptyCounts++
		}
	}
	if err := os.WriteFile(filepath.Join(out, "population.csv"), pa.populationCSV(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "facilities.csv"), pa.facilitiesCSV(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "catalog.json"), []byte(poaCatalog), 0o644); err != nil {
		return err
	}
	if pa.pbf, err = copyFile(filepath.Join(in, "poa_osm.pbf"), filepath.Join(out, "osm.pbf")); err != nil {
		return err
	}
	fmt.Printf("porto_alegre: %d hexgrid cells, %d with population (total %s); %d schools, %d healthcare; max centre offset %.2f m; osm.pbf %d bytes sha256 %s\n",
		len(rows), pa.popCells, formatNumber(pa.population), pa.schools, pa.healthcare, pa.maxCentreOffM, pa.pbf.size, pa.pbf.sha256)
	files, err := describeFiles(out, "population.csv", "facilities.csv", "catalog.json", "osm.pbf")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "SOURCES.md"), portoAlegreSources(files, pa), 0o644)
}

// readHexgrid reads and validates poa_hexgrid.csv; rows come back sorted by id.
func readHexgrid(path string) ([]hexRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"id", "lon", "lat", "population", "schools", "healthcare"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, h)
		}
	}
	var rows []hexRow
	for _, r := range recs[1:] {
		row, err := parseHexRow(r, col)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	return rows, nil
}

func parseHexRow(r []string, col map[string]int) (hexRow, error) {
	row := hexRow{id: r[col["id"]]}
	row.cell = h3.Cell(h3.IndexFromString(row.id))
	if !row.cell.IsValid() || row.cell.Resolution() != 9 || row.cell.String() != row.id {
		return row, fmt.Errorf("%q is not an H3 res-9 cell id", row.id)
	}
	row.empty = r[col["population"]] == "" || r[col["schools"]] == "" || r[col["healthcare"]] == ""
	var err error
	if row.lon, err = strconv.ParseFloat(r[col["lon"]], 64); err != nil {
		return row, err
	}
	if row.lat, err = strconv.ParseFloat(r[col["lat"]], 64); err != nil {
		return row, err
	}
	if row.population, err = parseCount(r[col["population"]]); err != nil {
		return row, err
	}
	n, err := parseCount(r[col["schools"]])
	if err != nil {
		return row, err
	}
	row.schools = int(n)
	n, err = parseCount(r[col["healthcare"]])
	row.healthcare = int(n)
	return row, err
}

// parseCount reads a count; an empty field counts as 0.
func parseCount(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) {
		return 0, fmt.Errorf("bad count %q", s)
	}
	return v, nil
}

func (pa *portoAlegre) populationCSV() []byte {
	var buf bytes.Buffer
	buf.WriteString("h3,population\n")
	for _, r := range pa.rows {
		if r.population > 0 {
			buf.WriteString(r.id + "," + formatNumber(r.population) + "\n")
			pa.popCells++
			pa.population += r.population
		}
	}
	return buf.Bytes()
}

// facilitiesCSV writes n rows at the H3 cell centre for a cell with n
// schools (primary_school) or n healthcare units (community_health_center):
// first all schools, then all health units, each in cell-id order.
func (pa *portoAlegre) facilitiesCSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"lon", "lat", "type", "name", "capacity", "status", "plan_year"})
	kinds := []struct {
		typ, label string
		count      func(hexRow) int
		total      *int
	}{
		{"primary_school", "school", func(r hexRow) int { return r.schools }, &pa.schools},
		{"community_health_center", "health", func(r hexRow) int { return r.healthcare }, &pa.healthcare},
	}
	for _, k := range kinds {
		for _, r := range pa.rows {
			n := k.count(r)
			if n == 0 {
				continue
			}
			centre := cellCentre(r.cell)
			pa.maxCentreOffM = max(pa.maxCentreOffM, geo.Distance(centre, orb.Point{r.lon, r.lat}))
			for i := 1; i <= n; i++ {
				name := fmt.Sprintf("%s %s #%d", k.label, r.id, i)
				w.Write([]string{formatCoord(centre[0]), formatCoord(centre[1]), k.typ, name, "", "existing", ""})
				*k.total++
			}
		}
	}
	w.Flush()
	return buf.Bytes()
}

// formatNumber writes a count without a trailing ".0".
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
