// Command samplegen builds the embedded default sample data in data/sample
// from the real open data in the shared data folder.
//
// It is deterministic: rerunning it on the same inputs writes identical bytes.
//
//	go run ./cmd/samplegen --shared ../shared --out data/sample
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// regenCommand is the command documented in the generated SOURCES.md files.
const regenCommand = "go run ./cmd/samplegen --shared ../shared --out data/sample"

func main() {
	shared := flag.String("shared", "../shared", "shared folder holding data/chengdu and data/porto_alegre")
	out := flag.String("out", "data/sample", "output folder")
	flag.Parse()

	log.SetFlags(0)
	if err := run(*shared, *out); err != nil {
		log.Fatalf("samplegen: %v", err)
	}
}

func run(shared, out string) error {
	in := filepath.Join(shared, "data")
	if err := buildChengdu(filepath.Join(in, "chengdu"), filepath.Join(out, "chengdu")); err != nil {
		return fmt.Errorf("chengdu: %w", err)
	}
	if err := buildPortoAlegre(filepath.Join(in, "porto_alegre"), filepath.Join(out, "porto_alegre")); err != nil {
		return fmt.Errorf("porto_alegre: %w", err)
	}
	return nil
}

// buildChengdu writes facilities.geojson, boundaries.geojson, population.csv,
// osm.pbf and SOURCES.md for the central Chengdu sample.
func buildChengdu(in, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	osmData, err := loadOSM(filepath.Join(in, "osm", "chengdu_center_2018.osm"))
	if err != nil {
		return err
	}

	fac, err := buildFacilities(filepath.Join(in, "pois", "chengdu_center_2018_osm_facilities.geojson"), osmData)
	if err != nil {
		return err
	}
	if err := writeFeatureCollection(filepath.Join(out, "facilities.geojson"), fac.features); err != nil {
		return err
	}
	fac.print()

	districts, err := buildDistricts(filepath.Join(in, "boundaries", "chengdu_districts_datav_wgs84.geojson"))
	if err != nil {
		return err
	}
	if err := writeFeatureCollection(filepath.Join(out, "boundaries.geojson"), districtFeatures(districts)); err != nil {
		return err
	}

	pop, err := buildPopulation(districts, osmData)
	if err != nil {
		return err
	}
	if err := writePopulationCSV(filepath.Join(out, "population.csv"), pop.cells); err != nil {
		return err
	}
	pop.print()

	pbf, err := copyFile(filepath.Join(in, "osm", "chengdu_center_2018.osm.pbf"), filepath.Join(out, "osm.pbf"))
	if err != nil {
		return err
	}
	fmt.Printf("chengdu: osm.pbf copied (%d bytes, sha256 %s)\n", pbf.size, pbf.sha256)

	// the official streets and communities of the five districts (codes
	// and names, no geometry): byte copies, to validate and resolve units
	for _, f := range []string{"streets_2023_central5.csv", "communities_2023_central5.csv"} {
		if _, err := copyFile(filepath.Join(in, "divisions", f), filepath.Join(out, f)); err != nil {
			return err
		}
	}

	files, err := describeFiles(out, "facilities.geojson", "boundaries.geojson", "population.csv", "osm.pbf",
		"streets_2023_central5.csv", "communities_2023_central5.csv")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "SOURCES.md"), chengduSources(files, fac, districts, pop), 0o644)
}
