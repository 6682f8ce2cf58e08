package gpkgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"lifecircle/data/store"
)

// Store is a coverage.Store in one OGC GeoPackage 1.3 file: lifecircle's
// embedded default. GIS tools open the same file: every table is registered
// in gpkg_contents, feature tables carry GeoPackage geometries in EPSG:4326
// with an R-tree spatial index maintained by the standard triggers.
//
// The file is in WAL mode with synchronous=FULL: a write that returned nil
// is on disk. One connection writes (transactions start IMMEDIATE, so
// writers queue instead of failing); readers use their own connections and
// see the last committed state, never a write in progress.
type Store struct {
	path   string
	w      *sql.DB
	r      *sql.DB
	closed sync.Once
	err    error
}

// File constants: the application_id 'GPKG' and user_version 10300
// (GeoPackage 1.3; GDAL 3.6 warns about 1.4).
const (
	applicationID = 0x47504B47
	userVersion   = 10300
)

// Open opens the lifecircle store at path, creating it when no
// file is there, and applies pending schema migrations. An existing file is
// first inspected read-only: if it is not SQLite, not a GeoPackage, or a
// GeoPackage that is not a lifecircle store, Open says so and
// leaves the file untouched.
func Open(path string) (*Store, error) {
	registerGPFunctions()
	if strings.TrimSpace(path) == "" {
		return nil, store.Invalid("GeoPackage store: no file name given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := createGeoPackage(abs); err != nil {
			return nil, fmt.Errorf("creating GeoPackage store %s: %w", path, err)
		}
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, store.Invalid("GeoPackage store %s is a directory, not a file", path)
	default:
		if err := inspectGeoPackage(path, abs, fi.Size()); err != nil {
			return nil, err
		}
	}
	g := &Store{path: abs}
	if g.w, err = sql.Open("sqlite", writerDSN(abs)); err != nil {
		return nil, err
	}
	g.w.SetMaxOpenConns(1)
	if err := migrate(context.Background(), g.w); err != nil {
		g.w.Close()
		return nil, fmt.Errorf("GeoPackage store %s: %w", path, err)
	}
	if g.r, err = sql.Open("sqlite", readerDSN(abs)); err != nil {
		g.w.Close()
		return nil, err
	}
	g.r.SetMaxOpenConns(8)
	g.r.SetMaxIdleConns(4)
	return g, nil
}

// Path is the absolute path of the store's file.
func (g *Store) Path() string { return g.path }

// Close closes the store. The last connection to close checkpoints the WAL
// into the main file.
func (g *Store) Close() error {
	g.closed.Do(func() { g.err = errors.Join(g.r.Close(), g.w.Close()) })
	return g.err
}

// CloseSingleFile closes the store as one self-contained file: the WAL is
// checkpointed and the file left in rollback-journal mode, so that it can
// be copied, shared and opened read-only anywhere (an export). Opening it
// with Open puts it back in WAL mode.
func (g *Store) CloseSingleFile() error {
	g.closed.Do(func() {
		if err := g.r.Close(); err != nil {
			g.err = errors.Join(err, g.w.Close())
			return
		}
		var mode string
		err := g.w.QueryRow("PRAGMA journal_mode = DELETE").Scan(&mode)
		if err == nil && mode != "delete" {
			err = fmt.Errorf("GeoPackage %s stayed in journal mode %s", g.path, mode)
		}
		g.err = errors.Join(err, g.w.Close())
	})
	return g.err
}

func fileURI(abs string, params ...string) string {
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?" + strings.Join(params, "&")
}

func writerDSN(abs string) string {
	return fileURI(abs,
		"_pragma=busy_timeout(30000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=journal_size_limit(67108864)",
		"_pragma=cache_size(-65536)",
		"_pragma=temp_store(MEMORY)", // statement journals of the trigger-firing inserts
		"_txlock=immediate")
}

func readerDSN(abs string) string {
	return fileURI(abs, "_pragma=busy_timeout(30000)", "_pragma=query_only(1)",
		// Readers map the file (up to SQLite's limit, 2 GB) instead of
		// copying each page into their cache with a read call: a
		// million-cell load's reads were a fifth of its CPU. Writes do not
		// use the map. (Pages still in the WAL are read as before.)
		"_pragma=mmap_size(2147418112)")
}

// createGeoPackage makes a new store beside abs and moves it into place
// only once its schema is committed, so a crash never leaves a half-made
// file that a later open would refuse as foreign.
func createGeoPackage(abs string) error {
	dir := filepath.Dir(abs)
	f, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".new-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	if err := os.Chmod(tmp, 0o644); err != nil { // CreateTemp makes it 0600
		return err
	}
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + suffix)
		}
	}()
	db, err := sql.Open("sqlite", writerDSN(tmp))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	if err := migrate(context.Background(), db); err != nil {
		db.Close()
		return err
	}
	// A store that is one file: checkpoint and leave WAL mode's side files.
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, abs); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while the store was being created; not overwriting it", abs)
		}
		if err := os.Rename(tmp, abs); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// inspectGeoPackage decides, without writing anything, whether the file at
// abs is a lifecircle store this program can open.
func inspectGeoPackage(name, abs string, size int64) error {
	refuse := func(format string, args ...any) error {
		return store.Invalid("%s %s; refusing to use it as a store (it was not modified): give a new file name to create a store", name, fmt.Sprintf(format, args...))
	}
	if size == 0 {
		return refuse("is an empty file, not a GeoPackage")
	}
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	head := make([]byte, 100)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if n < 100 || !bytes.Equal(head[:16], []byte("SQLite format 3\x00")) {
		return refuse("is not a SQLite database, so not a GeoPackage")
	}
	// A file shorter than its header says is cut short. (The size in the
	// header is valid when the version-valid-for number matches the change
	// counter; a WAL may hold pages beyond the file, never fewer.)
	pageSize := int64(binary.BigEndian.Uint16(head[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return refuse("has a damaged SQLite header (page size %d)", pageSize)
	}
	if pages := int64(binary.BigEndian.Uint32(head[28:])); binary.BigEndian.Uint32(head[92:]) == binary.BigEndian.Uint32(head[24:]) && pages*pageSize > size {
		return refuse("is damaged: cut short at %d bytes where its header says %d pages of %d bytes", size, pages, pageSize)
	}
	// Read-only. A WAL-mode file without its -wal has nothing beyond the
	// main file, and opening it immutable keeps SQLite from creating the
	// -wal and -shm side files next to a file that may not be ours.
	params := []string{"mode=ro", "_pragma=busy_timeout(10000)"}
	if head[18] == 2 && head[19] == 2 {
		if _, err := os.Stat(abs + "-wal"); errors.Is(err, fs.ErrNotExist) {
			params = append(params, "immutable=1")
		}
	}
	ro, err := sql.Open("sqlite", fileURI(abs, params...))
	if err != nil {
		return err
	}
	defer ro.Close()
	ro.SetMaxOpenConns(1)
	var appID int64
	if err := ro.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		return refuse("cannot be read as SQLite (damaged?): %v", err)
	}
	if appID != applicationID {
		// The header on disk may lag the WAL; SQLite's answer is the truth.
		hdr := binary.BigEndian.Uint32(head[68:])
		return refuse("is a SQLite database but not a GeoPackage (application_id %#x, file header %#x; a GeoPackage has %#x 'GPKG')", appID, hdr, applicationID)
	}
	var tables int
	if err := ro.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lifecircle_migrations'").Scan(&tables); err != nil {
		return refuse("cannot be read as SQLite (damaged?): %v", err)
	}
	if tables == 0 {
		return refuse("is a GeoPackage but not a lifecircle store (it has no lifecircle_migrations table)")
	}
	var version sql.NullInt64
	if err := ro.QueryRow("SELECT max(version) FROM lifecircle_migrations").Scan(&version); err != nil {
		return refuse("has an unreadable lifecircle_migrations table (damaged?): %v", err)
	}
	if latest := migrations[len(migrations)-1].version; int(version.Int64) > latest {
		return refuse("has store schema version %d, newer than this lifecircle knows (%d): use a newer lifecircle", version.Int64, latest)
	}
	// SQLite's quick_check of the schema and the store's own small tables
	// (reading every page of a big store takes seconds: the whole file is
	// checked by lifecircle check, see Check; damage elsewhere shows when
	// the pages are read).
	for _, table := range cheapChecked {
		var check string
		if err := ro.QueryRow("PRAGMA quick_check(" + quoteIdent(table) + ")").Scan(&check); err != nil || check != "ok" {
			if err != nil {
				check = err.Error()
			}
			return refuse("fails SQLite's quick_check of %s (damaged): %s", table, check)
		}
	}
	return nil
}

// cheapChecked are the tables Open checks: the schema, the GeoPackage
// metadata and the store's small tables.
var cheapChecked = []string{"sqlite_schema", "gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys", "gpkg_extensions", "lifecircle_migrations", "datasets"}

// Check runs every check of CheckAll and returns nil when all pass.
func (g *Store) Check(ctx context.Context) error {
	results, err := g.CheckAll(ctx)
	if err != nil {
		return err
	}
	var problems []string
	for _, r := range results {
		problems = append(problems, r.Problems...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("GeoPackage store %s is damaged: %s", g.path, strings.Join(problems, "; "))
	}
	return nil
}

var _ store.Checker = (*Store)(nil)

// CheckAll checks the whole file, which Open does not (it reads every
// page): SQLite's integrity_check, the foreign keys of the GeoPackage
// tables, every R-tree (rtreecheck, and one entry per row with a
// geometry), the row counts recorded for each dataset, and the SHA-256
// of each stored walking network.
func (g *Store) CheckAll(ctx context.Context) ([]store.CheckResult, error) {
	var out []store.CheckResult
	add := func(what string, problems []string) {
		out = append(out, store.CheckResult{What: what, Problems: problems})
	}
	results, err := queryStrings(ctx, g.r, "PRAGMA integrity_check")
	if err != nil {
		return nil, g.damaged(err)
	}
	var problems []string
	for _, s := range results {
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	add("SQLite integrity_check: every page, every table and index", problems)
	problems = nil
	if err := eachRow(ctx, g.r, "PRAGMA foreign_key_check", nil, func(r *sql.Rows) error {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		err := r.Scan(&table, &rowid, &parent, &fk)
		problems = append(problems, fmt.Sprintf("%s row %d refers to a missing %s row", table, rowid.Int64, parent))
		return err
	}); err != nil {
		return nil, g.damaged(err)
	}
	add("foreign keys of the GeoPackage tables", problems)
	tables, err := queryStrings(ctx, g.r, "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index' AND column_name = 'geom' ORDER BY table_name")
	if err != nil {
		return nil, g.damaged(err)
	}
	problems = nil
	for _, t := range tables {
		rt := "rtree_" + t + "_geom"
		var s string
		if err := g.r.QueryRowContext(ctx, "SELECT rtreecheck(?)", rt).Scan(&s); err != nil {
			return nil, g.damaged(fmt.Errorf("%s: %w", rt, err))
		}
		if s != "ok" {
			problems = append(problems, rt+": "+s)
		}
		var rows, entries int
		if err := g.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM "+quoteIdent(t)+" WHERE geom NOT NULL AND NOT ST_IsEmpty(geom)), (SELECT count(*) FROM "+quoteIdent(rt+"_rowid")+")").Scan(&rows, &entries); err != nil {
			return nil, g.damaged(err)
		}
		if rows != entries {
			problems = append(problems, fmt.Sprintf("%s: %d rows with a geometry, %d index entries", rt, rows, entries))
		}
	}
	add(fmt.Sprintf("the R-tree spatial index of each of the %d feature tables (rtreecheck, one entry per geometry)", len(tables)), problems)
	problems = nil
	var nds int
	if err := eachRow(ctx, g.r, `SELECT name, facilities, cells, units,
		(SELECT count(*) FROM facilities f WHERE f.dataset = d.name), (SELECT count(*) FROM population_cells c WHERE c.dataset = d.name),
		(SELECT count(*) FROM admin_units u WHERE u.dataset = d.name) FROM datasets d ORDER BY name`, nil, func(r *sql.Rows) error {
		var name string
		var nf, nc, nu, f, c, u int
		err := r.Scan(&name, &nf, &nc, &nu, &f, &c, &u)
		if nf != f || nc != c || nu != u {
			problems = append(problems, fmt.Sprintf("dataset %s should have %d facilities, %d cells, %d units; has %d, %d, %d", name, nf, nc, nu, f, c, u))
		}
		nds++
		return err
	}); err != nil {
		return nil, g.damaged(err)
	}
	add(fmt.Sprintf("the facilities, cells and units of each of the %d datasets against the counts recorded at import", nds), problems)
	problems = nil
	var nnet int
	if err := eachRow(ctx, g.r, "SELECT dataset, sha256, extract FROM lifecircle_networks ORDER BY dataset", nil, func(r *sql.Rows) error {
		var dataset, sum string
		var extract []byte
		err := r.Scan(&dataset, &sum, &extract)
		if got := fmt.Sprintf("%x", sha256.Sum256(extract)); err == nil && got != sum {
			problems = append(problems, fmt.Sprintf("the walking network of %s has SHA-256 %.12s…, recorded %.12s…", dataset, got, sum))
		}
		nnet++
		return err
	}); err != nil {
		return nil, g.damaged(err)
	}
	add(fmt.Sprintf("the SHA-256 of each of the %d stored walking networks", nnet), problems)
	return out, nil
}
