package gpkgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"lifecircle/coverage"
	"lifecircle/data/store"
	"lifecircle/spatial"
)

// splitCells is the number of population cells from which LoadDataset
// reads on two connections at once (see load.helper); smaller datasets
// load in well under 0.1 s on one.
var splitCells = 50_000

// datasetHeader is a dataset's row in datasets: what LoadDataset reads
// first, and what proves two read transactions see the same dataset.
type datasetHeader struct {
	resolution int
	note       sql.NullString
	catalog    string
	nf, nc, nu int
	saved      string
}

func readHeader(ctx context.Context, tx *sql.Tx, name string) (datasetHeader, error) {
	var h datasetHeader
	err := tx.QueryRowContext(ctx, "SELECT resolution, population_note, catalog, facilities, cells, units, saved FROM datasets WHERE name = ?", name).
		Scan(&h.resolution, &h.note, &h.catalog, &h.nf, &h.nc, &h.nu, &h.saved)
	if err == sql.ErrNoRows {
		return h, store.DatasetNotFound(name)
	}
	if err == nil && (h.nf < 0 || h.nc < 0 || h.nu < 0) {
		err = fmt.Errorf("store is damaged: dataset %q should have %d facilities, %d cells, %d units", name, h.nf, h.nc, h.nu)
	}
	return h, err
}

// LoadDataset reads a dataset and its catalogue from one snapshot.
//
// A big dataset alone in its tables is read on two reader connections at
// once: this one reads the first part of the cells (by fid), a helper the
// facilities, the units and the rest. SQLite has no shared
// snapshots, so the helper first reads the dataset's row: the only write
// that touches a dataset's rows (SaveDataset) rewrites that row with a new
// saved time, so the same row means the same rows. If it differs — a save
// committed between the two transactions began — this transaction reads
// what the helper would have.
func (g *Store) LoadDataset(ctx context.Context, name string) (*coverage.Catalog, *coverage.Dataset, error) {
	var cat *coverage.Catalog
	ds := &coverage.Dataset{Name: name}
	err := g.read(ctx, func(tx *sql.Tx) error {
		h, err := readHeader(ctx, tx, name)
		if err != nil {
			return err
		}
		ds.Resolution, ds.PopulationNote = h.resolution, h.note.String
		if cat, err = store.ParseCatalog(name, []byte(h.catalog)); err != nil {
			return err
		}
		l := &load{ctx: ctx, name: name, h: h}
		c, split, err := l.cellRange(tx)
		if err != nil {
			return err
		}
		if !split {
			return l.all(tx, ds, c, nil)
		}
		// The helper's facilities cost about as much as ten cells each:
		// this transaction takes that many more cells.
		share := min(1, (float64(h.nc)+10*float64(h.nf))/2/float64(h.nc))
		mid := c.lo + int64(float64(c.hi-c.lo)*share)
		type result struct {
			part datasetPart
			err  error
		}
		done := make(chan result, 1)
		go func() {
			part, err := g.helper(l, cellPart(mid+1, c.hi))
			done <- result{part, err}
		}()
		cells, err := l.cells(tx, make([]coverage.PopulationCell, 0, h.nc), cellPart(c.lo, mid))
		r := <-done
		if err != nil {
			return err
		}
		if errors.Is(r.err, errOtherSnapshot) {
			return l.all(tx, ds, cellPart(mid+1, c.hi), cells)
		}
		if r.err != nil {
			return r.err
		}
		ds.Facilities, ds.Units, ds.Cells = r.part.facilities, r.part.units, append(cells, r.part.cells...)
		return l.check(ds)
	})
	if err != nil {
		return nil, nil, err
	}
	return cat, ds, nil
}

// load is one LoadDataset: the dataset and its header as first read.
type load struct {
	ctx  context.Context
	name string
	h    datasetHeader
}

// datasetPart is what the helper reads.
type datasetPart struct {
	facilities []coverage.Facility
	units      []coverage.AdminUnit
	cells      []coverage.PopulationCell
}

var errOtherSnapshot = errors.New("the dataset changed between the two read transactions")

// helperStarts runs as a helper starts (tests commit a save there).
var helperStarts = func() {}

// helper reads the facilities, the units and the cells c selects in a
// read transaction of its own, if it sees the dataset l saw. It does not
// wait for a reader connection when none is free (the loads holding them
// could be waiting for their own helpers): it says errOtherSnapshot, and
// the load reads on its own.
func (g *Store) helper(l *load, c cellQuery) (datasetPart, error) {
	helperStarts()
	var part datasetPart
	if st := g.r.Stats(); st.MaxOpenConnections > 0 && st.Idle == 0 && st.OpenConnections >= st.MaxOpenConnections {
		return part, errOtherSnapshot
	}
	actx, cancel := context.WithTimeout(l.ctx, time.Second)
	conn, err := g.r.Conn(actx)
	cancel()
	if err != nil {
		if l.ctx.Err() != nil {
			return part, l.ctx.Err()
		}
		return part, errOtherSnapshot
	}
	defer conn.Close()
	tx, err := conn.BeginTx(l.ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return part, g.damaged(err)
	}
	defer tx.Rollback()
	err = func() error {
		h, err := readHeader(l.ctx, tx, l.name)
		if err != nil || h != l.h {
			return errOtherSnapshot
		}
		if part.facilities, err = l.facilities(tx); err != nil {
			return err
		}
		if part.units, err = l.units(tx); err != nil {
			return err
		}
		part.cells, err = l.cells(tx, make([]coverage.PopulationCell, 0, l.h.nc/2+1), c)
		return err
	}()
	return part, g.damaged(err)
}

// all reads what is left of the dataset in tx: the facilities, the units
// and the cells c selects, after those in have (nil for none).
func (l *load) all(tx *sql.Tx, ds *coverage.Dataset, c cellQuery, have []coverage.PopulationCell) error {
	if have == nil {
		have = make([]coverage.PopulationCell, 0, l.h.nc)
	}
	var err error
	if ds.Facilities, err = l.facilities(tx); err != nil {
		return err
	}
	if ds.Cells, err = l.cells(tx, have, c); err != nil {
		return err
	}
	if ds.Units, err = l.units(tx); err != nil {
		return err
	}
	return l.check(ds)
}

// check compares the rows read with the counts recorded at the import;
// an empty part is nil, as in a dataset made by hand.
func (l *load) check(ds *coverage.Dataset) error {
	if len(ds.Facilities) != l.h.nf || len(ds.Cells) != l.h.nc || len(ds.Units) != l.h.nu {
		return fmt.Errorf("store is damaged: dataset %q should have %d facilities, %d cells, %d units; found %d, %d, %d",
			l.name, l.h.nf, l.h.nc, l.h.nu, len(ds.Facilities), len(ds.Cells), len(ds.Units))
	}
	if len(ds.Facilities) == 0 {
		ds.Facilities = nil
	}
	if len(ds.Cells) == 0 {
		ds.Cells = nil
	}
	if len(ds.Units) == 0 {
		ds.Units = nil
	}
	return nil
}

// cellRange says how to read the dataset's cells: a big dataset alone in
// the table is read in two halves of its fids [lo, hi] (the fids then hold
// nothing else), anything else whole.
func (l *load) cellRange(tx *sql.Tx) (c cellQuery, split bool, err error) {
	c.from, c.alone, err = datasetRows(l.ctx, tx, "population_cells", l.name)
	c.lo, c.hi = math.MinInt64, math.MaxInt64
	if err != nil || !c.alone || l.h.nc < splitCells {
		return c, false, err
	}
	var min, max sql.NullInt64
	if err := tx.QueryRowContext(l.ctx, "SELECT min(fid), max(fid) FROM population_cells").Scan(&min, &max); err != nil || !min.Valid {
		return c, false, err
	}
	c.lo, c.hi = min.Int64, max.Int64
	return c, true, nil
}

// cellQuery reads the dataset's cells from a FROM clause (datasetRows),
// only those with fid in [lo, hi] when alone (by the table's rowid).
type cellQuery struct {
	from   string
	alone  bool
	lo, hi int64
}

// cellPart is the query of the cells with fid in [lo, hi], read by a plain
// scan of that range of the table (which may hold other datasets' rows
// beyond it by the time a second transaction reads it).
func cellPart(lo, hi int64) cellQuery {
	return cellQuery{from: quoteIdent("population_cells") + " NOT INDEXED", alone: true, lo: lo, hi: hi}
}

// cells appends the dataset's cells that c selects to out, in fid order,
// collected by lifecircle_collect_cells (collect.go); should the rows not
// come in fid order, it reads them row by row with ORDER BY fid.
func (l *load) cells(tx *sql.Tx, out []coverage.PopulationCell, c cellQuery) ([]coverage.PopulationCell, error) {
	where, args := " WHERE dataset = ?", []any{l.name}
	if c.alone {
		where, args = " WHERE dataset = ? AND fid BETWEEN ? AND ?", []any{l.name, c.lo, c.hi}
	}
	id, sink := newCellSink(out)
	defer dropCellSink(id)
	var n int64
	err := tx.QueryRowContext(l.ctx, "SELECT lifecircle_collect_cells(?, fid, h3, population) FROM "+c.from+where, append([]any{id}, args...)...).Scan(&n)
	switch {
	case err != nil:
		return nil, err
	case errors.Is(sink.err, errCellOrder):
		// out still ends where it did: read row by row after it
	case sink.err != nil:
		return nil, sink.err
	case n != int64(sink.n):
		return nil, fmt.Errorf("lifecircle_collect_cells returned %d and collected %d cells", n, sink.n)
	default:
		return sink.cells, nil
	}
	err = eachRow(l.ctx, tx, "SELECT h3, population FROM "+c.from+where+" ORDER BY fid", args, func(r *sql.Rows) error {
		var h3 int64
		var pop float64
		err := r.Scan(&h3, &pop)
		out = append(out, coverage.PopulationCell{Cell: spatial.Cell(h3), Population: pop})
		return err
	})
	return out, err
}

func (l *load) facilities(tx *sql.Tx) ([]coverage.Facility, error) {
	from, _, err := datasetRows(l.ctx, tx, "facilities", l.name)
	if err != nil {
		return nil, err
	}
	out := make([]coverage.Facility, 0, l.h.nf)
	err = eachRow(l.ctx, tx, "SELECT geom, id, type, name, capacity, status, plan_year FROM "+from+" WHERE dataset = ? ORDER BY fid", []any{l.name},
		func(r *sql.Rows) error {
			var f coverage.Facility
			var geom []byte
			var fname sql.NullString
			var capacity sql.NullFloat64
			var year sql.NullInt64
			if err := r.Scan(&geom, &f.ID, &f.Type, &fname, &capacity, &f.Status, &year); err != nil {
				return err
			}
			var err error
			if f.Location, err = gpPoint(geom); err != nil {
				return fmt.Errorf("facility %s: %w", f.ID, err)
			}
			f.Name, f.Capacity, f.PlanYear = fname.String, capacity.Float64, int(year.Int64)
			out = append(out, f)
			return nil
		})
	return out, err
}

func (l *load) units(tx *sql.Tx) ([]coverage.AdminUnit, error) {
	out := make([]coverage.AdminUnit, 0, l.h.nu)
	err := eachRow(l.ctx, tx, "SELECT geom, level, code, name, parent FROM admin_units WHERE dataset = ? ORDER BY fid", []any{l.name},
		func(r *sql.Rows) error {
			var u coverage.AdminUnit
			var geom []byte
			var uname, parent sql.NullString
			if err := r.Scan(&geom, &u.Level, &u.Code, &uname, &parent); err != nil {
				return err
			}
			u.Name, u.Parent = uname.String, parent.String
			var err error
			if u.Geometry, err = gpMultiPolygon(geom); err != nil {
				return fmt.Errorf("admin unit %s: %w", u.Code, err)
			}
			out = append(out, u)
			return nil
		})
	return out, err
}
