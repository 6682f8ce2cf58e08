// Command loadgen puts a load on a running lifecircle server with vegeta (as
// a library): a fixed number of clients, each sending its next request as
// soon as the last one is answered, for a fixed time, and prints requests
// per second, latency percentiles and errors.
//
//	loadgen --target http://127.0.0.1:8080 --scenario tiles [--clients 64] [--duration 20s]
//	        [--collection coverage-kindergarten] [--zoom 14] [--tiles 64] [--wait 60s]
//	loadgen --serve bin/lifecircle [same options]
//
// With --serve, loadgen starts `BIN serve` itself on a free loopback port
// (so it cannot measure some other server already on a port) and stops it
// afterwards.
//
// Scenarios:
//
//	tiles  a fixed set of vector tiles of one collection at one zoom, the
//	       non-empty ones inside the collection's TileJSON bounds, each
//	       fetched once first so the load hits the tile cache
//	items  1,000-feature OGC API items pages of the collection at offsets
//	       spread over it (nothing cached)
//	mixed, mixed-writes  see mixed.go (make load)
//
// `make load-tiles` runs the tiles scenario with --serve bin/lifecircle
// (the embedded sample).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	target, scenario, collection, serve string
	clients, zoom, tiles                int
	duration, wait                      time.Duration
	token                               string
	writers                             int
	gzip                                bool
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&o.target, "target", "http://127.0.0.1:8080", "base URL of a running lifecircle server")
	fs.StringVar(&o.scenario, "scenario", "tiles", "tiles or items")
	fs.StringVar(&o.collection, "collection", "coverage-kindergarten", "collection to load")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients (one connection each)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to load")
	fs.IntVar(&o.zoom, "zoom", 14, "tiles: zoom")
	fs.IntVar(&o.tiles, "tiles", 64, "tiles: how many distinct tiles")
	fs.DurationVar(&o.wait, "wait", 60*time.Second, "wait this long for /healthz to answer before starting")
	fs.StringVar(&o.token, "token", os.Getenv("LIFECIRCLE_TOKEN"), "mixed-writes: API token of a planner or admin (default $LIFECIRCLE_TOKEN)")
	fs.IntVar(&o.writers, "writers", 16, "mixed-writes: concurrent writers")
	fs.BoolVar(&o.gzip, "gzip", false, "ask for gzip (Accept-Encoding: gzip) and decompress every body, as a browser does; off: Accept-Encoding: identity")
	fs.StringVar(&o.serve, "serve", "", "start this lifecircle binary (serve, embedded sample) on a free loopback port and load it instead of --target")
	if err := fs.Parse(args); err != nil {
		return err
	}
	serverPID := 0
	if o.serve != "" {
		target, pid, stop, err := startServer(o.serve)
		if err != nil {
			return err
		}
		defer stop()
		o.target, serverPID = target, pid
	}
	if o.clients < 1 || o.duration <= 0 || o.tiles < 1 || o.zoom < 0 || o.zoom > 22 {
		return errors.New("--clients and --tiles must be ≥ 1, --duration > 0 and --zoom 0–22")
	}
	o.target = strings.TrimRight(o.target, "/")
	if err := waitHealthy(o.target, o.wait); err != nil {
		return err
	}
	var urls []string
	var err error
	switch o.scenario {
	case "tiles":
		urls, err = tileURLs(o)
	case "items":
		urls, err = itemURLs(o)
	case "mixed", "mixed-writes":
		urls, err = mixedURLs(o)
	default:
		return fmt.Errorf("--scenario %q: use tiles, items, mixed or mixed-writes", o.scenario)
	}
	if err != nil {
		return err
	}
	srv0, self0 := cpuTime(serverPID), cpuTime(os.Getpid())
	if o.scenario == "mixed-writes" {
		return mixedWrites(o, urls, out)
	}
	m := attack(o, urls)
	report(out, o, len(urls), m)
	if serverPID > 0 && m.Requests > 0 {
		srv, self := cpuTime(serverPID)-srv0, cpuTime(os.Getpid())-self0
		if srv > 0 {
			fmt.Fprintf(out, "CPU per request (user+system): server %.0f µs, load tool %.0f µs; server CPU %.2f s in %v on %d cores\n",
				srv.Seconds()*1e6/float64(m.Requests), self.Seconds()*1e6/float64(m.Requests), srv.Seconds(), o.duration, runtime.NumCPU())
		}
	}
	if m.Success < 1 {
		return fmt.Errorf("%.2f %% of the requests failed", 100*(1-m.Success))
	}
	return nil
}

// startServer runs `bin serve` on a loopback port the kernel just handed
// out, its log discarded, and returns its URL and a function that stops it.
func startServer(bin string) (string, int, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr)
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("--serve: %w", err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	var stopping atomic.Bool
	go func() { // the server must not exit before we stop it (a port taken meanwhile, a bad binary)
		<-done
		if !stopping.Load() {
			fmt.Fprintf(os.Stderr, "loadgen: %s serve exited: %v\n", bin, waitErr)
			os.Exit(1)
		}
	}()
	stop := func() {
		stopping.Store(true)
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	return "http://" + addr, cmd.Process.Pid, stop, nil
}

// cpuTime is the user + system CPU time process pid has used, from
// /proc/PID/stat (0 where there is no /proc or pid is 0).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parentheses;
	// utime and stime are fields 14 and 15, in clock ticks (100 a second).
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func waitHealthy(target string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(target + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/healthz did not answer within %v: %w", target, wait, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// tileURLs picks up to o.tiles non-empty tiles of the collection at o.zoom,
// nearest the centre of its TileJSON bounds first, and fetches each once
// so that they are cached.
func tileURLs(o options) ([]string, error) {
	var tj struct {
		Bounds  []float64 `json:"bounds"`
		MinZoom int       `json:"minzoom"`
	}
	if err := getJSON(o.target+"/tiles/"+o.collection+".json", &tj); err != nil {
		return nil, err
	}
	if len(tj.Bounds) != 4 {
		return nil, fmt.Errorf("TileJSON of %s has no bounds", o.collection)
	}
	if o.zoom < tj.MinZoom {
		return nil, fmt.Errorf("%s is tiled from zoom %d; --zoom %d is below", o.collection, tj.MinZoom, o.zoom)
	}
	x0, y0 := tileXY(tj.Bounds[0], tj.Bounds[3], o.zoom)
	x1, y1 := tileXY(tj.Bounds[2], tj.Bounds[1], o.zoom)
	cx, cy := (x0+x1)/2, (y0+y1)/2
	type xy struct{ x, y int }
	var all []xy
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			all = append(all, xy{x, y})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		di := (all[i].x-cx)*(all[i].x-cx) + (all[i].y-cy)*(all[i].y-cy)
		dj := (all[j].x-cx)*(all[j].x-cx) + (all[j].y-cy)*(all[j].y-cy)
		return di < dj || di == dj && (all[i].x < all[j].x || all[i].x == all[j].x && all[i].y < all[j].y)
	})
	var urls []string
	tileBytes = 0
	for _, t := range all {
		if len(urls) == o.tiles {
			break
		}
		u := fmt.Sprintf("%s/tiles/%s/%d/%d/%d.pbf", o.target, o.collection, o.zoom, t.x, t.y)
		resp, err := http.Get(u)
		if err != nil {
			return nil, err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			urls = append(urls, u)
			tileBytes += n
		case http.StatusNoContent:
		default:
			return nil, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
		}
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("no tile of %s at zoom %d has features", o.collection, o.zoom)
	}
	return urls, nil
}

// tileBytes is the size of the chosen tiles together (for the report).
var tileBytes int64

// tileXY is the XYZ tile holding lon, lat at zoom z (Web Mercator).
func tileXY(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	clamp := func(v int) int { return min(max(v, 0), int(n)-1) }
	return clamp(x), clamp(y)
}

// itemURLs lists 1,000-feature pages at 64 offsets spread over the
// collection.
func itemURLs(o options) ([]string, error) {
	var page struct {
		NumberMatched int `json:"numberMatched"`
	}
	base := o.target + "/ogc/collections/" + o.collection + "/items"
	if err := getJSON(base+"?limit=1", &page); err != nil {
		return nil, err
	}
	var urls []string
	for i := 0; i < 64; i++ {
		off := 0
		if page.NumberMatched > 1000 {
			off = i * (page.NumberMatched - 1000) / 63
		}
		urls = append(urls, fmt.Sprintf("%s?limit=1000&offset=%d", base, off))
	}
	return urls, nil
}

// attack runs o.clients clients, each requesting the URLs in turn as fast
// as it is answered, for o.duration.
func attack(o options, urls []string) vegeta.Metrics {
	targets := make([]vegeta.Target, len(urls))
	for i, u := range urls {
		targets[i] = vegeta.Target{Method: http.MethodGet, URL: u}
		if !o.gzip { // with gzip, Go's transport asks for it and decompresses
			targets[i].Header = http.Header{"Accept-Encoding": {"identity"}}
		}
	}
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(o.clients)), vegeta.MaxWorkers(uint64(o.clients)),
		vegeta.Connections(o.clients), vegeta.MaxConnections(o.clients),
		vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second),
		// Read every body to the end but keep none of it: keeping it
		// (vegeta's default) doubled the load tool's CPU per request,
		// which shares the machine with the server.
		vegeta.MaxBody(0),
	)
	loadBefore = loadAverage()
	var m vegeta.Metrics
	// Rate 0: no pacing; the clients are the limit.
	for res := range atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: 0}, o.duration, o.scenario) {
		m.Add(res)
	}
	m.Close()
	return m
}

// loadAverage is the machine's 1-minute load average from /proc/loadavg
// ("?" where there is none), printed beside every figure: on a shared
// machine it says how much of the cores the run had.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// loadBefore is the load average when the attack started.
var loadBefore string

func report(out io.Writer, o options, distinct int, m vegeta.Metrics) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(out, "load average (1 min): %s before, %s after\n", loadBefore, loadAverage())
	fmt.Fprintf(out, "scenario %s: %s, %d distinct URLs, %d clients, %v, gzip %v\n", o.scenario, o.collection, distinct, o.clients, o.duration, o.gzip)
	if o.scenario == "tiles" {
		fmt.Fprintf(out, "tiles: zoom %d, mean %d bytes\n", o.zoom, tileBytes/int64(distinct))
	}
	fmt.Fprintf(out, "requests %d  rate %.0f/s  throughput (successful) %.0f/s  success %.2f %%\n", m.Requests, m.Rate, m.Throughput, 100*m.Success)
	fmt.Fprintf(out, "latency  p50 %s  p90 %s  p99 %s  max %s  mean %s\n", ms(m.Latencies.P50), ms(m.Latencies.P90), ms(m.Latencies.P99), ms(m.Latencies.Max), ms(m.Latencies.Mean))
	fmt.Fprintf(out, "status codes %v\n", m.StatusCodes)
	if len(m.Errors) > 0 {
		fmt.Fprintf(out, "errors (%d distinct): %s\n", len(m.Errors), strings.Join(m.Errors[:min(len(m.Errors), 5)], "; "))
	} else {
		fmt.Fprintln(out, "errors: none")
	}
}
