package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"lifecircle/coverage"
	"lifecircle/data/gpkgstore"
	"lifecircle/data/storetest"
	"lifecircle/data/synth"
)

// BenchmarkServeStoreFirstLayer runs `lifecircle serve --store` itself (in
// this process, on a free loopback port) over a GeoPackage store holding
// the synthetic city (LIFECIRCLE_BENCH_CELLS cells, 200,000 unless set),
// and asks for the first layer, GET /v1/layers/facilities: the time from
// the command's start to the whole answer read is what a planner waits
// for after starting the server. listen-ms is the time until the server
// listens, first-layer-ms until the answer is read, cpu-ms this process's
// CPU time until then (on a machine shared with other work, the figure
// that does not depend on the load). Like the store
// benchmarks in data/storetest it runs with LIFECIRCLE_BENCH_STORE=1.
func BenchmarkServeStoreFirstLayer(b *testing.B) {
	ds := synth.City(synth.Config{Cells: storetest.BenchStore(b)})
	path := filepath.Join(b.TempDir(), "bench.gpkg")
	st, err := gpkgstore.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.SaveDataset(context.Background(), coverage.DefaultCatalog(), ds); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("synthetic city: %d cells, %d facilities, %d units", len(ds.Cells), len(ds.Facilities), len(ds.Units))
	var tListen, tLayer, tCPU time.Duration
	size := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		banner := &bannerWriter{found: make(chan string, 1)}
		start, cpu0 := time.Now(), processCPU()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--store", path, "--addr", "127.0.0.1:0"}, banner, io.Discard)
		}()
		var base string
		select {
		case base = <-banner.found:
		case err := <-done:
			b.Fatalf("serve ended before listening: %v", err)
		}
		listening := time.Now()
		resp, err := http.Get(base + "/v1/layers/facilities")
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("first layer: %d %v %.300s", resp.StatusCode, err, body)
		}
		tListen += listening.Sub(start)
		tLayer += time.Since(start)
		tCPU += processCPU() - cpu0
		size = len(body)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(tListen.Seconds()*1000/n, "listen-ms")
	b.ReportMetric(tLayer.Seconds()*1000/n, "first-layer-ms")
	b.ReportMetric(tCPU.Seconds()*1000/n, "cpu-ms")
	b.ReportMetric(float64(size), "layer-bytes")
}

// bannerWriter takes serve's standard output and sends the address of the
// "… on http://ADDR" line once it is written.
type bannerWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  bool
	found chan string
}

var bannerRE = regexp.MustCompile(`on (http://[^\s]+)\n`)

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := bannerRE.FindSubmatch(w.buf.Bytes()); m != nil && !w.sent {
		w.sent = true
		w.found <- string(m[1])
	}
	return len(p), nil
}
