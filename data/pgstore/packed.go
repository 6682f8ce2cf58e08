package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"lifecircle/coverage"
	"lifecircle/data/store"
	"lifecircle/spatial"
)

// The cells of a dataset are stored twice in one transaction: as rows of
// lifecircle.population_cells (with their hexagons, for GIS clients and
// SQL) and packed in the dataset's row (datasets.cells_packed: per cell in
// seq order its H3 id and population, 16 bytes little-endian, stored
// uncompressed out of line). Loading reads the packed copy: one 16 MB
// value for a million cells instead of scanning a 200 MB heap, which on
// the first read after an import also writes every page's hint bits.
// `lifecircle check --pg` compares the two copies.

const packedCellSize = 16

// packCells returns the packed copy of cells.
func packCells(cells []coverage.PopulationCell) []byte {
	out := make([]byte, len(cells)*packedCellSize)
	for i, c := range cells {
		b := out[i*packedCellSize:]
		binary.LittleEndian.PutUint64(b, uint64(c.Cell))
		binary.LittleEndian.PutUint64(b[8:], math.Float64bits(c.Population))
	}
	return out
}

// unpackCells reads a packed copy that should hold n cells; a copy of
// another length is a damaged store.
func unpackCells(dataset string, packed []byte, n int) ([]coverage.PopulationCell, error) {
	if len(packed) != n*packedCellSize {
		return nil, fmt.Errorf("store is damaged: dataset %q should have %d population cells; its packed copy holds %d bytes, not %d", dataset, n, len(packed), n*packedCellSize)
	}
	out := make([]coverage.PopulationCell, n)
	for i := range out {
		b := packed[i*packedCellSize:]
		out[i] = coverage.PopulationCell{
			Cell:       spatial.Cell(binary.LittleEndian.Uint64(b)),
			Population: math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
		}
	}
	return out, nil
}

// checkPacked compares each dataset's packed cells with its rows of
// lifecircle.population_cells (LoadDataset reads only the packed copy).
func (p *Store) checkPacked(ctx context.Context) (store.CheckResult, error) {
	rows, _ := p.pool.Query(ctx, `SELECT name, cells FROM lifecircle.datasets WHERE cells_packed IS NOT NULL ORDER BY name COLLATE "C"`)
	type dataset struct {
		name  string
		cells int
	}
	datasets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dataset, error) {
		var d dataset
		return d, r.Scan(&d.name, &d.cells)
	})
	if err != nil {
		return store.CheckResult{}, err
	}
	var problems []string
	for _, d := range datasets {
		problem, err := p.checkPackedOf(ctx, d.name, d.cells)
		if err != nil {
			return store.CheckResult{}, err
		}
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	return store.CheckResult{What: fmt.Sprintf("the packed cells of each of the %d datasets against their rows", len(datasets)), Problems: problems}, nil
}

// checkPackedOf compares one dataset's two copies of its cells, in one
// snapshot; it returns the first difference ("" when they agree).
func (p *Store) checkPackedOf(ctx context.Context, name string, n int) (string, error) {
	problem := ""
	err := p.read(ctx, func(tx pgx.Tx) error {
		var packed []byte
		if err := tx.QueryRow(ctx, "SELECT cells_packed FROM lifecircle.datasets WHERE name = $1", name).Scan(&packed); err != nil {
			return err
		}
		cells, err := unpackCells(name, packed, n)
		if err != nil {
			problem = err.Error()
			return nil
		}
		rows, _ := tx.Query(ctx, "SELECT seq, h3, population FROM lifecircle.population_cells WHERE dataset = $1", name)
		var seq int32
		var h3 int64
		var pop float64
		seen := 0
		_, err = pgx.ForEachRow(rows, []any{&seq, &h3, &pop}, func() error {
			seen++
			switch {
			case problem != "":
			case seq < 0 || int(seq) >= n:
				problem = fmt.Sprintf("dataset %s: a population cell row is numbered %d of %d", name, seq, n)
			case cells[seq].Cell != spatial.Cell(h3) || cells[seq].Population != pop:
				problem = fmt.Sprintf("dataset %s: population cell %d is %x with %g residents in its row, %x with %g in the packed copy",
					name, seq, h3, pop, uint64(cells[seq].Cell), cells[seq].Population)
			}
			return nil
		})
		if err == nil && problem == "" && seen != n {
			problem = fmt.Sprintf("dataset %s: %d population cell rows, %d packed", name, seen, n)
		}
		return err
	})
	return problem, err
}
