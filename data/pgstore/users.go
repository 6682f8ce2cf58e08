package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

// recordNote writes the context's write note (audit entry, idempotency
// answer) in the write's transaction; a used key refuses the write.
func recordNote(ctx context.Context, tx pgx.Tx) error {
	n, ok := coverage.WriteNoteOf(ctx)
	if !ok {
		return nil
	}
	if r := n.Replay; r != nil {
		tag, err := tx.Exec(ctx, `INSERT INTO lifecircle.replays (user_name, key, method, path, status, body, created, request_sha256)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			r.User, r.Key, r.Method, r.Path, r.Status, r.Body, store.Time(r.Created), store.NullStr(r.RequestSHA256))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.KeyReused(r.Key)
		}
	}
	if v := n.Version; v != nil {
		// The upsert locks the row until the transaction ends, so
		// concurrent writers of one record see each other's bump.
		var now int64
		if err := tx.QueryRow(ctx, `INSERT INTO lifecircle.versions (key, version) VALUES ($1, 1)
			ON CONFLICT (key) DO UPDATE SET version = lifecircle.versions.version + 1 RETURNING version`, v.Key).Scan(&now); err != nil {
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
func (p *Store) Version(ctx context.Context, key string) (int64, error) {
	var v int64
	err := p.pool.QueryRow(ctx, "SELECT version FROM lifecircle.versions WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func insertAudit(ctx context.Context, tx pgx.Tx, e coverage.AuditEntry) error {
	var detail any
	if len(e.Detail) > 0 {
		detail = string(e.Detail)
	}
	_, err := tx.Exec(ctx, `INSERT INTO lifecircle.audit (at, user_name, role, action, dataset, scenario_id, request_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		store.Time(e.At), e.User, store.NullStr(string(e.Role)), e.Action, store.NullStr(e.Dataset), store.NullStr(e.Scenario),
		store.NullStr(e.RequestID), detail)
	return err
}

// AddUser records a user and the credential of their token.
func (p *Store) AddUser(ctx context.Context, u coverage.User, c coverage.Credential) error {
	if err := store.CheckUser(u, c); err != nil {
		return err
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO lifecircle.users (id, name, role, units, created, salt, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.ID, u.Name, string(u.Role), store.UnitsJSON(u.Units), store.Time(u.Created), c.Salt, c.Hash)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
			return store.Invalid("an active user is already called %q (revoke them first), or the token id is taken", u.Name)
		}
		return err
	})
}

// RevokeUser revokes the active user of that name.
func (p *Store) RevokeUser(ctx context.Context, name string) error {
	return p.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE lifecircle.users SET revoked = $1 WHERE name = $2 AND revoked IS NULL", store.Time(time.Now()), name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.NotFound("no active user is called %q", name)
		}
		return nil
	})
}

const userColumns = "id, name, role, units::text, created, revoked, salt, hash"

func scanUser(row pgx.Row) (coverage.User, coverage.Credential, error) {
	var u coverage.User
	var c coverage.Credential
	var units string
	var revoked *time.Time
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &units, &u.Created, &revoked, &c.Salt, &c.Hash); err != nil {
		return u, c, err
	}
	u.Created = u.Created.UTC()
	if revoked != nil {
		u.Revoked = revoked.UTC()
	}
	var err error
	u.Units, err = store.ParseUnits(units)
	return u, c, err
}

// Users lists every user, oldest first.
func (p *Store) Users(ctx context.Context) ([]coverage.User, error) {
	rows, err := p.pool.Query(ctx, "SELECT "+userColumns+" FROM lifecircle.users ORDER BY created, seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coverage.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserByID returns a user and their credential by token id.
func (p *Store) UserByID(ctx context.Context, id string) (coverage.User, coverage.Credential, error) {
	u, c, err := scanUser(p.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM lifecircle.users WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.NotFound("no user has token id %q", id)
	}
	return u, c, err
}

// AppendAudit adds entries to the audit as they are.
func (p *Store) AppendAudit(ctx context.Context, entries []coverage.AuditEntry) error {
	for _, e := range entries {
		if err := store.CheckAudit(e); err != nil {
			return err
		}
	}
	return p.write(ctx, func(tx pgx.Tx) error {
		for _, e := range entries {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Audit lists audit entries, oldest first.
func (p *Store) Audit(ctx context.Context, q coverage.AuditQuery) ([]coverage.AuditEntry, error) {
	rows, err := p.pool.Query(ctx, `SELECT seq, at, user_name, role, action, dataset, scenario_id, request_id, detail::text FROM lifecircle.audit
		WHERE seq > $1 AND ($2 = '' OR dataset = $2) AND ($3 = '' OR scenario_id = $3) AND ($4 = '' OR user_name = $4) ORDER BY seq LIMIT $5`,
		q.After, q.Dataset, q.Scenario, q.User, store.AuditLimit(q.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coverage.AuditEntry
	for rows.Next() {
		var e coverage.AuditEntry
		var role, dataset, scenario, request, detail *string
		if err := rows.Scan(&e.Seq, &e.At, &e.User, &role, &e.Action, &dataset, &scenario, &request, &detail); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		e.Role, e.Dataset, e.Scenario, e.RequestID = coverage.Role(str(role)), str(dataset), str(scenario), str(request)
		if detail != nil {
			e.Detail = []byte(*detail)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Replay returns the answer stored for a user's idempotency key.
func (p *Store) Replay(ctx context.Context, user, key string) (coverage.Replay, error) {
	r := coverage.Replay{User: user, Key: key}
	var sum *string
	err := p.pool.QueryRow(ctx, "SELECT method, path, status, body, created, request_sha256 FROM lifecircle.replays WHERE user_name = $1 AND key = $2", user, key).
		Scan(&r.Method, &r.Path, &r.Status, &r.Body, &r.Created, &sum)
	if sum != nil {
		r.RequestSHA256 = *sum
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.NotFound("idempotency key %q is new", key)
	}
	r.Created = r.Created.UTC()
	return r, err
}
