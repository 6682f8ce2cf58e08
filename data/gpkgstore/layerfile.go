package gpkgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"

	"lifecircle/coverage/collection"
	"lifecircle/data/store"
)

// WriteCollectionFile writes features of a collection as a new, plain
// GeoPackage 1.3 file at path (refused if it exists): one feature table
// named after the collection (table), the GeoPackage core tables and the
// R-tree spatial index, nothing of a lifecircle store. Columns follow the
// collection's property schema (integer, real, boolean, text; lists as
// JSON text); the fid is the feature's OGC API id, so `ogrinfo -fid N`
// and /ogc/collections/{id}/items/N name the same feature. It is written
// without syncing (a download, not a store) and left in rollback-journal
// mode: one self-contained file.
func WriteCollectionFile(ctx context.Context, path, table string, col *collection.Collection, features []collection.Feature) error {
	registerGPFunctions()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(abs, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; not overwriting it", path)
		}
		return err
	}
	f.Close()
	db, err := sql.Open("sqlite", fileURI(abs, "_pragma=journal_mode(MEMORY)", "_pragma=synchronous(OFF)", "_pragma=temp_store(MEMORY)"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, coreSQL); err != nil {
		return err
	}
	geomType := strings.ToUpper(col.GeometryType)
	switch geomType {
	case "POINT", "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON":
	default:
		geomType = "GEOMETRY"
	}
	var defs, cols []string
	var keys []string
	used := map[string]bool{}
	for _, p := range col.Properties {
		c := columnName(p.Name)
		if c == "" || used[strings.ToLower(c)] {
			continue
		}
		used[strings.ToLower(c)] = true
		t := "TEXT"
		switch p.Type {
		case collection.Integer:
			t = "INTEGER"
		case collection.Number:
			t = "REAL"
		case collection.Boolean:
			t = "BOOLEAN"
		}
		defs = append(defs, quoteIdent(c)+" "+t)
		cols = append(cols, quoteIdent(c))
		keys = append(keys, p.Name)
	}
	desc := col.Title
	if col.TitleEN != "" {
		desc += " — " + col.TitleEN
	}
	if err := createFeatureTable(ctx, tx, table, geomType, strings.Join(defs, ", "), desc); err != nil {
		return err
	}
	colList := ""
	if len(cols) > 0 {
		colList = ", " + strings.Join(cols, ", ")
	}
	ins, err := tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (fid, geom%s) VALUES (?, ?%s)", quoteIdent(table),
		colList, strings.Repeat(", ?", len(cols))))
	if err != nil {
		return err
	}
	defer ins.Close()
	args := make([]any, 2+len(keys))
	for i, ft := range features {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		g := store.Normalize(ft.Geometry)
		if p, ok := g.(orb.Polygon); ok && geomType == "MULTIPOLYGON" {
			g = orb.MultiPolygon{p}
		}
		var geom any
		if g != nil {
			b, err := encodeGP(g)
			if err != nil {
				return fmt.Errorf("%s: feature %d: %w", col.ID, ft.ID, err)
			}
			geom = b
		}
		args[0], args[1] = ft.ID, geom
		for j, k := range keys {
			args[2+j] = sqlValue(ft.Properties[k])
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("%s: feature %d: %w", col.ID, ft.ID, err)
		}
	}
	if err := touchContents(ctx, tx, table, true); err != nil {
		return err
	}
	for _, p := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", userVersion),
	} {
		if _, err := tx.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}
