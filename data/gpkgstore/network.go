package gpkgstore

import (
	"context"
	"database/sql"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

var _ coverage.NetworkStore = (*Store)(nil)

// migrate3 adds the table of walking networks: the OSM extract each dataset
// was imported with, as a BLOB with its name, SHA-256 and import time.
func migrate3(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx, `CREATE TABLE lifecircle_networks (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
		dataset TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		bytes INTEGER NOT NULL,
		imported TEXT NOT NULL,
		extract BLOB NOT NULL)`); err != nil {
		return err
	}
	return registerTable(ctx, tx, "lifecircle_networks", "attributes",
		"lifecircle: the walking network (OSM extract) each dataset was imported with; serve --store and export measure on it")
}

// SaveNetwork stores the walking network of a stored dataset.
func (g *Store) SaveNetwork(ctx context.Context, dataset string, n coverage.StoredNetwork) error {
	return g.write(ctx, func(tx *sql.Tx) error {
		if err := datasetExists(ctx, tx, dataset); err != nil {
			return err
		}
		return saveNetwork(ctx, tx, dataset, n)
	})
}

func saveNetwork(ctx context.Context, tx *sql.Tx, dataset string, n coverage.StoredNetwork) error {
	if err := store.CheckNetwork(n); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO lifecircle_networks (dataset, name, sha256, bytes, imported, extract) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (dataset) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, bytes = excluded.bytes,
		imported = excluded.imported, extract = excluded.extract`,
		dataset, n.Name, n.SHA256, len(n.Extract), store.FormatTime(n.Imported), n.Extract)
	return err
}

// Network returns the walking network of a dataset.
func (g *Store) Network(ctx context.Context, dataset string) (coverage.StoredNetwork, error) {
	var n coverage.StoredNetwork
	err := g.read(ctx, func(tx *sql.Tx) error {
		var imported string
		err := tx.QueryRowContext(ctx, "SELECT name, sha256, imported, extract FROM lifecircle_networks WHERE dataset = ?", dataset).
			Scan(&n.Name, &n.SHA256, &imported, &n.Extract)
		if err == sql.ErrNoRows {
			return store.NotFound("dataset %q has no stored walking network", dataset)
		}
		if err != nil {
			return err
		}
		n.Imported, err = store.ParseTime(imported)
		return err
	})
	return n, err
}
