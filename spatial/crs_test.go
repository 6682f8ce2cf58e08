package spatial

import (
	"encoding/csv"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// The DataV district outlines are published in GCJ-02; the shared data holds
// an independent WGS84 conversion of the same vertices. Ours must agree.
func TestGCJ02ToWGS84MatchesReference(t *testing.T) {
	f, err := os.Open("testdata/chengdu_gcj02_wgs84_pairs.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var offsets, shifts []float64
	for _, row := range rows[1:] {
		v := make([]float64, 4)
		for i := range v {
			v[i], _ = strconv.ParseFloat(row[i], 64)
		}
		gcj, want := orb.Point{v[0], v[1]}, orb.Point{v[2], v[3]}
		got := ToWGS84(gcj, GCJ02)
		offsets = append(offsets, DistanceM(got, want))
		shifts = append(shifts, DistanceM(gcj, want))
	}
	sort.Float64s(offsets)
	sort.Float64s(shifts)
	med := offsets[len(offsets)/2]
	if med > 1 || offsets[len(offsets)-1] > 2 {
		t.Errorf("median offset %.3f m, max %.3f m from the reference; want < 1 m and < 2 m", med, offsets[len(offsets)-1])
	}
	// The raw GCJ-02 coordinates are a few hundred metres off: the test
	// would be vacuous otherwise.
	if s := shifts[len(shifts)/2]; s < 200 || s > 700 {
		t.Errorf("median GCJ-02 shift %.0f m, want 200..700 m in Chengdu", s)
	}
}

func TestRoundTrips(t *testing.T) {
	p := orb.Point{104.0657, 30.6595} // Tianfu Square
	if d := DistanceM(GCJ02ToWGS84(WGS84ToGCJ02(p)), p); d > 0.01 {
		t.Errorf("gcj02 round trip off by %.4f m", d)
	}
	g := WGS84ToGCJ02(p)
	if d := DistanceM(BD09ToGCJ02(GCJ02ToBD09(g)), g); d > 1 {
		t.Errorf("bd09 round trip off by %.4f m", d)
	}
	if d := DistanceM(ToWGS84(GCJ02ToBD09(g), BD09), p); d > 1 {
		t.Errorf("bd09 → wgs84 off by %.4f m", d)
	}
	if d := DistanceM(ToWGS84(GCJ02ToBD09(g), BD09), g); d < 200 {
		t.Errorf("bd09 conversion moved the point only %.1f m from gcj02", d)
	}
	outside := orb.Point{-51.2, -30.0}
	if ToWGS84(outside, GCJ02) != outside {
		t.Error("GCJ-02 must not shift points outside China")
	}
}

func TestParseCRS(t *testing.T) {
	for in, want := range map[string]CRS{"": WGS84, "WGS84": WGS84, "gcj02": GCJ02, "BD09": BD09, "epsg:4326": WGS84} {
		if got, err := ParseCRS(in); err != nil || got != want {
			t.Errorf("ParseCRS(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseCRS("epsg:3857"); err == nil || !strings.Contains(err.Error(), "wgs84, gcj02 or bd09") {
		t.Errorf("want a clear error for an unknown crs, got %v", err)
	}
}

func TestCheckLonLat(t *testing.T) {
	cases := []struct {
		p    orb.Point
		want string
	}{
		{orb.Point{104.06, 30.66}, ""},
		{orb.Point{30.66, 104.06}, "swapped"},
		{orb.Point{11584000, 3588000}, "projected metres"},
		{orb.Point{200, 10}, "longitude 200"},
		{orb.Point{100, -95}, "latitude -95"},
	}
	for _, c := range cases {
		err := CheckLonLat(c.p)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", c.p, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want it to mention %q", c.p, err, c.want)
		}
	}
}
