package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"golang.org/x/net/netutil"

	"lifecircle/api"
	"lifecircle/data/gpkgstore"
)

// serverFlags are the HTTP server's options, shared by both ways to serve.
type serverFlags struct {
	addr     string
	private  bool
	origins  listFlag
	maxConns int
	limits   api.Limits
	scenMiB  int
	pprof    string
	respMiB  int
}

func (f *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", ":8080", "listen address HOST:PORT")
	fs.BoolVar(&f.private, "private", false, "reads need a token too (writes always do)")
	fs.Var(&f.origins, "allow-origin", "a web origin (https://host[:port]) allowed to write from a browser; repeat for several")
	fs.IntVar(&f.maxConns, "max-conns", 1024, "most connections open at once (more wait to be accepted)")
	fs.IntVar(&f.limits.Expensive, "max-expensive", runtime.NumCPU(), "expensive requests (recommend, trajectory, compare, workbooks) at once; more get 429")
	fs.Float64Var(&f.limits.WritesPerSec, "write-rate", 10, "writes per second per client (user, or address)")
	fs.IntVar(&f.limits.WriteBurst, "write-burst", 50, "writes a client may make at once before --write-rate applies")
	fs.IntVar(&f.scenMiB, "scenario-memory", 512, "MiB of scenario analyses kept in memory (least recently used go first)")
	fs.IntVar(&f.respMiB, "response-cache", 128, "MiB of read answers (summaries, layers, OGC API items) kept by analysis version; 0 turns the cache off")
	fs.StringVar(&f.pprof, "pprof", "", "serve Go's profiler (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060 (never on the API's port; off by default)")
}

// Server limits: a slow or idle client cannot hold a connection for long,
// headers are small, and WriteTimeout is longer than the longest
// legitimate answer (an export-sized layer or a bounded recommendation).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 120 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
)

// serveHTTP serves s on the flags' address until ctx ends, then shuts down.
func (f *serverFlags) serveHTTP(ctx context.Context, s *api.Server, stdout io.Writer, banner string) error {
	if f.maxConns < 1 {
		return fmt.Errorf("--max-conns must be at least 1")
	}
	if f.respMiB < 0 {
		return fmt.Errorf("--response-cache must be 0 (off) or more MiB")
	}
	s.SetResponseCache(f.respMiB << 20)
	if f.limits.Expensive < 1 || f.limits.WritesPerSec <= 0 || f.limits.WriteBurst < 1 || f.scenMiB < 1 {
		return fmt.Errorf("--max-expensive, --write-rate, --write-burst and --scenario-memory must be positive")
	}
	f.limits.ScenarioMemory = int64(f.scenMiB) << 20
	s.SetLimits(f.limits)
	s.SetPrivate(f.private)
	s.SetAllowedOrigins(f.origins)
	// the types not computed yet, in the background after the first answer
	s.SetWarmUp(ctx)
	s.SetGeoPackageWriter(gpkgstore.WriteCollectionFile) // ?f=gpkg downloads
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if f.pprof != "" {
		pl, err := net.Listen("tcp", f.pprof)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--pprof: %w", err)
		}
		defer pl.Close()
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go (&http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout}).Serve(pl) //nolint:errcheck // ends when pl closes
		fmt.Fprintf(stdout, "profiler on http://%s/debug/pprof/\n", pl.Addr())
	}
	fmt.Fprintf(stdout, "%s on http://%s\n", banner, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(netutil.LimitListener(ln, f.maxConns)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
