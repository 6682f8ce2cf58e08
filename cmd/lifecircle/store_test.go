package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lifecircle/coverage"
	"lifecircle/data/gpkgstore"
)

// storeCLI runs import, a failing import, serve (with a proposal written
// over HTTP) and export against one store given by args (--store F or
// --pg URL), and returns what the export wrote.
func storeCLI(t *testing.T, storeArgs ...string) (out string) {
	out = filepath.Join(t.TempDir(), "export.gpkg")
	msg := runOK(t, append(append([]string{"import"}, storeArgs...), append(tinyArgs(), "--name", "tiny")...)...)
	if !strings.Contains(msg, "imported tiny") || !strings.Contains(msg, "4 facilities, 19 population cells, 3 admin units") {
		t.Errorf("import printed %q", msg)
	}
	// A bad file: the import fails and the stored dataset stays as it was.
	bad := filepath.Join(t.TempDir(), "facilities.csv")
	os.WriteFile(bad, []byte("lon,lat,type\n104.0657,30.6598,casino\n"), 0o644)
	runErr(t, "casino", append(append([]string{"import"}, storeArgs...), "--facilities", bad, "--population", tinyDir+"/population.csv", "--name", "tiny")...)
	runErr(t, "--facilities FILE and --population FILE", append([]string{"import"}, storeArgs...)...)
	runErr(t, "the sample brings its own extract", append(append([]string{"import"}, storeArgs...), "--sample", "chengdu", "--osm", "x.pbf")...)
	if msg := runOK(t, append([]string{"check"}, storeArgs...)...); !strings.Contains(msg, "全部通过 / all") {
		t.Errorf("check printed %q", msg)
	}

	// Users: the token is printed once; list shows them; a revoked one stays listed.
	token := strings.TrimSpace(runOK(t, append(append([]string{"users", "add"}, storeArgs...), "--name", "王芳", "--role", "planner")...))
	runOK(t, append(append([]string{"users", "add"}, storeArgs...), "--name", "temp", "--role", "viewer")...)
	runErr(t, "needs at least one admin unit", append(append([]string{"users", "add"}, storeArgs...), "--name", "x", "--role", "street_official")...)
	runOK(t, append(append([]string{"users", "revoke"}, storeArgs...), "--name", "temp")...)
	if list := runOK(t, append([]string{"users", "list"}, storeArgs...)...); !strings.Contains(list, "王芳") || !strings.Contains(list, "temp") || strings.Contains(list, token) {
		t.Errorf("users list printed %q", list)
	}

	srv := startServe(t, storeArgs...)
	base := srv.base
	if h := getJSON(t, base+"/healthz"); h["dataset"] != "tiny" || h["facilities"] != 4.0 {
		t.Errorf("healthz %v", h)
	}
	postJSON(t, base+"/v1/scenarios", "", `{"name": "no token"}`, 401)
	sc := postJSON(t, base+"/v1/scenarios", token, `{"name": "more kindergartens", "unit": "510104"}`, 201)
	id := sc["id"].(string)
	postJSON(t, base+"/v1/scenarios/"+id+"/proposals", token,
		`{"facilities": [{"type": "kindergarten", "lon": 104.0662, "lat": 30.6605, "name": "东幼儿园"}, {"type": "pharmacy", "lon": 104.0645, "lat": 30.6590}]}`, 201)
	ps := getJSON(t, base+"/v1/scenarios/"+id+"/proposals")["proposals"].([]any)
	if len(ps) != 1 {
		t.Errorf("%d proposals listed", len(ps))
	}
	srv.stop(t)
	if srv.err != nil {
		t.FailNow()
	}

	msg = runOK(t, append(append([]string{"export"}, storeArgs...), "--out", out)...)
	if !strings.Contains(msg, "exported 1 datasets (1 scenarios, 1 proposals, 0 plan items, ") || !strings.Contains(msg, " layers, 5 audit entries)") {
		t.Errorf("export printed %q", msg)
	}
	runErr(t, "exists", append(append([]string{"export"}, storeArgs...), "--out", out)...)
	runErr(t, "reads the dataset from the store", append(append([]string{"export"}, storeArgs...), "--out", out+"2", "--sample", "chengdu")...)

	// The export holds the dataset, the proposal and the coverage layers.
	g, err := gpkgstore.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, ds, err := g.LoadDataset(context.Background(), "tiny")
	if err != nil || len(ds.Facilities) != 4 || len(ds.Cells) != 19 || len(ds.Units) != 3 {
		t.Fatalf("exported dataset: %v", err)
	}
	if got, err := g.Proposals(context.Background(), id); err != nil || len(got) != 1 || len(got[0].Facilities) != 2 || got[0].Author != "王芳" {
		t.Errorf("exported proposals %+v, %v", got, err)
	}
	if audit, err := g.Audit(context.Background(), coverage.AuditQuery{}); err != nil || len(audit) != 5 || audit[4].Action != "proposal.add" || audit[4].User != "王芳" {
		t.Errorf("exported audit %+v, %v", audit, err)
	}
	layers, _ := g.Layers(context.Background(), "tiny")
	for _, want := range []string{"coverage/kindergarten", "gaps/kindergarten", "gap-areas/kindergarten", "catchments"} {
		found := false
		for _, l := range layers {
			found = found || l == want
		}
		if !found {
			t.Errorf("export lacks layer %s (has %v)", want, layers)
		}
	}
	return out
}

func TestStoreCommandsGeoPackage(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store.gpkg")
	out := storeCLI(t, "--store", store)
	// --name alone, a foreign file, and serve with no dataset are refused clearly.
	runErr(t, "--store FILE.gpkg or --pg URL", "serve", "--name", "tiny")
	runErr(t, "not both", "import", "--store", store, "--pg", "postgres://x", "--sample", "chengdu")
	notes := filepath.Join(t.TempDir(), "notes.gpkg")
	os.WriteFile(notes, []byte("not a database"), 0o644)
	runErr(t, "not a SQLite database", "import", "--store", notes, "--sample", "chengdu")
	runErr(t, "holds no dataset", "serve", "--store", filepath.Join(t.TempDir(), "new.gpkg"))
	runErr(t, "--out is the store itself", "export", "--store", store, "--out", store)
	// --no-save writes the computed layers only into the export.
	out2 := filepath.Join(t.TempDir(), "nosave.gpkg")
	if msg := runOK(t, "export", "--store", store, "--out", out2, "--no-save"); !strings.Contains(msg, "exported 1 datasets") {
		t.Errorf("export --no-save printed %q", msg)
	}

	// GDAL reads the export back with the counts the store holds.
	ogrinfo := needTool(t, "ogrinfo", "deps-gdal")
	g, err := gpkgstore.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"facilities": 4, "population_cells": 19, "admin_units": 3, "proposals": 1, "scenarios": 1, "datasets": 1}
	layers, _ := g.Layers(context.Background(), "tiny")
	for _, l := range layers {
		fs, err := g.Layer(context.Background(), "tiny", l)
		if err != nil {
			t.Fatal(err)
		}
		want["layer_"+strings.NewReplacer("/", "_", "-", "_").Replace(l)] = len(fs)
	}
	g.Close()
	got := ogrCounts(t, ogrinfo, out)
	for name, n := range want {
		if c, ok := got[name]; !ok || c != n {
			t.Errorf("ogrinfo: %s has %d features (listed: %v), want %d", name, c, ok, n)
		}
	}
	t.Logf("ogrinfo read %d layers of the export", len(got))
}

var (
	ogrLayerName = regexp.MustCompile(`^Layer name: (.+)$`)
	ogrCount     = regexp.MustCompile(`^Feature Count: (\d+)$`)
)

func ogrCounts(t *testing.T, ogrinfo, path string) map[string]int {
	t.Helper()
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	counts := map[string]int{}
	var layer string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ERROR") || strings.HasPrefix(sc.Text(), "Warning") {
			t.Errorf("ogrinfo: %s", sc.Text())
		}
		if m := ogrLayerName.FindStringSubmatch(sc.Text()); m != nil {
			layer = m[1]
		} else if m := ogrCount.FindStringSubmatch(sc.Text()); m != nil {
			counts[layer], _ = strconv.Atoi(m[1])
		}
	}
	return counts
}

// TestStoreCommandsPostGIS runs the same commands against PostgreSQL when
// LIFECIRCLE_TEST_PG_URL names a server (.ci/run starts one; the data
// package's tests start their own).
func TestStoreCommandsPostGIS(t *testing.T) {
	admin := os.Getenv("LIFECIRCLE_TEST_PG_URL")
	if admin == "" {
		t.Skip("LIFECIRCLE_TEST_PG_URL is not set (the PostGIS store itself is tested in ./data, which starts its own server)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("lifecircle_cli_test_%d", os.Getpid())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck // cleanup
	u := regexp.MustCompile(`/[^/?]*(\?|$)`).ReplaceAllString(strings.TrimPrefix(admin, "postgres://"), "/"+name+"$1")
	storeCLI(t, "--pg", "postgres://"+u)
}

// sentProposal is one proposal a writer sent, and what came of it.
type sentProposal struct {
	author string // also the Idempotency-Key and the prefix of the site names
	body   string
	sites  int
	acked  bool
}

// TestCrashDurability runs the real server on a GeoPackage store, streams
// proposal writes at it and kills it with SIGKILL at random moments, then
// restarts it and checks that every acknowledged write is there, whole,
// and that nothing appears that was never sent. LIFECIRCLE_CRASH_CYCLES sets
// the number of kills (default 20; make crash runs more).
func TestCrashDurability(t *testing.T) {
	cycles := 20
	if v := os.Getenv("LIFECIRCLE_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("LIFECIRCLE_CRASH_CYCLES=%q is not a positive number", v)
		}
		cycles = n
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store.gpkg")
	if out, err := exec.Command(bin, "import", "--store", store, "--sample", "chengdu").CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "users", "add", "--store", store, "--name", "crash", "--role", "admin").Output()
	if err != nil {
		t.Fatalf("users add: %v", err)
	}
	token := strings.TrimSpace(string(out))
	post := func(client *http.Client, url, key, body string) (*http.Response, error) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		return client.Do(req)
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 4))

	var mu sync.Mutex
	sent := map[string]*sentProposal{} // by author, unique per proposal
	scenario := ""
	start := func() (*exec.Cmd, string) {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "serve", "--store", store, "--addr", addr, "--write-rate", "10000", "--write-burst", "10000")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // a failed check must not leave the server running
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		return cmd, "http://" + addr
	}
	ready := func(cmd *exec.Cmd, base string) {
		if err := pollHealthy(base, nil); err != nil {
			cmd.Process.Kill()
			t.Fatal(err)
		}
	}
	// check compares what the server has with what was sent.
	check := func(base string) int {
		resp, err := http.Get(base + "/v1/scenarios/" + scenario + "/proposals")
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Proposals []struct {
				ID         string              `json:"id"`
				Facilities []coverage.Facility `json:"facilities"`
			} `json:"proposals"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("listing proposals: %d %v", resp.StatusCode, err)
		}
		mu.Lock()
		defer mu.Unlock()
		seen := map[string]bool{}
		for _, p := range list.Proposals {
			author := ""
			if len(p.Facilities) > 0 {
				author, _, _ = strings.Cut(p.Facilities[0].Name, " site ")
			}
			s, ok := sent[author]
			switch {
			case !ok:
				t.Errorf("proposal %s by %q was never sent", p.ID, author)
				continue
			case seen[author]:
				t.Errorf("proposal by %q stored twice", author)
			case len(p.Facilities) != s.sites:
				t.Errorf("proposal by %q is half-written: %d of %d sites", author, len(p.Facilities), s.sites)
			}
			for i, f := range p.Facilities {
				if f.Name != fmt.Sprintf("%s site %d", author, i) || math.IsNaN(f.Location[0]) || f.Type == "" {
					t.Errorf("proposal by %q: site %d is %+v", author, i, f)
				}
			}
			seen[author] = true
		}
		for author, s := range sent {
			if s.acked && !seen[author] {
				t.Errorf("acknowledged proposal by %q is lost", author)
			}
		}
		return len(list.Proposals)
	}

	types := []string{"kindergarten", "pharmacy", "primary_school", "elderly_day_care"}
	acked, unacked := 0, 0
	for cycle := 0; cycle <= cycles; cycle++ {
		cmd, base := start()
		if cycle > 0 && rng.IntN(5) == 0 {
			// Sometimes kill it while it is still opening the store.
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			cmd, base = start()
		}
		ready(cmd, base)
		if scenario == "" {
			resp, err := post(http.DefaultClient, base+"/v1/scenarios", "", `{"name": "crash test"}`)
			if err != nil || resp.StatusCode != 201 {
				t.Fatalf("creating the scenario: %v", err)
			}
			var sc coverage.Scenario
			json.NewDecoder(resp.Body).Decode(&sc)
			resp.Body.Close()
			scenario = sc.ID
		}
		stored := check(base)
		// Retry what was sent without an answer, with the same key: each is
		// stored once (the next check finds any duplicate).
		mu.Lock()
		for _, s := range sent {
			if s.acked {
				continue
			}
			resp, err := post(http.DefaultClient, base+"/v1/scenarios/"+scenario+"/proposals", s.author, s.body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Fatalf("retry of %s: %d", s.author, resp.StatusCode)
			}
			s.acked = true
		}
		mu.Unlock()
		if cycle == cycles {
			stored = check(base)
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			t.Logf("%d kills; %d proposals stored, %d acknowledged, %d sent without an answer", cycles, stored, acked, unacked)
			break
		}
		// Stream writes from a few clients, then kill the server mid-stream.
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				client := &http.Client{Timeout: 10 * time.Second}
				for seq := 0; ; seq++ {
					select {
					case <-stop:
						return
					default:
					}
					author := fmt.Sprintf("c%d-w%d-%d", cycle, w, seq)
					n := 1 + (seq+w)%3
					var sites []string
					for i := 0; i < n; i++ {
						sites = append(sites, fmt.Sprintf(`{"type": %q, "lon": %.6f, "lat": %.6f, "name": "%s site %d", "capacity": %d}`,
							types[(seq+i)%len(types)], 104.05+float64((seq*7+i)%70)/1000, 30.66+float64((seq*3+i)%60)/1000, author, i, 10*i))
					}
					body := fmt.Sprintf(`{"facilities": [%s]}`, strings.Join(sites, ", "))
					mu.Lock()
					sent[author] = &sentProposal{author: author, body: body, sites: n}
					mu.Unlock()
					resp, err := post(client, base+"/v1/scenarios/"+scenario+"/proposals", author, body)
					if err != nil {
						return // the server is gone
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 201 {
						mu.Lock()
						sent[author].acked = true
						mu.Unlock()
					} else {
						t.Errorf("POST proposal: %d", resp.StatusCode)
						return
					}
				}
			}(w)
		}
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
		mu.Lock()
		acked, unacked = 0, 0
		for _, s := range sent {
			if s.acked {
				acked++
			} else {
				unacked++
			}
		}
		mu.Unlock()
		if t.Failed() {
			t.FailNow()
		}
	}
	// The file itself is sound: SQLite's integrity check and every R-tree.
	g, err := gpkgstore.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Check(context.Background()); err != nil {
		t.Error(err)
	}
	if acked == 0 {
		t.Error("no write was acknowledged: the test proved nothing")
	}
}

// TestCheckCommand: lifecircle check lists what it checked; on a store
// whose spatial index lost an entry (which opening it does not look for)
// it fails naming the index.
func TestCheckCommand(t *testing.T) {
	path, _ := newStore(t, append([]string{"--name", "tiny"}, tinyArgs()...)...)
	out := runOK(t, "check", "--store", path)
	for _, want := range []string{"integrity_check", "rtreecheck", "counts recorded at import", "全部通过 / all 5 checks passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("check printed %q; want %q in it", out, want)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM rtree_population_cells_geom WHERE id = (SELECT min(fid) FROM population_cells)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stdout bytes.Buffer
	err = run(context.Background(), []string{"check", "--store", path}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(stdout.String(), "失败 FAILED") ||
		!strings.Contains(stdout.String(), "rtree_population_cells_geom: 19 rows with a geometry, 18 index entries") {
		t.Errorf("check of a store missing an index entry: %v\n%s", err, stdout.String())
	}
	runErr(t, "no such file", "check", "--store", filepath.Join(t.TempDir(), "none.gpkg"))
}
