package gpkgstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"lifecircle/coverage"
	"lifecircle/data/store"
	"lifecircle/spatial"
)

var _ coverage.Store = (*Store)(nil)

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single writer
// connection) and commits; with synchronous=FULL the commit is on disk when
// write returns nil.
func (g *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := g.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := recordNote(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs fn in a read transaction: one consistent snapshot of the file.
func (g *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := g.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return g.damaged(err)
	}
	defer tx.Rollback()
	return g.damaged(fn(tx))
}

// damaged names the cure when SQLite finds a damaged page: Open checks the
// schema and the small tables only, so damage in a big table shows when
// its pages are read.
func (g *Store) damaged(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_CORRUPT || se.Code()&0xff == sqlite3.SQLITE_NOTADB) {
		return fmt.Errorf("GeoPackage store %s is damaged (%w): lifecircle check --store %s reports what is wrong", g.path, err, g.path)
	}
	return err
}

func exists(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

func datasetExists(ctx context.Context, tx *sql.Tx, name string) error {
	ok, err := exists(ctx, tx, "SELECT 1 FROM datasets WHERE name = ?", name)
	if err != nil {
		return err
	}
	if !ok {
		return store.DatasetNotFound(name)
	}
	return nil
}

// SaveDataset stores ds and cat in one transaction, replacing any dataset
// of the same name. Readers see the old dataset until it commits.
func (g *Store) SaveDataset(ctx context.Context, cat *coverage.Catalog, ds *coverage.Dataset) error {
	if err := store.CheckDataset(cat, ds); err != nil {
		return err
	}
	catJSON, err := store.CatalogJSON(cat)
	if err != nil {
		return err
	}
	report := store.ProgressOf(ctx)
	total := len(ds.Facilities) + len(ds.Cells) + len(ds.Units)
	population := 0.0
	for _, c := range ds.Cells {
		population += c.Population
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		// a replaced dataset loses its old network too; the network given
		// with the dataset (store.WithNetwork) is stored with it
		if _, err := tx.ExecContext(ctx, "DELETE FROM lifecircle_networks WHERE dataset = ?", ds.Name); err != nil {
			return err
		}
		if n := store.NetworkOf(ctx); n != nil {
			if err := saveNetwork(ctx, tx, ds.Name, *n); err != nil {
				return err
			}
		}
		before := 0
		progress := func(stage string) func(int) {
			at, prev := before, 0
			return func(done int) {
				if (at+done)/store.ProgressEvery != (at+prev)/store.ProgressEvery || at+done == total {
					report(stage, at+done, total)
				}
				prev = done
			}
		}
		report("facilities", 0, total)
		err := bulkReplace(ctx, tx, bulkRows{table: "facilities", dataset: ds.Name, n: len(ds.Facilities), progress: progress("facilities"),
			cols: []string{"geom", "dataset", "id", "type", "name", "capacity", "status", "plan_year"},
			row: func(i int, dst []any) (envelope, error) {
				f := ds.Facilities[i]
				geom, env := encodeGPPoint(f.Location)
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], dst[6], dst[7] = geom, ds.Name, f.ID, f.Type, store.NullStr(f.Name), store.NullFloat(f.Capacity), string(f.Status), store.NullInt(f.PlanYear)
				return env, nil
			}})
		if err != nil {
			return err
		}
		before += len(ds.Facilities)
		err = bulkReplace(ctx, tx, bulkRows{table: "population_cells", dataset: ds.Name, n: len(ds.Cells), progress: progress("population_cells"),
			cols: []string{"geom", "dataset", "h3", "h3_id", "population"},
			row: func(i int, dst []any) (envelope, error) {
				c := ds.Cells[i]
				geom, env := encodeGPRing(spatial.Boundary(c.Cell))
				dst[0], dst[1], dst[2], dst[3], dst[4] = geom, ds.Name, int64(c.Cell), c.Cell.String(), c.Population
				return env, nil
			}})
		if err != nil {
			return err
		}
		before += len(ds.Cells)
		err = bulkReplace(ctx, tx, bulkRows{table: "admin_units", dataset: ds.Name, n: len(ds.Units), progress: progress("admin_units"),
			cols: []string{"geom", "dataset", "level", "code", "name", "parent"},
			row: func(i int, dst []any) (envelope, error) {
				u := ds.Units[i]
				var geom []byte
				var env envelope
				if len(u.Geometry) > 0 {
					var err error
					if geom, err = encodeGP(u.Geometry); err != nil {
						return env, fmt.Errorf("admin unit %s: %w", u.Code, err)
					}
					if bd := u.Geometry.Bound(); !isEmpty(u.Geometry) {
						env = envelope{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1], true}
					}
				}
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5] = geom, ds.Name, string(u.Level), u.Code, store.NullStr(u.Name), store.NullStr(u.Parent)
				return env, nil
			}})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO datasets (name, resolution, population_note, facilities, cells, units, population, catalog, saved)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET resolution = excluded.resolution, population_note = excluded.population_note,
				facilities = excluded.facilities, cells = excluded.cells, units = excluded.units,
				population = excluded.population, catalog = excluded.catalog, saved = excluded.saved`,
			ds.Name, ds.Resolution, store.NullStr(ds.PopulationNote), len(ds.Facilities), len(ds.Cells), len(ds.Units), population,
			string(catJSON), store.FormatTime(time.Now())); err != nil {
			return err
		}
		for _, t := range []string{"facilities", "population_cells", "admin_units"} {
			if err := touchContents(ctx, tx, t, true); err != nil {
				return err
			}
		}
		report("commit", total, total)
		return touchContents(ctx, tx, "datasets", false)
	})
}

// datasetRows is the FROM clause that reads one dataset's rows of table
// fastest: a plain scan in fid order when the table holds no other
// dataset (one pass over the table; alone says so), else through its
// dataset index.
func datasetRows(ctx context.Context, tx *sql.Tx, table, dataset string) (from string, alone bool, err error) {
	for _, op := range []string{"<", ">"} {
		ok, err := exists(ctx, tx, "SELECT 1 FROM "+quoteIdent(table)+" WHERE dataset "+op+" ? LIMIT 1", dataset)
		if err != nil || ok {
			return quoteIdent(table), false, err
		}
	}
	return quoteIdent(table) + " NOT INDEXED", true, nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// eachRow runs query and calls scan for every row; the rows are always
// closed, and the first error of the query, a scan or the iteration is
// returned.
func eachRow(ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			rows.Close()
			return err
		}
	}
	return closeRows(rows)
}

// queryStrings returns the one text column of every row of query.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	var out []string
	err := eachRow(ctx, q, query, args, func(r *sql.Rows) error {
		var v string
		err := r.Scan(&v)
		out = append(out, v)
		return err
	})
	return out, err
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

func gpPoint(b []byte) (orb.Point, error) {
	h, err := parseGP(b)
	if err != nil {
		return orb.Point{}, err
	}
	if x, y, ok := wkbPoint(h.wkb); ok {
		return orb.Point{x, y}, nil
	}
	g, err := decodeGP(b)
	if err != nil {
		return orb.Point{}, err
	}
	p, ok := g.(orb.Point)
	if !ok {
		return orb.Point{}, fmt.Errorf("geometry is a %s, not a point", g.GeoJSONType())
	}
	return p, nil
}

func gpMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := decodeGP(b)
	if err != nil || g == nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		if len(g) == 0 {
			return nil, nil
		}
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("geometry is a %s, not a (multi)polygon", g.GeoJSONType())
}

// Datasets lists the stored dataset names, sorted.
func (g *Store) Datasets(ctx context.Context) ([]string, error) {
	var names []string
	err := g.read(ctx, func(tx *sql.Tx) (err error) {
		names, err = queryStrings(ctx, tx, "SELECT name FROM datasets ORDER BY name")
		return err
	})
	return names, err
}

// SaveScenario creates or replaces a scenario of a stored dataset; its
// proposals stay.
func (g *Store) SaveScenario(ctx context.Context, s coverage.Scenario) error {
	if err := store.CheckScenario(s); err != nil {
		return err
	}
	changes, err := json.Marshal(store.NonNil(s.Changes))
	if err != nil {
		return err
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, s.Dataset); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scenarios (id, dataset, name, author, unit, created, description, changes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET dataset = excluded.dataset, name = excluded.name, author = excluded.author,
				unit = excluded.unit, created = excluded.created, description = excluded.description, changes = excluded.changes`,
			s.ID, s.Dataset, s.Name, store.NullStr(s.Author), store.NullStr(s.Unit), store.FormatTime(s.Created), store.NullStr(s.Description), string(changes)); err != nil {
			return err
		}
		return touchContents(ctx, tx, "scenarios", false)
	})
}

const scenarioColumns = "id, dataset, name, author, unit, created, description, changes"

func scanScenario(sc interface{ Scan(...any) error }) (coverage.Scenario, error) {
	var s coverage.Scenario
	var author, unit, desc sql.NullString
	var created, changes string
	if err := sc.Scan(&s.ID, &s.Dataset, &s.Name, &author, &unit, &created, &desc, &changes); err != nil {
		return s, err
	}
	s.Author, s.Unit, s.Description = author.String, unit.String, desc.String
	var err error
	if s.Created, err = store.ParseTime(created); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(changes), &s.Changes); err != nil {
		return s, fmt.Errorf("scenario %s: stored changes: %v", s.ID, err)
	}
	if len(s.Changes) == 0 {
		s.Changes = nil
	}
	return s, nil
}

// Scenario returns one scenario.
func (g *Store) Scenario(ctx context.Context, id string) (coverage.Scenario, error) {
	var s coverage.Scenario
	err := g.read(ctx, func(tx *sql.Tx) error {
		var err error
		s, err = scanScenario(tx.QueryRowContext(ctx, "SELECT "+scenarioColumns+" FROM scenarios WHERE id = ?", id))
		if err == sql.ErrNoRows {
			return store.ScenarioNotFound(id)
		}
		return err
	})
	return s, err
}

// Scenarios lists the scenarios of a dataset, oldest first.
func (g *Store) Scenarios(ctx context.Context, dataset string) ([]coverage.Scenario, error) {
	var out []coverage.Scenario
	err := g.read(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+scenarioColumns+" FROM scenarios WHERE dataset = ? ORDER BY created, fid", dataset)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanScenario(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, s)
		}
		return closeRows(rows)
	})
	return out, err
}

// DeleteScenario removes a scenario and its proposals.
func (g *Store) DeleteScenario(ctx context.Context, id string) error {
	return g.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM proposals WHERE scenario_id = ?", id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM scenarios WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = store.ScenarioNotFound(id)
			}
			return err
		}
		if err := touchContents(ctx, tx, "proposals", true); err != nil {
			return err
		}
		return touchContents(ctx, tx, "scenarios", false)
	})
}

// AddProposal records a proposal of an existing scenario. Its sites are the
// feature's multipoint geometry.
func (g *Store) AddProposal(ctx context.Context, p coverage.Proposal) error {
	if err := store.CheckProposal(p); err != nil {
		return err
	}
	facilities, err := json.Marshal(store.NonNil(p.Facilities))
	if err != nil {
		return err
	}
	geom, err := encodeGP(store.Sites(p.Facilities))
	if err != nil {
		return err
	}
	var shown any
	if len(p.Shown) > 0 {
		shown = string(p.Shown)
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, "SELECT 1 FROM scenarios WHERE id = ?", p.ScenarioID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ScenarioNotFound(p.ScenarioID)
		}
		if dup, err := exists(ctx, tx, "SELECT 1 FROM proposals WHERE id = ?", p.ID); err != nil || dup {
			if err == nil {
				err = store.Invalid("proposal id %q already exists", p.ID)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO proposals (geom, id, scenario_id, author, unit, created, sites, facilities, shown)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			geom, p.ID, p.ScenarioID, store.NullStr(p.Author), store.NullStr(p.Unit), store.FormatTime(p.Created), len(p.Facilities), string(facilities), shown); err != nil {
			return err
		}
		return touchContents(ctx, tx, "proposals", true)
	})
}

// Proposals lists the proposals of a scenario, oldest first.
func (g *Store) Proposals(ctx context.Context, scenarioID string) ([]coverage.Proposal, error) {
	var out []coverage.Proposal
	err := g.read(ctx, func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, "SELECT 1 FROM scenarios WHERE id = ?", scenarioID)
		if err != nil {
			return err
		}
		if !ok {
			return store.ScenarioNotFound(scenarioID)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, scenario_id, author, unit, created, sites, facilities, shown
			FROM proposals WHERE scenario_id = ? ORDER BY created, fid`, scenarioID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p coverage.Proposal
			var author, unit, shown sql.NullString
			var created, facilities string
			var n int
			if err := rows.Scan(&p.ID, &p.ScenarioID, &author, &unit, &created, &n, &facilities, &shown); err != nil {
				rows.Close()
				return err
			}
			p.Author, p.Unit = author.String, unit.String
			if shown.Valid {
				p.Shown = []byte(shown.String)
			}
			if p.Created, err = store.ParseTime(created); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(facilities), &p.Facilities); err != nil || len(p.Facilities) != n {
				rows.Close()
				return fmt.Errorf("store is damaged: proposal %s: %d sites recorded, facilities %.80q (%v)", p.ID, n, facilities, err)
			}
			if n == 0 {
				p.Facilities = nil
			}
			out = append(out, p)
		}
		return closeRows(rows)
	})
	return out, err
}

// SavePlanItems replaces the plan items of a stored dataset.
func (g *Store) SavePlanItems(ctx context.Context, dataset string, items []coverage.PlanItem) error {
	items, err := store.CheckPlanItems(dataset, items)
	if err != nil {
		return err
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM plan_items WHERE dataset = ?", dataset); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO plan_items (geom, dataset, id, type, name, year, status, cost, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, it := range items {
			geom, err := encodeGP(it.Location)
			if err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, geom, dataset, it.ID, it.Type, store.NullStr(it.Name), it.Year, string(it.Status), store.NullFloat(it.Cost), store.NullStr(it.Unit)); err != nil {
				return fmt.Errorf("plan item %s: %w", it.ID, err)
			}
		}
		return touchContents(ctx, tx, "plan_items", true)
	})
}

// PlanItems lists the plan items of a dataset by year, then id.
func (g *Store) PlanItems(ctx context.Context, dataset string) ([]coverage.PlanItem, error) {
	var out []coverage.PlanItem
	err := g.read(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT geom, id, type, name, year, status, cost, unit FROM plan_items WHERE dataset = ? ORDER BY year, id`, dataset)
		if err != nil {
			return err
		}
		for rows.Next() {
			it := coverage.PlanItem{Dataset: dataset}
			var geom []byte
			var name, unit sql.NullString
			var cost sql.NullFloat64
			if err := rows.Scan(&geom, &it.ID, &it.Type, &name, &it.Year, &it.Status, &cost, &unit); err != nil {
				rows.Close()
				return err
			}
			it.Name, it.Cost, it.Unit = name.String, cost.Float64, unit.String
			if it.Location, err = gpPoint(geom); err != nil {
				rows.Close()
				return fmt.Errorf("plan item %s: %w", it.ID, err)
			}
			out = append(out, it)
		}
		return closeRows(rows)
	})
	return out, err
}
