package gpkgstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"lifecircle/data/store"
)

// migration is one version of the store's schema. Migrations run in
// order, each once, inside the transaction that records it in
// lifecircle_migrations; they only ever add.
type migration struct {
	version int
	name    string
	up      func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{1, "GeoPackage 1.3 core tables; datasets, facilities, population cells, admin units, scenarios, proposals, plan items, layers", migrate1},
	{2, "users, audit, idempotency replays", migrate2},
	{3, "walking networks: the OSM extract each dataset was imported with", migrate3},
	{4, "record versions (If-Match) and the request hash of idempotency replays", migrate4},
	{5, "cell layers: shared H3 cells, per-feature values and a spatial view per layer", migrate5},
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS lifecircle_migrations (
		version INTEGER PRIMARY KEY NOT NULL,
		name TEXT NOT NULL,
		applied TEXT NOT NULL)`); err != nil {
		return err
	}
	var have sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(version) FROM lifecircle_migrations").Scan(&have); err != nil {
		return err
	}
	if latest := migrations[len(migrations)-1].version; int(have.Int64) > latest {
		return fmt.Errorf("store schema version %d is newer than this lifecircle knows (%d)", have.Int64, latest)
	}
	applied := false
	for _, m := range migrations {
		if m.version <= int(have.Int64) {
			continue
		}
		if err := m.up(ctx, tx); err != nil {
			return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO lifecircle_migrations (version, name, applied) VALUES (?, ?, ?)",
			m.version, m.name, store.FormatTime(time.Now())); err != nil {
			return err
		}
		applied = true
	}
	if !applied {
		return nil // nothing to write: leave the file as it is
	}
	for _, p := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", userVersion),
	} {
		if _, err := tx.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// The GeoPackage 1.3 core tables, as the standard (and GDAL) defines them.
const coreSQL = `
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
	srs_name TEXT NOT NULL,
	srs_id INTEGER NOT NULL PRIMARY KEY,
	organization TEXT NOT NULL,
	organization_coordsys_id INTEGER NOT NULL,
	definition TEXT NOT NULL,
	description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
	('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian coordinate reference system'),
	('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
	('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE IF NOT EXISTS gpkg_contents (
	table_name TEXT NOT NULL PRIMARY KEY,
	data_type TEXT NOT NULL,
	identifier TEXT UNIQUE,
	description TEXT DEFAULT '',
	last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
	min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
	srs_id INTEGER,
	CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
	table_name TEXT NOT NULL,
	column_name TEXT NOT NULL,
	geometry_type_name TEXT NOT NULL,
	srs_id INTEGER NOT NULL,
	z TINYINT NOT NULL,
	m TINYINT NOT NULL,
	CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
	CONSTRAINT uk_gc_table_name UNIQUE (table_name),
	CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
	CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
	table_name TEXT,
	column_name TEXT,
	extension_name TEXT NOT NULL,
	definition TEXT NOT NULL,
	scope TEXT NOT NULL,
	CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
`

func migrate1(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, coreSQL); err != nil {
		return err
	}
	attrs := []struct{ table, columns, desc string }{
		{"lifecircle_migrations", "", "lifecircle: schema versions applied to this store"},
		{"datasets", `
			name TEXT NOT NULL UNIQUE,
			resolution MEDIUMINT NOT NULL,
			population_note TEXT,
			facilities INTEGER NOT NULL,
			cells INTEGER NOT NULL,
			units INTEGER NOT NULL,
			population REAL NOT NULL,
			catalog TEXT NOT NULL,
			saved TEXT NOT NULL`, "lifecircle: stored datasets and the facility catalogue (JSON) in force for each"},
		{"scenarios", `
			id TEXT NOT NULL UNIQUE,
			dataset TEXT NOT NULL,
			name TEXT NOT NULL,
			author TEXT,
			unit TEXT,
			created TEXT NOT NULL,
			description TEXT,
			changes TEXT NOT NULL`, "lifecircle: scenarios (changes as JSON) over a dataset's baseline"},
		{"lifecircle_layers", `
			dataset TEXT NOT NULL,
			name TEXT NOT NULL,
			table_name TEXT NOT NULL,
			features INTEGER NOT NULL,
			saved TEXT NOT NULL,
			UNIQUE (dataset, name)`, "lifecircle: the computed layers stored per dataset and the table holding each"},
	}
	for _, a := range attrs {
		if a.columns != "" {
			if err := execAll(ctx, tx, fmt.Sprintf("CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,%s)", quoteIdent(a.table), a.columns)); err != nil {
				return err
			}
		}
		if err := registerTable(ctx, tx, a.table, "attributes", a.desc); err != nil {
			return err
		}
	}
	features := []struct{ table, geomType, columns, desc string }{
		{"facilities", "POINT", `
			dataset TEXT NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT,
			capacity REAL,
			status TEXT NOT NULL,
			plan_year MEDIUMINT,
			UNIQUE (dataset, id)`, "lifecircle: facilities (type is a catalogue id)"},
		{"population_cells", "POLYGON", `
			dataset TEXT NOT NULL,
			h3 INTEGER NOT NULL,
			h3_id TEXT NOT NULL,
			population REAL NOT NULL,
			UNIQUE (dataset, h3)`, "lifecircle: resident population per H3 cell (h3 as a 64-bit integer and as the usual hex id)"},
		{"admin_units", "MULTIPOLYGON", `
			dataset TEXT NOT NULL,
			level TEXT NOT NULL,
			code TEXT NOT NULL,
			name TEXT,
			parent TEXT,
			UNIQUE (dataset, code)`, "lifecircle: administrative units (district, street, community, grid)"},
		{"proposals", "MULTIPOINT", `
			id TEXT NOT NULL UNIQUE,
			scenario_id TEXT NOT NULL,
			author TEXT,
			unit TEXT,
			created TEXT NOT NULL,
			sites MEDIUMINT NOT NULL,
			facilities TEXT NOT NULL,
			shown TEXT`, "lifecircle: street officials' proposed store.Sites (facilities as JSON), with the figures they were shown"},
		{"plan_items", "POINT", `
			dataset TEXT NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT,
			year MEDIUMINT NOT NULL,
			status TEXT NOT NULL,
			cost REAL,
			unit TEXT,
			UNIQUE (dataset, id)`, "lifecircle: the multi-year construction plan"},
	}
	for _, f := range features {
		if err := createFeatureTable(ctx, tx, f.table, f.geomType, f.columns, f.desc); err != nil {
			return err
		}
	}
	// An index on dataset alone is ordered by (dataset, fid): loading a
	// dataset in saved order needs no sort.
	return execAll(ctx, tx,
		"CREATE INDEX facilities_dataset ON facilities (dataset)",
		"CREATE INDEX population_cells_dataset ON population_cells (dataset)",
		"CREATE INDEX admin_units_dataset ON admin_units (dataset)",
		"CREATE INDEX scenarios_dataset ON scenarios (dataset, created)",
		"CREATE INDEX proposals_scenario ON proposals (scenario_id, created)")
}

func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%.60s…: %w", strings.Join(strings.Fields(s), " "), err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func registerTable(ctx context.Context, tx *sql.Tx, table, dataType, desc string) error {
	var srs any
	if dataType == "features" {
		srs = srsWGS84
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
		VALUES (?, ?, ?, ?, ?)`, table, dataType, table, desc, srs)
	return err
}

// createFeatureTable creates a GeoPackage feature table with an fid, a geom
// column of geomType (EPSG:4326) and columns, registers it, and gives it
// the R-tree spatial index with exactly the triggers GDAL installs.
func createFeatureTable(ctx context.Context, tx *sql.Tx, table, geomType, columns, desc string) error {
	t := quoteIdent(table)
	if columns != "" {
		columns = "," + columns
	}
	if err := execAll(ctx, tx, fmt.Sprintf("CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom %s%s)", t, geomType, columns)); err != nil {
		return err
	}
	if err := registerTable(ctx, tx, table, "features", desc); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
		VALUES (?, 'geom', ?, ?, 0, 0)`, table, geomType, srsWGS84); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
		VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`, table); err != nil {
		return err
	}
	rt := quoteIdent("rtree_" + table + "_geom")
	trg := func(suffix string) string { return quoteIdent("rtree_" + table + "_geom_" + suffix) }
	ins := fmt.Sprintf(`INSERT OR REPLACE INTO %s VALUES (NEW."fid",ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"),ST_MinY(NEW."geom"), ST_MaxY(NEW."geom"));`, rt)
	return execAll(ctx, tx,
		fmt.Sprintf(`CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)`, rt),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER INSERT ON %s WHEN (new."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN %s END`, trg("insert"), t, ins),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER UPDATE OF "geom" ON %s WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN %s END`, trg("update1"), t, ins),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER UPDATE OF "geom" ON %s WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id = OLD."fid"; END`, trg("update2"), t, rt),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER UPDATE ON %s WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id = OLD."fid"; %s END`, trg("update3"), t, rt, ins),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER UPDATE ON %s WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM %s WHERE id IN (OLD."fid", NEW."fid"); END`, trg("update4"), t, rt),
		fmt.Sprintf(`CREATE TRIGGER %s AFTER DELETE ON %s WHEN old."geom" NOT NULL BEGIN DELETE FROM %s WHERE id = OLD."fid"; END`, trg("delete"), t, rt),
	)
}

// touchContents records a change to table in gpkg_contents: the time and,
// for feature tables, the extent of the spatial index (the union of the
// root node's cells: the same figures as min(minx)… over the whole R-tree,
// without reading it).
func touchContents(ctx context.Context, tx *sql.Tx, table string, spatial bool) error {
	if !spatial {
		_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?`, table)
		return err
	}
	var root []byte
	if err := tx.QueryRowContext(ctx, "SELECT data FROM "+quoteIdent("rtree_"+table+"_geom_node")+" WHERE nodeno = 1").Scan(&root); err != nil {
		return err
	}
	ext, err := rootExtent(root)
	if err != nil {
		return fmt.Errorf("spatial index of %s: %w", table, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
		min_x = ?, max_x = ?, min_y = ?, max_y = ? WHERE table_name = ?`, ext[0], ext[1], ext[2], ext[3], table)
	return err
}

// rootExtent is the union of the cells of an R-tree's root node (NULLs
// when it has none); see writePackedRTree for the layout.
func rootExtent(root []byte) ([4]any, error) {
	var ext [4]any
	if len(root) < 4 {
		return ext, fmt.Errorf("root node of %d bytes", len(root))
	}
	n := int(binary.BigEndian.Uint16(root[2:]))
	if 4+n*24 > len(root) {
		return ext, fmt.Errorf("root node of %d bytes says it holds %d cells", len(root), n)
	}
	var box [4]float64
	for i := 0; i < n; i++ {
		for k := range box {
			v := float64(math.Float32frombits(binary.BigEndian.Uint32(root[4+i*24+8+4*k:])))
			if i == 0 || (k%2 == 0 && v < box[k]) || (k%2 == 1 && v > box[k]) {
				box[k] = v
			}
		}
	}
	if n > 0 {
		for k, v := range box {
			ext[k] = v
		}
	}
	return ext, nil
}

// migrate2 adds users (token credentials), the append-only audit and the
// stored answers of writes made with an idempotency key, all registered as
// attributes tables. Users and replays are never exported.
func migrate2(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx,
		`CREATE TABLE lifecircle_users (
			id TEXT PRIMARY KEY NOT NULL,
			name TEXT NOT NULL,
			role TEXT NOT NULL,
			units TEXT NOT NULL,
			created TEXT NOT NULL,
			revoked TEXT,
			salt BLOB NOT NULL,
			hash BLOB NOT NULL)`,
		"CREATE UNIQUE INDEX lifecircle_users_active ON lifecircle_users (name) WHERE revoked IS NULL",
		`CREATE TABLE audit (
			fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
			at TEXT NOT NULL,
			user TEXT NOT NULL,
			role TEXT,
			action TEXT NOT NULL,
			dataset TEXT,
			scenario_id TEXT,
			request_id TEXT,
			detail TEXT)`,
		"CREATE INDEX audit_scenario ON audit (scenario_id)",
		`CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
		`CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END`,
		`CREATE TABLE lifecircle_replays (
			user TEXT NOT NULL,
			key TEXT NOT NULL,
			method TEXT NOT NULL,
			path TEXT NOT NULL,
			status INTEGER NOT NULL,
			body BLOB NOT NULL,
			created TEXT NOT NULL,
			PRIMARY KEY (user, key))`,
	); err != nil {
		return err
	}
	for _, a := range []struct{ table, desc string }{
		{"audit", "lifecircle: every write (who, when, what, scenario, request id); append-only"},
		{"lifecircle_users", "lifecircle: API users, roles, jurisdictions and salted token hashes (never exported)"},
		{"lifecircle_replays", "lifecircle: answers to writes made with an Idempotency-Key (never exported)"},
	} {
		if err := registerTable(ctx, tx, a.table, "attributes", a.desc); err != nil {
			return err
		}
	}
	return nil
}

// migrate4 adds the versions of scenarios and plans (a write with If-Match
// checks and bumps them in its transaction) and, to replays, the SHA-256 of
// the request each answer was given to (a retry with the same key and
// another body is refused).
func migrate4(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx,
		`CREATE TABLE lifecircle_versions (
			key TEXT PRIMARY KEY NOT NULL,
			version INTEGER NOT NULL)`,
		"ALTER TABLE lifecircle_replays ADD COLUMN request_sha256 TEXT",
	); err != nil {
		return err
	}
	return registerTable(ctx, tx, "lifecircle_versions", "attributes", "lifecircle: versions of scenarios and plans, for If-Match (never exported)")
}
