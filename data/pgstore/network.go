package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

var _ coverage.NetworkStore = (*Store)(nil)

// SaveNetwork stores (or replaces) the walking network of a stored dataset.
func (p *Store) SaveNetwork(ctx context.Context, dataset string, n coverage.StoredNetwork) error {
	if err := store.CheckNetwork(n); err != nil {
		return err
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		if err := lockDataset(ctx, tx, dataset); err != nil {
			return err
		}
		return saveNetwork(ctx, tx, dataset, n)
	})
}

func saveNetwork(ctx context.Context, tx pgx.Tx, dataset string, n coverage.StoredNetwork) error {
	if err := store.CheckNetwork(n); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO lifecircle.networks (dataset, name, sha256, bytes, imported, extract) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (dataset) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, bytes = excluded.bytes,
			imported = excluded.imported, extract = excluded.extract`,
		dataset, n.Name, n.SHA256, len(n.Extract), store.Time(n.Imported), n.Extract)
	return err
}

// Network returns the walking network of a dataset.
func (p *Store) Network(ctx context.Context, dataset string) (coverage.StoredNetwork, error) {
	var n coverage.StoredNetwork
	err := p.pool.QueryRow(ctx, "SELECT name, sha256, imported, extract FROM lifecircle.networks WHERE dataset = $1", dataset).
		Scan(&n.Name, &n.SHA256, &n.Imported, &n.Extract)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, store.NotFound("dataset %q has no stored walking network", dataset)
	}
	n.Imported = n.Imported.UTC()
	return n, err
}

var _ store.Checker = (*Store)(nil)

// CheckAll checks what PostgreSQL does not enforce itself: the row counts
// recorded for each dataset, that every geometry is valid, and the
// SHA-256 of each stored walking network; and it reports the schema
// version. (Pages, indexes and constraints are the server's to keep.)
func (p *Store) CheckAll(ctx context.Context) ([]store.CheckResult, error) {
	var out []store.CheckResult
	var version int
	if err := p.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM lifecircle.schema_migrations").Scan(&version); err != nil {
		return nil, err
	}
	var problems []string
	if latest := migrations[len(migrations)-1].version; version != latest {
		problems = append(problems, fmt.Sprintf("schema version %d, this lifecircle's is %d", version, latest))
	}
	out = append(out, store.CheckResult{What: fmt.Sprintf("schema version %d", version), Problems: problems})
	problems = nil
	rows, _ := p.pool.Query(ctx, `SELECT name, facilities, cells, units,
		(SELECT count(*) FROM lifecircle.facilities f WHERE f.dataset = d.name), (SELECT count(*) FROM lifecircle.population_cells c WHERE c.dataset = d.name),
		(SELECT count(*) FROM lifecircle.admin_units u WHERE u.dataset = d.name) FROM lifecircle.datasets d ORDER BY name COLLATE "C"`)
	var name string
	var nf, nc, nu, f, c, u int
	nds, err := pgx.ForEachRow(rows, []any{&name, &nf, &nc, &nu, &f, &c, &u}, func() error {
		if nf != f || nc != c || nu != u {
			problems = append(problems, fmt.Sprintf("dataset %s should have %d facilities, %d cells, %d units; has %d, %d, %d", name, nf, nc, nu, f, c, u))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out = append(out, store.CheckResult{What: fmt.Sprintf("the facilities, cells and units of each of the %d datasets against the counts recorded at import", nds.RowsAffected()), Problems: problems})
	packed, err := p.checkPacked(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, packed)
	problems = nil
	var geoms int64
	for _, t := range []string{"facilities", "population_cells", "admin_units", "plan_items", "proposals", "layer_features"} {
		var n, invalid int64
		var example *string
		if err := p.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom)),
			min(CASE WHEN NOT ST_IsValid(geom) THEN dataset_key END) FROM (SELECT geom, `+checkKey[t]+` AS dataset_key FROM lifecircle.`+t+` WHERE geom IS NOT NULL) g`).Scan(&n, &invalid, &example); err != nil {
			return nil, err
		}
		geoms += n
		if invalid > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d invalid geometries (e.g. %s)", t, invalid, str(example)))
		}
	}
	out = append(out, store.CheckResult{What: fmt.Sprintf("ST_IsValid of each of the %d geometries", geoms), Problems: problems})
	problems = nil
	rows, _ = p.pool.Query(ctx, "SELECT dataset, sha256, extract FROM lifecircle.networks ORDER BY dataset")
	var dataset, sum string
	var extract []byte
	nnet, err := pgx.ForEachRow(rows, []any{&dataset, &sum, &extract}, func() error {
		if got := fmt.Sprintf("%x", sha256.Sum256(extract)); got != sum {
			problems = append(problems, fmt.Sprintf("the walking network of %s has SHA-256 %.12s…, recorded %.12s…", dataset, got, sum))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out = append(out, store.CheckResult{What: fmt.Sprintf("the SHA-256 of each of the %d stored walking networks", nnet.RowsAffected()), Problems: problems})
	return out, nil
}

// checkKey names a row of each geometry table in a problem report.
var checkKey = map[string]string{
	"facilities":       "dataset || ' ' || id",
	"population_cells": "dataset || ' ' || to_hex(h3)",
	"admin_units":      "dataset || ' ' || code",
	"plan_items":       "dataset || ' ' || id",
	"proposals":        "id",
	"layer_features":   "dataset || ' ' || layer || ' ' || seq",
}
