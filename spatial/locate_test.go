package spatial

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// Move and the grouping shortcut agree with a full test everywhere, also on
// points exactly on shared boundaries and vertices.
func TestLocatorMatchesShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var l Locator[int]
	// a 4×4 grid of squares sharing edges, a star with a hole, overlapping
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			x, y := 104+float64(i)*0.01, 30.6+float64(j)*0.01
			l.Insert(orb.MultiPolygon{{orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.01, y + 0.01}}.ToRing()}}, i*4+j)
		}
	}
	star := orb.Ring{}
	for k := 0; k <= 40; k++ {
		r := 0.012 + 0.008*float64(k%2)
		th := float64(k%40) / 40 * 2 * math.Pi
		star = append(star, orb.Point{104.02 + r*math.Cos(th), 30.62 + r*math.Sin(th)})
	}
	hole := orb.Bound{Min: orb.Point{104.018, 30.618}, Max: orb.Point{104.022, 30.622}}.ToRing()
	slices.Reverse(hole)
	l.Insert(orb.MultiPolygon{{star, hole}}, 100)

	pts := make([]orb.Point, 0, 3000)
	for range 2000 {
		pts = append(pts, orb.Point{103.995 + rng.Float64()*0.05, 30.595 + rng.Float64()*0.05})
	}
	for range 500 { // on grid lines and vertices
		pts = append(pts, orb.Point{104 + float64(rng.IntN(5))*0.01, 30.6 + rng.Float64()*0.04})
		pts = append(pts, orb.Point{104 + float64(rng.IntN(5))*0.01, 30.6 + float64(rng.IntN(5))*0.01})
	}
	for i, p := range pts {
		want := l.Shapes(p, nil)
		from := pts[(i+1)%len(pts)]
		got, ok := l.Move(from, l.Shapes(from, nil), p, nil)
		if !ok {
			continue // the caller falls back to Shapes
		}
		if !slices.Equal(got, want) {
			t.Fatalf("point %v from %v: Move %v, Shapes %v", p, from, got, want)
		}
	}
	// Crosses: a box inside one square and clear of the star is not crossed
	if l.Crosses(orb.Bound{Min: orb.Point{104.001, 30.636}, Max: orb.Point{104.004, 30.639}}) {
		t.Error("box inside a square reported crossed")
	}
	if !l.Crosses(orb.Bound{Min: orb.Point{104.005, 30.601}, Max: orb.Point{104.015, 30.602}}) {
		t.Error("box over a grid line not reported crossed")
	}
}
