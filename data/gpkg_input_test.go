package data

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"lifecircle/spatial"
)

// The shared Helsinki grid as its GeoPackage: polygons apportioned to
// cells, the known total kept.
func TestGeoPackagePopulation(t *testing.T) {
	src := filepath.Join(sharedDataDir, "data", "helsinki", "helsinki_population_grid_2020.gpkg")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no shared data: %v", err)
	}
	sf, err := ReadGeoPackageLayer(src, "")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := populationFromFeatures(src, sf.Features, spatial.WGS84, 9)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range acc {
		sum += v
	}
	if math.Abs(sum-71724) > 0.5 {
		t.Errorf("total %.1f, want 71,724", sum)
	}
}

// Boundaries in a CGCS2000 Gauss-Krüger GeoPackage with two layers: the
// named layer loads as the GeoJSON does; without a name the error lists them.
func TestGeoPackageBoundariesNamedLayer(t *testing.T) {
	needOgr2ogr(t)
	dir := t.TempDir()
	gpkg := filepath.Join(dir, "bureau.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4544", "-nln", "streets", gpkg, chengduBoundaries)
	gdal(t, "ogr2ogr", "-f", "GPKG", "-update", "-nln", "pois", gpkg, chengduFacilities)
	_, err := ReadGeoPackageLayer(gpkg, "")
	wantInvalid(t, err, "bureau.gpkg", "2 layers (pois, streets)", "--boundaries-layer")
	_, err = ReadGeoPackageLayer(gpkg, "roads")
	wantInvalid(t, err, "no feature layer \"roads\"")
	in := Inputs{Facilities: gpkg, FacilitiesLayer: "pois", Population: "sample/chengdu/population.csv", Boundaries: []BoundaryFile{{Path: gpkg, Layer: "streets"}}}
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(chengduBoundaries)
	defer f.Close()
	want, err := ReadBoundaries(chengduBoundaries, f, spatial.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	compareUnits(t, ds.Units, want)
	if len(ds.Facilities) < 300 {
		t.Errorf("%d facilities from the pois layer", len(ds.Facilities))
	}
	_, err = ReadGeoPackageLayer(chengduBoundaries, "")
	wantInvalid(t, err, "not a GeoPackage")
}
