package data

import (
	"embed"
	"fmt"
	"strings"

	"lifecircle/coverage"
)

// The sample datasets shipped inside the binary, with their licence notes
// (sample/*/SOURCES.md). cmd/samplegen regenerates them from ../shared.
//
//go:embed sample
var sampleFS embed.FS

// SampleNames lists the embedded samples; the first is the default.
var SampleNames = []string{"chengdu", "porto_alegre"}

// SampleInputs returns the inputs of an embedded sample.
func SampleInputs(name string) (Inputs, error) {
	switch name {
	case "chengdu", "":
		return Inputs{
			Name:       "chengdu-centre-sample",
			Facilities: "sample/chengdu/facilities.geojson",
			Population: "sample/chengdu/population.csv",
			Boundaries: []BoundaryFile{{Path: "sample/chengdu/boundaries.geojson"}},
			OSM:        "sample/chengdu/osm.pbf",
			FS:         sampleFS,
			Resolution: 10,
			PopulationNote: "估算值，非官方统计：2020 年人口普查的区县总人口按 OSM 居住道路与居住用地的比例分配到 H3 网格（分区密度法），" +
				"详见 data/sample/chengdu/SOURCES.md — ESTIMATE, not an official count: 2020 census district totals spread over H3 cells " +
				"in proportion to OSM residential streets and land (dasymetric); see data/sample/chengdu/SOURCES.md",
		}, nil
	case "porto_alegre":
		return Inputs{
			Name:           "porto-alegre-sample",
			Facilities:     "sample/porto_alegre/facilities.csv",
			Population:     "sample/porto_alegre/population.csv",
			Catalog:        "sample/porto_alegre/catalog.json",
			OSM:            "sample/porto_alegre/osm.pbf",
			FS:             sampleFS,
			Resolution:     9,
			PopulationNote: "H3 res-9 population from the Ipea r5r Porto Alegre sample (IBGE 2010 census, attribution unverified); see data/sample/porto_alegre/SOURCES.md",
		}, nil
	}
	return Inputs{}, fmt.Errorf("no sample %q; samples: %s: %w", name, strings.Join(SampleNames, ", "), coverage.ErrNotFound)
}

// SampleFile returns the bytes of a file of the embedded samples, e.g.
// "sample/chengdu/osm.pbf".
func SampleFile(path string) ([]byte, error) { return sampleFS.ReadFile(path) }
