package data

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
)

// BenchmarkReadBasemap reads the basemap of the Chengdu sample extract and,
// when ../shared is beside the project, of the larger Las Palmas extract.
func BenchmarkReadBasemap(b *testing.B) {
	for _, f := range []struct{ name, path string }{
		{"chengdu", "sample/chengdu/osm.pbf"},
		{"las_palmas", "../../shared/data/las_palmas/las_palmas_2023-02-21.osm.pbf"},
	} {
		b.Run(f.name, func(b *testing.B) {
			src, err := os.ReadFile(f.path)
			if err != nil {
				b.Skipf("%v (needs ../shared beside the project)", err)
			}
			var st BasemapStats
			for b.Loop() {
				if _, st, err = ReadBasemap(f.name, bytes.NewReader(src)); err != nil {
					b.Fatal(err)
				}
			}
			n := 0
			for _, c := range st.Layers {
				n += c
			}
			b.ReportMetric(float64(n), "features")
		})
	}
}

// BenchmarkBasemapQuery queries the sample basemap for the tile holding
// 天府广场 at z12 and z15, as a tile encoder would.
func BenchmarkBasemapQuery(b *testing.B) {
	bm, _ := readSampleBasemap(b)
	tianfu := orb.Point{104.0657, 30.6574}
	for _, z := range []int{12, 15} {
		bound := tileBound(tianfu, z)
		b.Run("z"+strconv.Itoa(z), func(b *testing.B) {
			n := 0
			for b.Loop() {
				n = 0
				bm.Query(bound, z, func(*coverage.BasemapFeature) bool { n++; return true })
			}
			b.ReportMetric(float64(n), "features")
		})
	}
}
