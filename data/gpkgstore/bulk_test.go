package gpkgstore

import (
	"bytes"
	"database/sql"
	"math"
	"path/filepath"
	"testing"

	"lifecircle/data/storetest"
)

// wantIndexExact checks a feature table's R-tree the way SQLite and GDAL
// would: rtreecheck passes, it holds exactly one entry per row with a
// geometry, each entry's box contains the geometry's envelope and is the
// envelope rounded outwards to single precision, gpkg_contents has the
// extent, and a window query through the index finds what a scan finds.
func wantIndexExact(t *testing.T, db *sql.DB, table string) {
	t.Helper()
	rt := "rtree_" + table + "_geom"
	var check string
	if err := db.QueryRow("SELECT rtreecheck(?)", rt).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("rtreecheck(%s): %q, %v", rt, check, err)
	}
	var rows, entries, matched int
	if err := db.QueryRow("SELECT count(*) FROM " + table + " WHERE geom NOT NULL AND NOT ST_IsEmpty(geom)").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	db.QueryRow("SELECT count(*) FROM " + rt).Scan(&entries)
	if err := db.QueryRow(`SELECT count(*) FROM ` + table + ` t JOIN ` + rt + ` r ON r.id = t.fid
		WHERE r.minx <= ST_MinX(t.geom) AND r.maxx >= ST_MaxX(t.geom) AND r.miny <= ST_MinY(t.geom) AND r.maxy >= ST_MaxY(t.geom)
		AND ST_MinX(t.geom) - r.minx < 1e-5 AND r.maxx - ST_MaxX(t.geom) < 1e-5`).Scan(&matched); err != nil {
		t.Fatal(err)
	}
	if rows != entries || matched != rows {
		t.Errorf("%s: %d rows with a geometry, %d index entries, %d matching their row", table, rows, entries, matched)
	}
	var ext, want [4]sql.NullFloat64
	db.QueryRow("SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = ?", table).Scan(&ext[0], &ext[1], &ext[2], &ext[3])
	db.QueryRow("SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "+rt).Scan(&want[0], &want[1], &want[2], &want[3])
	if ext != want {
		t.Errorf("%s: gpkg_contents extent %v, the index says %v", table, ext, want)
	}
	if !want[0].Valid {
		return
	}
	// a window in the middle: index and scan agree
	cx, cy := (want[0].Float64+want[1].Float64)/2, (want[2].Float64+want[3].Float64)/2
	w := (want[1].Float64 - want[0].Float64) / 5
	var viaIndex, viaScan int
	db.QueryRow(`SELECT count(*) FROM `+rt+` WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?`, cx+w, cx-w, cy+w, cy-w).Scan(&viaIndex)
	db.QueryRow(`SELECT count(*) FROM `+table+` WHERE geom NOT NULL AND NOT ST_IsEmpty(geom) AND ST_MinX(geom) <= ? AND ST_MaxX(geom) >= ? AND ST_MinY(geom) <= ? AND ST_MaxY(geom) >= ?`,
		cx+w, cx-w, cy+w, cy-w).Scan(&viaScan)
	if viaIndex != viaScan || viaScan == 0 {
		t.Errorf("%s: window query found %d through the index, %d by scanning", table, viaIndex, viaScan)
	}
}

// TestBulkLoadKeepsTheIndexExact: the packed R-tree written for a fresh
// dataset, the index kept when a second dataset joins and when one is
// replaced, and rows added afterwards by the GDAL triggers all leave an
// index SQLite's rtreecheck accepts and that answers like a scan.
func TestBulkLoadKeepsTheIndexExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gpkg")
	g := newGeoPackage(t, path)
	cat, a := storetest.Disk("a", 40, 3000) // 4,921 cells: a three-level tree
	storetest.MustSave(t, g, cat, a)
	db := rawDB(t, path)
	tables := []string{"facilities", "population_cells", "admin_units"}
	for _, table := range tables {
		wantIndexExact(t, db, table)
	}
	var depth []byte
	db.QueryRow("SELECT substr(data, 1, 2) FROM rtree_population_cells_geom_node WHERE nodeno = 1").Scan(&depth)
	if !bytes.Equal(depth, []byte{0, 2}) {
		t.Errorf("the cells' R-tree has depth %v, want 2 (4,921 entries, 51 a node)", depth)
	}
	_, b := storetest.Disk("b", 12, 50)
	storetest.MustSave(t, g, cat, b) // beside a: SQLite's own insertion
	_, a2 := storetest.Disk("a", 20, 500)
	storetest.MustSave(t, g, cat, a2) // replacing a, b stays
	for _, table := range tables {
		wantIndexExact(t, db, table)
	}
	storetest.WantDataset(t, g, cat, b)
	storetest.WantDataset(t, g, cat, a2)
	// what another tool adds through the triggers lands in the index too
	if _, err := db.Exec(`INSERT INTO facilities (geom, dataset, id, type, status)
		SELECT geom, 'gis', 'x' || fid, type, status FROM facilities WHERE dataset = 'a'`); err != nil {
		t.Fatal(err)
	}
	wantIndexExact(t, db, "facilities")
	// a dataset replaced while it is alone starts a fresh packed index
	for _, name := range []string{"a", "b", "gis"} {
		db.Exec("DELETE FROM facilities WHERE dataset = ?", name)
	}
	db.Exec("DELETE FROM datasets WHERE name <> 'a'")
	storetest.MustSave(t, g, cat, a)
	for _, table := range tables {
		wantIndexExact(t, db, table)
	}
	storetest.WantDataset(t, g, cat, a)
	if err := g.Check(bg); err != nil {
		t.Error(err)
	}
}

func TestHilbertOrder(t *testing.T) {
	// the first 64 steps of the curve fill the 8 × 8 corner, each a step
	// to a neighbouring cell
	at := map[uint64][2]int{}
	for x := 0; x < 8; x++ {
		for y := 0; y < 8; y++ {
			at[hilbert(uint32(x), uint32(y))] = [2]int{x, y}
		}
	}
	for d := uint64(0); d < 64; d++ {
		p, ok := at[d]
		if !ok {
			t.Fatalf("no cell of the 8 × 8 corner has index %d", d)
		}
		if q := at[d+1]; d < 63 && math.Abs(float64(p[0]-q[0]))+math.Abs(float64(p[1]-q[1])) != 1 {
			t.Errorf("step %d: %v → %v is not to a neighbour", d, p, q)
		}
	}
	for _, v := range []float64{104.0661234567, -0.1, 1e-9, 30.6} {
		if d, u := down32(v), up32(v); float64(d) > v || float64(u) < v || float64(math.Nextafter32(d, float32(math.Inf(1)))) <= v || float64(math.Nextafter32(u, float32(math.Inf(-1)))) >= v {
			t.Errorf("rounding %v gave %v, %v", v, d, u)
		}
	}
}
