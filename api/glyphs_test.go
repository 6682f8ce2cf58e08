package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// pbfField is one field of a protobuf message, read by the few lines of
// wire-format decoding below (independent of the encoder, which uses
// protowire): varints and length-delimited fields are all glyphs use.
type pbfField struct {
	num   int
	wire  int
	value uint64
	bytes []byte
}

func readVarint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("bad varint")
}

func readMessage(t *testing.T, b []byte) []pbfField {
	t.Helper()
	var out []pbfField
	for len(b) > 0 {
		key, n, err := readVarint(b)
		if err != nil {
			t.Fatal(err)
		}
		b = b[n:]
		f := pbfField{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			f.value, n, err = readVarint(b)
			if err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		case 2:
			l, n, err := readVarint(b)
			if err != nil || uint64(len(b)-n) < l {
				t.Fatalf("bad length-delimited field %d", f.num)
			}
			f.bytes = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			t.Fatalf("unexpected wire type %d of field %d", f.wire, f.num)
		}
		out = append(out, f)
	}
	return out
}

type testGlyph struct {
	id                                rune
	bitmap                            []byte
	width, height, left, top, advance int
}

func unzigzag(v uint64) int { return int(int64(v>>1) ^ -int64(v&1)) }

// decodeGlyphs reads a glyph PBF: glyphs { 1: fontstack { 1 name, 2 range, 3 glyph } }.
func decodeGlyphs(t *testing.T, b []byte) (name, rng string, out map[rune]testGlyph) {
	t.Helper()
	out = map[rune]testGlyph{}
	top := readMessage(t, b)
	if len(top) != 1 || top[0].num != 1 || top[0].wire != 2 {
		t.Fatalf("want exactly one fontstack (field 1), got %d fields", len(top))
	}
	for _, f := range readMessage(t, top[0].bytes) {
		switch f.num {
		case 1:
			name = string(f.bytes)
		case 2:
			rng = string(f.bytes)
		case 3:
			var g testGlyph
			for _, gf := range readMessage(t, f.bytes) {
				switch gf.num {
				case 1:
					g.id = rune(gf.value)
				case 2:
					g.bitmap = gf.bytes
				case 3:
					g.width = int(gf.value)
				case 4:
					g.height = int(gf.value)
				case 5:
					g.left = unzigzag(gf.value)
				case 6:
					g.top = unzigzag(gf.value)
				case 7:
					g.advance = int(gf.value)
				}
			}
			if _, dup := out[g.id]; dup {
				t.Errorf("glyph %U twice", g.id)
			}
			out[g.id] = g
		}
	}
	return name, rng, out
}

func TestGlyphsServed(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/fonts/Go%20Regular/0-255.pbf")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-protobuf" {
		t.Errorf("Content-Type %q", ct)
	}
	name, rng, gs := decodeGlyphs(t, rec.Body.Bytes())
	if name != "Go Regular" || rng != "0-255" {
		t.Errorf("fontstack %q range %q", name, rng)
	}
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-()·éü" {
		if _, ok := gs[r]; !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
	for id, g := range gs {
		if id < 0x20 || id > 255 {
			t.Errorf("glyph %U outside the range or a control character", id)
		}
		if g.width > 0 && len(g.bitmap) != (g.width+6)*(g.height+6) {
			t.Errorf("%q: bitmap of %d bytes for %d×%d (want (w+6)×(h+6))", id, len(g.bitmap), g.width, g.height)
		}
		if g.advance <= 0 || g.advance > 30 || g.width > 30 || g.height > 32 {
			t.Errorf("%q: implausible metrics at 24 px: %+v", id, g)
		}
	}
	sp := gs[' ']
	if sp.bitmap != nil || sp.advance < 4 || sp.advance > 10 {
		t.Errorf("space: %d-byte bitmap, advance %d", len(sp.bitmap), sp.advance)
	}
	if !(gs['W'].advance > gs['n'].advance && gs['n'].advance > gs['i'].advance) {
		t.Errorf("advances W %d, n %d, i %d: want W > n > i", gs['W'].advance, gs['n'].advance, gs['i'].advance)
	}
	for _, d := range "123456789" {
		if gs[d].advance != gs['0'].advance {
			t.Errorf("digit %q advance %d, 0 has %d (the Go fonts' digits are tabular)", d, gs[d].advance, gs['0'].advance)
		}
	}
	// Capitals sit on the baseline: their bottom (top + ascent − height)
	// is at 0; x is shorter than H; g and p hang below the baseline.
	for _, r := range "HIE" {
		if g := gs[r]; g.top+glyphAscent-g.height != 0 || g.height < 15 || g.height > 19 {
			t.Errorf("%q: top %d height %d: not a capital standing on the baseline", r, g.top, g.height)
		}
	}
	if gs['x'].height >= gs['H'].height || gs['x'].top <= gs['H'].top-1 && gs['x'].height > 13 {
		t.Errorf("x (%+v) is not lower than H (%+v)", gs['x'].height, gs['H'].height)
	}
	for _, r := range "gp" {
		if g := gs[r]; g.top+glyphAscent-g.height > -3 {
			t.Errorf("%q does not descend below the baseline: top %d height %d", r, g.top, g.height)
		}
	}
	// The distance field: inside a stroke above the edge value (192),
	// the hole of O and the corners (3 px out) well below it.
	at := func(g testGlyph, x, y int) int { return int(g.bitmap[y*(g.width+6)+x]) }
	I := gs['I']
	if v := at(I, (I.width+6)/2, (I.height+6)/2); v < 200 {
		t.Errorf("centre of I: %d, want inside (> 192)", v)
	}
	O := gs['O']
	if v := at(O, (O.width+6)/2, (O.height+6)/2); v > 150 {
		t.Errorf("centre of O: %d, want outside (the hole)", v)
	}
	for _, g := range []testGlyph{I, O, gs['A']} {
		if v := at(g, 0, 0); v > 100 {
			t.Errorf("%q corner: %d, want ≤ 96 (3 px outside)", g.id, v)
		}
		inside := 0
		for _, v := range g.bitmap {
			if v >= 192 {
				inside++
			}
		}
		if inside < g.height*2 || inside > g.width*g.height {
			t.Errorf("%q: %d pixels inside the edge of a %d×%d glyph", g.id, inside, g.width, g.height)
		}
	}

	// A stack takes its first served font; a range with no glyph of the
	// font (CJK, drawn by the browser) is a valid empty range.
	rec = get(t, h, http.MethodGet, "/fonts/Go%20Bold,Go%20Regular/0-255.pbf")
	if name, _, gs := decodeGlyphs(t, rec.Body.Bytes()); rec.Code != 200 || name != "Go Bold" || gs['A'].advance == 0 {
		t.Errorf("stack: status %d name %q", rec.Code, name)
	}
	rec = get(t, h, http.MethodGet, "/fonts/Go%20Regular/19968-20223.pbf")
	if name, rng, gs := decodeGlyphs(t, rec.Body.Bytes()); rec.Code != 200 || name != "Go Regular" || rng != "19968-20223" || len(gs) != 0 {
		t.Errorf("CJK range: status %d name %q range %q, %d glyphs", rec.Code, name, rng, len(gs))
	}
	for _, bad := range []string{"/fonts/Open%20Sans%20Regular/0-255.pbf", "/fonts/Go%20Regular/1-256.pbf", "/fonts/Go%20Regular/0-255", "/fonts/Go%20Regular/65536-65791.pbf"} {
		rec = get(t, h, http.MethodGet, bad)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "error") {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}

// BenchmarkGlyphRange makes the range 0–255 of Go Regular (what the map
// asks for first) without the cache.
func BenchmarkGlyphRange(b *testing.B) {
	if _, err := glyphs.glyphRange("Go Regular", 0); err != nil { // parses the font
		b.Fatal(err)
	}
	face := glyphs.faces["Go Regular"]
	var n int
	for b.Loop() {
		n = len(encodeGlyphRange(face, "Go Regular", 0))
	}
	b.ReportMetric(float64(n), "bytes")
}
