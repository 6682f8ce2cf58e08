package gpkgstore

// Cell layers: the per-type coverage and gaps layers hold one feature per
// populated H3 cell, each with the same hexagon and the same per-cell facts
// (population, unit codes) in every layer, and properties of which several
// are the same in every feature of the layer (type, type_name_zh,
// data_quality). Written as one polygon table per layer that is 35 types ×
// 2 layers × every cell, with its R-tree: 200 MB and a minute for the
// Chengdu sample. So a layer whose features are H3 cells is stored instead
// as
//
//   - lifecircle_cells (a feature table with its R-tree): the hexagon,
//     dataset, h3 and the per-cell facts, once per cell of a dataset, shared
//     by every cell layer of it;
//   - lifecircle_cell_values (attributes): one row per feature holding only
//     the properties that vary from feature to feature, as typed columns
//     (k_<property>); the rows of one layer are one fid range;
//   - lifecircle_cell_layers (attributes): one row per (dataset, layer):
//     the fid range, the properties that are the same in every feature as
//     typed columns (k_<property>) and as JSON, and how to rebuild each
//     feature;
//   - a spatial view per layer name, layer_<name> as before, registered in
//     gpkg_contents and gpkg_geometry_columns, whose integer OGC_FID is the
//     value row's fid: GDAL (and QGIS, which reads GeoPackages through GDAL)
//     opens it as a Polygon layer with every property as a typed column,
//     plus dataset, feature_id and properties (JSON) as the tables had.
//
// A layer that is exactly the features of another cell layer of the same
// batch where one property has one value (gaps/T = coverage/T where covered
// is false) keeps no rows of its own: its registry row points at the other
// layer's range with that filter. Layer rebuilds every feature exactly as
// saved. Anything that does not fit (a geometry or per-cell fact that
// differs from the stored cell, mixed value kinds, a property without a
// column name) is stored the general way, one feature table per layer.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

const (
	cellsTable    = "lifecircle_cells"
	valuesTable   = "lifecircle_cell_values"
	registryTable = "lifecircle_cell_layers"
)

// cellKeyDecl are the properties that are facts of the cell, the same in
// every layer: kept once per cell in lifecircle_cells.
var cellKeyDecl = func() map[string]string {
	m := map[string]string{"population": "REAL"}
	for _, l := range coverage.UnitLevels {
		m[string(l)] = "TEXT"
	}
	return m
}()

// migrate5 adds the tables of the cell layers.
func migrate5(ctx context.Context, tx *sql.Tx) error {
	if err := createFeatureTable(ctx, tx, cellsTable, "POLYGON", `
			dataset TEXT NOT NULL,
			h3 TEXT NOT NULL,
			UNIQUE (dataset, h3)`, "lifecircle: the H3 cells of the computed cell layers (coverage, gaps), once per dataset; the layer_* views join them"); err != nil {
		return err
	}
	if err := execAll(ctx, tx,
		fmt.Sprintf(`CREATE TABLE %s (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, cell INTEGER NOT NULL)`, valuesTable),
		fmt.Sprintf(`CREATE TABLE %s (
			fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
			dataset TEXT NOT NULL,
			name TEXT NOT NULL,
			view TEXT NOT NULL,
			first_fid INTEGER NOT NULL,
			last_fid INTEGER NOT NULL,
			filter_column TEXT,
			filter_value TEXT,
			keys TEXT NOT NULL,
			constants TEXT NOT NULL,
			min_x REAL, min_y REAL, max_x REAL, max_y REAL,
			UNIQUE (dataset, name))`, registryTable)); err != nil {
		return err
	}
	if err := registerTable(ctx, tx, valuesTable, "attributes", "lifecircle: per feature of a cell layer, the properties that vary (k_<property>); rows of one layer are one fid range"); err != nil {
		return err
	}
	return registerTable(ctx, tx, registryTable, "attributes", "lifecircle: the cell layers per dataset: fid range, filter, and the properties the same in every feature (k_<property>)")
}

// Layer is one computed layer for SaveLayers.
type Layer struct {
	Name     string
	Features []coverage.LayerFeature
}

// keySpec says where one property of a cell layer lives.
type keySpec struct {
	Key   string `json:"key"`
	Col   string `json:"col"`   // view column; the stored column is the same (cells) or k_<col>
	Place string `json:"place"` // cell, const or var
	Kind  string `json:"kind"`  // bool, num, str, json; "" when only null
	Omit  bool   `json:"omit,omitempty"`
}

const (
	placeCell  = "cell"
	placeConst = "const"
	placeVar   = "var"
)

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return ""
	case bool:
		return "bool"
	case string:
		return "str"
	case float64, float32, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8:
		return "num"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "str"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "num"
	}
	return "json"
}

// kindFits says whether a column declared decl keeps values of kind
// unchanged (a TEXT value in a REAL column would be turned into a number).
func kindFits(decl, kind string) bool {
	switch kind {
	case "":
		return true
	case "bool":
		return decl == "BOOLEAN"
	case "num":
		return decl == "REAL" || decl == "INTEGER"
	}
	return decl == "TEXT"
}

func declOf(kind string) string {
	switch kind {
	case "bool":
		return "BOOLEAN"
	case "num":
		return "REAL"
	}
	return "TEXT"
}

// sameValue compares two property values of one kind.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		s, ok := b.(string)
		return ok && a == s
	case bool:
		x, ok := b.(bool)
		return ok && a == x
	case float64:
		x, ok := b.(float64)
		if ok {
			return a == x
		}
	}
	if kindOf(a) == "num" && kindOf(b) == "num" {
		return toFloat(a) == toFloat(b)
	}
	if kindOf(a) == "json" && kindOf(b) == "json" {
		x, err1 := json.Marshal(a)
		y, err2 := json.Marshal(b)
		return err1 == nil && err2 == nil && string(x) == string(y)
	}
	return false
}

func toFloat(v any) float64 {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	return math.NaN()
}

// cellRow is one stored cell of the dataset.
type cellRow struct {
	fid   int64
	geom  orb.Polygon
	bound orb.Bound
	vals  map[string]any // cell keys present (non-null)
}

// batchLayer is a cell layer saved earlier in the same SaveLayers call.
type batchLayer struct {
	name        string
	first, last int64
	features    []coverage.LayerFeature
	pos         map[string]int
	spec        map[string]*keySpec
	filterCol   string
	filtered    bool
}

// layerWriter saves layers of one dataset in one transaction.
type layerWriter struct {
	ctx       context.Context
	tx        *sql.Tx
	dataset   string
	cells     map[string]*cellRow // loaded on first use
	cellCol   map[string]string   // declared columns of lifecircle_cells
	valCol    map[string]string   // of lifecircle_cell_values
	regCol    map[string]string   // of lifecircle_cell_layers
	batch     []*batchLayer
	views     map[string]bool // views to rebuild at the end
	nullConst map[string]bool // registry columns of properties null in every feature
	touched   map[string]bool // feature tables whose gpkg_contents row to refresh
}

// SaveLayers stores computed layers of a stored dataset in one
// transaction, each replacing the previous features of that layer for that
// dataset. Layers whose features are H3 cells are stored as views over
// shared tables (see above); a layer that is a filter of a cell layer
// earlier in the same call keeps no rows of its own.
func (g *Store) SaveLayers(ctx context.Context, dataset string, layers []Layer) error {
	for _, l := range layers {
		if err := store.CheckLayer(dataset, l.Name); err != nil {
			return err
		}
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		w := &layerWriter{ctx: ctx, tx: tx, dataset: dataset, views: map[string]bool{}, touched: map[string]bool{}, nullConst: map[string]bool{}}
		// The old storage of every layer goes first, so that cells no
		// layer of the dataset uses any more are dropped and stored anew.
		for _, l := range layers {
			if err := w.drop(l.Name); err != nil {
				return err
			}
		}
		if err := w.dropUnusedCells(); err != nil {
			return err
		}
		for _, l := range layers {
			ok, err := w.saveCells(l.Name, l.Features)
			if err != nil {
				return fmt.Errorf("layer %s: %w", l.Name, err)
			}
			if !ok {
				if err := g.saveGeneric(ctx, tx, dataset, l.Name, l.Features, w.touched); err != nil {
					return err
				}
			}
		}
		var nulls []string
		for c := range w.nullConst {
			if _, ok := w.regCol[c]; !ok {
				nulls = append(nulls, c)
			}
		}
		sort.Strings(nulls)
		for _, c := range nulls {
			decl := "TEXT"
			if d, ok := w.valCol[c]; ok {
				decl = d
			}
			if err := execAll(ctx, tx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", registryTable, quoteIdent(c), decl)); err != nil {
				return err
			}
			w.regCol[c] = decl
		}
		views := make([]string, 0, len(w.views))
		for v := range w.views {
			views = append(views, v)
		}
		sort.Strings(views)
		for _, v := range views {
			if err := w.rebuildView(v); err != nil {
				return err
			}
		}
		tables := make([]string, 0, len(w.touched))
		for t := range w.touched {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			if err := touchContents(ctx, tx, t, true); err != nil {
				return err
			}
		}
		return touchContents(ctx, tx, "lifecircle_layers", false)
	})
}

// drop removes the stored features of (dataset, name), wherever they are.
func (w *layerWriter) drop(name string) error {
	ctx, tx := w.ctx, w.tx
	var table string
	err := tx.QueryRowContext(ctx, "SELECT table_name FROM lifecircle_layers WHERE dataset = ? AND name = ?", w.dataset, name).Scan(&table)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	var regFID, first, last int64
	var view string
	err = tx.QueryRowContext(ctx, fmt.Sprintf("SELECT fid, first_fid, last_fid, view FROM %s WHERE dataset = ? AND name = ?", registryTable), w.dataset, name).Scan(&regFID, &first, &last, &view)
	switch {
	case err == sql.ErrNoRows:
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE dataset = ?", quoteIdent(table)), w.dataset); err != nil {
			return err
		}
		w.touched[table] = true
	case err != nil:
		return err
	default:
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE fid = ?", registryTable), regFID); err != nil {
			return err
		}
		// the rows go when no other layer reads them (a filtered view may)
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE fid BETWEEN ?1 AND ?2 AND NOT EXISTS (SELECT 1 FROM %s WHERE first_fid = ?1)`, valuesTable, registryTable),
			first, last); err != nil {
			return err
		}
		w.views[view] = true
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM lifecircle_layers WHERE dataset = ? AND name = ?", w.dataset, name)
	return err
}

// dropUnusedCells drops the dataset's cells when no cell layer of it is
// left, so that a dataset saved anew gets its cells anew.
func (w *layerWriter) dropUnusedCells() error {
	used, err := exists(w.ctx, w.tx, fmt.Sprintf("SELECT 1 FROM %s WHERE dataset = ? LIMIT 1", registryTable), w.dataset)
	if err != nil || used {
		return err
	}
	res, err := w.tx.ExecContext(w.ctx, fmt.Sprintf("DELETE FROM %s WHERE dataset = ?", cellsTable), w.dataset)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		w.touched[cellsTable] = true
	}
	return nil
}

func (w *layerWriter) loadCells() error {
	if w.cells != nil {
		return nil
	}
	var err error
	if w.cellCol, err = tableColumns(w.ctx, w.tx, cellsTable); err != nil {
		return err
	}
	if w.valCol, err = tableColumns(w.ctx, w.tx, valuesTable); err != nil {
		return err
	}
	if w.regCol, err = tableColumns(w.ctx, w.tx, registryTable); err != nil {
		return err
	}
	var keys []string
	for k := range cellKeyDecl {
		if _, ok := w.cellCol[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	cols := "fid, h3, geom"
	for _, k := range keys {
		cols += ", " + quoteIdent(k)
	}
	w.cells = map[string]*cellRow{}
	rows, err := w.tx.QueryContext(w.ctx, fmt.Sprintf("SELECT %s FROM %s WHERE dataset = ?", cols, cellsTable), w.dataset)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]any, 3+len(keys))
	for rows.Next() {
		var c cellRow
		var h3 string
		var geom []byte
		vals := make([]any, len(keys))
		dest[0], dest[1], dest[2] = &c.fid, &h3, &geom
		for i := range keys {
			dest[3+i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		g, err := decodeGP(geom)
		if err != nil {
			return fmt.Errorf("cell %s: %w", h3, err)
		}
		p, ok := g.(orb.Polygon)
		if !ok {
			return fmt.Errorf("store is damaged: cell %s of %s is not a polygon", h3, w.dataset)
		}
		c.geom, c.bound = p, p.Bound()
		c.vals = map[string]any{}
		for i, k := range keys {
			if vals[i] != nil {
				c.vals[k] = fromSQL(vals[i], map[string]string{"REAL": "num", "TEXT": "str"}[cellKeyDecl[k]])
			}
		}
		w.cells[h3] = &c
	}
	return closeRows(rows)
}

// fromSQL turns a stored value back into the property value of its kind,
// as the JSON of the general layout would give it back.
func fromSQL(v any, kind string) any {
	if v == nil {
		return nil
	}
	switch kind {
	case "bool":
		switch x := v.(type) {
		case int64:
			return x != 0
		case float64:
			return x != 0
		}
	case "num":
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		}
	case "str":
		switch x := v.(type) {
		case string:
			return x
		case []byte:
			return string(x)
		}
	case "json":
		var s []byte
		switch x := v.(type) {
		case string:
			s = []byte(x)
		case []byte:
			s = x
		}
		var out any
		if json.Unmarshal(s, &out) == nil {
			return out
		}
	}
	return v
}

func samePolygon(a, b orb.Polygon) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// saveCells stores a layer as a cell layer when it is one; false (and
// nothing written) when it is not.
func (w *layerWriter) saveCells(name string, features []coverage.LayerFeature) (bool, error) {
	if len(features) == 0 {
		return false, nil
	}
	s := &cellSave{w: w, name: name, features: features}
	if !s.areCells() || !s.findSpec() {
		return false, nil
	}
	if err := w.loadCells(); err != nil {
		return false, err
	}
	if !s.kindsFit() || !s.sameCells() {
		return false, nil
	}
	ok, err := s.findView()
	if err != nil || !ok {
		return false, err
	}
	// From here on it is a cell layer.
	if err := s.write(); err != nil {
		return false, err
	}
	return true, nil
}

// cellSave is one layer on its way to being saved as a cell layer: each
// step checks one thing it must be, the last writes it.
type cellSave struct {
	w        *layerWriter
	name     string
	features []coverage.LayerFeature
	pos      map[string]int // feature of each cell
	polys    []orb.Polygon  // the hexagon of each feature
	spec     map[string]*keySpec
	newCells []int  // features whose cells the dataset does not have yet
	view     string // the view of the layer name
}

// areCells says whether every feature is a cell: an id equal to its h3
// property, once, and a polygon.
func (s *cellSave) areCells() bool {
	s.pos = make(map[string]int, len(s.features))
	s.polys = make([]orb.Polygon, len(s.features))
	for i, f := range s.features {
		h3, _ := f.Properties["h3"].(string)
		if f.ID == "" || h3 != f.ID {
			return false
		}
		if _, dup := s.pos[f.ID]; dup {
			return false
		}
		s.pos[f.ID] = i
		p, ok := store.Normalize(f.Geometry).(orb.Polygon)
		if !ok || len(p) == 0 {
			return false
		}
		s.polys[i] = p
	}
	return true
}

// findSpec says where each property lives: as in a layer of the batch
// whose features these are, or from the properties themselves.
func (s *cellSave) findSpec() bool {
	var ok bool
	if s.spec, ok = s.w.sharedSpec(s.features); !ok {
		s.spec, ok = specOf(s.features)
	}
	return ok
}

// kindsFit says whether the stored columns keep each kind as it is.
func (s *cellSave) kindsFit() bool {
	w := s.w
	for _, ks := range s.spec {
		switch ks.Place {
		case placeCell:
			if ks.Key != "h3" {
				if d, ok := w.cellCol[ks.Key]; ok && !kindFits(d, ks.Kind) {
					return false
				}
			}
		case placeConst:
			if d, ok := w.regCol["k_"+strings.ToLower(ks.Col)]; ok && !kindFits(d, ks.Kind) {
				return false
			}
		case placeVar:
			if d, ok := w.valCol["k_"+strings.ToLower(ks.Col)]; ok && !kindFits(d, ks.Kind) {
				return false
			}
		}
	}
	return true
}

// sameCells says whether the stored cells among the features are the same
// (hexagon and per-cell facts) and notes the new ones, to be added.
func (s *cellSave) sameCells() bool {
	for i, f := range s.features {
		c := s.w.cells[f.ID]
		if c == nil {
			s.newCells = append(s.newCells, i)
			continue
		}
		if !samePolygon(c.geom, s.polys[i]) || !s.sameFacts(c, f) {
			return false
		}
	}
	return true
}

// sameFacts says whether feature f has the per-cell facts of stored cell c.
func (s *cellSave) sameFacts(c *cellRow, f coverage.LayerFeature) bool {
	for _, ks := range s.spec {
		if ks.Place != placeCell || ks.Key == "h3" {
			continue
		}
		v, has := f.Properties[ks.Key]
		sv, stored := c.vals[ks.Key]
		if has != stored || has && !sameValue(sv, v) {
			return false
		}
	}
	return true
}

// findView finds the view of the layer name: one per layer name, over the
// rows of every dataset; the places of the properties must agree with
// theirs. false when there is none or they do not agree.
func (s *cellSave) findView() (bool, error) {
	view, others, err := s.w.viewFor(s.name)
	if err != nil || view == "" {
		return false, err
	}
	for _, o := range others {
		for k, ks := range o {
			if mine, ok := s.spec[k]; ok && (mine.Place != ks.Place || mine.Col != ks.Col) {
				return false, nil
			}
		}
	}
	s.view = view
	return true, nil
}

// write stores the new cells, the varying values (none when the layer is
// a filter of one earlier in the batch) and the registry row.
func (s *cellSave) write() error {
	w := s.w
	if err := w.addCells(s.features, s.polys, s.newCells, s.spec); err != nil {
		return err
	}
	bl := &batchLayer{name: s.name, features: s.features, pos: s.pos, spec: s.spec}
	var filterVal any
	if base, col, val, ok := w.filterOf(bl); ok {
		bl.first, bl.last, bl.filtered, bl.filterCol = base.first, base.last, true, col
		filterVal = val
	} else if err := w.addValues(bl); err != nil {
		return err
	}
	if err := w.register(bl, s.view, filterVal); err != nil {
		return err
	}
	if !bl.filtered {
		w.batch = append(w.batch, bl)
	}
	w.views[s.view] = true
	return nil
}

// specOf says of every property of a cell layer's features where it
// lives: a fact of the cell, the same in every feature, or varying; and
// its kind. false when the layer cannot be a cell layer.
func specOf(features []coverage.LayerFeature) (map[string]*keySpec, bool) {
	// What each property is: a fact of the cell, the same everywhere, or
	// varying; its kind.
	type stat struct {
		present, nulls int
		kind           string
		first          any
		constant       bool
		mixed          bool
	}
	stats := map[string]*stat{}
	for _, f := range features {
		for k, v := range f.Properties {
			s := stats[k]
			if s == nil {
				s = &stat{first: v, constant: true}
				stats[k] = s
			}
			s.present++
			kd := kindOf(v)
			if kd == "" {
				s.nulls++
			} else if s.kind == "" {
				s.kind = kd
			} else if s.kind != kd {
				s.mixed = true
			}
			if kd == "num" {
				if x := toFloat(v); math.IsNaN(x) || math.IsInf(x, 0) {
					s.mixed = true // not storable as it was given
				}
			}
			if s.constant && !sameValue(s.first, v) {
				s.constant = false
			}
		}
	}
	spec := map[string]*keySpec{}
	usedCols := map[string]bool{"ogc_fid": true, "geom": true, "dataset": true, "feature_id": true, "properties": true}
	for k, s := range stats {
		if s.mixed {
			return nil, false
		}
		col := columnName(k)
		if k == "h3" {
			col = "h3"
		}
		if col == "" || usedCols[strings.ToLower(col)] {
			return nil, false
		}
		usedCols[strings.ToLower(col)] = true
		ks := &keySpec{Key: k, Col: col, Kind: s.kind}
		switch {
		case k == "h3":
			ks.Place = placeCell
		case cellKeyDecl[k] != "" && s.nulls == 0 && kindFits(cellKeyDecl[k], s.kind) && s.kind != "json":
			ks.Place, ks.Omit = placeCell, true
		case s.constant && s.present == len(features):
			ks.Place = placeConst
		default:
			if s.present < len(features) {
				if s.nulls > 0 {
					return nil, false // absent here, null there: not told apart
				}
				ks.Omit = true
			}
			ks.Place = placeVar
		}
		spec[k] = ks
	}
	return spec, true
}

// sharedSpec is specOf for a layer whose features are features of a cell
// layer saved earlier in the batch, shared (the same property maps), in
// the same order: an analysis's gaps are its coverage's features where
// covered is false. Only the base's varying properties need a look.
func (w *layerWriter) sharedSpec(features []coverage.LayerFeature) (map[string]*keySpec, bool) {
	for i := len(w.batch) - 1; i >= 0; i-- {
		base := w.batch[i]
		ok, last := len(base.features) >= len(features), -1
		for _, f := range features {
			j, found := base.pos[f.ID]
			if !ok || !found || j <= last || reflect.ValueOf(base.features[j].Properties).UnsafePointer() != reflect.ValueOf(f.Properties).UnsafePointer() {
				ok = false
				break
			}
			last = j
		}
		if !ok {
			continue
		}
		spec := make(map[string]*keySpec, len(base.spec))
		for k, bs := range base.spec {
			ks := *bs
			if bs.Place == placeVar {
				first, present := features[0].Properties[k]
				constant := present
				for _, f := range features[1:] {
					if v, has := f.Properties[k]; !has || !sameValue(first, v) {
						constant = false
						break
					}
				}
				if constant {
					ks.Place, ks.Kind, ks.Omit = placeConst, kindOf(first), false
				}
			}
			spec[k] = &ks
		}
		return spec, true
	}
	return nil, false
}

// viewFor is the view of a layer name and the key specs of the other
// datasets' layers in it; "" when the name's table is not a view of ours.
func (w *layerWriter) viewFor(name string) (string, []map[string]*keySpec, error) {
	var view string
	var others []map[string]*keySpec
	err := eachRow(w.ctx, w.tx, fmt.Sprintf("SELECT view, keys FROM %s WHERE name = ? AND dataset != ?", registryTable), []any{name, w.dataset}, func(r *sql.Rows) error {
		var keys string
		if err := r.Scan(&view, &keys); err != nil {
			return err
		}
		var specs []*keySpec
		if err := json.Unmarshal([]byte(keys), &specs); err != nil {
			return fmt.Errorf("store is damaged: cell layer %s: %w", name, err)
		}
		m := map[string]*keySpec{}
		for _, s := range specs {
			m[s.Key] = s
		}
		others = append(others, m)
		return nil
	})
	if err != nil || view != "" {
		return view, others, err
	}
	base := layerTableName(name)
	for _, cand := range []string{base, base + hashSuffix(name), base + hashSuffix(name+"#cells")} {
		var typ string
		err := w.tx.QueryRowContext(w.ctx, "SELECT type FROM sqlite_master WHERE lower(name) = lower(?)", cand).Scan(&typ)
		if err == sql.ErrNoRows && cand != "layer" {
			return cand, nil, nil
		}
		if err != nil && err != sql.ErrNoRows {
			return "", nil, err
		}
		used, err := exists(w.ctx, w.tx, "SELECT 1 FROM lifecircle_layers WHERE table_name = ?", cand)
		if err != nil {
			return "", nil, err
		}
		if used {
			continue
		}
		if typ == "view" { // ours, left without rows: rebuilt
			return cand, nil, nil
		}
		// a table of the general layout that no layer uses any more
		if ok, err := w.dropLayerTable(cand, name); err != nil || ok {
			return cand, nil, err
		}
	}
	return "", nil, nil
}

// dropLayerTable drops an unused feature table of the general layout that
// held layer name, with its R-tree and registrations; false when table is
// not one.
func (w *layerWriter) dropLayerTable(table, name string) (bool, error) {
	ok, err := exists(w.ctx, w.tx, "SELECT 1 FROM gpkg_contents WHERE table_name = ? AND description = ?", table, "lifecircle computed layer "+name)
	if err != nil || !ok {
		return false, err
	}
	for _, t := range []string{"gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"} {
		if _, err := w.tx.ExecContext(w.ctx, "DELETE FROM "+t+" WHERE table_name = ?", table); err != nil {
			return false, err
		}
	}
	delete(w.touched, table)
	return true, execAll(w.ctx, w.tx,
		fmt.Sprintf("DROP TABLE IF EXISTS %s", quoteIdent("rtree_"+table+"_geom")),
		fmt.Sprintf("DROP TABLE %s", quoteIdent(table)))
}

// addCells stores the cells the dataset does not have yet.
func (w *layerWriter) addCells(features []coverage.LayerFeature, polys []orb.Polygon, idx []int, spec map[string]*keySpec) error {
	if len(idx) == 0 {
		return nil
	}
	keys, err := w.cellColumns(spec)
	if err != nil {
		return err
	}
	// GDAL's way for a bulk load: the R-tree's insert trigger is set aside,
	// the rows go in, the R-tree gets their boxes, the trigger comes back.
	trigger, err := w.dropCellsTrigger()
	if err != nil {
		return err
	}
	if err := w.insertCells(features, polys, idx, keys); err != nil {
		return err
	}
	if trigger != "" {
		if err := execAll(w.ctx, w.tx, trigger); err != nil {
			return err
		}
	}
	w.touched[cellsTable] = true
	return nil
}

// cellsRTree is the R-tree of lifecircle_cells.
const cellsRTree = "rtree_" + cellsTable + "_geom"

// cellColumns are the per-cell facts of spec, in order, their columns of
// lifecircle_cells added where missing.
func (w *layerWriter) cellColumns(spec map[string]*keySpec) ([]string, error) {
	var keys []string
	for _, ks := range spec {
		if ks.Place == placeCell && ks.Key != "h3" {
			keys = append(keys, ks.Key)
			if _, ok := w.cellCol[ks.Key]; !ok {
				if err := execAll(w.ctx, w.tx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", cellsTable, quoteIdent(ks.Key), cellKeyDecl[ks.Key])); err != nil {
					return nil, err
				}
				w.cellCol[ks.Key] = cellKeyDecl[ks.Key]
			}
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// dropCellsTrigger drops the R-tree's insert trigger of the cells and
// returns the SQL that makes it again ("" when there was none).
func (w *layerWriter) dropCellsTrigger() (string, error) {
	var trigger string
	err := w.tx.QueryRowContext(w.ctx, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", cellsRTree+"_insert").Scan(&trigger)
	if err != nil && err != sql.ErrNoRows {
		return "", err
	}
	if trigger != "" {
		if err := execAll(w.ctx, w.tx, "DROP TRIGGER "+quoteIdent(cellsRTree+"_insert")); err != nil {
			return "", err
		}
	}
	return trigger, nil
}

// insertCells inserts the cells of features idx with the per-cell facts
// keys, and their boxes into the R-tree, and keeps them in w.cells.
func (w *layerWriter) insertCells(features []coverage.LayerFeature, polys []orb.Polygon, idx []int, keys []string) error {
	ctx, tx := w.ctx, w.tx
	cols := "geom, dataset, h3"
	for _, k := range keys {
		cols += ", " + quoteIdent(k)
	}
	ins, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", cellsTable, cols, strings.TrimSuffix(strings.Repeat("?, ", 3+len(keys)), ", ")))
	if err != nil {
		return err
	}
	defer ins.Close()
	box, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES (?, ?, ?, ?, ?)", quoteIdent(cellsRTree)))
	if err != nil {
		return err
	}
	defer box.Close()
	args := make([]any, 3+len(keys))
	for _, i := range idx {
		f := features[i]
		geom, err := encodeGP(polys[i])
		if err != nil {
			return fmt.Errorf("cell %s: %w", f.ID, err)
		}
		args[0], args[1], args[2] = geom, w.dataset, f.ID
		c := &cellRow{geom: polys[i], bound: polys[i].Bound(), vals: map[string]any{}}
		for j, k := range keys {
			v, ok := f.Properties[k]
			args[3+j] = nil
			if ok {
				args[3+j] = sqlValue(v)
				c.vals[k] = v
			}
		}
		res, err := ins.ExecContext(ctx, args...)
		if err == nil {
			c.fid, err = res.LastInsertId()
		}
		if err != nil {
			return fmt.Errorf("cell %s: %w", f.ID, err)
		}
		// the box is the envelope encodeGP wrote, as ST_MinX… read it
		if _, err := box.ExecContext(ctx, c.fid, c.bound.Min[0], c.bound.Max[0], c.bound.Min[1], c.bound.Max[1]); err != nil {
			return fmt.Errorf("cell %s: spatial index: %w", f.ID, err)
		}
		w.cells[f.ID] = c
	}
	return nil
}

// filterOf finds an earlier layer of the batch whose features where one
// property has one value are exactly bl's, in the same order.
func (w *layerWriter) filterOf(bl *batchLayer) (*batchLayer, string, any, bool) {
	for i := len(w.batch) - 1; i >= 0; i-- {
		base := w.batch[i]
		if len(base.features) < len(bl.features) {
			continue
		}
		// the base's constants are constants of bl with the same values,
		// its varying properties are bl's varying or constant ones
		ok := len(base.spec) == len(bl.spec)
		for k, bs := range base.spec {
			ms := bl.spec[k]
			if !ok || ms == nil || bs.Place == placeCell != (ms.Place == placeCell) || bs.Place == placeConst && ms.Place != placeConst {
				ok = false
				break
			}
			if bs.Place == placeConst && !sameValue(base.features[0].Properties[k], bl.features[0].Properties[k]) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		// every feature of bl is the base's, in order, with equal properties
		last := -1
		for _, f := range bl.features {
			j, found := base.pos[f.ID]
			if !found || j <= last || !sameProps(base.features[j].Properties, f.Properties) {
				ok = false
				break
			}
			last = j
		}
		if !ok {
			continue
		}
		if len(bl.features) == len(base.features) {
			return base, "", nil, true
		}
		// one property constant in bl and varying in the base selects it
		for k, ms := range bl.spec {
			bs := base.spec[k]
			if ms.Place != placeConst || bs.Place != placeVar || ms.Kind == "json" || ms.Kind == "" {
				continue
			}
			v := bl.features[0].Properties[k]
			n := 0
			for _, f := range base.features {
				if x, has := f.Properties[k]; has && sameValue(x, v) {
					n++
				}
			}
			if n == len(bl.features) {
				return base, bs.Col, sqlValue(v), true
			}
		}
	}
	return nil, "", nil, false
}

func sameProps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true // the same map (an analysis's gaps share its coverage's features)
	}
	for k, v := range a {
		x, ok := b[k]
		if !ok || kindOf(v) != kindOf(x) || !sameValue(v, x) {
			return false
		}
	}
	return true
}

// addValues writes the varying properties of every feature, one row each.
func (w *layerWriter) addValues(bl *batchLayer) error {
	keys, cols, err := w.valueColumns(bl)
	if err != nil {
		return err
	}
	// Only the cells, and they are a run of stored cells: copied in SQL.
	if len(keys) == 0 {
		if done, err := w.copyCellRun(bl); err != nil || done {
			return err
		}
	}
	vi, err := w.newValueInserter(bl, cols, 1+len(keys))
	if err != nil {
		return err
	}
	defer vi.full.Close()
	if err := vi.write(keys); err != nil {
		return err
	}
	if bl.last-bl.first+1 != int64(len(bl.features)) {
		return fmt.Errorf("cell layer %s: rows %d–%d are not one range of %d", bl.name, bl.first, bl.last, len(bl.features))
	}
	return nil
}

// valueColumns are the varying properties of bl in column order and the
// column list of their rows, the columns added where missing.
func (w *layerWriter) valueColumns(bl *batchLayer) ([]*keySpec, string, error) {
	var keys []*keySpec
	for _, ks := range bl.spec {
		if ks.Place == placeVar {
			keys = append(keys, ks)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Col < keys[j].Col })
	cols := "cell"
	for _, ks := range keys {
		c := "k_" + strings.ToLower(ks.Col)
		if _, ok := w.valCol[c]; !ok {
			if err := execAll(w.ctx, w.tx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", valuesTable, quoteIdent(c), declOf(ks.Kind))); err != nil {
				return nil, "", err
			}
			w.valCol[c] = declOf(ks.Kind)
		}
		cols += ", " + quoteIdent(c)
	}
	return keys, cols, nil
}

// copyCellRun writes the rows of a layer with no varying property in one
// statement when its cells are a run of stored cells in order; false (and
// nothing written) when they are not.
func (w *layerWriter) copyCellRun(bl *batchLayer) (bool, error) {
	first, last := w.cells[bl.features[0].ID].fid, w.cells[bl.features[len(bl.features)-1].ID].fid
	run := last-first+1 == int64(len(bl.features))
	for i, f := range bl.features {
		run = run && w.cells[f.ID].fid == first+int64(i)
	}
	if !run {
		return false, nil
	}
	res, err := w.tx.ExecContext(w.ctx, fmt.Sprintf("INSERT INTO %s (cell) SELECT fid FROM %s WHERE fid BETWEEN ? AND ? ORDER BY fid", valuesTable, cellsTable), first, last)
	if err != nil {
		return false, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return false, err
	}
	bl.first, bl.last = id-int64(len(bl.features))+1, id
	return true, nil
}

// valuesPerInsert is how many value rows one INSERT writes: the
// per-statement cost dominates small rows.
const valuesPerInsert = 64

// valueInserter writes the value rows of one layer, valuesPerInsert rows a
// statement, and keeps the fid range they got in its batchLayer.
type valueInserter struct {
	w       *layerWriter
	bl      *batchLayer
	cols    string
	width   int       // values a row
	full    *sql.Stmt // the statement of a full batch, prepared once
	args    []any     // the rows not written yet
	started bool      // bl.first is set
}

func (w *layerWriter) newValueInserter(bl *batchLayer, cols string, width int) (*valueInserter, error) {
	vi := &valueInserter{w: w, bl: bl, cols: cols, width: width, args: make([]any, 0, valuesPerInsert*width)}
	full, err := w.tx.PrepareContext(w.ctx, vi.stmt(valuesPerInsert))
	if err != nil {
		return nil, err
	}
	vi.full = full
	return vi, nil
}

// write writes a row per feature of the layer: its cell and the values of
// keys.
func (vi *valueInserter) write(keys []*keySpec) error {
	n := 0
	for _, f := range vi.bl.features {
		vi.args = append(vi.args, vi.w.cells[f.ID].fid)
		for _, ks := range keys {
			vi.args = append(vi.args, sqlValue(f.Properties[ks.Key]))
		}
		if n++; n == valuesPerInsert {
			if err := vi.flush(n); err != nil {
				return fmt.Errorf("feature %s: %w", f.ID, err)
			}
			n = 0
		}
	}
	return vi.flush(n)
}

// stmt is the INSERT of n rows.
func (vi *valueInserter) stmt(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", vi.width), ", ") + ")"
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", valuesTable, vi.cols, strings.TrimSuffix(strings.Repeat(row+", ", n), ", "))
}

// flush writes the n rows in args.
func (vi *valueInserter) flush(n int) error {
	if n == 0 {
		return nil
	}
	var res sql.Result
	var err error
	if n == valuesPerInsert {
		res, err = vi.full.ExecContext(vi.w.ctx, vi.args...)
	} else {
		res, err = vi.w.tx.ExecContext(vi.w.ctx, vi.stmt(n), vi.args...)
	}
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if !vi.started {
		vi.bl.first, vi.started = id-int64(n)+1, true
	}
	vi.bl.last = id
	vi.args = vi.args[:0]
	return nil
}

// register writes the registry row and the lifecircle_layers entry.
func (w *layerWriter) register(bl *batchLayer, view string, filterVal any) error {
	specs := make([]*keySpec, 0, len(bl.spec))
	constants := map[string]any{}
	for _, ks := range bl.spec {
		specs = append(specs, ks)
		if ks.Place == placeConst {
			constants[ks.Key] = bl.features[0].Properties[ks.Key]
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Key < specs[j].Key })
	keysJSON, err := json.Marshal(specs)
	if err != nil {
		return err
	}
	constJSON, err := store.PropertiesJSON(constants)
	if err != nil {
		return fmt.Errorf("properties: %v: %w", err, coverage.ErrInvalid)
	}
	b := w.cells[bl.features[0].ID].bound
	for _, f := range bl.features[1:] {
		b = b.Union(w.cells[f.ID].bound)
	}
	cols := []string{"dataset", "name", "view", "first_fid", "last_fid", "filter_column", "filter_value", "keys", "constants", "min_x", "min_y", "max_x", "max_y"}
	var fc any
	if bl.filterCol != "" {
		fc = "k_" + strings.ToLower(bl.filterCol)
	}
	args := []any{w.dataset, bl.name, view, bl.first, bl.last, fc, filterVal, string(keysJSON), string(constJSON), b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	for _, ks := range specs {
		if ks.Place != placeConst {
			continue
		}
		c := "k_" + strings.ToLower(ks.Col)
		if ks.Kind == "" {
			// only nulls: the column is made at the end, typed as where
			// the property varies in another layer
			w.nullConst[c] = true
			continue
		}
		if _, ok := w.regCol[c]; !ok {
			if err := execAll(w.ctx, w.tx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", registryTable, quoteIdent(c), declOf(ks.Kind))); err != nil {
				return err
			}
			w.regCol[c] = declOf(ks.Kind)
		}
		cols = append(cols, quoteIdent(c))
		args = append(args, sqlValue(constants[ks.Key]))
	}
	if _, err := w.tx.ExecContext(w.ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", registryTable, strings.Join(cols, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")), args...); err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `INSERT INTO lifecircle_layers (dataset, name, table_name, features, saved) VALUES (?, ?, ?, ?, ?)`,
		w.dataset, bl.name, view, len(bl.features), store.FormatTime(time.Now()))
	return err
}

// rebuildView (re)creates a layer view from the registry rows that use it,
// registers it and its extent, or drops it when none is left.
func (w *layerWriter) rebuildView(view string) error {
	if err := w.loadCells(); err != nil {
		return err
	}
	vb := &viewBuild{w: w, view: view}
	if err := vb.readRegistry(); err != nil {
		return err
	}
	if err := vb.drop(); err != nil {
		return err
	}
	if len(vb.rows) == 0 {
		return nil
	}
	if err := vb.readExtent(); err != nil {
		return err
	}
	q := fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM %s r JOIN %s v ON v.fid BETWEEN r.first_fid AND r.last_fid JOIN %s c ON c.fid = v.cell WHERE %s",
		quoteIdent(view), strings.Join(vb.columns(), ", "), registryTable, valuesTable, cellsTable, vb.where())
	if err := execAll(w.ctx, w.tx, q); err != nil {
		return err
	}
	return vb.register()
}

// viewBuild is one layer view being made anew from the registry rows of
// every dataset's layer of that name.
type viewBuild struct {
	w                      *layerWriter
	view, name             string
	rows                   []viewRegRow
	minx, miny, maxx, maxy sql.NullFloat64
}

// viewRegRow is a registry row of a view's layer.
type viewRegRow struct {
	fid       int64
	filterCol sql.NullString
	specs     []*keySpec
}

// readRegistry reads the registry rows of the view, in fid order.
func (vb *viewBuild) readRegistry() error {
	return eachRow(vb.w.ctx, vb.w.tx, fmt.Sprintf("SELECT fid, name, filter_column, keys FROM %s WHERE view = ? ORDER BY fid", registryTable), []any{vb.view}, func(r *sql.Rows) error {
		var rr viewRegRow
		var keys string
		if err := r.Scan(&rr.fid, &vb.name, &rr.filterCol, &keys); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(keys), &rr.specs); err != nil {
			return err
		}
		vb.rows = append(vb.rows, rr)
		return nil
	})
}

// drop drops the view and its registrations.
func (vb *viewBuild) drop() error {
	for _, s := range []string{
		fmt.Sprintf("DROP VIEW IF EXISTS %s", quoteIdent(vb.view)),
		"DELETE FROM gpkg_geometry_columns WHERE table_name = " + quoteString(vb.view),
		"DELETE FROM gpkg_contents WHERE table_name = " + quoteString(vb.view),
	} {
		if err := execAll(vb.w.ctx, vb.w.tx, s); err != nil {
			return err
		}
	}
	return nil
}

// readExtent reads the extent of every layer of the view.
func (vb *viewBuild) readExtent() error {
	return vb.w.tx.QueryRowContext(vb.w.ctx, fmt.Sprintf("SELECT min(min_x), min(min_y), max(max_x), max(max_y) FROM %s WHERE view = ?", registryTable), vb.view).
		Scan(&vb.minx, &vb.miny, &vb.maxx, &vb.maxy)
}

// specs is every property of any dataset's layer, in key order.
func (vb *viewBuild) specs() []*keySpec {
	all := map[string]*keySpec{}
	for _, r := range vb.rows {
		for _, s := range r.specs {
			if all[s.Key] == nil || all[s.Key].Kind == "" {
				all[s.Key] = s
			}
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	specs := make([]*keySpec, len(keys))
	for i, k := range keys {
		specs[i] = all[k]
	}
	return specs
}

// columns is the select list of the view: OGC_FID, geom, dataset,
// feature_id, a typed column per property and the properties as JSON.
func (vb *viewBuild) columns() []string {
	sel := []string{"v.fid AS OGC_FID", "c.geom AS geom", "r.dataset AS dataset", "c.h3 AS feature_id"}
	var jsonArgs []string
	for _, s := range vb.specs() {
		expr := vb.w.viewExpr(s)
		sel = append(sel, expr+" AS "+quoteIdent(s.Col))
		switch s.Kind {
		case "bool":
			expr = fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL WHEN %s THEN json('true') ELSE json('false') END", expr, expr)
		case "json":
			expr = fmt.Sprintf("json(%s)", expr)
		}
		jsonArgs = append(jsonArgs, quoteString(s.Key), expr)
	}
	return append(sel, "json_object("+strings.Join(jsonArgs, ", ")+") AS properties")
}

// viewExpr is where a view reads property s: the cell (c), the registry
// row (r) or the value row (v); NULL where no layer stored it.
func (w *layerWriter) viewExpr(s *keySpec) string {
	switch s.Place {
	case placeCell:
		if s.Key == "h3" {
			return "c.h3"
		}
		return "c." + quoteIdent(s.Key)
	case placeConst:
		if _, ok := w.regCol["k_"+strings.ToLower(s.Col)]; ok {
			return "r." + quoteIdent("k_"+strings.ToLower(s.Col))
		}
	case placeVar:
		if _, ok := w.valCol["k_"+strings.ToLower(s.Col)]; ok {
			return "v." + quoteIdent("k_"+strings.ToLower(s.Col))
		}
	}
	return "NULL"
}

// where selects the value rows of each registry row (with its filter).
func (vb *viewBuild) where() string {
	var where []string
	for _, r := range vb.rows {
		if r.filterCol.Valid {
			where = append(where, fmt.Sprintf("(r.fid = %d AND v.%s IS (SELECT filter_value FROM %s WHERE fid = %d))", r.fid, quoteIdent(r.filterCol.String), registryTable, r.fid))
		} else {
			where = append(where, fmt.Sprintf("r.fid = %d", r.fid))
		}
	}
	return strings.Join(where, " OR ")
}

// register registers the view as a feature table with its extent.
func (vb *viewBuild) register() error {
	ctx, tx := vb.w.ctx, vb.w.tx
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id, min_x, min_y, max_x, max_y)
		VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?)`, vb.view, vb.view, "lifecircle computed layer "+vb.name+" (a view of the cells and their values)", srsWGS84, vb.minx, vb.miny, vb.maxx, vb.maxy); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, 'geom', 'POLYGON', ?, 0, 0)`, vb.view, srsWGS84)
	return err
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// cellLayer reads a cell layer back exactly as it was saved, or reports
// false when (dataset, name) is not one.
func (g *Store) cellLayer(ctx context.Context, tx *sql.Tx, dataset, name string) ([]coverage.LayerFeature, bool, error) {
	var first, last int64
	var filterCol sql.NullString
	var filterVal any
	var keys, consts string
	err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT first_fid, last_fid, filter_column, filter_value, keys, constants FROM %s WHERE dataset = ? AND name = ?", registryTable), dataset, name).
		Scan(&first, &last, &filterCol, &filterVal, &keys, &consts)
	if err == sql.ErrNoRows {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var specs []*keySpec
	if err := json.Unmarshal([]byte(keys), &specs); err != nil {
		return nil, false, fmt.Errorf("store is damaged: cell layer %s: %w", name, err)
	}
	constants, err := store.DecodeProperties([]byte(consts))
	if err != nil {
		return nil, false, err
	}
	sel := []string{"c.h3", "c.geom"}
	var read []*keySpec
	for _, s := range specs {
		switch s.Place {
		case placeCell:
			if s.Key != "h3" {
				sel = append(sel, "c."+quoteIdent(s.Key))
				read = append(read, s)
			}
		case placeVar:
			sel = append(sel, "v."+quoteIdent("k_"+strings.ToLower(s.Col)))
			read = append(read, s)
		}
	}
	q := fmt.Sprintf("SELECT %s FROM %s v JOIN %s c ON c.fid = v.cell WHERE v.fid BETWEEN ? AND ?", strings.Join(sel, ", "), valuesTable, cellsTable)
	args := []any{first, last}
	if filterCol.Valid {
		q += " AND v." + quoteIdent(filterCol.String) + " IS ?"
		args = append(args, filterVal)
	}
	rows, err := tx.QueryContext(ctx, q+" ORDER BY v.fid", args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []coverage.LayerFeature
	dest := make([]any, len(sel))
	vals := make([]any, len(read))
	var h3 string
	var geom []byte
	dest[0], dest[1] = &h3, &geom
	for i := range read {
		dest[2+i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, false, err
		}
		props := make(map[string]any, len(specs))
		for _, s := range specs {
			switch s.Place {
			case placeConst:
				props[s.Key] = constants[s.Key]
			case placeCell:
				if s.Key == "h3" {
					props["h3"] = h3
				}
			}
		}
		for i, s := range read {
			if vals[i] == nil && s.Omit {
				continue
			}
			props[s.Key] = fromSQL(vals[i], s.Kind)
		}
		f := coverage.LayerFeature{ID: h3, Properties: props}
		if f.Geometry, err = decodeGP(geom); err != nil {
			return nil, false, fmt.Errorf("layer %s: cell %s: %w", name, h3, err)
		}
		out = append(out, f)
	}
	return out, true, closeRows(rows)
}
