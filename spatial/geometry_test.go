package spatial

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

var chengdu = orb.Point{104.0657, 30.6595}

func TestRulerAgreesWithGeodesic(t *testing.T) {
	a := chengdu
	for _, b := range []orb.Point{{104.0757, 30.6595}, {104.0657, 30.6695}, {104.09, 30.70}} {
		want := geo.Distance(a, b) // spherical; ellipsoid differs by < 0.5 %
		got := DistanceM(a, b)
		if math.Abs(got-want)/want > 0.005 {
			t.Errorf("%v→%v: ruler %.1f m, haversine %.1f m", a, b, got, want)
		}
	}
}

func TestOutlineSingleCellIsItsBoundary(t *testing.T) {
	c := CellOf(chengdu, 10)
	mp := Outline([]Cell{c})
	if len(mp) != 1 || len(mp[0]) != 1 || len(mp[0][0]) != 7 {
		t.Fatalf("want one hexagon, got %v", mp)
	}
	if a := planar.Area(mp); math.Abs(a-planar.Area(Boundary(c))) > 1e-15 {
		t.Errorf("area %g differs from the cell's", a)
	}
}

func TestOutlineRingWithHole(t *testing.T) {
	c := CellOf(chengdu, 10)
	var ring []Cell
	for _, n := range Disk(c, 1) {
		if n != c {
			ring = append(ring, n)
		}
	}
	mp := Outline(ring)
	if len(mp) != 1 {
		t.Fatalf("want 1 polygon, got %d", len(mp))
	}
	if len(mp[0]) != 2 {
		t.Fatalf("want an outer ring and one hole, got %d rings", len(mp[0]))
	}
	if len(mp[0][0]) != 19 || len(mp[0][1]) != 7 {
		t.Errorf("outer ring has %d points (want 18+1), hole %d (want 6+1)", len(mp[0][0]), len(mp[0][1]))
	}
	if planar.Area(mp[0][0]) <= 0 && signedArea(mp[0][0]) <= 0 {
		t.Error("outer ring must be counter-clockwise")
	}
	if signedArea(mp[0][1]) >= 0 {
		t.Error("hole must be clockwise")
	}
	if !planar.PolygonContains(mp[0], Center(ring[0])) || planar.PolygonContains(mp[0], Center(c)) {
		t.Error("ring cell must be inside, centre cell (the hole) outside")
	}
}

func TestOutlineAreaEqualsCellsAndComponents(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	disk := Disk(CellOf(chengdu, 10), 12)
	var cells []Cell
	for _, c := range disk {
		if rng.Float64() < 0.55 {
			cells = append(cells, c)
		}
	}
	groups := Components(cells)
	total := 0
	for _, g := range groups {
		total += len(g)
		mp := Outline(g)
		if len(mp) != 1 {
			t.Fatalf("a connected group of %d cells gave %d polygons", len(g), len(mp))
		}
		want := 0.0
		for _, c := range g {
			want += planar.Area(Boundary(c))
		}
		if got := planar.Area(mp); math.Abs(got-want)/want > 1e-9 {
			t.Fatalf("outline area %g, cells %g", got, want)
		}
		for _, c := range g {
			if !planar.MultiPolygonContains(mp, Center(c)) {
				t.Fatalf("cell %v not inside its group outline", c)
			}
		}
	}
	if total != len(cells) {
		t.Errorf("components hold %d cells, want %d", total, len(cells))
	}
	if all := Outline(cells); len(all) != len(groups) {
		t.Errorf("outline of everything has %d polygons, want %d (one per group)", len(all), len(groups))
	}
}

func TestOverlapArea(t *testing.T) {
	c := CellOf(chengdu, 9)
	hex := Boundary(c)
	whole := OverlapAreaM2(orb.Polygon{hex}, hex)
	if math.Abs(whole-AreaM2(c))/AreaM2(c) > 0.002 {
		t.Errorf("hexagon overlapping itself: %.1f m², H3 says %.1f", whole, AreaM2(c))
	}
	// A box around the cell covers it all; a box beside it none.
	b := hex.Bound().Pad(0.001)
	if got := OverlapAreaM2(orb.Polygon{b.ToRing()}, hex); math.Abs(got-whole) > 0.01 {
		t.Errorf("covering box overlaps %.2f, want %.2f", got, whole)
	}
	far := orb.Bound{Min: orb.Point{b.Max[0] + 1, b.Min[1]}, Max: orb.Point{b.Max[0] + 2, b.Max[1]}}
	if got := OverlapAreaM2(orb.Polygon{far.ToRing()}, hex); got != 0 {
		t.Errorf("disjoint box overlaps %.2f", got)
	}
	// Half-plane: the west half of the bound cuts the hexagon in two equal parts.
	ctr := Center(c)
	west := orb.Bound{Min: b.Min, Max: orb.Point{ctr[0], b.Max[1]}}
	if got := OverlapAreaM2(orb.Polygon{west.ToRing()}, hex); math.Abs(got-whole/2)/whole > 0.01 {
		t.Errorf("west half overlaps %.1f, want about %.1f", got, whole/2)
	}
	// A hole removes its overlap.
	withHole := orb.Polygon{b.ToRing(), west.ToRing()}
	if got := OverlapAreaM2(withHole, hex); math.Abs(got-whole/2)/whole > 0.01 {
		t.Errorf("box minus west half overlaps %.1f, want about %.1f", got, whole/2)
	}
}

func TestPointIndexNearestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var ix PointIndex[int]
	var pts []orb.Point
	for i := 0; i < 2000; i++ {
		p := orb.Point{104 + rng.Float64()*0.2, 30.6 + rng.Float64()*0.2}
		pts = append(pts, p)
		ix.Insert(p, i)
	}
	r := NewRuler(30.7)
	for q := 0; q < 200; q++ {
		c := orb.Point{104 + rng.Float64()*0.2, 30.6 + rng.Float64()*0.2}
		best, bestD := -1, math.Inf(1)
		for i, p := range pts {
			if d := r.Distance(c, p); d < bestD {
				best, bestD = i, d
			}
		}
		k, _, d, ok := ix.Nearest(r, c, 5000)
		if !ok || k != best || math.Abs(d-bestD) > 1e-6 {
			t.Fatalf("query %d: got %d at %.2f m, brute force %d at %.2f m", q, k, d, best, bestD)
		}
		if _, _, _, ok := ix.Nearest(r, c, bestD*0.99); ok {
			t.Fatalf("query %d: found a point inside a limit below the nearest distance", q)
		}
		n := 0
		ix.WithinM(r, c, 500, func(_ orb.Point, _ int, d float64) bool {
			if d > 500 {
				t.Fatalf("WithinM returned %.1f m > 500", d)
			}
			n++
			return true
		})
		want := 0
		for _, p := range pts {
			if r.Distance(c, p) <= 500 {
				want++
			}
		}
		if n != want {
			t.Fatalf("WithinM found %d, brute force %d", n, want)
		}
	}
}

func TestPolygonIndexContaining(t *testing.T) {
	var ix PolygonIndex[string]
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}.ToRing()}}
	}
	ix.Insert(sq(0, 0, 2, 2), "a")
	ix.Insert(sq(1, 1, 3, 3), "b")
	got := map[string]bool{}
	ix.Containing(orb.Point{1.5, 1.5}, func(k string) bool { got[k] = true; return true })
	if !got["a"] || !got["b"] || len(got) != 2 {
		t.Errorf("got %v, want a and b", got)
	}
	got = map[string]bool{}
	ix.Containing(orb.Point{2.5, 0.5}, func(k string) bool { got[k] = true; return true })
	if len(got) != 0 {
		t.Errorf("got %v, want nothing", got)
	}
}

func TestParseCell(t *testing.T) {
	c := CellOf(chengdu, 10)
	got, err := ParseCell(c.String())
	if err != nil || got != c {
		t.Fatalf("ParseCell(%s) = %v, %v", c, got, err)
	}
	for _, bad := range []string{"", "zz", "8a2a1072b59ffff1", "0"} {
		if _, err := ParseCell(bad); err == nil {
			t.Errorf("ParseCell(%q) accepted", bad)
		}
	}
}

func TestPolygonIndexAgreesWithOrb(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	// a ring of cells (with a hole) and a concave outline
	c := CellOf(chengdu, 9)
	var ring []Cell
	for _, n := range Disk(c, 2) {
		if n != c {
			ring = append(ring, n)
		}
	}
	shapes := []orb.MultiPolygon{Outline(ring), Outline(Disk(CellOf(orb.Point{104.08, 30.67}, 9), 1))}
	var ix PolygonIndex[int]
	for i, s := range shapes {
		ix.Insert(s, i)
	}
	for q := 0; q < 5000; q++ {
		p := orb.Point{104.05 + rng.Float64()*0.04, 30.645 + rng.Float64()*0.035}
		for i, s := range shapes {
			want := planar.MultiPolygonContains(s, p)
			got := false
			ix.Containing(p, func(k int) bool { got = got || k == i; return true })
			if got != want {
				t.Fatalf("point %v shape %d: index %v, orb %v", p, i, got, want)
			}
		}
	}
	// the centre cell is the hole: its centre is outside; a vertex of the ring's outline is inside
	inside := false
	ix.Containing(Center(c), func(k int) bool { inside = inside || k == 0; return true })
	if inside {
		t.Error("the hole's centre must be outside")
	}
	onEdge := false
	ix.Containing(shapes[0][0][0][0], func(k int) bool { onEdge = onEdge || k == 0; return true })
	if !onEdge {
		t.Error("a boundary vertex must be inside")
	}
}
