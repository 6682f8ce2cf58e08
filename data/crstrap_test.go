package data

import (
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// The sample's facilities are WGS84 (from OSM): declared as such they raise
// nothing; shifted into GCJ-02 or BD-09 and declared WGS84 they are caught,
// with the conversion that fixes them.
func TestCheckCRSFacilities(t *testing.T) {
	in, _ := SampleInputs("chengdu")
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := LoadNetwork(in, DefaultWalkRule())
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]orb.Point, len(ds.Facilities))
	gcj := make([]orb.Point, len(pts))
	bd := make([]orb.Point, len(pts))
	for i, f := range ds.Facilities {
		pts[i] = f.Location
		gcj[i] = spatial.WGS84ToGCJ02(f.Location)
		bd[i] = spatial.GCJ02ToBD09(gcj[i])
	}
	ok := CheckCRS("facilities", pts, spatial.WGS84, g, "--facilities-crs")
	t.Logf("WGS84 as WGS84: %+v", ok)
	if ok.Suspect() {
		t.Errorf("correct WGS84 facilities flagged: %s", ok.Message)
	}
	for want, ps := range map[spatial.CRS][]orb.Point{spatial.GCJ02: gcj, spatial.BD09: bd} {
		c := CheckCRS("facilities", ps, spatial.WGS84, g, "--facilities-crs")
		t.Logf("%s as WGS84: declared %.0f m, converted %.0f m, shift %.0f m", want, c.DeclaredM, c.ConvertedM, c.ShiftM)
		if c.Likely != want || c.ShiftM < 300 || c.ShiftM > 1200 {
			t.Errorf("%s facilities declared WGS84: %+v", want, c)
		}
	}
	// declared GCJ-02 is the user's word: not second-guessed
	if c := CheckCRS("facilities", gcj, spatial.GCJ02, g, "--facilities-crs"); c.Suspect() {
		t.Errorf("declared GCJ-02 flagged: %+v", c)
	}
}

func readUnits(t *testing.T, path string) []coverage.AdminUnit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fc, err := readFeatures(path, f)
	if err != nil {
		t.Fatal(err)
	}
	divs, _ := ChengduDivisions()
	if _, err := prepareBoundaries(path, fc, "", divs); err != nil {
		t.Fatal(err)
	}
	units, err := boundariesFromFeatures(path, fc, spatial.WGS84) // as declared: WGS84
	if err != nil {
		t.Fatal(err)
	}
	return units
}

func vertices(units []coverage.AdminUnit, conv func(orb.Point) orb.Point) []orb.Point {
	var out []orb.Point
	for _, u := range units {
		for _, poly := range u.Geometry {
			for _, r := range poly {
				for _, p := range r {
					out = append(out, conv(p))
				}
			}
		}
	}
	return out
}

// Without any walking network: the same five districts in GCJ-02 and in
// WGS84 (testdata/crs, from ../shared/data/chengdu/boundaries). Declared
// WGS84, the GCJ-02 file's vertices miss the edges of the shipped district
// polygons and of the WGS84 file, and converting puts them on; the WGS84
// file (and one moved into BD-09) are judged right.
func TestCRSTrapBoundariesWithoutNetwork(t *testing.T) {
	gcjUnits := readUnits(t, "testdata/crs/districts_central5_gcj02.geojson")
	wgsUnits := readUnits(t, "testdata/crs/districts_central5_wgs84.geojson")
	if len(gcjUnits) != 5 || gcjUnits[0].Parent != "510100" || gcjUnits[4].Name != "成华区" {
		t.Fatalf("units: %+v", gcjUnits[0])
	}
	id := func(p orb.Point) orb.Point { return p }
	toBD := func(p orb.Point) orb.Point { return spatial.GCJ02ToBD09(spatial.WGS84ToGCJ02(p)) }
	wgsEdges, err := NewEdges(wgsUnits)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []struct {
		name  string
		edges *Edges
	}{{"reference_boundaries", referenceBoundaries()}, {"the WGS84 file", wgsEdges}} {
		for _, c := range []struct {
			name  string
			verts []orb.Point
			want  spatial.CRS
		}{
			{"GCJ-02 file", vertices(gcjUnits, id), spatial.GCJ02},
			{"WGS84 file", vertices(wgsUnits, id), ""},
			{"WGS84 file moved into BD-09", vertices(wgsUnits, toBD), spatial.BD09},
		} {
			got := CheckVerticesOnEdges("boundaries", c.verts, spatial.WGS84, ref.edges, ref.name, "--boundaries-crs")
			t.Logf("%s vs %s: %d vertices, %.3f on edges as given, %.3f converted (%s), shift %.0f m", c.name, ref.name, got.Points, got.DeclaredShare, got.ConvertedShare, got.Likely, got.ShiftM)
			if got.Likely != c.want {
				t.Errorf("%s vs %s: likely %q, want %q: %+v", c.name, ref.name, got.Likely, c.want, got)
			}
			if c.want != "" && (!strings.Contains(got.Message, "--boundaries-crs "+string(c.want)) || !strings.Contains(got.MessageZH, "--boundaries-crs "+string(c.want)) || got.Points < 20) {
				t.Errorf("%s: message %q / %q", c.name, got.Message, got.MessageZH)
			}
		}
	}
	// declared GCJ-02: the user's word
	if got := CheckVerticesOnEdges("boundaries", vertices(gcjUnits, id), spatial.GCJ02, wgsEdges, "x", "--boundaries-crs"); got.Suspect() {
		t.Errorf("declared GCJ-02 flagged: %+v", got)
	}
	// through the dataset check, no network given
	ds := &coverage.Dataset{Units: gcjUnits}
	var flagged []CRSCheck
	for _, c := range CheckDatasetCRS(Inputs{}, ds, nil, nil) {
		if c.Suspect() {
			flagged = append(flagged, c)
		}
	}
	if len(flagged) == 0 || flagged[0].Input != "boundaries" || flagged[0].Likely != spatial.GCJ02 {
		t.Errorf("CheckDatasetCRS without a network: %+v", flagged)
	}
	for _, c := range CheckDatasetCRS(Inputs{}, &coverage.Dataset{Units: wgsUnits}, nil, nil) {
		if c.Suspect() {
			t.Errorf("WGS84 districts flagged: %s", c.Message)
		}
	}
}

// Without any walking network given: the sample's facilities shifted into
// GCJ-02 and BD-09 and declared WGS84 are caught (outside the sample's
// district polygons, and off the shipped extract's walking network), the
// true WGS84 ones raise nothing.
func TestCRSTrapFacilitiesWithoutNetwork(t *testing.T) {
	in, _ := SampleInputs("chengdu")
	_, ds, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	shifted := func(conv func(orb.Point) orb.Point) *coverage.Dataset {
		d := *ds
		d.Facilities = append([]coverage.Facility(nil), ds.Facilities...)
		for i := range d.Facilities {
			d.Facilities[i].Location = conv(d.Facilities[i].Location)
		}
		return &d
	}
	declared := Inputs{} // WGS84 by default
	for _, c := range CheckDatasetCRS(declared, ds, nil, nil) {
		if c.Suspect() {
			t.Errorf("WGS84 sample flagged (%s): %s", c.Against, c.Message)
		}
	}
	gcj := shifted(spatial.WGS84ToGCJ02)
	bd := shifted(func(p orb.Point) orb.Point { return spatial.GCJ02ToBD09(spatial.WGS84ToGCJ02(p)) })
	fac := func(d *coverage.Dataset) []orb.Point {
		out := make([]orb.Point, len(d.Facilities))
		for i, f := range d.Facilities {
			out[i] = f.Location
		}
		return out
	}
	// the facilities against the districts alone (no network of any kind)
	inUnits := CheckFacilitiesInUnits(fac(gcj), spatial.WGS84, ds.Units, "--facilities-crs")
	t.Logf("GCJ-02 facilities vs the districts: outside %.3f as given, %.3f converted", inUnits.DeclaredShare, inUnits.ConvertedShare)
	if inUnits.Likely != spatial.GCJ02 || !strings.Contains(inUnits.Message, "--facilities-crs gcj02") || !strings.Contains(inUnits.Message, "lie outside every boundary polygon") {
		t.Errorf("GCJ-02 facilities vs districts: %+v", inUnits)
	}
	if c := CheckFacilitiesInUnits(fac(ds), spatial.WGS84, ds.Units, "--facilities-crs"); c.Suspect() {
		t.Errorf("WGS84 facilities vs districts flagged: %s", c.Message)
	}
	for want, d := range map[spatial.CRS]*coverage.Dataset{spatial.GCJ02: gcj, spatial.BD09: bd} {
		var hit []string
		for _, c := range CheckDatasetCRS(declared, d, nil, nil) {
			if c.Suspect() {
				if c.Input != "facilities" || c.Likely != want || !strings.Contains(c.Message, "--facilities-crs "+string(want)) {
					t.Errorf("%s facilities: %+v", want, c)
				}
				hit = append(hit, c.Against)
			}
		}
		t.Logf("%s facilities declared WGS84 caught by %v", want, hit)
		if len(hit) == 0 {
			t.Errorf("%s facilities declared WGS84, no network: not caught", want)
		}
	}
	// declared as they are: nothing
	for _, c := range CheckDatasetCRS(Inputs{FacilitiesCRS: spatial.GCJ02}, gcj, nil, nil) {
		if c.Suspect() {
			t.Errorf("declared GCJ-02 flagged: %+v", c)
		}
	}
}
