package data

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lifecircle/spatial"
)

func needGDALRaster(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ogr2ogr", "gdal_rasterize", "gdal_translate"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s (gdal-bin) is needed for the raster tests: make deps-gdal", tool)
			}
			t.Skipf("%s missing: make deps-gdal installs gdal-bin", tool)
		}
	}
}

func gdal(t *testing.T, tool string, args ...string) {
	t.Helper()
	if b, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, b)
	}
}

// populationPoints writes the shared population as points: Porto Alegre's
// H3 cell centres, Helsinki's 250 m squares' centroids.
func populationPoints(t *testing.T, dir, city string) (string, float64) {
	t.Helper()
	out := filepath.Join(dir, city+"-points.geojson")
	switch city {
	case "porto_alegre":
		src := filepath.Join(sharedDataDir, "data", "porto_alegre", "poa_hexgrid.csv")
		if _, err := os.Stat(src); err != nil {
			t.Skipf("no shared data: %v", err)
		}
		gdal(t, "ogr2ogr", "-f", "GeoJSON", "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "AUTODETECT_TYPE=YES",
			"-a_srs", "EPSG:4326", "-where", "population > 0", out, src)
		return out, 812935 // SOURCES.md
	default:
		src := filepath.Join(sharedDataDir, "data", "helsinki", "helsinki_population_grid_2020.geojson")
		if _, err := os.Stat(src); err != nil {
			t.Skipf("no shared data: %v", err)
		}
		gdal(t, "ogr2ogr", "-f", "GeoJSON", "-dialect", "sqlite", "-sql",
			"SELECT ST_Centroid(geometry) AS geometry, population FROM population_grid_2020", out, src)
		return out, 71724 // SOURCES.md
	}
}

func TestPopulationRasters(t *testing.T) {
	needGDALRaster(t)
	dir := t.TempDir()
	type raster struct {
		city, name string
		srs        string
		tr         string // pixel size
		ot         string
		co         []string
	}
	cases := []raster{
		{"porto_alegre", "wgs84-float", "EPSG:4326", "0.001", "Float32", nil},
		{"porto_alegre", "wgs84-int-lzw-tiled", "EPSG:4326", "0.0015", "Int32", []string{"COMPRESS=LZW", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"}},
		{"porto_alegre", "mollweide-float-deflate", "ESRI:54009", "100", "Float32", []string{"COMPRESS=DEFLATE", "PREDICTOR=3"}},
		{"helsinki", "mollweide-float", "ESRI:54009", "100", "Float32", nil},
		{"helsinki", "wgs84-float64-lzw", "EPSG:4326", "0.0008", "Float64", []string{"COMPRESS=LZW", "PREDICTOR=3"}},
	}
	points := map[string]string{}
	totals := map[string]float64{}
	for _, c := range cases {
		t.Run(c.city+"/"+c.name, func(t *testing.T) {
			if points[c.city] == "" {
				points[c.city], totals[c.city] = populationPoints(t, dir, c.city)
			}
			pts := points[c.city]
			if c.srs != "EPSG:4326" {
				moll := filepath.Join(dir, c.city+"-moll.geojson")
				if _, err := os.Stat(moll); err != nil {
					gdal(t, "ogr2ogr", "-f", "GeoJSON", "-t_srs", c.srs, moll, pts)
				}
				pts = moll
			}
			plain := filepath.Join(dir, c.city+"-"+c.name+"-plain.tif")
			// Every point burns its population into the pixel it falls in (no
			// two share one at these sizes: the raster's total is the city's).
			// Pixels without people are nodata.
			gdal(t, "gdal_rasterize", "-a", "population", "-init", "-99999", "-a_nodata", "-99999",
				"-tr", c.tr, c.tr, "-ot", c.ot, "-of", "GTiff", pts, plain)
			tif := plain
			if len(c.co) > 0 {
				tif = filepath.Join(dir, c.city+"-"+c.name+".tif")
				args := []string{}
				for _, o := range c.co {
					args = append(args, "-co", o)
				}
				gdal(t, "gdal_translate", append(args, plain, tif)...)
			}
			f, err := os.Open(tif)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res := 9
			acc, info, err := ReadPopulationRaster(tif, f, res)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, v := range acc {
				sum += v
			}
			want := totals[c.city]
			if math.Abs(info.Total-want) > 0.5 || math.Abs(sum-want) > 0.001*want {
				t.Errorf("%s: raster total %.1f, cells %.1f; want %.0f (±0.1 %%)", c.name, info.Total, sum, want)
			}
			if !strings.Contains(info.CRS, map[bool]string{true: "WGS 84", false: "Mollweide"}[c.srs == "EPSG:4326"]) {
				t.Errorf("CRS %q for %s", info.CRS, c.srs)
			}
		})
	}
}

// Where the population lands: a raster made from the Porto Alegre cells
// puts each cell's people back into (or next to) that cell.
func TestPopulationRasterPlacement(t *testing.T) {
	needGDALRaster(t)
	dir := t.TempDir()
	pts, _ := populationPoints(t, dir, "porto_alegre")
	moll := filepath.Join(dir, "m.geojson")
	gdal(t, "ogr2ogr", "-f", "GeoJSON", "-t_srs", "ESRI:54009", moll, pts)
	tif := filepath.Join(dir, "m.tif")
	gdal(t, "gdal_rasterize", "-a", "population", "-add", "-init", "0", "-a_nodata", "-1", "-tr", "20", "20", "-ot", "Float32", moll, tif)
	b, err := os.ReadFile(tif)
	if err != nil {
		t.Fatal(err)
	}
	acc, _, err := ReadPopulationRaster(tif, bytes.NewReader(b), 9)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(filepath.Join(sharedDataDir, "data", "porto_alegre", "poa_hexgrid.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want, err := readPopulationCSV("poa_hexgrid.csv", src, 9)
	if err != nil {
		t.Fatal(err)
	}
	// 20 m pixels are much smaller than res-9 cells (≈ 350 m across): almost
	// every person lands in their own cell.
	same, total := 0.0, 0.0
	for c, v := range want {
		same += math.Min(v, acc[c])
		total += v
	}
	if same < 0.99*total {
		t.Errorf("only %.1f %% of the residents land in their own cell", 100*same/total)
	}
}

func TestMollweideRoundTrip(t *testing.T) {
	for _, p := range [][2]float64{{104.07, 30.66}, {-51.2, -30.03}, {24.94, 60.17}, {179.9, 0}, {0, 89.9}} {
		x, y := mollweideForward(p[0], p[1])
		q, err := mollweideInverse(x, y)
		if err != nil || math.Abs(q[0]-p[0]) > 1e-9 || math.Abs(q[1]-p[1]) > 1e-9 {
			t.Errorf("%v → (%.3f, %.3f) → %v, %v", p, x, y, q, err)
		}
	}
	// PROJ's figure for Chengdu: echo "30.66 104.07" | cs2cs -f %.4f EPSG:4326 ESRI:54009
	x, y := mollweideForward(104.07, 30.66)
	if math.Abs(x-9501326.3427) > 0.001 || math.Abs(y-3721012.6958) > 0.001 {
		t.Errorf("Chengdu in Mollweide: %.4f, %.4f; PROJ says 9501326.3427, 3721012.6958", x, y)
	}
	if q, _ := mollweideInverse(9501326.3427, 3721012.6958); math.Abs(q[0]-104.07) > 1e-9 || math.Abs(q[1]-30.66) > 1e-9 {
		t.Errorf("inverse of PROJ's Chengdu: %v", q)
	}
	_, err := mollweideInverse(0, 1e8)
	if err == nil {
		t.Error("y beyond the pole accepted")
	}
}

func TestRasterRefusals(t *testing.T) {
	for _, c := range []struct {
		src  []byte
		want string
	}{
		{[]byte("not a tiff"), "not a TIFF"},
		{[]byte("II+\x00\x08\x00\x00\x00"), "BigTIFF"},
	} {
		_, _, err := ReadPopulationRaster("p.tif", bytes.NewReader(c.src), 9)
		wantInvalid(t, err, "p.tif", c.want)
	}
	_ = spatial.WGS84
}
