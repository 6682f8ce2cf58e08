package gpkgstore

// Bulk loading of feature tables, the way GDAL loads a GeoPackage: rows
// first, with the R-tree triggers out of the way, and the spatial index
// built afterwards in one go — all inside the caller's transaction, so a
// reader (or a crash) sees the table and its index before or after, never
// between. When the table holds no other dataset's rows, the index is
// written as a packed R-tree straight into its shadow tables (as GDAL's
// sqlite_rtree_bulk_load does); otherwise the new entries are inserted
// into the existing index with one statement.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// envelope is a geometry's XY bounds; ok is false for a NULL or empty
// geometry, which gets no R-tree entry (as the GDAL triggers do).
type envelope struct {
	minx, maxx, miny, maxy float64
	ok                     bool
}

// bulkRows are rows that replace one dataset's rows of a feature table.
type bulkRows struct {
	table   string   // a feature table: fid, geom and an R-tree rtree_<table>_geom
	dataset string   // the value of its dataset column the rows replace
	cols    []string // the columns written, after fid; cols[0] is the geometry
	n       int
	// row fills dst (len(cols) values) for row i and gives its geometry's
	// envelope. It runs on another goroutine than the writes, ahead of them.
	row func(i int, dst []any) (envelope, error)
	// progress, when set, is told how many rows are written, after each batch.
	progress func(done int)
}

// bulkBatch is how many rows one INSERT statement carries.
const bulkBatch = 128

type bulkChunk struct {
	first int // index of the chunk's first row
	args  []any
	env   []envelope
	err   error
}

// bulkReplace deletes the dataset's rows from the table and writes b's
// rows, keeping the table's R-tree exact. The triggers GDAL installs (and
// any other rtree_<table>_geom_* trigger) are dropped for the load and
// recreated from their stored SQL before it returns, in the same
// transaction.
func bulkReplace(ctx context.Context, tx *sql.Tx, b bulkRows) error {
	t := quoteIdent(b.table)
	rtName := "rtree_" + b.table + "_geom"
	rt := quoteIdent(rtName)
	type trigger struct{ name, sql string }
	var triggers []trigger
	err := eachRow(ctx, tx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND substr(name, 1, ?) = ?`,
		[]any{b.table, len(rtName) + 1, rtName + "_"}, func(r *sql.Rows) error {
			var tr trigger
			err := r.Scan(&tr.name, &tr.sql)
			triggers = append(triggers, tr)
			return err
		})
	if err != nil {
		return err
	}
	for _, tr := range triggers {
		if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+quoteIdent(tr.name)); err != nil {
			return err
		}
	}
	// Does the table hold other datasets' rows? (Two range seeks on the
	// dataset index, not a scan.)
	others := false
	for _, op := range []string{"<", ">"} {
		ok, err := exists(ctx, tx, "SELECT 1 FROM "+t+" WHERE dataset "+op+" ? LIMIT 1", b.dataset)
		if err != nil {
			return err
		}
		others = others || ok
	}
	if others {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+rt+" WHERE id IN (SELECT fid FROM "+t+" WHERE dataset = ?)", b.dataset); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE dataset = ?", b.dataset); err != nil {
		return err
	}
	if !others {
		// The table is empty now: start the index afresh if it is not.
		nonEmpty, err := exists(ctx, tx, "SELECT 1 FROM "+quoteIdent(rtName+"_rowid")+" LIMIT 1")
		if err != nil {
			return err
		}
		if nonEmpty {
			if err := execAll(ctx, tx, "DROP TABLE "+rt,
				fmt.Sprintf("CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)", rt)); err != nil {
				return err
			}
		}
	}
	// fids continue after the largest ever given (AUTOINCREMENT's rule).
	var base int64
	if err := tx.QueryRowContext(ctx, `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), coalesce((SELECT max(fid) FROM `+t+`), 0))`,
		b.table).Scan(&base); err != nil {
		return err
	}
	nodeSize := 0 // packs a fresh index when set
	if !others {
		if err := tx.QueryRowContext(ctx, "SELECT length(data) FROM "+quoteIdent(rtName+"_node")+" WHERE nodeno = 1").Scan(&nodeSize); err != nil {
			return fmt.Errorf("spatial index of %s: reading the root node: %w", b.table, err)
		}
	}
	entries, tree, err := bulkInsert(ctx, tx, b, base, nodeSize)
	if err != nil {
		return err
	}
	if tree != nil {
		err = tree.write(ctx, tx, rtName)
	} else {
		err = insertRTree(ctx, tx, rt, entries)
	}
	if err != nil {
		return fmt.Errorf("spatial index of %s: %w", b.table, err)
	}
	for _, tr := range triggers {
		if _, err := tx.ExecContext(ctx, tr.sql); err != nil {
			return err
		}
	}
	return nil
}

// rtreeEntry is one R-tree cell: a fid and its bounds in single precision,
// rounded outwards as SQLite's R-tree rounds them.
type rtreeEntry struct {
	id                     int64
	minx, maxx, miny, maxy float32
	ord                    int32 // position in fid order
}

func down32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// bulkInsert writes the rows with explicit fids base+1, base+2, … in
// multi-row INSERTs; a goroutine makes the rows ahead of the writes. It
// returns the R-tree entries of the rows with a geometry, in fid order,
// and, when nodeSize is set, the packed R-tree of them for nodes of that
// size (built by the same goroutine while the last rows are written).
func bulkInsert(ctx context.Context, tx *sql.Tx, b bulkRows, base int64, nodeSize int) ([]rtreeEntry, *packedTree, error) {
	ncol := len(b.cols) + 1
	stmtFor := func(rows int) string {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + quoteIdent(b.table) + " (fid")
		for _, c := range b.cols {
			sb.WriteString(", " + quoteIdent(c))
		}
		sb.WriteString(") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
		for i := 0; i < rows; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(one)
		}
		return sb.String()
	}
	chunks := make(chan bulkChunk, 8)
	stop := make(chan struct{})
	defer close(stop)
	entries := make([]rtreeEntry, 0, b.n)
	var tree *packedTree
	var treeErr error
	built := make(chan struct{})
	go func() {
		defer close(built)
		defer close(chunks)
		for first := 0; first < b.n; first += bulkBatch {
			k := min(bulkBatch, b.n-first)
			c := bulkChunk{first: first, args: make([]any, k*ncol), env: make([]envelope, k)}
			for j := 0; j < k; j++ {
				row := c.args[j*ncol : (j+1)*ncol]
				row[0] = base + int64(first+j) + 1
				if c.env[j], c.err = b.row(first+j, row[1:]); c.err != nil {
					break
				}
				if e := c.env[j]; e.ok {
					entries = append(entries, rtreeEntry{base + int64(first+j) + 1, down32(e.minx), up32(e.maxx), down32(e.miny), up32(e.maxy), int32(len(entries))})
				}
			}
			select {
			case chunks <- c:
			case <-stop:
				return
			}
			if c.err != nil {
				return
			}
		}
		if nodeSize > 0 {
			tree, treeErr = packRTree(entries, nodeSize)
		}
	}()
	var full *sql.Stmt
	if b.n >= bulkBatch {
		var err error
		if full, err = tx.PrepareContext(ctx, stmtFor(bulkBatch)); err != nil {
			return nil, nil, err
		}
		defer full.Close()
	}
	done := 0
	for c := range chunks {
		if c.err != nil {
			return nil, nil, c.err
		}
		k := len(c.env)
		var err error
		if k == bulkBatch {
			_, err = full.ExecContext(ctx, c.args...)
		} else {
			_, err = tx.ExecContext(ctx, stmtFor(k), c.args...)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s rows %d–%d: %w", b.table, c.first+1, c.first+k, err)
		}
		done += k
		if b.progress != nil {
			b.progress(done)
		}
	}
	if done != b.n {
		return nil, nil, ctx.Err()
	}
	<-built
	return entries, tree, treeErr
}

// insertRTree adds entries to an R-tree that holds others, with SQLite's
// own insertion (one multi-row statement per batch).
func insertRTree(ctx context.Context, tx *sql.Tx, rt string, entries []rtreeEntry) error {
	return batchInsert(ctx, tx, "INSERT INTO "+rt+" (id, minx, maxx, miny, maxy) VALUES ", 5, len(entries), func(i int, dst []any) {
		e := entries[i]
		dst[0], dst[1], dst[2], dst[3], dst[4] = e.id, float64(e.minx), float64(e.maxx), float64(e.miny), float64(e.maxy)
	})
}

// batchInsert runs prefix with n rows of ncol values in multi-row
// statements.
func batchInsert(ctx context.Context, tx *sql.Tx, prefix string, ncol, n int, fill func(i int, dst []any)) error {
	per := max(1, 900/ncol)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
	var full *sql.Stmt
	args := make([]any, per*ncol)
	for first := 0; first < n; first += per {
		k := min(per, n-first)
		for j := 0; j < k; j++ {
			fill(first+j, args[j*ncol:(j+1)*ncol])
		}
		var err error
		if k == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+", ", per), ", ")); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+", ", k), ", "), args[:k*ncol]...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// packedTree is a packed R-tree ready to be written into the shadow
// tables of an empty SQLite R-tree: entries sorted along a Hilbert curve,
// leaves and inner nodes filled, node 1 the root. The node layout is
// SQLite's (rtree.c): every node is as long as the root node already is;
// the root's first two bytes hold the depth, every node's next two the
// number of cells; a cell is a big-endian 64-bit id (a rowid in a leaf, a
// node number above) and four big-endian 32-bit floats.
type packedTree struct {
	nodes   [][]byte // node i+1's blob; nodes[0] is the root
	parents []int64  // parents[i] is the parent of node i+1 (0 for the root)
	entries []rtreeEntry
	leafOf  []int64 // the leaf node of entries[ord]
}

const rtreeCellSize = 8 + 4*4

func packRTree(entries []rtreeEntry, nodeSize int) (*packedTree, error) {
	capacity := (nodeSize - 4) / rtreeCellSize
	if capacity < 2 {
		return nil, fmt.Errorf("root node of %d bytes holds fewer than two cells", nodeSize)
	}
	t := &packedTree{entries: entries, leafOf: make([]int64, len(entries))}
	if len(entries) == 0 {
		return t, nil
	}
	sorted := make([]rtreeEntry, len(entries))
	copy(sorted, entries)
	hilbertSort(sorted)
	// levels bottom up: level l's cells are level l-1's node boxes, their
	// ids the index of the node in its level (numbered once all are known)
	levels := [][][]rtreeEntry{}
	cells := sorted
	for {
		var nodes [][]rtreeEntry
		for i := 0; i < len(cells); i += capacity {
			nodes = append(nodes, cells[i:min(i+capacity, len(cells))])
		}
		levels = append(levels, nodes)
		if len(nodes) == 1 {
			break
		}
		up := make([]rtreeEntry, len(nodes))
		for i, n := range nodes {
			box := n[0]
			for _, c := range n[1:] {
				box.minx, box.maxx = min(box.minx, c.minx), max(box.maxx, c.maxx)
				box.miny, box.maxy = min(box.miny, c.miny), max(box.maxy, c.maxy)
			}
			box.id = int64(i)
			up[i] = box
		}
		cells = up
	}
	depth := len(levels) - 1
	// numbers from the root down: the root is 1
	first := make([]int64, len(levels)) // number of each level's first node
	next := int64(1)
	for l := depth; l >= 0; l-- {
		first[l] = next
		next += int64(len(levels[l]))
	}
	t.nodes = make([][]byte, next-1)
	t.parents = make([]int64, next-1)
	for l := depth; l >= 0; l-- {
		for i, n := range levels[l] {
			number := first[l] + int64(i)
			b := make([]byte, nodeSize)
			if l == depth {
				binary.BigEndian.PutUint16(b[0:], uint16(depth))
			}
			binary.BigEndian.PutUint16(b[2:], uint16(len(n)))
			off := 4
			for _, c := range n {
				id := c.id
				if l > 0 {
					id = first[l-1] + c.id
					t.parents[id-1] = number
				} else {
					t.leafOf[c.ord] = number
				}
				binary.BigEndian.PutUint64(b[off:], uint64(id))
				binary.BigEndian.PutUint32(b[off+8:], math.Float32bits(c.minx))
				binary.BigEndian.PutUint32(b[off+12:], math.Float32bits(c.maxx))
				binary.BigEndian.PutUint32(b[off+16:], math.Float32bits(c.miny))
				binary.BigEndian.PutUint32(b[off+20:], math.Float32bits(c.maxy))
				off += rtreeCellSize
			}
			t.nodes[number-1] = b
		}
	}
	return t, nil
}

// write puts the tree into the shadow tables of the empty R-tree rtName.
func (t *packedTree) write(ctx context.Context, tx *sql.Tx, rtName string) error {
	if len(t.entries) == 0 {
		return nil
	}
	nodeTable, rowidTable, parentTable := quoteIdent(rtName+"_node"), quoteIdent(rtName+"_rowid"), quoteIdent(rtName+"_parent")
	if _, err := tx.ExecContext(ctx, "UPDATE "+nodeTable+" SET data = ? WHERE nodeno = 1", t.nodes[0]); err != nil {
		return err
	}
	rest := len(t.nodes) - 1
	if err := batchInsert(ctx, tx, "INSERT INTO "+nodeTable+" (nodeno, data) VALUES ", 2, rest, func(i int, dst []any) {
		dst[0], dst[1] = int64(i+2), t.nodes[i+1]
	}); err != nil {
		return err
	}
	if err := batchInsert(ctx, tx, "INSERT INTO "+parentTable+" (nodeno, parentnode) VALUES ", 2, rest, func(i int, dst []any) {
		dst[0], dst[1] = int64(i+2), t.parents[i+1]
	}); err != nil {
		return err
	}
	// rowids in fid order: appends to the B-tree
	return batchInsert(ctx, tx, "INSERT INTO "+rowidTable+" (rowid, nodeno) VALUES ", 2, len(t.entries), func(i int, dst []any) {
		dst[0], dst[1] = t.entries[i].id, t.leafOf[i]
	})
}

// hilbertSort orders entries by the Hilbert index of their centres on a
// 2¹⁶ × 2¹⁶ grid over their extent: neighbours on the curve are neighbours
// on the ground, so packed nodes are compact.
func hilbertSort(entries []rtreeEntry) {
	minx, miny := float64(entries[0].minx), float64(entries[0].miny)
	maxx, maxy := float64(entries[0].maxx), float64(entries[0].maxy)
	for _, e := range entries {
		minx, maxx = math.Min(minx, float64(e.minx)), math.Max(maxx, float64(e.maxx))
		miny, maxy = math.Min(miny, float64(e.miny)), math.Max(maxy, float64(e.maxy))
	}
	const side = 1<<16 - 1
	sx, sy := side/math.Max(maxx-minx, 1e-12), side/math.Max(maxy-miny, 1e-12)
	type keyed struct {
		key uint64
		e   rtreeEntry
	}
	ks := make([]keyed, len(entries))
	for i, e := range entries {
		cx := ((float64(e.minx)+float64(e.maxx))/2 - minx) * sx
		cy := ((float64(e.miny)+float64(e.maxy))/2 - miny) * sy
		ks[i] = keyed{hilbert(uint32(cx), uint32(cy)), e}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	for i := range ks {
		entries[i] = ks[i].e
	}
}

// hilbert is the index of (x, y) on the Hilbert curve filling 2¹⁶ × 2¹⁶.
func hilbert(x, y uint32) uint64 {
	const n = 1 << 16
	var d uint64
	for s := uint32(n / 2); s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return d
}
