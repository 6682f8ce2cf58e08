package data

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
	"lifecircle/spatial/network"
)

// Inputs names the files of one dataset. Each CRS field defaults to CRS.
type Inputs struct {
	Name       string
	Facilities string
	Population string
	// Boundaries are the boundary files (optional, any number: districts
	// from one file, streets from another, each with its own level, layer,
	// encoding and CRS). Their units are merged; a code in two files is
	// refused, naming both.
	Boundaries []BoundaryFile
	Catalog    string // optional override of the default catalogue
	// Provider, when set (amap, baidu, tencent, osm), reads Facilities as
	// that provider's POI export (CSV or XLSX) and classifies every row
	// with the POI rules (POIRules, or the default); OnPOIReport, when set,
	// gets the classification report.
	Provider    string
	POIRules    string
	OnPOIReport func(*POIReport)
	// Encoding forces the attribute encoding of Shapefiles ("utf-8",
	// "gbk"); otherwise the .cpg, the table's language driver, or detection.
	Encoding string
	// OnWarning, when set, gets the warnings of loading (boundary
	// polygons the official divisions do not know).
	OnWarning func(string)
	// FacilitiesLayer and PopulationLayer name the layer of a GeoPackage
	// input ("" when it has one).
	FacilitiesLayer, PopulationLayer string
	OSM                              string // optional OSM extract (PBF or XML) for walking distances
	// FS, when set, is where the paths are read from (the embedded
	// samples); otherwise the operating system's files.
	FS fs.FS

	CRS                          spatial.CRS
	FacilitiesCRS, PopulationCRS spatial.CRS
	Resolution                   int
	PopulationNote               string
	// AllowNoFacilities accepts a facility file with no facility (otherwise
	// refused: it is almost always the wrong file or filter).
	AllowNoFacilities bool
}

// BoundaryFile is one boundary file and how to read it; an empty field
// takes the dataset's default.
type BoundaryFile struct {
	Path string
	// Level is the unit level of features that carry none (a Shapefile of
	// streets from the natural-resources bureau); "" tells it from the
	// official divisions, the code's length or the name's ending.
	Level string
	// Layer names the layer of a GeoPackage ("" when it has one).
	Layer string
	// Encoding forces the attribute encoding of a Shapefile ("": Inputs.Encoding).
	Encoding string
	// CRS the coordinates are in ("": Inputs.CRS).
	CRS spatial.CRS
	// OS reads the file from the operating system's files even when
	// Inputs.FS is set: a user's streets beside an embedded sample's
	// districts.
	OS bool
}

// BoundarySet is what one boundary file gave: its units as read (also in
// the dataset's Units), for the checks made per file.
type BoundarySet struct {
	File  BoundaryFile
	Units []coverage.AdminUnit
}

// Loaded is a loaded dataset with the catalogue in force and the units of
// each boundary file.
type Loaded struct {
	Catalog    *coverage.Catalog
	Dataset    *coverage.Dataset
	Boundaries []BoundarySet
}

func (in Inputs) open(path string) (io.ReadCloser, error) {
	if in.FS != nil {
		f, err := in.FS.Open(path)
		if err != nil {
			return nil, err
		}
		return skipBOM(f), nil
	}
	if err := checkInputFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return skipBOM(f), nil
}

func (in Inputs) read(path string) ([]byte, error) {
	if in.FS != nil {
		b, err := fs.ReadFile(in.FS, path)
		return bytes.TrimPrefix(b, []byte("\ufeff")), err
	}
	if err := checkInputFile(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	return bytes.TrimPrefix(b, []byte("\ufeff")), err
}

func or(c, def spatial.CRS) spatial.CRS {
	if c == "" {
		return def
	}
	return c
}

// Load reads and checks every input and returns the catalogue in force and
// the dataset. It fails as a whole: no partial dataset is ever returned.
func Load(in Inputs) (*coverage.Catalog, *coverage.Dataset, error) {
	ld, err := LoadInputs(in)
	if err != nil {
		return nil, nil, err
	}
	return ld.Catalog, ld.Dataset, nil
}

// LoadInputs is Load that also gives the units of each boundary file.
func LoadInputs(in Inputs) (*Loaded, error) {
	cat, ds, sets, err := load(in)
	if err != nil {
		return nil, err
	}
	return &Loaded{Catalog: cat, Dataset: ds, Boundaries: sets}, nil
}

func load(in Inputs) (*coverage.Catalog, *coverage.Dataset, []BoundarySet, error) {
	fail := func(err error) (*coverage.Catalog, *coverage.Dataset, []BoundarySet, error) {
		return nil, nil, nil, err
	}
	if in.Facilities == "" || in.Population == "" {
		return fail(invalid("both a facilities file and a population file are needed"))
	}
	if in.Resolution == 0 {
		in.Resolution = 10
	}
	facCRS := in.FacilitiesCRS
	if facCRS == "" && in.Provider == "" {
		facCRS = or(in.CRS, spatial.WGS84)
	} else if facCRS == "" {
		facCRS = in.CRS // "" is the provider's own
	}
	if in.CRS == "" {
		in.CRS = spatial.WGS84
	}
	cat := coverage.DefaultCatalog()
	if in.Catalog != "" {
		src, err := in.read(in.Catalog)
		if err != nil {
			return fail(fmt.Errorf("catalogue: %w", err))
		}
		if cat, err = cat.Extend(in.Catalog, src); err != nil {
			return fail(err)
		}
	}
	ds := &coverage.Dataset{Name: in.Name, Resolution: in.Resolution, PopulationNote: in.PopulationNote}
	if ds.Name == "" {
		ds.Name = in.Population
	}
	var err error
	if in.Provider != "" {
		rules, err := DefaultPOIRules(cat)
		if err != nil {
			return fail(err)
		}
		if in.POIRules != "" {
			src, err := in.read(in.POIRules)
			if err != nil {
				return fail(fmt.Errorf("POI rules: %w", err))
			}
			if rules, err = rules.Extend(in.POIRules, src, cat); err != nil {
				return fail(err)
			}
		}
		var rep *POIReport
		if ds.Facilities, err = readWith(in, in.Facilities, func(r io.Reader) (fs []coverage.Facility, err error) {
			fs, rep, err = ReadPOIs(in.Facilities, r, cat, POIOptions{Provider: in.Provider, CRS: facCRS, Rules: rules})
			return fs, err
		}); err != nil {
			return fail(err)
		}
		if in.OnPOIReport != nil {
			in.OnPOIReport(rep)
		}
	} else if isVector(in.Facilities) {
		sf, c, err := in.vector(in.Facilities, in.FacilitiesLayer, facCRS)
		if err != nil {
			return fail(err)
		}
		if ds.Facilities, err = facilitiesFromFeatures(in.Facilities, sf.Features, c, cat); err != nil {
			return fail(err)
		}
	} else if ds.Facilities, err = readWith(in, in.Facilities, func(r io.Reader) ([]coverage.Facility, error) {
		return ReadFacilities(in.Facilities, r, facCRS, cat)
	}); err != nil {
		return fail(err)
	}
	if len(ds.Facilities) == 0 && !in.AllowNoFacilities {
		return fail(noFacilities(in.Facilities))
	}
	if IsRaster(in.Population) {
		if err := spatial.CheckResolution(in.Resolution); err != nil {
			return fail(invalid("%s: %v", in.Population, err))
		}
		var acc map[spatial.Cell]float64
		if acc, err = readWith(in, in.Population, func(r io.Reader) (map[spatial.Cell]float64, error) {
			acc, _, err := ReadPopulationRaster(in.Population, r, in.Resolution)
			return acc, err
		}); err != nil {
			return fail(err)
		}
		if ds.Cells, err = populationCells(in.Population, acc); err != nil {
			return fail(err)
		}
	} else if isVector(in.Population) {
		if err := spatial.CheckResolution(in.Resolution); err != nil {
			return fail(invalid("%s: %v", in.Population, err))
		}
		sf, c, err := in.vector(in.Population, in.PopulationLayer, or(in.PopulationCRS, in.CRS))
		if err != nil {
			return fail(err)
		}
		acc, err := populationFromFeatures(in.Population, sf.Features, c, in.Resolution)
		if err != nil {
			return fail(err)
		}
		if ds.Cells, err = populationCells(in.Population, acc); err != nil {
			return fail(err)
		}
	} else if ds.Cells, err = readWith(in, in.Population, func(r io.Reader) ([]coverage.PopulationCell, error) {
		return ReadPopulation(in.Population, r, or(in.PopulationCRS, in.CRS), in.Resolution)
	}); err != nil {
		return fail(err)
	}
	sets, err := in.loadBoundaries()
	if err != nil {
		return fail(err)
	}
	for _, s := range sets {
		ds.Units = append(ds.Units, s.Units...)
	}
	if err := checkOverlap(in, ds, sets); err != nil {
		return fail(err)
	}
	if err := ds.Validate(cat); err != nil {
		return fail(err)
	}
	return cat, ds, sets, nil
}

func isVector(path string) bool { return IsShapefile(path) || IsGeoPackage(path) }

// vector reads a Shapefile or a GeoPackage layer; the CRS to apply to its
// coordinates is WGS84 when it was converted from a projection, else def
// (geographic, or a Shapefile without .prj: --crs).
func (in Inputs) vector(path, layer string, def spatial.CRS) (*Shapefile, spatial.CRS, error) {
	return in.vectorEnc(path, layer, in.Encoding, def)
}

func (in Inputs) vectorEnc(path, layer, encoding string, def spatial.CRS) (*Shapefile, spatial.CRS, error) {
	var sf *Shapefile
	var err error
	if IsGeoPackage(path) {
		if in.FS != nil {
			return nil, "", invalid("%s: GeoPackage inputs are read from files", path)
		}
		sf, err = ReadGeoPackageLayer(path, layer)
	} else {
		sf, err = ReadShapefile(in.read, path, encoding)
	}
	if err != nil {
		return nil, "", err
	}
	if sf.Projected {
		return sf, spatial.WGS84, nil
	}
	return sf, def, nil
}

func readWith[T any](in Inputs, path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := in.open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	return read(f)
}

// checkOverlap catches inputs that are each valid but do not describe the
// same place: the usual sign of a wrong --crs or swapped axes.
func checkOverlap(in Inputs, ds *coverage.Dataset, sets []BoundarySet) error {
	// The population's extent from the centres of up to 20,000 evenly
	// spread cells (enough to catch a wrong CRS, cheap for a million cells).
	var pop orb.Bound
	step := max(1, len(ds.Cells)/20000)
	for i := 0; i < len(ds.Cells); i += step {
		p := spatial.Center(ds.Cells[i].Cell)
		if i == 0 {
			pop = orb.Bound{Min: p, Max: p}
		} else {
			pop = pop.Extend(p)
		}
	}
	pop = pop.Pad(0.01)    // cell size and sampling
	grown := pop.Pad(0.05) // ≈ 5 km
	if len(ds.Facilities) > 0 {
		var fb orb.Bound
		inside := 0
		for i, f := range ds.Facilities {
			if i == 0 {
				fb = orb.Bound{Min: f.Location, Max: f.Location}
			} else {
				fb = fb.Extend(f.Location)
			}
			if grown.Contains(f.Location) {
				inside++
			}
		}
		if inside == 0 {
			return invalid("%s: no facility lies within 5 km of the population in %s (facilities span %s, population %s): wrong --crs or swapped lon/lat?",
				in.Facilities, in.Population, fmtBound(fb), fmtBound(pop))
		}
	}
	for _, s := range sets { // each file: one in the wrong CRS is named
		if len(s.Units) == 0 {
			continue
		}
		var ub orb.Bound
		for i, u := range s.Units {
			if i == 0 {
				ub = u.Geometry.Bound()
			} else {
				ub = ub.Union(u.Geometry.Bound())
			}
		}
		if !ub.Intersects(pop) {
			return invalid("%s: the boundaries (%s) do not overlap the population (%s): wrong --crs or swapped lon/lat?", s.File.Path, fmtBound(ub), fmtBound(pop))
		}
	}
	return nil
}

func fmtBound(b orb.Bound) string {
	return fmt.Sprintf("%.4f,%.4f–%.4f,%.4f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

// LoadNetwork reads the walking network of in.OSM with the given rule.
func LoadNetwork(in Inputs, rule WalkRule) (*network.Graph, OSMStats, error) {
	f, err := in.open(in.OSM)
	if err != nil {
		return nil, OSMStats{}, err
	}
	defer f.Close()
	return ReadOSM(in.OSM, f, rule)
}

// CheckNetworkOverlap says whether the network reaches the population: an
// error when no cell joined it, a warning (non-empty) when fewer than half did.
func CheckNetworkOverlap(in Inputs, ds *coverage.Dataset, unsnapped int, st OSMStats, snapM float64) (warning string, err error) {
	n := len(ds.Cells)
	switch {
	case n > 0 && unsnapped == n:
		return "", invalid("%s: no populated cell lies within %.0f m of a walkable way: the extract (%s) does not overlap the population in %s",
			in.OSM, snapM, fmtBound(st.Bound), in.Population)
	case 2*unsnapped > n:
		return fmt.Sprintf("%d of %d populated cells have no walkable way within %.0f m (extract %s): coverage there is reported as %q",
			unsnapped, n, snapM, fmtBound(st.Bound), coverage.ReasonNoNetwork), nil
	}
	return "", nil
}

// BoundaryPaths are boundary files read with the dataset's defaults.
func BoundaryPaths(paths ...string) []BoundaryFile {
	out := make([]BoundaryFile, len(paths))
	for i, p := range paths {
		out[i] = BoundaryFile{Path: p}
	}
	return out
}
