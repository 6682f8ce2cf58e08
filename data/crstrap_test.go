package data

import (
	"testing"

	"github.com/paulmach/orb"

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
