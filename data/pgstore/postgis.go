package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"lifecircle/coverage"
	"lifecircle/data/store"
	"lifecircle/spatial"
)

// Store is a coverage.Store in a PostgreSQL database with PostGIS, in the schema
// "lifecircle": geometries in EPSG:4326 with GiST indexes, H3 cells as
// bigint. Every write is one transaction; LoadDataset reads from one
// REPEATABLE READ snapshot, so readers never see half an import.
type Store struct {
	pool *pgxpool.Pool
}

var _ coverage.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a
// key=value connection string) and applies pending schema migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, store.Invalid("PostgreSQL URL: %v", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	err = migrate(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL store %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	cfg.AfterConnect = registerGeometry
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// registerGeometry lets pgx send and receive PostGIS geometry values as
// EWKB bytes: geometry's binary wire format is EWKB.
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid uint32
	if err := conn.QueryRow(ctx, "SELECT 'geometry'::regtype::oid").Scan(&oid); err != nil {
		return fmt.Errorf("PostGIS geometry type: %w", err)
	}
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Close closes every connection.
func (p *Store) Close() error {
	p.pool.Close()
	return nil
}

// toEWKB encodes g for a geometry column (nil for NULL).
func toEWKB(g orb.Geometry) (any, error) {
	if g == nil {
		return nil, nil
	}
	return ewkb.Marshal(store.Normalize(g), store.SRID)
}

func fromEWKB(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	g, _, err := ewkb.Unmarshal(b)
	return g, err
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// write runs fn in one transaction with the context's write note.
func (p *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return recordNote(ctx, tx)
	})
}

func (p *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func exists(ctx context.Context, tx pgx.Tx, query string, args ...any) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, "SELECT EXISTS ("+query+")", args...).Scan(&ok)
	return ok, err
}

func datasetExists(ctx context.Context, tx pgx.Tx, name string) error {
	ok, err := exists(ctx, tx, "SELECT 1 FROM lifecircle.datasets WHERE name = $1", name)
	if err != nil {
		return err
	}
	if !ok {
		return store.DatasetNotFound(name)
	}
	return nil
}

// SaveDataset stores ds and cat in one transaction, replacing any dataset
// of the same name; concurrent saves of one name queue on its row.
func (p *Store) SaveDataset(ctx context.Context, cat *coverage.Catalog, ds *coverage.Dataset) error {
	if err := store.CheckDataset(cat, ds); err != nil {
		return err
	}
	catJSON, err := store.CatalogJSON(cat)
	if err != nil {
		return err
	}
	population := 0.0
	for _, c := range ds.Cells {
		population += c.Population
	}
	report := store.ProgressOf(ctx)
	total := len(ds.Facilities) + len(ds.Cells) + len(ds.Units)
	done := 0
	return p.write(ctx, func(tx pgx.Tx) error {
		// One import at a time. Where a table holds no other dataset, it
		// is loaded the way bulk loads go: its indexes and constraints
		// dropped, the rows copied, then the indexes built in one pass
		// each (see bulkTables).
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(importLock)); err != nil {
			return err
		}
		restore, err := bulkTables(ctx, tx, ds.Name, "facilities", "population_cells", "admin_units")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lifecircle.datasets (name, resolution, population_note, facilities, cells, units, population, catalog, saved, cells_packed)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9)
			ON CONFLICT (name) DO UPDATE SET resolution = excluded.resolution, population_note = excluded.population_note,
				facilities = excluded.facilities, cells = excluded.cells, units = excluded.units,
				population = excluded.population, catalog = excluded.catalog, saved = excluded.saved,
				cells_packed = excluded.cells_packed`,
			ds.Name, ds.Resolution, store.NullStr(ds.PopulationNote), len(ds.Facilities), len(ds.Cells), len(ds.Units), population, catJSON, packCells(ds.Cells)); err != nil {
			return err
		}
		// a replaced dataset loses its old network too; the network given
		// with the dataset (store.WithNetwork) is stored with it
		for _, t := range []string{"facilities", "population_cells", "admin_units", "networks"} {
			if _, err := tx.Exec(ctx, "DELETE FROM lifecircle."+t+" WHERE dataset = $1", ds.Name); err != nil {
				return err
			}
		}
		if n := store.NetworkOf(ctx); n != nil {
			if err := saveNetwork(ctx, tx, ds.Name, *n); err != nil {
				return err
			}
		}
		copyRows := func(table string, cols []string, n int, row func(i int) ([]any, error)) error {
			report(table, done, total)
			return copyRows(ctx, tx, table, cols, n, func(i int) ([]any, error) {
				done++
				if done%store.ProgressEvery == 0 || done == total {
					report(table, done, total)
				}
				return row(i)
			})
		}
		err = copyRows("facilities", []string{"dataset", "seq", "id", "type", "name", "capacity", "status", "plan_year", "geom"}, len(ds.Facilities),
			func(i int) ([]any, error) {
				f := ds.Facilities[i]
				g, err := toEWKB(f.Location)
				return []any{ds.Name, int32(i), f.ID, f.Type, store.NullStr(f.Name), store.NullFloat(f.Capacity), string(f.Status), nullInt32(f.PlanYear), g}, err
			})
		if err != nil {
			return err
		}
		err = copyRows("population_cells", []string{"dataset", "seq", "h3", "population", "geom"}, len(ds.Cells),
			func(i int) ([]any, error) {
				c := ds.Cells[i]
				g, err := toEWKB(orb.Polygon{spatial.Boundary(c.Cell)})
				return []any{ds.Name, int32(i), int64(c.Cell), c.Population, g}, err
			})
		if err != nil {
			return err
		}
		err = copyRows("admin_units", []string{"dataset", "seq", "level", "code", "name", "parent", "geom"}, len(ds.Units),
			func(i int) ([]any, error) {
				u := ds.Units[i]
				var g any
				var err error
				if len(u.Geometry) > 0 {
					g, err = toEWKB(u.Geometry)
				}
				return []any{ds.Name, int32(i), string(u.Level), u.Code, store.NullStr(u.Name), store.NullStr(u.Parent), g}, err
			})
		if err != nil {
			return err
		}
		report("indexes", total, total)
		if err := restore(); err != nil {
			return err
		}
		report("commit", total, total)
		return nil
	})
}

// importLock is the advisory lock key that serialises imports
// ("lcimport" in ASCII).
const importLock = 0x6c63696d706f7274

// bulkTables prepares the tables of the schema for a bulk load of one
// dataset: each table that holds no other dataset's rows is locked
// (readers wait for the commit, then see the new rows) and loses its
// indexes and constraints, which the returned restore recreates from
// their definitions — one sorted build each instead of a million index
// insertions and foreign-key checks. Tables that hold other datasets keep
// their indexes (rebuilding them would cost more than it saves). Dropping
// a foreign key locks the table it references too, so datasets is locked
// first, before the caller has written anything: a reader waits for the
// import and never the other way round. Call it first in the transaction.
func bulkTables(ctx context.Context, tx pgx.Tx, dataset string, tables ...string) (restore func() error, err error) {
	var bulk []string
	for _, t := range tables {
		var others bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM lifecircle."+t+" WHERE dataset < $1) OR EXISTS (SELECT 1 FROM lifecircle."+t+" WHERE dataset > $1)", dataset).Scan(&others); err != nil {
			return nil, err
		}
		if !others {
			bulk = append(bulk, "lifecircle."+t)
		}
	}
	if len(bulk) == 0 {
		return func() error { return nil }, nil
	}
	// in the order readers take them (LoadDataset), all at once
	if _, err := tx.Exec(ctx, "LOCK TABLE lifecircle.datasets, "+strings.Join(bulk, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, err
	}
	type def struct{ table, name, sql string }
	var constraints, indexes []def
	for _, t := range bulk {
		// primary key and unique constraints first, then foreign keys
		rows, _ := tx.Query(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype = 'f', conname`, t)
		cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (def, error) {
			d := def{table: t}
			return d, r.Scan(&d.name, &d.sql)
		})
		if err != nil {
			return nil, err
		}
		rows, _ = tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
			ORDER BY c.relname`, t)
		is, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (def, error) {
			d := def{table: t}
			return d, r.Scan(&d.name, &d.sql)
		})
		if err != nil {
			return nil, err
		}
		constraints, indexes = append(constraints, cs...), append(indexes, is...)
	}
	for i := len(constraints) - 1; i >= 0; i-- { // foreign keys first
		c := constraints[i]
		if _, err := tx.Exec(ctx, "ALTER TABLE "+c.table+" DROP CONSTRAINT "+pgx.Identifier{c.name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX lifecircle."+pgx.Identifier{ix.name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return func() error {
		// index builds sort in memory rather than on disk where they can
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		for _, c := range constraints {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+c.table+" ADD CONSTRAINT "+pgx.Identifier{c.name}.Sanitize()+" "+c.sql); err != nil {
				return fmt.Errorf("restoring %s of %s: %w", c.name, c.table, err)
			}
		}
		for _, ix := range indexes {
			if _, err := tx.Exec(ctx, ix.sql); err != nil {
				return fmt.Errorf("restoring index %s: %w", ix.name, err)
			}
		}
		return nil
	}, nil
}

// copyRows streams n rows into lifecircle.table with COPY. An error making a
// row is returned as it is (pgx would only pass its text to the server).
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) ([]any, error)) error {
	var rowErr error
	i := 0
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"lifecircle", table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		r, err := row(i)
		i++
		if err != nil {
			rowErr = err
		}
		return r, err
	}))
	switch {
	case rowErr != nil:
		return rowErr
	case err != nil:
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

func nullInt32(i int) any {
	if i == 0 {
		return nil
	}
	return int32(i)
}

// splitCells is the number of population cells from which LoadDataset
// reads the facilities and units on a second connection while this one
// reads the cells.
var splitCells = 50_000

// helperStarts runs as the second connection's transaction is about to
// take the snapshot (tests commit a save there).
var helperStarts = func() {}

// LoadDataset reads a dataset and its catalogue from one snapshot.
//
// The cells come from the dataset's packed copy (packed.go). A dataset
// saved before that copy existed has its cells read from their rows: the
// rows are read in the order the table holds them (no ORDER BY: sorting
// a million cells, or walking the seq index to the heap, costs the server
// several times the plain scan) and each is put at its seq; a seq out of
// range or seen twice, or a row missing, is a damaged store. A big
// dataset's facilities and units, and the cells in the last part of the
// table, are read at the same time on a second connection, in the same
// snapshot (pg_export_snapshot): its server process loads PostGIS and
// decodes the geometries while this one scans the first part of the
// cells, which need no PostGIS.
func (p *Store) LoadDataset(ctx context.Context, name string) (*coverage.Catalog, *coverage.Dataset, error) {
	var cat *coverage.Catalog
	ds := &coverage.Dataset{Name: name}
	err := p.read(ctx, func(tx pgx.Tx) error {
		var note *string
		var catJSON, packed []byte
		var nf, nc, nu int
		err := tx.QueryRow(ctx, "SELECT resolution, population_note, catalog, facilities, cells, units, cells_packed FROM lifecircle.datasets WHERE name = $1", name).
			Scan(&ds.Resolution, &note, &catJSON, &nf, &nc, &nu, &packed)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.DatasetNotFound(name)
		}
		if err != nil {
			return err
		}
		if nf < 0 || nc < 0 || nu < 0 {
			return fmt.Errorf("store is damaged: dataset %q should have %d facilities, %d cells, %d units", name, nf, nc, nu)
		}
		ds.PopulationNote = str(note)
		if cat, err = store.ParseCatalog(name, catJSON); err != nil {
			return err
		}
		others := func(tx pgx.Tx) (err error) {
			if ds.Facilities, err = loadFacilities(ctx, tx, name, nf); err != nil {
				return err
			}
			ds.Units, err = loadUnits(ctx, tx, name, nu)
			return err
		}
		if packed != nil {
			// the packed copy (packed.go); a dataset saved before it
			// existed has none and is read from its rows below
			if ds.Cells, err = unpackCells(name, packed, nc); err != nil {
				return err
			}
			return others(tx)
		}
		if nc < splitCells {
			if err := others(tx); err != nil {
				return err
			}
			ds.Cells, err = loadCells(ctx, tx, name, nc)
			return err
		}
		// The helper also reads the cells in the heap's blocks from mid on
		// (a TID range scan); its facilities cost about as much as ten
		// cells each, so this connection takes that many more.
		var blocks int64
		if err := tx.QueryRow(ctx, "SELECT pg_relation_size('lifecircle.population_cells') / current_setting('block_size')::bigint").Scan(&blocks); err != nil {
			return err
		}
		share := min(1, (float64(nc)+10*float64(nf))/2/float64(nc))
		mid := fmt.Sprintf("(%d,0)", int64(float64(blocks)*share))
		// Right after an import the table has no statistics and the
		// planner takes the dataset's index for a few thousand rows: for
		// a dataset that is most of the table (a cell's row is about 200
		// bytes), both connections scan instead.
		scan := func(tx pgx.Tx) error { return nil }
		if int64(nc)*200 >= blocks*8192/3 {
			scan = func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off")
				return err
			}
		}
		if err := scan(tx); err != nil {
			return err
		}
		var snapshot string
		if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
			return err
		}
		cells := newCellLoad(name, nc)
		done := make(chan error, 1)
		go func() {
			done <- p.readSnapshot(ctx, snapshot, func(tx pgx.Tx) error {
				if err := others(tx); err != nil {
					return err
				}
				if err := scan(tx); err != nil {
					return err
				}
				return cells.read(ctx, tx, ">=", mid)
			})
		}()
		err = cells.read(ctx, tx, "<", mid)
		herr := <-done
		if errors.Is(herr, errNoHelper) && err == nil {
			if err := others(tx); err != nil {
				return err
			}
			err = cells.read(ctx, tx, ">=", mid)
		} else if err == nil {
			err = herr
		}
		if err != nil {
			return err
		}
		ds.Cells, err = cells.done()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return cat, ds, nil
}

// errNoHelper: no second connection to be had at once.
var errNoHelper = errors.New("no connection free for a second reader")

// readSnapshot runs fn in a read-only transaction of a second connection
// that sees the snapshot a transaction still open exported. It does not
// wait for a connection when the pool has none to give (the loads holding
// them could be waiting for their own second one): it says errNoHelper.
func (p *Store) readSnapshot(ctx context.Context, snapshot string, fn func(tx pgx.Tx) error) error {
	helperStarts()
	if st := p.pool.Stat(); st.IdleConns() == 0 && st.TotalConns() >= st.MaxConns() {
		return errNoHelper
	}
	actx, cancel := context.WithTimeout(ctx, time.Second)
	conn, err := p.pool.Acquire(actx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errNoHelper
	}
	defer conn.Release()
	return pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
			return err
		}
		return fn(tx)
	})
}

// quoteLiteral quotes s as an SQL string literal (a snapshot id cannot be
// a parameter of SET TRANSACTION SNAPSHOT).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// seqSlots places rows read in any order at their seq in a slice of n:
// put says where row seq goes, or why the store is damaged. Two readers
// may fill one slice at once (each index is given once).
type seqSlots struct {
	what, dataset string
	n             int
	filled        atomic.Int64
	seen          []atomic.Uint64
}

func newSeqSlots(what, dataset string, n int) *seqSlots {
	return &seqSlots{what: what, dataset: dataset, n: n, seen: make([]atomic.Uint64, (n+63)/64)}
}

func (s *seqSlots) put(seq int32) (int, error) {
	i := int(seq)
	if i < 0 || i >= s.n {
		return 0, fmt.Errorf("store is damaged: dataset %q has %d %s; one is numbered %d", s.dataset, s.n, s.what, seq)
	}
	if s.seen[i/64].Or(1<<(i%64))&(1<<(i%64)) != 0 {
		return 0, fmt.Errorf("store is damaged: dataset %q has two %s numbered %d", s.dataset, s.what, seq)
	}
	s.filled.Add(1)
	return i, nil
}

// done checks that every slot was filled and returns the slice (nil for
// none, as a dataset comes).
func done[T any](s *seqSlots, out []T) ([]T, error) {
	if f := s.filled.Load(); f != int64(s.n) {
		return nil, fmt.Errorf("store is damaged: dataset %q should have %d %s; found %d", s.dataset, s.n, s.what, f)
	}
	if s.n == 0 {
		return nil, nil
	}
	return out, nil
}

func loadFacilities(ctx context.Context, tx pgx.Tx, dataset string, n int) ([]coverage.Facility, error) {
	out := make([]coverage.Facility, n)
	slots := newSeqSlots("facilities", dataset, n)
	rows, _ := tx.Query(ctx, `SELECT seq, id, type, name, capacity, status, plan_year, ST_X(geom), ST_Y(geom)
		FROM lifecircle.facilities WHERE dataset = $1`, dataset)
	var seq int32
	var f coverage.Facility
	var fname *string
	var capacity *float64
	var year *int32
	_, err := pgx.ForEachRow(rows, []any{&seq, &f.ID, &f.Type, &fname, &capacity, &f.Status, &year, &f.Location[0], &f.Location[1]}, func() error {
		i, err := slots.put(seq)
		if err != nil {
			return err
		}
		g := f
		g.Name = str(fname)
		if capacity != nil {
			g.Capacity = *capacity
		}
		if year != nil {
			g.PlanYear = int(*year)
		}
		out[i] = g
		f, fname, capacity, year = coverage.Facility{}, nil, nil, nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("facilities: %w", err)
	}
	return done(slots, out)
}

func loadCells(ctx context.Context, tx pgx.Tx, dataset string, n int) ([]coverage.PopulationCell, error) {
	c := newCellLoad(dataset, n)
	if err := c.read(ctx, tx, ""); err != nil {
		return nil, err
	}
	return c.done()
}

// cellLoad puts the cells of a dataset at their seq; its parts may be read
// on two connections at once.
type cellLoad struct {
	out   []coverage.PopulationCell
	slots *seqSlots
	name  string
}

func newCellLoad(dataset string, n int) *cellLoad {
	return &cellLoad{out: make([]coverage.PopulationCell, n), slots: newSeqSlots("population cells", dataset, n), name: dataset}
}

// read reads the cells whose row is in the heap where ctidCond says
// (a condition on ctid with $2, the tid given; "" for all).
func (c *cellLoad) read(ctx context.Context, tx pgx.Tx, ctidCond string, tid ...string) error {
	query, args := "SELECT seq, h3, population FROM lifecircle.population_cells WHERE dataset = $1", []any{c.name}
	if ctidCond != "" {
		query, args = query+" AND ctid "+ctidCond+" $2::tid", append(args, tid[0])
	}
	rows, _ := tx.Query(ctx, query, args...)
	var seq int32
	var h3 int64
	var pop float64
	if _, err := pgx.ForEachRow(rows, []any{&seq, &h3, &pop}, func() error {
		i, err := c.slots.put(seq)
		if err != nil {
			return err
		}
		c.out[i] = coverage.PopulationCell{Cell: spatial.Cell(h3), Population: pop}
		return nil
	}); err != nil {
		return fmt.Errorf("population cells: %w", err)
	}
	return nil
}

func (c *cellLoad) done() ([]coverage.PopulationCell, error) { return done(c.slots, c.out) }

func loadUnits(ctx context.Context, tx pgx.Tx, dataset string, n int) ([]coverage.AdminUnit, error) {
	out := make([]coverage.AdminUnit, n)
	slots := newSeqSlots("admin units", dataset, n)
	rows, _ := tx.Query(ctx, "SELECT seq, level, code, name, parent, geom FROM lifecircle.admin_units WHERE dataset = $1", dataset)
	var seq int32
	var u coverage.AdminUnit
	var uname, parent *string
	var geom []byte
	if _, err := pgx.ForEachRow(rows, []any{&seq, &u.Level, &u.Code, &uname, &parent, &geom}, func() error {
		i, err := slots.put(seq)
		if err != nil {
			return err
		}
		v := coverage.AdminUnit{Level: u.Level, Code: u.Code, Name: str(uname), Parent: str(parent)}
		g, err := fromEWKB(geom)
		if err != nil {
			return fmt.Errorf("admin unit %s: %w", u.Code, err)
		}
		switch g := g.(type) {
		case orb.MultiPolygon:
			if len(g) > 0 {
				v.Geometry = g
			}
		case nil:
		default:
			return fmt.Errorf("admin unit %s: geometry is a %s", u.Code, g.GeoJSONType())
		}
		out[i] = v
		uname, parent, geom = nil, nil, nil
		return nil
	}); err != nil {
		return nil, fmt.Errorf("admin units: %w", err)
	}
	return done(slots, out)
}

// Datasets lists the stored dataset names, sorted.
func (p *Store) Datasets(ctx context.Context) ([]string, error) {
	rows, _ := p.pool.Query(ctx, `SELECT name FROM lifecircle.datasets ORDER BY name COLLATE "C"`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(names) == 0 {
		names = nil
	}
	return names, err
}

// SaveScenario creates or replaces a scenario of a stored dataset; its
// proposals stay.
func (p *Store) SaveScenario(ctx context.Context, s coverage.Scenario) error {
	if err := store.CheckScenario(s); err != nil {
		return err
	}
	changes, err := json.Marshal(store.NonNil(s.Changes))
	if err != nil {
		return err
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		if err := datasetExists(ctx, tx, s.Dataset); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO lifecircle.scenarios (id, dataset, name, author, unit, created, description, changes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET dataset = excluded.dataset, name = excluded.name, author = excluded.author,
				unit = excluded.unit, created = excluded.created, description = excluded.description, changes = excluded.changes`,
			s.ID, s.Dataset, s.Name, store.NullStr(s.Author), store.NullStr(s.Unit), store.Time(s.Created), store.NullStr(s.Description), changes)
		return err
	})
}

const scenarioColumns = "id, dataset, name, author, unit, created, description, changes"

func scanScenario(row pgx.CollectableRow) (coverage.Scenario, error) {
	var s coverage.Scenario
	var author, unit, desc *string
	var changes []byte
	if err := row.Scan(&s.ID, &s.Dataset, &s.Name, &author, &unit, &s.Created, &desc, &changes); err != nil {
		return s, err
	}
	s.Author, s.Unit, s.Description, s.Created = str(author), str(unit), str(desc), s.Created.UTC()
	if err := json.Unmarshal(changes, &s.Changes); err != nil {
		return s, fmt.Errorf("scenario %s: stored changes: %v", s.ID, err)
	}
	if len(s.Changes) == 0 {
		s.Changes = nil
	}
	return s, nil
}

// Scenario returns one scenario.
func (p *Store) Scenario(ctx context.Context, id string) (coverage.Scenario, error) {
	rows, _ := p.pool.Query(ctx, "SELECT "+scenarioColumns+" FROM lifecircle.scenarios WHERE id = $1", id)
	s, err := pgx.CollectExactlyOneRow(rows, scanScenario)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, store.ScenarioNotFound(id)
	}
	return s, err
}

// Scenarios lists the scenarios of a dataset, oldest first.
func (p *Store) Scenarios(ctx context.Context, dataset string) ([]coverage.Scenario, error) {
	var out []coverage.Scenario
	err := p.read(ctx, func(tx pgx.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, "SELECT "+scenarioColumns+" FROM lifecircle.scenarios WHERE dataset = $1 ORDER BY created, seq", dataset)
		var err error
		out, err = pgx.CollectRows(rows, scanScenario)
		return err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// DeleteScenario removes a scenario and (by cascade) its proposals.
func (p *Store) DeleteScenario(ctx context.Context, id string) error {
	return p.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM lifecircle.scenarios WHERE id = $1", id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ScenarioNotFound(id)
		}
		return nil
	})
}

// AddProposal records a proposal of an existing scenario.
func (p *Store) AddProposal(ctx context.Context, pr coverage.Proposal) error {
	if err := store.CheckProposal(pr); err != nil {
		return err
	}
	facilities, err := json.Marshal(store.NonNil(pr.Facilities))
	if err != nil {
		return err
	}
	geom, err := toEWKB(store.Sites(pr.Facilities))
	if err != nil {
		return err
	}
	var shown any
	if len(pr.Shown) > 0 {
		shown = pr.Shown
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO lifecircle.proposals (id, scenario_id, author, unit, created, sites, facilities, shown, geom)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			pr.ID, pr.ScenarioID, store.NullStr(pr.Author), store.NullStr(pr.Unit), store.Time(pr.Created), len(pr.Facilities), facilities, shown, geom)
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "23503": // foreign_key_violation
			return store.ScenarioNotFound(pr.ScenarioID)
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return store.Invalid("proposal id %q already exists", pr.ID)
		}
		return nil
	})
}

// Proposals lists the proposals of a scenario, oldest first.
func (p *Store) Proposals(ctx context.Context, scenarioID string) ([]coverage.Proposal, error) {
	var out []coverage.Proposal
	err := p.read(ctx, func(tx pgx.Tx) error {
		ok, err := exists(ctx, tx, "SELECT 1 FROM lifecircle.scenarios WHERE id = $1", scenarioID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ScenarioNotFound(scenarioID)
		}
		rows, _ := tx.Query(ctx, `SELECT id, scenario_id, author, unit, created, sites, facilities, shown
			FROM lifecircle.proposals WHERE scenario_id = $1 ORDER BY created, seq`, scenarioID)
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (coverage.Proposal, error) {
			var pr coverage.Proposal
			var author, unit *string
			var n int
			var facilities, shown []byte
			if err := row.Scan(&pr.ID, &pr.ScenarioID, &author, &unit, &pr.Created, &n, &facilities, &shown); err != nil {
				return pr, err
			}
			pr.Author, pr.Unit, pr.Created, pr.Shown = str(author), str(unit), pr.Created.UTC(), shown
			if err := json.Unmarshal(facilities, &pr.Facilities); err != nil || len(pr.Facilities) != n {
				return pr, fmt.Errorf("store is damaged: proposal %s: %d sites recorded, facilities %.80q (%v)", pr.ID, n, facilities, err)
			}
			if n == 0 {
				pr.Facilities = nil
			}
			return pr, nil
		})
		return err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// SavePlanItems replaces the plan items of a stored dataset.
func (p *Store) SavePlanItems(ctx context.Context, dataset string, items []coverage.PlanItem) error {
	items, err := store.CheckPlanItems(dataset, items)
	if err != nil {
		return err
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		if err := lockDataset(ctx, tx, dataset); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM lifecircle.plan_items WHERE dataset = $1", dataset); err != nil {
			return err
		}
		return copyRows(ctx, tx, "plan_items", []string{"dataset", "id", "type", "name", "year", "status", "cost", "unit", "geom"}, len(items),
			func(i int) ([]any, error) {
				it := items[i]
				g, err := toEWKB(it.Location)
				return []any{dataset, it.ID, it.Type, store.NullStr(it.Name), int32(it.Year), string(it.Status), store.NullFloat(it.Cost), store.NullStr(it.Unit), g}, err
			})
	})
}

// PlanItems lists the plan items of a dataset by year, then id.
func (p *Store) PlanItems(ctx context.Context, dataset string) ([]coverage.PlanItem, error) {
	var out []coverage.PlanItem
	err := p.read(ctx, func(tx pgx.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT id, type, name, year, status, cost, unit, ST_X(geom), ST_Y(geom)
			FROM lifecircle.plan_items WHERE dataset = $1 ORDER BY year, id COLLATE "C"`, dataset)
		var err error
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (coverage.PlanItem, error) {
			it := coverage.PlanItem{Dataset: dataset}
			var name, unit *string
			var cost *float64
			if err := row.Scan(&it.ID, &it.Type, &name, &it.Year, &it.Status, &cost, &unit, &it.Location[0], &it.Location[1]); err != nil {
				return it, err
			}
			it.Name, it.Unit = str(name), str(unit)
			if cost != nil {
				it.Cost = *cost
			}
			return it, nil
		})
		return err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// SaveLayer stores a computed layer of a stored dataset, replacing the
// previous features of that layer for that dataset.
func (p *Store) SaveLayer(ctx context.Context, dataset, name string, features []coverage.LayerFeature) error {
	if err := store.CheckLayer(dataset, name); err != nil {
		return err
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lifecircle.layers (dataset, name, features, saved) VALUES ($1, $2, $3, now())
			ON CONFLICT (dataset, name) DO UPDATE SET features = excluded.features, saved = excluded.saved`, dataset, name, len(features)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM lifecircle.layer_features WHERE dataset = $1 AND layer = $2", dataset, name); err != nil {
			return err
		}
		return copyRows(ctx, tx, "layer_features", []string{"dataset", "layer", "seq", "feature_id", "properties", "geom"}, len(features),
			func(i int) ([]any, error) {
				f := features[i]
				props, err := store.PropertiesJSON(f.Properties)
				if err != nil {
					return nil, fmt.Errorf("layer %s: feature %d (%s): properties: %v: %w", name, i+1, f.ID, err, coverage.ErrInvalid)
				}
				g, err := toEWKB(f.Geometry)
				if err != nil {
					return nil, fmt.Errorf("layer %s: feature %d (%s): %w", name, i+1, f.ID, err)
				}
				return []any{dataset, name, int32(i), store.NullStr(f.ID), props, g}, nil
			})
	})
}

// Layers lists the layers stored for a dataset, sorted by name.
func (p *Store) Layers(ctx context.Context, dataset string) ([]string, error) {
	var names []string
	err := p.read(ctx, func(tx pgx.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT name FROM lifecircle.layers WHERE dataset = $1 ORDER BY name COLLATE "C"`, dataset)
		var err error
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if len(names) == 0 {
		names = nil
	}
	return names, err
}

// Layer returns the features of a stored layer in saved order.
func (p *Store) Layer(ctx context.Context, dataset, name string) ([]coverage.LayerFeature, error) {
	var out []coverage.LayerFeature
	err := p.read(ctx, func(tx pgx.Tx) error {
		var n int
		err := tx.QueryRow(ctx, "SELECT features FROM lifecircle.layers WHERE dataset = $1 AND name = $2", dataset, name).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.NotFound("layer %q of dataset %q is not in the store", name, dataset)
		}
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, "SELECT feature_id, geom, properties FROM lifecircle.layer_features WHERE dataset = $1 AND layer = $2 ORDER BY seq", dataset, name)
		out = make([]coverage.LayerFeature, 0, n)
		var id *string
		var geom, props []byte
		if _, err := pgx.ForEachRow(rows, []any{&id, &geom, &props}, func() error {
			f := coverage.LayerFeature{ID: str(id)}
			var err error
			if f.Geometry, err = fromEWKB(geom); err != nil {
				return fmt.Errorf("layer %s: feature %s: %w", name, f.ID, err)
			}
			if f.Properties, err = store.DecodeProperties(props); err != nil {
				return err
			}
			out = append(out, f)
			id, geom = nil, nil
			return nil
		}); err != nil {
			return err
		}
		if len(out) != n {
			return fmt.Errorf("store is damaged: layer %s of %s should have %d features, found %d", name, dataset, n, len(out))
		}
		return nil
	})
	return out, err
}

// lockDataset locks a stored dataset's row for the transaction, so writes
// that replace what belongs to it queue (and a replacement of the dataset
// waits, or goes first); a dataset not in the store is a NotFound.
func lockDataset(ctx context.Context, tx pgx.Tx, dataset string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM lifecircle.datasets WHERE name = $1 FOR UPDATE", dataset).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.DatasetNotFound(dataset)
	}
	return err
}
