package gpkgstore

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Loading a million cells row by row costs about twice what SQLite spends
// finding them: every row is a step and two column reads through the
// driver, each taking the connection's mutex, then database/sql's Scan.
// The aggregate lifecircle_collect_cells(sink, fid, h3, population) hands
// the rows to Go inside one step instead: the query returns one row, the
// number collected, and the cells are in the sink the first argument
// names.

// cellSink receives the cells of one query, in fid order.
type cellSink struct {
	cells []coverage.PopulationCell
	n     int   // cells collected
	last  int64 // fid of the last cell
	err   error
}

var (
	sinkSeq atomic.Int64
	sinks   sync.Map // int64 → *cellSink
)

// newCellSink registers a sink for out (cells are appended to it); drop it
// with dropCellSink.
func newCellSink(out []coverage.PopulationCell) (int64, *cellSink) {
	id := sinkSeq.Add(1)
	s := &cellSink{cells: out, last: -1 << 63}
	sinks.Store(id, s)
	return id, s
}

func dropCellSink(id int64) { sinks.Delete(id) }

// errCellOrder: the rows did not come in fid order (the query plans used
// give them so; the caller then reads row by row).
var errCellOrder = errors.New("population cells collected out of fid order")

type cellCollector struct{ sink *cellSink }

func (c *cellCollector) Step(_ *sqlite.FunctionContext, args []driver.Value) error {
	if c.sink == nil {
		id, _ := args[0].(int64)
		s, ok := sinks.Load(id)
		if !ok {
			return fmt.Errorf("lifecircle_collect_cells: no sink %v", args[0])
		}
		c.sink = s.(*cellSink)
	}
	s := c.sink
	if s.err != nil {
		return nil
	}
	fid, ok1 := args[1].(int64)
	h3, ok2 := args[2].(int64)
	var pop float64
	ok3 := true
	switch v := args[3].(type) {
	case float64:
		pop = v
	case int64:
		pop = float64(v)
	default:
		ok3 = false
	}
	switch {
	case !ok1 || !ok2 || !ok3:
		s.err = fmt.Errorf("store is damaged: population cell fid %v: h3 %v (%T), population %v (%T)", args[1], args[2], args[2], args[3], args[3])
	case fid <= s.last:
		s.err = errCellOrder
	default:
		s.last = fid
		s.cells = append(s.cells, coverage.PopulationCell{Cell: spatial.Cell(h3), Population: pop})
		s.n++
	}
	return nil
}

func (c *cellCollector) WindowInverse(*sqlite.FunctionContext, []driver.Value) error {
	return errors.New("lifecircle_collect_cells is not a window function")
}

func (c *cellCollector) WindowValue(*sqlite.FunctionContext) (driver.Value, error) {
	if c.sink == nil {
		return int64(0), nil
	}
	return int64(c.sink.n), nil
}

func (c *cellCollector) Final(*sqlite.FunctionContext) {}

func registerCollectCells() {
	sqlite.MustRegisterFunction("lifecircle_collect_cells", &sqlite.FunctionImpl{
		NArgs: 4,
		MakeAggregate: func(sqlite.FunctionContext) (sqlite.AggregateFunction, error) {
			return &cellCollector{}, nil
		},
	})
}
