package gpkgstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

// recordNote writes the context's write note (audit entry, idempotency
// answer) in the write's transaction; a used key refuses the write.
func recordNote(ctx context.Context, tx *sql.Tx) error {
	n, ok := coverage.WriteNoteOf(ctx)
	if !ok {
		return nil
	}
	if r := n.Replay; r != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO lifecircle_replays (user, key, method, path, status, body, created, request_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.User, r.Key, r.Method, r.Path, r.Status, r.Body, store.FormatTime(r.Created), store.NullStr(r.RequestSHA256))
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return store.KeyReused(r.Key)
		}
		if err != nil {
			return err
		}
	}
	if v := n.Version; v != nil {
		var now int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO lifecircle_versions (key, version) VALUES (?, 1)
			ON CONFLICT (key) DO UPDATE SET version = version + 1 RETURNING version`, v.Key).Scan(&now); err != nil {
			return err
		}
		if v.Check && now-1 != v.Expect {
			return store.Stale(v.Key, v.Expect, now-1)
		}
		if v.Got != nil {
			*v.Got = now
		}
	}
	if n.Audit != nil {
		return insertAudit(ctx, tx, *n.Audit)
	}
	return nil
}

// Version returns the version of a record (0: never written).
func (g *Store) Version(ctx context.Context, key string) (int64, error) {
	var v int64
	err := g.r.QueryRowContext(ctx, "SELECT version FROM lifecircle_versions WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func insertAudit(ctx context.Context, tx *sql.Tx, e coverage.AuditEntry) error {
	var detail any
	if len(e.Detail) > 0 {
		detail = string(e.Detail)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (at, user, role, action, dataset, scenario_id, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		store.FormatTime(e.At), e.User, store.NullStr(string(e.Role)), e.Action, store.NullStr(e.Dataset), store.NullStr(e.Scenario),
		store.NullStr(e.RequestID), detail); err != nil {
		return err
	}
	return touchContents(ctx, tx, "audit", false)
}

// AddUser records a user and the credential of their token.
func (g *Store) AddUser(ctx context.Context, u coverage.User, c coverage.Credential) error {
	if err := store.CheckUser(u, c); err != nil {
		return err
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		taken, err := exists(ctx, tx, "SELECT 1 FROM lifecircle_users WHERE id = ? OR (name = ? AND revoked IS NULL)", u.ID, u.Name)
		if err != nil {
			return err
		}
		if taken {
			return store.Invalid("an active user is already called %q (revoke them first), or the token id is taken", u.Name)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO lifecircle_users (id, name, role, units, created, salt, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Name, string(u.Role), store.UnitsJSON(u.Units), store.FormatTime(u.Created), c.Salt, c.Hash)
		return err
	})
}

// RevokeUser revokes the active user of that name.
func (g *Store) RevokeUser(ctx context.Context, name string) error {
	return g.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE lifecircle_users SET revoked = ? WHERE name = ? AND revoked IS NULL", store.FormatTime(time.Now()), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = store.NotFound("no active user is called %q", name)
			}
			return err
		}
		return nil
	})
}

const userColumns = "id, name, role, units, created, revoked, salt, hash"

func scanUser(sc interface{ Scan(...any) error }) (coverage.User, coverage.Credential, error) {
	var u coverage.User
	var c coverage.Credential
	var units, created string
	var revoked sql.NullString
	if err := sc.Scan(&u.ID, &u.Name, &u.Role, &units, &created, &revoked, &c.Salt, &c.Hash); err != nil {
		return u, c, err
	}
	var err error
	if u.Units, err = store.ParseUnits(units); err != nil {
		return u, c, err
	}
	if u.Created, err = store.ParseTime(created); err != nil {
		return u, c, err
	}
	if revoked.Valid {
		if u.Revoked, err = store.ParseTime(revoked.String); err != nil {
			return u, c, err
		}
	}
	return u, c, nil
}

// Users lists every user, oldest first.
func (g *Store) Users(ctx context.Context) ([]coverage.User, error) {
	var out []coverage.User
	err := g.read(ctx, func(tx *sql.Tx) error {
		return eachRow(ctx, tx, "SELECT "+userColumns+" FROM lifecircle_users ORDER BY created, rowid", nil, func(r *sql.Rows) error {
			u, _, err := scanUser(r)
			out = append(out, u)
			return err
		})
	})
	return out, err
}

// UserByID returns a user and their credential by token id.
func (g *Store) UserByID(ctx context.Context, id string) (coverage.User, coverage.Credential, error) {
	u, c, err := scanUser(g.r.QueryRowContext(ctx, "SELECT "+userColumns+" FROM lifecircle_users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.NotFound("no user has token id %q", id)
	}
	return u, c, err
}

// AppendAudit adds entries to the audit as they are.
func (g *Store) AppendAudit(ctx context.Context, entries []coverage.AuditEntry) error {
	for _, e := range entries {
		if err := store.CheckAudit(e); err != nil {
			return err
		}
	}
	return g.write(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Audit lists audit entries, oldest first.
func (g *Store) Audit(ctx context.Context, q coverage.AuditQuery) ([]coverage.AuditEntry, error) {
	var out []coverage.AuditEntry
	query := `SELECT fid, at, user, role, action, dataset, scenario_id, request_id, detail FROM audit
		WHERE fid > ? AND (? = '' OR dataset = ?) AND (? = '' OR scenario_id = ?) AND (? = '' OR user = ?) ORDER BY fid LIMIT ?`
	args := []any{q.After, q.Dataset, q.Dataset, q.Scenario, q.Scenario, q.User, q.User, store.AuditLimit(q.Limit)}
	err := eachRow(ctx, g.r, query, args, func(r *sql.Rows) error {
		var e coverage.AuditEntry
		var at string
		var role, dataset, scenario, request, detail sql.NullString
		if err := r.Scan(&e.Seq, &at, &e.User, &role, &e.Action, &dataset, &scenario, &request, &detail); err != nil {
			return err
		}
		var err error
		if e.At, err = store.ParseTime(at); err != nil {
			return err
		}
		e.Role, e.Dataset, e.Scenario, e.RequestID = coverage.Role(role.String), dataset.String, scenario.String, request.String
		if detail.Valid {
			e.Detail = []byte(detail.String)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// Replay returns the answer stored for a user's idempotency key.
func (g *Store) Replay(ctx context.Context, user, key string) (coverage.Replay, error) {
	r := coverage.Replay{User: user, Key: key}
	var created string
	var sum sql.NullString
	err := g.r.QueryRowContext(ctx, "SELECT method, path, status, body, created, request_sha256 FROM lifecircle_replays WHERE user = ? AND key = ?", user, key).
		Scan(&r.Method, &r.Path, &r.Status, &r.Body, &created, &sum)
	r.RequestSHA256 = sum.String
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.NotFound("idempotency key %q is new", key)
	}
	if err != nil {
		return r, err
	}
	r.Created, err = store.ParseTime(created)
	return r, err
}
