// Command comparepeer checks lifecircle's walking distances against an
// independent implementation: the PostGIS + pgRouting harness in
// ../shared/bench/peer (osm2pgrouting import, edge snapping). It runs both on
// the Porto Alegre sample (schools and health, 1000 m) and prints the share
// of cells whose covered flag agrees, the median and p95 of the distance
// differences, and the two run times side by side.
//
//	go run ./cmd/comparepeer [--shared ../shared] [--peer-out DIR] [--reuse]
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"lifecircle/coverage"
	"lifecircle/data"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "comparepeer:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("comparepeer", flag.ContinueOnError)
	shared := fs.String("shared", "../shared", "the shared folder holding bench/peer and data")
	peerOut := fs.String("peer-out", "", "peer output folder (default: a temporary folder)")
	reuse := fs.Bool("reuse", false, "reuse an existing --peer-out instead of running the peer again")
	minComp := fs.Int("min-component", coverage.DefaultMinComponent, "lifecircle's --min-component")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *peerOut == "" {
		d, err := os.MkdirTemp("", "peer-pgrouting-")
		if err != nil {
			return err
		}
		*peerOut = filepath.Join(d, "out")
	}
	if !*reuse {
		cmd := exec.Command(filepath.Join(*shared, "bench/peer/peer-pgrouting"),
			"--osm", filepath.Join(*shared, "data/porto_alegre/poa_osm.pbf"),
			"--cells", filepath.Join(*shared, "data/porto_alegre/poa_hexgrid.csv"),
			"--facilities-from-cells", "schools,healthcare",
			"--radius-m", "1000", "--snap", "edge", "--max-snap-m", "250", "--out", *peerOut)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		fmt.Fprintf(out, "running the pgRouting peer (installs PostgreSQL 15 + PostGIS + pgRouting on first use)...\n")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("peer harness: %w", err)
		}
	}

	// lifecircle on the same inputs: the embedded Porto Alegre sample is a
	// byte copy of the shared files (facilities at the centres of the cells
	// that have them; schools → primary_school, healthcare →
	// community_health_center, both at 1000 m).
	// The one builder every lifecircle command uses (data.Build).
	start := time.Now()
	in, _ := data.SampleInputs("porto_alegre")
	a, info, err := data.BuildInputs(in, data.BuildOptions{SearchFactor: 1, MinComponent: *minComp})
	if err != nil {
		return err
	}
	if a.Method != "network" {
		return fmt.Errorf("lifecircle measured %s, not on the walking network", a.Method)
	}
	ds := a.Data
	// a type's distances are computed on first use: ask for every type
	// here so that the query time counts them
	t0 := time.Now()
	a.Types()
	tGraph, tSnap, tQuery := info.Graph, info.Snap, info.Analyse+time.Since(t0)
	tOurs := time.Since(start)
	tLoad := tOurs - tGraph - tSnap - tQuery

	peerType := map[string]string{"schools": "primary_school", "healthcare": "community_health_center"}
	f, err := os.Open(filepath.Join(*peerOut, "cells.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var total, agree, bothFound int
	var diffs []float64
	disagree := map[string]int{}
	for _, r := range rows[1:] {
		typ := peerType[r[col["facility_type"]]]
		tc, err := a.Type(typ)
		if err != nil {
			return fmt.Errorf("peer type %q: %w", r[col["facility_type"]], err)
		}
		var cell coverage.PopulationCell
		i := -1
		for j, c := range ds.Cells {
			if c.Cell.String() == r[col["h3"]] {
				i, cell = j, c
				break
			}
		}
		if i < 0 || cell.Population <= 0 {
			continue
		}
		total++
		peerCovered := r[col["covered_network"]] == "true"
		if peerCovered == tc.IsCovered(i) {
			agree++
		} else {
			snap, _ := strconv.ParseFloat(r[col["cell_snap_m"]], 64)
			switch {
			case snap > coverage.DefaultSnapLimitM:
				disagree["peer left the cell unsnapped (its nearest edge of the largest component is beyond 250 m)"]++
			case a.Unreachable(i):
				disagree["lifecircle left the cell unsnapped"]++
			default:
				disagree["distance on either side of 1000 m"]++
			}
		}
		if pd, err := strconv.ParseFloat(r[col["network_dist_m"]], 64); err == nil && tc.Hit(i).Found() {
			bothFound++
			diffs = append(diffs, math.Abs(pd-float64(tc.Hit(i).DistM)))
		}
	}
	sort.Float64s(diffs)
	q := func(p float64) float64 {
		if len(diffs) == 0 {
			return math.NaN()
		}
		return diffs[min(len(diffs)-1, int(p*float64(len(diffs))))]
	}
	var peer struct {
		Timings map[string]float64 `json:"timings_s"`
	}
	if b, err := os.ReadFile(filepath.Join(*peerOut, "summary.json")); err == nil {
		json.Unmarshal(b, &peer) //nolint:errcheck // timings are informative
	}
	fmt.Fprintf(out, "\nPorto Alegre, schools and health, 1000 m, edge snapping, snap limit 250 m\n")
	fmt.Fprintf(out, "cell-type pairs compared:      %d\n", total)
	fmt.Fprintf(out, "covered flag agrees:           %d (%.2f %%)\n", agree, 100*float64(agree)/float64(max(total, 1)))
	for why, n := range disagree {
		fmt.Fprintf(out, "  disagree: %-70s %d\n", why, n)
	}
	fmt.Fprintf(out, "both found a distance:         %d\n", bothFound)
	fmt.Fprintf(out, "|distance difference| median:  %.3f m   p95: %.3f m   max: %.3f m\n", q(0.5), q(0.95), q(1))
	fmt.Fprintf(out, "\nrun time                        lifecircle      peer (PostGIS + pgRouting)\n")
	fmt.Fprintf(out, "  import graph                  %8.3f s      %8.3f s\n", tGraph.Seconds(), peer.Timings["import_graph_s"])
	fmt.Fprintf(out, "  snapping                      %8.3f s      %8.3f s\n", tSnap.Seconds(), peer.Timings["snapping_s"])
	fmt.Fprintf(out, "  network distance queries      %8.3f s      %8.3f s\n", tQuery.Seconds(), peer.Timings["network_query_s"])
	fmt.Fprintf(out, "  total (inputs to answers)     %8.3f s      %8.3f s   (ratio peer/lifecircle %.0f×)\n",
		tOurs.Seconds(), peer.Timings["total_s"], peer.Timings["total_s"]/tOurs.Seconds())
	fmt.Fprintf(out, "  (lifecircle input load %.3f s included; peer total excludes package installs)\n", tLoad.Seconds())
	return nil
}
