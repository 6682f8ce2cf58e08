package storetest

import (
	"os"
	"strconv"
	"testing"
)

// BenchStore skips a store benchmark unless LIFECIRCLE_BENCH_STORE=1 (they
// take minutes; make bench-store sets it) and returns how many populated
// cells the synthetic city has: LIFECIRCLE_BENCH_CELLS, 200,000 unless set.
func BenchStore(b *testing.B) int {
	b.Helper()
	if os.Getenv("LIFECIRCLE_BENCH_STORE") != "1" {
		b.Skip("store benchmarks take minutes: run them with make bench-store (LIFECIRCLE_BENCH_STORE=1)")
	}
	v := os.Getenv("LIFECIRCLE_BENCH_CELLS")
	if v == "" {
		return 200_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		b.Fatalf("LIFECIRCLE_BENCH_CELLS=%q: want a number ≥ 1000", v)
	}
	return n
}
