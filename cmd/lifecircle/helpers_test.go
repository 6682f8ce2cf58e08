package main

// The scaffolding of the command's tests, in one place: running the
// command, a temporary store, a server on loopback (in this process or
// the built binary), JSON over HTTP, and the rule for external tools
// (missing: fail under CI=true, else skip naming the make target).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/data/storetest"
	"lifecircle/spatial"
)

const tinyDir = "../../data/testdata/tiny"

// tinyArgs are the input flags of the tiny test dataset.
func tinyArgs() []string {
	return []string{"--facilities", tinyDir + "/facilities.csv", "--population", tinyDir + "/population.csv", "--boundaries", tinyDir + "/boundaries.geojson"}
}

// runOK runs the command in this process and returns what it printed; an
// error fails the test with what it wrote to stderr.
func runOK(t testing.TB, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if err := run(context.Background(), args, &out, &errs); err != nil {
		t.Fatalf("lifecircle %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String()
}

// runErr runs the command and checks that it fails saying want.
func runErr(t *testing.T, want string, args ...string) {
	t.Helper()
	err := run(context.Background(), args, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("lifecircle %s: error %v, want it to say %q", strings.Join(args, " "), err, want)
	}
}

// newStore imports into a new GeoPackage store in a temporary folder
// (`lifecircle import --store PATH args…`) and returns its path and what
// import printed.
func newStore(t testing.TB, args ...string) (path, msg string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "s.gpkg")
	return path, runOK(t, append([]string{"import", "--store", path}, args...)...)
}

// gcjFacilities writes the Chengdu sample's facilities shifted into
// GCJ-02 (and still declared WGS84) into dir and returns the file.
func gcjFacilities(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../../data/sample/chengdu/facilities.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc map[string]any
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	for _, f := range fc["features"].([]any) {
		g := f.(map[string]any)["geometry"].(map[string]any)
		c := g["coordinates"].([]any)
		p := spatial.WGS84ToGCJ02(orb.Point{c[0].(float64), c[1].(float64)})
		g["coordinates"] = []float64{p[0], p[1]}
	}
	gcj := filepath.Join(dir, "facilities_gcj02.geojson")
	out, _ := json.Marshal(fc)
	if err := os.WriteFile(gcj, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return gcj
}

// missing stops a test whose external tool is not there: under CI=true
// (.ci/run installs every tool) it fails, elsewhere it is skipped. msg
// says what is missing and the make target that installs it.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true)")
	}
	t.Skip(msg)
}

// needTool is the path of an external tool on PATH; target is the make
// target that installs it.
func needTool(t testing.TB, name, target string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s is not installed: run `make %s` to install it", name, target))
	}
	return p
}

// haveOWSLib reports whether Debian's python3 imports owslib (the python3
// on PATH may be another one without Debian's modules).
func haveOWSLib() bool {
	return exec.Command("/usr/bin/python3", "-c", "import owslib.ogcapi.features").Run() == nil
}

// needBrowser finds Debian chromium, node and the browser test's npm
// packages (make deps-web).
func needBrowser(t *testing.T) (chromium, node string) {
	t.Helper()
	need := func(what string) {
		missing(t, what+" is missing: run `make deps-web` (apt chromium, npm ci in api/testdata/browser)")
	}
	chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			need("chromium")
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		need("node")
	}
	if _, err := os.Stat(filepath.Join(browserTestDir, "node_modules", "playwright-core", "package.json")); err != nil {
		need("playwright-core (node_modules)")
	}
	return chromium, node
}

// freeAddr is a free loopback address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// pollHealthy polls base/healthz until it answers 200, stop returns an
// error, or 30 s pass.
func pollHealthy(base string, stop func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if stop != nil {
			if serr := stop(); serr != nil {
				return serr
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server did not come up: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitHealthy waits for an in-process server started by run; done receives
// run's result if it stops.
func waitHealthy(t testing.TB, base string, done <-chan error) {
	t.Helper()
	err := pollHealthy(base, func() error {
		select {
		case err := <-done:
			return fmt.Errorf("server stopped: %v", err)
		default:
			return nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// server is `lifecircle serve` running in this process on a free loopback
// port.
type server struct {
	base    string
	args    []string
	cancel  context.CancelFunc
	done    chan error
	stopped bool
	err     error
}

// startServe runs `lifecircle serve --addr ADDR args…` in this process
// and waits until it answers. It is stopped when the test ends, if not
// before by stop; either way an error of serve fails the test.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{base: "http://" + addr, args: args, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), io.Discard, io.Discard) }()
	waitHealthy(t, s.base, s.done)
	t.Cleanup(func() {
		if !s.stopped {
			s.stop(t)
		}
	})
	return s
}

// stop shuts the server down (as SIGTERM would) and waits up to 15 s; an
// error of serve fails the test.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.stopped = true
	s.cancel()
	select {
	case s.err = <-s.done:
		if s.err != nil {
			t.Errorf("serve %s: %v", strings.Join(s.args, " "), s.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve %s did not shut down", strings.Join(s.args, " "))
	}
}

// serveInProcess runs `lifecircle serve args…` on a free loopback port
// until the test ends and returns its base URL.
func serveInProcess(t *testing.T, args ...string) string {
	t.Helper()
	return startServe(t, args...).base
}

// startServer runs the built binary's `lifecircle serve --addr
// 127.0.0.1:PORT` (the embedded sample) and returns its base URL; the
// process is stopped when the test ends.
func startServer(t *testing.T, bin string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr)
	logPath := filepath.Join(t.TempDir(), "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	base := "http://" + addr
	err = pollHealthy(base, func() error {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("server exited: %v", err)
		default:
			return nil
		}
	})
	if err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("%v\n%s", err, log)
	}
	return base
}

// postJSON posts body with the bearer token and returns the JSON answer,
// failing the test when the status is not want.
func postJSON(t *testing.T, url, token, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	var v map[string]any
	json.Unmarshal(answer(t, req, want), &v)
	return v
}

// getJSON gets url, which must answer 200 with a JSON object.
func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	return getJSONStatus(t, url, http.StatusOK)
}

// getJSONStatus gets url, which must answer with status want and a JSON
// object.
func getJSONStatus(t *testing.T, url string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	var v map[string]any
	if err := json.Unmarshal(answer(t, req, want), &v); err != nil {
		t.Fatalf("GET %s: not JSON: %v", url, err)
	}
	return v
}

// answer sends req and returns the body of the answer, failing the test
// when the status is not want.
func answer(t *testing.T, req *http.Request, want int) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %.300s", req.Method, req.URL, resp.StatusCode, want, b)
	}
	return b
}

// The lifecircle binary, built once for every test of the package that
// runs it as a child process (TestMain removes it).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopPostgres()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds the lifecircle command into a temporary directory
// (once per test run).
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "lifecircle-test-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "lifecircle")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(gobin, "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}
