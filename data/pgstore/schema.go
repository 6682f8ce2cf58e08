package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migration is one version of the PostgreSQL schema; see migrations.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are applied in order, each once, in its own transaction
// together with its schema_migrations row. Add new ones at the end; never
// edit one that has shipped.
var migrations = []migration{
	{1, "datasets, facilities, population cells, admin units, scenarios, proposals, plan items, layers", `
CREATE TABLE lifecircle.datasets (
	name text PRIMARY KEY,
	resolution int NOT NULL,
	population_note text,
	facilities int NOT NULL,
	cells int NOT NULL,
	units int NOT NULL,
	population double precision NOT NULL,
	catalog json NOT NULL,
	saved timestamptz NOT NULL DEFAULT now());

CREATE TABLE lifecircle.facilities (
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	seq int NOT NULL,
	id text NOT NULL,
	type text NOT NULL,
	name text,
	capacity double precision,
	status text NOT NULL,
	plan_year int,
	geom geometry(Point, 4326) NOT NULL,
	PRIMARY KEY (dataset, id),
	UNIQUE (dataset, seq));
CREATE INDEX facilities_geom ON lifecircle.facilities USING gist (geom);

CREATE TABLE lifecircle.population_cells (
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	seq int NOT NULL,
	h3 bigint NOT NULL,
	population double precision NOT NULL,
	geom geometry(Polygon, 4326) NOT NULL,
	PRIMARY KEY (dataset, h3),
	UNIQUE (dataset, seq));
CREATE INDEX population_cells_geom ON lifecircle.population_cells USING gist (geom);

CREATE TABLE lifecircle.admin_units (
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	seq int NOT NULL,
	level text NOT NULL,
	code text NOT NULL,
	name text,
	parent text,
	geom geometry(MultiPolygon, 4326),
	PRIMARY KEY (dataset, code),
	UNIQUE (dataset, seq));
CREATE INDEX admin_units_geom ON lifecircle.admin_units USING gist (geom);

CREATE TABLE lifecircle.scenarios (
	id text PRIMARY KEY,
	seq bigserial NOT NULL,
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	name text NOT NULL,
	author text,
	unit text,
	created timestamptz NOT NULL,
	description text,
	changes json NOT NULL);
CREATE INDEX scenarios_dataset ON lifecircle.scenarios (dataset, created, seq);

CREATE TABLE lifecircle.proposals (
	id text PRIMARY KEY,
	seq bigserial NOT NULL,
	scenario_id text NOT NULL REFERENCES lifecircle.scenarios (id) ON DELETE CASCADE,
	author text,
	unit text,
	created timestamptz NOT NULL,
	sites int NOT NULL,
	facilities json NOT NULL,
	shown json,
	geom geometry(MultiPoint, 4326));
CREATE INDEX proposals_scenario ON lifecircle.proposals (scenario_id, created, seq);
CREATE INDEX proposals_geom ON lifecircle.proposals USING gist (geom);

CREATE TABLE lifecircle.plan_items (
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	id text NOT NULL,
	type text NOT NULL,
	name text,
	year int NOT NULL,
	status text NOT NULL,
	cost double precision,
	unit text,
	geom geometry(Point, 4326) NOT NULL,
	PRIMARY KEY (dataset, id));
CREATE INDEX plan_items_geom ON lifecircle.plan_items USING gist (geom);

CREATE TABLE lifecircle.layers (
	dataset text NOT NULL REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	name text NOT NULL,
	features int NOT NULL,
	saved timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (dataset, name));

CREATE TABLE lifecircle.layer_features (
	dataset text NOT NULL,
	layer text NOT NULL,
	seq int NOT NULL,
	feature_id text,
	properties json NOT NULL,
	geom geometry(Geometry, 4326),
	PRIMARY KEY (dataset, layer, seq),
	FOREIGN KEY (dataset, layer) REFERENCES lifecircle.layers (dataset, name) ON DELETE CASCADE);
CREATE INDEX layer_features_geom ON lifecircle.layer_features USING gist (geom);
`},
	{2, "users, audit, idempotency replays", `
CREATE TABLE lifecircle.users (
	id text PRIMARY KEY,
	seq bigserial NOT NULL,
	name text NOT NULL,
	role text NOT NULL,
	units json NOT NULL,
	created timestamptz NOT NULL,
	revoked timestamptz,
	salt bytea NOT NULL,
	hash bytea NOT NULL);
CREATE UNIQUE INDEX users_active ON lifecircle.users (name) WHERE revoked IS NULL;

CREATE TABLE lifecircle.audit (
	seq bigserial PRIMARY KEY,
	at timestamptz NOT NULL,
	user_name text NOT NULL,
	role text,
	action text NOT NULL,
	dataset text,
	scenario_id text,
	request_id text,
	detail json);
CREATE INDEX audit_scenario ON lifecircle.audit (scenario_id);
CREATE FUNCTION lifecircle.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'the audit is append-only'; END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON lifecircle.audit
	FOR EACH ROW EXECUTE FUNCTION lifecircle.audit_append_only();

CREATE TABLE lifecircle.replays (
	user_name text NOT NULL,
	key text NOT NULL,
	method text NOT NULL,
	path text NOT NULL,
	status int NOT NULL,
	body bytea NOT NULL,
	created timestamptz NOT NULL,
	PRIMARY KEY (user_name, key));
`},
	{3, "record versions (If-Match) and the request hash of idempotency replays", `
CREATE TABLE lifecircle.versions (
	key text PRIMARY KEY,
	version bigint NOT NULL);
ALTER TABLE lifecircle.replays ADD COLUMN request_sha256 text;
`},
	{4, "walking networks: the OSM extract each dataset was imported with", `
CREATE TABLE lifecircle.networks (
	dataset text PRIMARY KEY REFERENCES lifecircle.datasets (name) ON DELETE CASCADE,
	name text NOT NULL,
	sha256 text NOT NULL,
	bytes bigint NOT NULL,
	imported timestamptz NOT NULL,
	extract bytea NOT NULL);
`},
	{5, "a packed copy of each dataset's cells (H3 id and population in seq order) that loads in one read", `
ALTER TABLE lifecircle.datasets ADD COLUMN cells_packed bytea;
ALTER TABLE lifecircle.datasets ALTER COLUMN cells_packed SET STORAGE EXTERNAL;
`},
}

// migrationLock is the advisory lock key that serialises migrators
// ("lifecircle" in ASCII, truncated to 64 bits).
const migrationLock = 0x6c69666563697263

// migrate brings the lifecircle schema of the database up to date.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrationLock)) //nolint:errcheck // closes with the connection anyway
	var postgis bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')").Scan(&postgis); err != nil {
		return err
	}
	if !postgis {
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				return fmt.Errorf("PostGIS is not installed in this database and cannot be installed (%s); install the package postgresql-15-postgis-3 (make deps-pg) and run CREATE EXTENSION postgis as a superuser", pe.Message)
			}
			return err
		}
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS lifecircle;
		CREATE TABLE IF NOT EXISTS lifecircle.schema_migrations (
			version int PRIMARY KEY,
			name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM lifecircle.schema_migrations").Scan(&have); err != nil {
		return err
	}
	if latest := migrations[len(migrations)-1].version; have > latest {
		return fmt.Errorf("database schema version %d is newer than this lifecircle knows (%d): use a newer lifecircle", have, latest)
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO lifecircle.schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}
