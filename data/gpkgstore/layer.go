package gpkgstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

// Computed layers live one feature table per layer name ("gaps/kindergarten"
// → layer_gaps_kindergarten), shared by the datasets that have that layer
// (a dataset column tells them apart). Each table has the feature id, every
// property as a typed column GIS tools can filter and style on, and the
// properties as JSON (what Layer gives back, exactly as saved).
// lifecircle_layers maps (dataset, layer name) to the table.

var layerReserved = map[string]bool{"fid": true, "geom": true, "dataset": true, "feature_id": true, "properties": true}

// layerTableName is the table for a layer name: "layer_" and the name in
// lower-case letters, digits and underscores.
func layerTableName(name string) string {
	var b strings.Builder
	b.WriteString("layer_")
	under := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	s := strings.TrimRight(b.String(), "_")
	if len(s) > 56 {
		s = s[:56]
	}
	return s
}

func hashSuffix(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("_%08x", h.Sum32())
}

// columnName is the column of a property key ("" when it has none).
func columnName(key string) string {
	var b strings.Builder
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || strings.Trim(s, "_") == "" || len(s) > 60 {
		return ""
	}
	if layerReserved[strings.ToLower(s)] || s[0] >= '0' && s[0] <= '9' {
		s = "p_" + s
	}
	return s
}

func geomTypeName(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point:
		return "POINT"
	case orb.MultiPoint:
		return "MULTIPOINT"
	case orb.LineString:
		return "LINESTRING"
	case orb.MultiLineString:
		return "MULTILINESTRING"
	case orb.Polygon, orb.Ring, orb.Bound:
		return "POLYGON"
	case orb.MultiPolygon:
		return "MULTIPOLYGON"
	}
	return "GEOMETRY"
}

// sqlType is the column type a property value asks for ("" for null).
func sqlType(v any) string {
	if v == nil {
		return ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return "BOOLEAN"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "INTEGER"
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return "INTEGER"
		}
		return "REAL"
	case reflect.String:
		return "TEXT"
	}
	return "TEXT" // lists and objects as JSON
}

func mergeType(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	case b == "":
		return a
	case (a == "INTEGER" || a == "REAL") && (b == "INTEGER" || b == "REAL"):
		return "REAL"
	}
	return "TEXT"
}

// sqlValue is a property value as SQLite stores it.
func sqlValue(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		if rv.Bool() {
			return int64(1)
		}
		return int64(0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u)
		}
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.String:
		return rv.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// SaveLayer stores a computed layer of a stored dataset, replacing the
// previous features of that layer for that dataset (SaveLayers with one).
func (g *Store) SaveLayer(ctx context.Context, dataset, name string, features []coverage.LayerFeature) error {
	return g.SaveLayers(ctx, dataset, []Layer{{Name: name, Features: features}})
}

// saveGeneric stores a layer the general way: a feature table per layer
// name with every property as a column and the properties as JSON. The
// previous features of (dataset, name) are already gone.
func (g *Store) saveGeneric(ctx context.Context, tx *sql.Tx, dataset, name string, features []coverage.LayerFeature, touched map[string]bool) error {
	// What the features need: a geometry type, columns and their types.
	geomType := ""
	types := map[string]string{}
	for _, f := range features {
		if f.Geometry != nil {
			t := geomTypeName(store.Normalize(f.Geometry))
			if geomType == "" {
				geomType = t
			} else if geomType != t {
				geomType = "GEOMETRY"
			}
		}
		for k, v := range f.Properties {
			types[k] = mergeType(types[k], sqlType(v))
		}
	}
	if geomType == "" {
		geomType = "GEOMETRY"
	}
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// a new table is made with every column at once: each ALTER TABLE
	// re-reads and checks the whole schema
	var defs []string
	seen := map[string]bool{}
	for _, k := range keys {
		if c := columnName(k); c != "" && !seen[strings.ToLower(c)] {
			seen[strings.ToLower(c)] = true
			t := types[k]
			if t == "" {
				t = "TEXT"
			}
			defs = append(defs, quoteIdent(c)+" "+t)
		}
	}
	table, err := g.layerTable(ctx, tx, name, geomType, defs)
	if err != nil {
		return err
	}
	have, err := tableColumns(ctx, tx, table)
	if err != nil {
		return err
	}
	cols := []string{"geom", "dataset", "feature_id", "properties"}
	var propKeys []string
	used := map[string]bool{}
	for _, k := range keys {
		c := columnName(k)
		if c == "" || used[strings.ToLower(c)] {
			continue // kept in the JSON only
		}
		used[strings.ToLower(c)] = true
		if _, ok := have[strings.ToLower(c)]; !ok {
			t := types[k]
			if t == "" {
				t = "TEXT"
			}
			if err := execAll(ctx, tx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", quoteIdent(table), quoteIdent(c), t)); err != nil {
				return err
			}
		}
		cols = append(cols, quoteIdent(c))
		propKeys = append(propKeys, k)
	}
	ins, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", quoteIdent(table),
		strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")))
	if err != nil {
		return err
	}
	defer ins.Close()
	args := make([]any, len(cols))
	for i, f := range features {
		geom, err := encodeGP(store.Normalize(f.Geometry))
		if err != nil {
			return fmt.Errorf("layer %s: feature %d (%s): %w", name, i+1, f.ID, err)
		}
		props, err := store.PropertiesJSON(f.Properties)
		if err != nil {
			return fmt.Errorf("layer %s: feature %d (%s): properties: %v: %w", name, i+1, f.ID, err, coverage.ErrInvalid)
		}
		args[0], args[1], args[2], args[3] = geom, dataset, store.NullStr(f.ID), string(props)
		for j, k := range propKeys {
			args[4+j] = sqlValue(f.Properties[k])
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("layer %s: feature %d (%s): %w", name, i+1, f.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lifecircle_layers (dataset, name, table_name, features, saved) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (dataset, name) DO UPDATE SET table_name = excluded.table_name, features = excluded.features, saved = excluded.saved`,
		dataset, name, table, len(features), store.FormatTime(time.Now())); err != nil {
		return err
	}
	touched[table] = true
	return nil
}

// layerTable returns the table of a layer name, creating it (or widening
// its declared geometry type) as needed.
func (g *Store) layerTable(ctx context.Context, tx *sql.Tx, name, geomType string, columns []string) (string, error) {
	var table string
	// a table (not a view of cell layers) that holds this layer for some
	// dataset, or that held it and is empty now
	err := tx.QueryRowContext(ctx, `SELECT l.table_name FROM lifecircle_layers l JOIN sqlite_master m ON m.name = l.table_name AND m.type = 'table'
		WHERE l.name = ? LIMIT 1`, name).Scan(&table)
	if err == sql.ErrNoRows {
		err = tx.QueryRowContext(ctx, `SELECT c.table_name FROM gpkg_contents c JOIN sqlite_master m ON m.name = c.table_name AND m.type = 'table'
			WHERE c.description = ? ORDER BY length(c.table_name) LIMIT 1`, "lifecircle computed layer "+name).Scan(&table)
	}
	if err == nil {
		var declared string
		if err := tx.QueryRowContext(ctx, "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?", table).Scan(&declared); err != nil {
			return "", fmt.Errorf("layer %s: table %s is not registered: %w", name, table, err)
		}
		if declared != geomType && declared != "GEOMETRY" {
			_, err := tx.ExecContext(ctx, "UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY' WHERE table_name = ?", table)
			return table, err
		}
		return table, nil
	}
	if err != sql.ErrNoRows {
		return "", err
	}
	table = layerTableName(name)
	taken, err := exists(ctx, tx, "SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)", table)
	if err != nil {
		return "", err
	}
	if taken || table == "layer" {
		table += hashSuffix(name)
	}
	if err := createFeatureTable(ctx, tx, table, geomType, strings.Join(append([]string{"dataset TEXT NOT NULL, feature_id TEXT, properties TEXT NOT NULL"}, columns...), ", "),
		"lifecircle computed layer "+name); err != nil {
		return "", err
	}
	return table, execAll(ctx, tx, fmt.Sprintf("CREATE INDEX %s ON %s (dataset)", quoteIdent(table+"_dataset"), quoteIdent(table)))
}

func tableColumns(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	cols := map[string]string{}
	err := eachRow(ctx, tx, "SELECT name, type FROM pragma_table_info(?)", []any{table}, func(r *sql.Rows) error {
		var n, t string
		err := r.Scan(&n, &t)
		cols[strings.ToLower(n)] = t
		return err
	})
	return cols, err
}

// Layers lists the layers stored for a dataset, sorted by name.
func (g *Store) Layers(ctx context.Context, dataset string) ([]string, error) {
	var names []string
	err := g.read(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		var err error
		names, err = queryStrings(ctx, tx, "SELECT name FROM lifecircle_layers WHERE dataset = ? ORDER BY name", dataset)
		return err
	})
	return names, err
}

// Layer returns the features of a stored layer in saved order.
func (g *Store) Layer(ctx context.Context, dataset, name string) ([]coverage.LayerFeature, error) {
	var out []coverage.LayerFeature
	err := g.read(ctx, func(tx *sql.Tx) error {
		var table string
		var n int
		err := tx.QueryRowContext(ctx, "SELECT table_name, features FROM lifecircle_layers WHERE dataset = ? AND name = ?", dataset, name).Scan(&table, &n)
		if err == sql.ErrNoRows {
			return store.NotFound("layer %q of dataset %q is not in the store", name, dataset)
		}
		if err != nil {
			return err
		}
		fs, ok, err := g.cellLayer(ctx, tx, dataset, name)
		if err != nil {
			return err
		}
		if ok {
			if len(fs) != n {
				return fmt.Errorf("store is damaged: layer %s of %s should have %d features, found %d", name, dataset, n, len(fs))
			}
			out = fs
			return nil
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT feature_id, geom, properties FROM %s WHERE dataset = ? ORDER BY fid", quoteIdent(table)), dataset)
		if err != nil {
			return err
		}
		out = make([]coverage.LayerFeature, 0, n)
		for rows.Next() {
			var id sql.NullString
			var geom []byte
			var props string
			if err := rows.Scan(&id, &geom, &props); err != nil {
				rows.Close()
				return err
			}
			f := coverage.LayerFeature{ID: id.String}
			if f.Geometry, err = decodeGP(geom); err != nil {
				rows.Close()
				return fmt.Errorf("layer %s: feature %s: %w", name, f.ID, err)
			}
			if f.Properties, err = store.DecodeProperties([]byte(props)); err != nil {
				rows.Close()
				return err
			}
			out = append(out, f)
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		if len(out) != n {
			return fmt.Errorf("store is damaged: layer %s of %s should have %d features, found %d", name, dataset, n, len(out))
		}
		return nil
	})
	return out, err
}
