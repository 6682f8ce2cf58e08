package gpkgstore

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"lifecircle/coverage"
	"lifecircle/data/storetest"
)

func newGeoPackage(t *testing.T, path string) *Store {
	t.Helper()
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	registerGPFunctions()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dirListing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// TestGeoPackageRefusesForeignFiles gives Open files that are not
// lifecircle stores: each gets an error saying what it is, and not one byte
// of it changes (nor does anything appear beside it).
func TestGeoPackageRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := make([]byte, 8192)
	for i := range garbage {
		garbage[i] = byte(i*7 + i/13)
	}
	files := map[string]struct {
		path string
		want string
	}{
		"garbage": {write("garbage.gpkg", garbage), "is not a SQLite database"},
		"text":    {write("notes.gpkg", []byte("type,lon,lat\nkindergarten,104.06,30.66\n")), "is not a SQLite database"},
		"empty":   {write("empty.gpkg", nil), "is an empty file"},
	}
	// A plain SQLite database.
	plain := filepath.Join(dir, "plain.sqlite")
	db := rawDB(t, plain)
	if _, err := db.Exec("CREATE TABLE t (a); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	files["sqlite"] = struct{ path, want string }{plain, "is a SQLite database but not a GeoPackage"}
	// A GeoPackage from another tool: application_id GPKG, core tables, a layer.
	other := filepath.Join(dir, "other.gpkg")
	db = rawDB(t, other)
	if _, err := db.Exec(coreSQL + "CREATE TABLE roads (fid INTEGER PRIMARY KEY, geom LINESTRING); PRAGMA application_id = 1196444487; PRAGMA user_version = 10300"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	files["geopackage"] = struct{ path, want string }{other, "is a GeoPackage but not a lifecircle store"}
	// A lifecircle store from a newer lifecircle.
	newer := filepath.Join(dir, "newer.gpkg")
	g := newGeoPackage(t, newer)
	g.Close()
	db = rawDB(t, newer)
	if _, err := db.Exec("INSERT INTO lifecircle_migrations VALUES (99, 'from the future', '2030-01-01T00:00:00Z'); PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	files["newer"] = struct{ path, want string }{newer, "newer than this lifecircle knows"}
	// A real store with damaged pages in the middle, and one cut short.
	real := filepath.Join(dir, "real.gpkg")
	g = newGeoPackage(t, real)
	cat, ds := storetest.Disk("city", 20, 100)
	storetest.MustSave(t, g, cat, ds)
	g.Close()
	b, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), b...)
	for i := len(damaged) / 2; i < len(damaged)/2+3*4096; i++ {
		damaged[i] = 0xA5
	}
	damagedPath := write("damaged.gpkg", damaged)
	files["truncated"] = struct{ path, want string }{write("truncated.gpkg", b[:len(b)/3]), "damaged"}

	before := dirListing(t, dir)
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			orig, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(f.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) accepted it", name)
			}
			storetest.WantInvalid(t, err, f.want, "it was not modified")
			after, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(orig, after) {
				t.Errorf("%s was modified by the refused open", f.path)
			}
		})
	}
	if after := dirListing(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("files beside the refused ones changed:\nbefore %v\nafter  %v", before, after)
	}
	// Damaged pages in the middle of a big table are not looked for at
	// open (that reads the whole file; lifecircle check does it): reading
	// them says the store is damaged, and nothing is written to it.
	t.Run("damaged", func(t *testing.T) {
		s, err := Open(damagedPath)
		if err == nil {
			_, _, err = s.LoadDataset(bg, "city")
			if err == nil {
				err = s.Check(bg)
			}
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("damaged store: %v", err)
		}
		if after, _ := os.ReadFile(damagedPath); !bytes.Equal(after, damaged) {
			t.Error("the damaged store was modified")
		}
	})
	_, err = Open(dir)
	storetest.WantInvalid(t, err, "is a directory")
	_, err = Open(" ")
	storetest.WantInvalid(t, err, "no file name")
}

// TestGeoPackageLayout checks the file against GeoPackage 1.3: header
// pragmas, WAL, the spatial reference systems, every table registered, and
// the R-tree index of every feature table kept in step by the triggers.
func TestGeoPackageLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.gpkg")
	g := newGeoPackage(t, path)
	cat, ds := storetest.Tiny(t, "tiny")
	storetest.MustSave(t, g, cat, ds)
	if err := g.SaveLayer(bg, "tiny", "gaps/kindergarten", storetest.CellFeatures(ds, 5)); err != nil {
		t.Fatal(err)
	}
	if err := g.Check(bg); err != nil {
		t.Fatal(err)
	}
	db := g.r
	var appID, userVersion int
	var mode string
	if err := db.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		t.Fatal(err)
	}
	db.QueryRow("PRAGMA user_version").Scan(&userVersion)
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if appID != 0x47504B47 || userVersion != 10300 || mode != "wal" {
		t.Errorf("application_id %#x, user_version %d, journal_mode %s; want 0x47504b47, 10300, wal", appID, userVersion, mode)
	}
	var srs []int
	rows, _ := db.Query("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
	for rows.Next() {
		var id int
		rows.Scan(&id)
		srs = append(srs, id)
	}
	rows.Close()
	if !reflect.DeepEqual(srs, []int{-1, 0, 4326}) {
		t.Errorf("srs ids %v", srs)
	}
	contents := map[string]string{}
	rows, _ = db.Query("SELECT table_name, data_type FROM gpkg_contents")
	for rows.Next() {
		var n, dt string
		rows.Scan(&n, &dt)
		contents[n] = dt
	}
	rows.Close()
	want := map[string]string{
		"facilities": "features", "population_cells": "features", "admin_units": "features", "proposals": "features",
		"plan_items": "features", "layer_gaps_kindergarten": "features",
		"datasets": "attributes", "scenarios": "attributes", "lifecircle_layers": "attributes", "lifecircle_migrations": "attributes",
		"audit": "attributes", "lifecircle_users": "attributes", "lifecircle_replays": "attributes", "lifecircle_versions": "attributes",
		"lifecircle_networks": "attributes", "lifecircle_cells": "features", "lifecircle_cell_values": "attributes",
		"lifecircle_cell_layers": "attributes",
	}
	if !reflect.DeepEqual(contents, want) {
		t.Errorf("gpkg_contents %v\nwant %v", contents, want)
	}
	// Every user table is registered (GIS tools list only those).
	rows, _ = db.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'gpkg_%' AND name NOT LIKE 'rtree_%' AND name NOT LIKE 'sqlite_%'")
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if _, ok := contents[n]; !ok {
			t.Errorf("table %s is not in gpkg_contents", n)
		}
	}
	rows.Close()
	// The R-tree holds each cell's envelope, as the triggers computed it
	// (rounded outwards to 32-bit floats).
	var n, bad int
	if err := db.QueryRow(`SELECT count(*), sum(NOT (r.minx <= ST_MinX(c.geom) AND r.minx > ST_MinX(c.geom) - 1e-5 AND r.maxx >= ST_MaxX(c.geom)
			AND r.miny <= ST_MinY(c.geom) AND r.maxy >= ST_MaxY(c.geom) AND r.maxy < ST_MaxY(c.geom) + 1e-5))
		FROM population_cells c JOIN rtree_population_cells_geom r ON r.id = c.fid`).Scan(&n, &bad); err != nil {
		t.Fatal(err)
	}
	if n != len(ds.Cells) || bad != 0 {
		t.Errorf("rtree has %d cells (%d with a wrong envelope); want %d", n, bad, len(ds.Cells))
	}
	var extent [4]sql.NullFloat64
	db.QueryRow("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'facilities'").Scan(&extent[0], &extent[1], &extent[2], &extent[3])
	if !extent[0].Valid || extent[0].Float64 < 104 || extent[2].Float64 > 104.1 {
		t.Errorf("facilities extent %v", extent)
	}
	// Re-opening an up-to-date store applies no migration again.
	g.Close()
	g = newGeoPackage(t, path)
	var applied int
	g.r.QueryRow("SELECT count(*) FROM lifecircle_migrations").Scan(&applied)
	if applied != len(migrations) {
		t.Errorf("%d migration rows after reopening; want %d", applied, len(migrations))
	}
}

// TestGeoPackageForeignWriters inserts rows the way other tools write them
// (a point blob without envelope, big-endian, an empty geometry) straight in
// SQL: the triggers and the registered functions must keep the index right.
func TestGeoPackageForeignWriters(t *testing.T) {
	g := newGeoPackage(t, filepath.Join(t.TempDir(), "store.gpkg"))
	cat, ds := storetest.Tiny(t, "tiny")
	storetest.MustSave(t, g, cat, ds)
	bePoint := func(x, y float64) []byte {
		b := []byte{'G', 'P', 0, 0, 0, 0, 0x10, 0xE6} // big-endian header, no envelope, srs 4326
		w, _ := wkb.Marshal(orb.Point{x, y}, binary.BigEndian)
		return append(b, w...)
	}
	empty, _ := encodeGP(orb.MultiPoint{})
	if _, err := g.w.Exec(`INSERT INTO facilities (geom, dataset, id, type, status) VALUES (?, 'gis', 'Q1', 'pharmacy', 'existing'), (?, 'gis', 'Q2', 'pharmacy', 'existing')`,
		bePoint(104.07, 30.67), empty); err != nil {
		t.Fatal(err)
	}
	var minx, maxy float64
	if err := g.r.QueryRow(`SELECT r.minx, r.maxy FROM rtree_facilities_geom r JOIN facilities f ON f.fid = r.id WHERE f.id = 'Q1'`).Scan(&minx, &maxy); err != nil {
		t.Fatal(err)
	}
	if math.Abs(minx-104.07) > 1e-6 || math.Abs(maxy-30.67) > 1e-6 {
		t.Errorf("rtree envelope of a big-endian point: %v %v", minx, maxy)
	}
	var inIndex int
	g.r.QueryRow(`SELECT count(*) FROM rtree_facilities_geom r JOIN facilities f ON f.fid = r.id WHERE f.id = 'Q2'`).Scan(&inIndex)
	if inIndex != 0 {
		t.Error("an empty geometry was put in the R-tree")
	}
	if _, err := g.w.Exec(`UPDATE facilities SET geom = ? WHERE id = 'Q1'`, bePoint(104.08, 30.68)); err != nil {
		t.Fatal(err)
	}
	if _, err := g.w.Exec(`DELETE FROM facilities WHERE id = 'Q2'`); err != nil {
		t.Fatal(err)
	}
	if err := g.Check(bg); err != nil {
		t.Fatal(err)
	}
	var x float64
	g.r.QueryRow(`SELECT ST_MinX(geom) FROM facilities WHERE id = 'Q1'`).Scan(&x)
	if x != 104.08 {
		t.Errorf("ST_MinX after update: %v", x)
	}
}

func TestGPBlobRoundTrip(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{104.1, 30.6},
		orb.MultiPoint{{104.1, 30.6}, {104.2, 30.7}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.LineString{{1, 2}, {3, 4}},
		orb.MultiPolygon{},
	} {
		b, err := encodeGP(g)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseGP(b)
		if err != nil {
			t.Fatal(err)
		}
		_, point := g.(orb.Point)
		if h.srsID != 4326 || h.empty != isEmpty(g) || (len(h.env) == 4) == (point || isEmpty(g)) {
			t.Errorf("%T: header %+v", g, h)
		}
		back, err := decodeGP(b)
		if err != nil || !reflect.DeepEqual(back, g) {
			t.Errorf("%T: decoded %v, %v", g, back, err)
		}
		if minx, maxx, miny, maxy, ok := gpBound(b); ok != !isEmpty(g) || (ok && (orb.Bound{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}) != g.Bound()) {
			t.Errorf("%T: bound %v %v %v %v %v", g, minx, maxx, miny, maxy, ok)
		}
	}
	if _, err := parseGP([]byte("GX\x00\x01abcd")); err == nil {
		t.Error("a blob without the GP magic parsed")
	}
	if _, err := parseGP([]byte{'G', 'P', 0, 0x03, 0, 0, 0, 0}); err == nil {
		t.Error("a blob with a truncated envelope parsed")
	}
}

func TestLayerTableNames(t *testing.T) {
	for in, want := range map[string]string{
		"gaps/kindergarten":           "layer_gaps_kindergarten",
		"gap-areas/community_health":  "layer_gap_areas_community_health",
		"Coverage / Primary School!!": "layer_coverage_primary_school",
	} {
		if got := layerTableName(in); got != want {
			t.Errorf("layerTableName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"h3": "h3", "fid": "p_fid", "facility id": "facility_id", "3rd": "p_3rd", "": "", "é": ""} {
		if got := columnName(in); got != want {
			t.Errorf("columnName(%q) = %q, want %q", in, got, want)
		}
	}
	// Two layer names that make the same table name get two tables.
	g := newGeoPackage(t, filepath.Join(t.TempDir(), "store.gpkg"))
	cat, ds := storetest.Disk("city", 2, 3)
	storetest.MustSave(t, g, cat, ds)
	a := []coverage.LayerFeature{{ID: "a", Geometry: orb.Point{104.06, 30.66}}}
	b := []coverage.LayerFeature{{ID: "b", Geometry: orb.Point{104.07, 30.67}}, {ID: "c"}}
	if err := g.SaveLayer(bg, "city", "gaps/x", a); err != nil {
		t.Fatal(err)
	}
	if err := g.SaveLayer(bg, "city", "gaps x", b); err != nil {
		t.Fatal(err)
	}
	storetest.WantLayer(t, g, "city", "gaps/x", a)
	storetest.WantLayer(t, g, "city", "gaps x", b)
}
