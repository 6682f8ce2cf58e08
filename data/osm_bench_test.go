package data

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkReadOSM builds the walking graph from real PBF extracts and
// reports OSM nodes read per second (goal ≥ 1 M nodes/s on 2 cores).
func BenchmarkReadOSM(b *testing.B) {
	for _, f := range []struct{ name, path string }{
		{"chengdu", "sample/chengdu/osm.pbf"},
		{"porto_alegre", "sample/porto_alegre/osm.pbf"},
		{"las_palmas", "../../shared/data/las_palmas/las_palmas_2023-02-21.osm.pbf"},
		{"monaco", "../../shared/data/osm-fixtures/monaco_osrm_2016.osm.pbf"},
	} {
		b.Run(f.name, func(b *testing.B) {
			src, err := os.ReadFile(f.path)
			if err != nil {
				b.Skipf("%v (needs ../shared beside the project)", err)
			}
			var st OSMStats
			for b.Loop() {
				if _, st, err = ReadOSM(f.name, bytes.NewReader(src), DefaultWalkRule()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.NodesRead)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
			b.ReportMetric(float64(st.Graph.Edges), "edges")
		})
	}
}
