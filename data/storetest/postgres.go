package storetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL tests need a real server with PostGIS. LIFECIRCLE_TEST_PG_URL
// names one (a role that may create databases; .ci/run starts one); without
// it the first test starts a throwaway cluster on loopback with its own data
// directory and port, and TestMain stops it at the end.

// StopPostgres stops the cluster the tests started, if any: call it from
// TestMain after m.Run.
func StopPostgres() {
	if testCluster != nil {
		testCluster.stop()
	}
}

var (
	pgOnce      sync.Once
	pgAdmin     string
	pgSetupErr  error
	testCluster *pgCluster
	pgDBCounter atomic.Int64
)

// errNoPostgres means the binaries are not installed (as opposed to a
// server that failed).
var errNoPostgres = errors.New("PostgreSQL with PostGIS is not installed")

// PGAdminURL returns the URL of a server for the tests, starting one if
// needed. Missing binaries fail the test under CI=true and skip it otherwise.
func PGAdminURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if u := os.Getenv("LIFECIRCLE_TEST_PG_URL"); u != "" {
			pgAdmin = u
		} else {
			testCluster, pgSetupErr = startCluster()
			if pgSetupErr == nil {
				pgAdmin = testCluster.url
			}
		}
		if pgSetupErr == nil {
			pgSetupErr = makeTemplate(pgAdmin)
		}
	})
	if pgSetupErr != nil {
		if errors.Is(pgSetupErr, errNoPostgres) && os.Getenv("CI") != "true" {
			t.Skipf("%v; install it with `make deps-pg` (apt-get install postgresql-15-postgis-3) or set LIFECIRCLE_TEST_PG_URL", pgSetupErr)
		}
		t.Fatalf("PostgreSQL for the tests: %v", pgSetupErr)
	}
	return pgAdmin
}

const pgTemplate = "lifecircle_test_template"

// makeTemplate creates a template database with PostGIS installed, so that
// each test's database is a cheap copy.
func makeTemplate(admin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var have bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", pgTemplate).Scan(&have); err != nil {
		return err
	}
	if have {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgTemplate); err != nil {
		return err
	}
	tu, err := withDatabase(admin, pgTemplate)
	if err != nil {
		return err
	}
	tc, err := pgx.Connect(ctx, tu)
	if err != nil {
		return err
	}
	defer tc.Close(ctx)
	if _, err := tc.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		return fmt.Errorf("CREATE EXTENSION postgis: %w (is postgresql-15-postgis-3 installed? make deps-pg)", err)
	}
	return nil
}

func withDatabase(rawURL, db string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("LIFECIRCLE_TEST_PG_URL must be a postgres:// URL")
	}
	u.Path = "/" + db
	return u.String(), nil
}

// PGDatabase creates an empty database (PostGIS installed) for one test
// and drops it afterwards; it returns its URL.
func PGDatabase(t testing.TB, admin string) string {
	t.Helper()
	name := fmt.Sprintf("lifecircle_test_%d_%d", os.Getpid(), pgDBCounter.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, pgTemplate)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)) //nolint:errcheck // the cluster goes away anyway
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// pgCluster is a throwaway server: its own data directory and port on
// 127.0.0.1, run as the postgres user when the tests run as root
// (PostgreSQL refuses to run as root).
type pgCluster struct {
	dir, bin, url string
	asUser        string
}

func pgBinDir() string {
	if d := os.Getenv("LIFECIRCLE_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

func startCluster() (*pgCluster, error) {
	bin := pgBinDir()
	for _, tool := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			return nil, fmt.Errorf("%w: no %s in %s", errNoPostgres, tool, bin)
		}
	}
	share, err := exec.Command(filepath.Join(bin, "pg_config"), "--sharedir").Output()
	shareDir := strings.TrimSpace(string(share))
	if err != nil || shareDir == "" {
		shareDir = "/usr/share/postgresql/15"
	}
	if _, err := os.Stat(filepath.Join(shareDir, "extension", "postgis.control")); err != nil {
		return nil, fmt.Errorf("%w: PostgreSQL is there but PostGIS is not (no %s/extension/postgis.control)", errNoPostgres, shareDir)
	}
	dir, err := os.MkdirTemp("", "lifecircle-pg-")
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%w: running as root needs the postgres user to run the server: %v", errNoPostgres, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Default durability settings (fsync on): the benchmarks use this server too.
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200", port)
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

func (c *pgCluster) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *pgCluster) stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop") //nolint:errcheck // best effort; the directory goes next
	os.RemoveAll(c.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
