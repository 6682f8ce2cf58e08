package api

// Glyphs for the map's labels, made here so the map needs no font server
// on the internet: GET /fonts/{fontstack}/{start}-{end}.pbf answers a
// range of 256 code points as signed-distance-field glyphs in the
// Mapbox/MapLibre glyph protobuf (what node-fontnik writes): fontstack
// (name, range) → glyph (id, bitmap, width, height, left, top, advance),
// rendered at 24 px with a 3 px buffer, an 8 px radius and the edge at
// value 192. The glyphs come from the Go fonts (golang.org/x/image/font/gofont,
// BSD licence, compiled into the binary): Latin, Greek, Cyrillic, digits
// and punctuation. Chinese characters are not in them: the map draws
// ideographs with the browser's own CJK font (MapLibre's
// localIdeographFontFamily), so they are never asked for here.

import (
	"fmt"
	"image"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"google.golang.org/protobuf/encoding/protowire"
)

// The SDF parameters MapLibre expects of server glyphs (as node-fontnik).
const (
	glyphSize   = 24   // px: the em the metrics are in
	glyphBuffer = 3    // px of SDF around each glyph bitmap
	glyphRadius = 8.0  // px the distance field spans
	glyphCutoff = 0.25 // the edge sits at 255·(1−cutoff) ≈ 192
	// glyphAscent is subtracted from a glyph's top (px above the baseline),
	// as node-fontnik subtracts the font's ascender: MapLibre places server
	// glyphs relative to it, and its locally drawn ideographs use the same
	// offset (27.5 at 24 px), so digits and Latin sit on the Chinese baseline.
	glyphAscent = 26
)

// glyphFonts are the font stacks served (the names of the Go fonts).
var glyphFonts = map[string][]byte{
	"Go Regular": goregular.TTF,
	"Go Medium":  gomedium.TTF,
	"Go Bold":    gobold.TTF,
	"Go Italic":  goitalic.TTF,
}

// glyphFontNames lists the served font stacks, sorted.
func glyphFontNames() []string {
	out := make([]string, 0, len(glyphFonts))
	for n := range glyphFonts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// glyphCache keeps every encoded range: at most len(glyphFonts) × 256
// small answers, most of them a few bytes (no glyph in the range).
type glyphCache struct {
	mu    sync.Mutex
	faces map[string]font.Face
	pbf   map[string][]byte
}

var glyphs = &glyphCache{faces: map[string]font.Face{}, pbf: map[string][]byte{}}

// glyphRange encodes the 256 code points from start of the font named
// fontName (one of glyphFonts).
func (g *glyphCache) glyphRange(fontName string, start int) ([]byte, error) {
	key := fontName + "/" + strconv.Itoa(start)
	g.mu.Lock()
	defer g.mu.Unlock()
	if b, ok := g.pbf[key]; ok {
		return b, nil
	}
	face := g.faces[fontName]
	if face == nil {
		f, err := opentype.Parse(glyphFonts[fontName])
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", fontName, err)
		}
		face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: glyphSize, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", fontName, err)
		}
		g.faces[fontName] = face
	}
	b := encodeGlyphRange(face, fontName, start)
	g.pbf[key] = b
	return b, nil
}

// encodeGlyphRange writes one glyphs message: field 1 the fontstack
// (1 name, 2 range, 3 glyphs), each glyph 1 id, 2 bitmap, 3 width,
// 4 height, 5 left (sint32), 6 top (sint32), 7 advance.
func encodeGlyphRange(face font.Face, name string, start int) []byte {
	var stack []byte
	stack = protowire.AppendTag(stack, 1, protowire.BytesType)
	stack = protowire.AppendString(stack, name)
	stack = protowire.AppendTag(stack, 2, protowire.BytesType)
	stack = protowire.AppendString(stack, fmt.Sprintf("%d-%d", start, start+255))
	for r := rune(start); r <= rune(start+255); r++ {
		gl, ok := renderGlyph(face, r)
		if !ok {
			continue
		}
		var m []byte
		m = protowire.AppendTag(m, 1, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(r))
		if len(gl.bitmap) > 0 {
			m = protowire.AppendTag(m, 2, protowire.BytesType)
			m = protowire.AppendBytes(m, gl.bitmap)
		}
		for _, f := range []struct {
			num    protowire.Number
			v      int
			signed bool
		}{{3, gl.width, false}, {4, gl.height, false}, {5, gl.left, true}, {6, gl.top, true}, {7, gl.advance, false}} {
			m = protowire.AppendTag(m, f.num, protowire.VarintType)
			if f.signed {
				m = protowire.AppendVarint(m, protowire.EncodeZigZag(int64(f.v)))
			} else {
				m = protowire.AppendVarint(m, uint64(f.v))
			}
		}
		stack = protowire.AppendTag(stack, 3, protowire.BytesType)
		stack = protowire.AppendBytes(stack, m)
	}
	var out []byte
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	return protowire.AppendBytes(out, stack)
}

type sdfGlyph struct {
	bitmap                            []byte // (width+6) × (height+6) distance values
	width, height, left, top, advance int
}

// renderGlyph rasterises r at 24 px and turns its coverage into a signed
// distance field; ok is false when the font has no glyph for r or r is a
// control character.
func renderGlyph(face font.Face, r rune) (sdfGlyph, bool) {
	if r < 0x20 || (r >= 0x7f && r < 0xa0) {
		return sdfGlyph{}, false
	}
	dr, mask, mp, adv, ok := face.Glyph(fixed.Point26_6{}, r)
	if !ok {
		return sdfGlyph{}, false
	}
	g := sdfGlyph{width: dr.Dx(), height: dr.Dy(), left: dr.Min.X, top: -dr.Min.Y - glyphAscent, advance: adv.Round()}
	if g.width == 0 || g.height == 0 {
		g.width, g.height, g.left, g.top = 0, 0, 0, 0
		return g, true // a space: an advance, no bitmap
	}
	alpha, _ := mask.(*image.Alpha)
	if alpha == nil {
		return sdfGlyph{}, false
	}
	g.bitmap = sdf(alpha, mp, g.width, g.height)
	return g, true
}

// sdf computes the distance field of a coverage mask (w × h from p) over
// a bitmap grown by glyphBuffer on each side: squared Euclidean distance
// transforms (Felzenszwalb & Huttenlocher) to the outside and the inside,
// with partly covered pixels placed on the edge by their coverage (as
// MapLibre's TinySDF does for the glyphs it draws itself).
func sdf(m *image.Alpha, p image.Point, w, h int) []byte {
	W, H := w+2*glyphBuffer, h+2*glyphBuffer
	n := W * H
	outer := make([]float64, n)
	inner := make([]float64, n)
	for i := range outer {
		outer[i] = math.Inf(1)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := float64(m.Pix[m.PixOffset(p.X+x, p.Y+y)]) / 255
			if a == 0 {
				continue
			}
			j := (y+glyphBuffer)*W + x + glyphBuffer
			switch {
			case a == 1:
				outer[j], inner[j] = 0, math.Inf(1)
			default:
				d := 0.5 - a
				if d > 0 {
					outer[j], inner[j] = d*d, 0
				} else {
					outer[j], inner[j] = 0, d*d
				}
			}
		}
	}
	edt(outer, W, H)
	edt(inner, W, H)
	out := make([]byte, n)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/glyphRadius+glyphCutoff))
		out[i] = byte(math.Max(0, math.Min(255, v)))
	}
	return out
}

// edt replaces grid (squared distances seeded at 0 / +Inf) by the squared
// distance to the nearest seed, columns then rows.
func edt(grid []float64, w, h int) {
	n := max(w, h)
	f := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	d := make([]float64, n)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			f[y] = grid[y*w+x]
		}
		edt1(f[:h], v, z, d[:h])
		for y := 0; y < h; y++ {
			grid[y*w+x] = d[y]
		}
	}
	for y := 0; y < h; y++ {
		copy(f[:w], grid[y*w:(y+1)*w])
		edt1(f[:w], v, z, d[:w])
		copy(grid[y*w:(y+1)*w], d[:w])
	}
}

// edt1 is the one-dimensional squared distance transform of f into d
// (the lower envelope of parabolas rooted at each finite sample).
func edt1(f []float64, v []int, z []float64, d []float64) {
	n := len(f)
	k := -1
	for q := 0; q < n; q++ {
		if math.IsInf(f[q], 1) {
			continue
		}
		for k >= 0 {
			s := ((f[q] + float64(q*q)) - (f[v[k]] + float64(v[k]*v[k]))) / float64(2*q-2*v[k])
			if s > z[k] {
				k++
				v[k], z[k] = q, s
				break
			}
			k--
		}
		if k < 0 {
			k = 0
			v[0], z[0] = q, math.Inf(-1)
		}
		z[k+1] = math.Inf(1)
	}
	if k < 0 { // no seed at all
		for q := range d {
			d[q] = math.Inf(1)
		}
		return
	}
	j := 0
	for q := 0; q < n; q++ {
		for z[j+1] < float64(q) {
			j++
		}
		dq := float64(q - v[j])
		d[q] = dq*dq + f[v[j]]
	}
}

// handleGlyphs: GET /fonts/{fontstack}/{start}-{end}.pbf. A stack of
// several fonts ("Go Bold,Go Regular") is answered from the first one
// served; a range holding no glyph of the font is a valid empty range.
func (s *Server) handleGlyphs(c *gin.Context) {
	stack := c.Param("fontstack")
	var fontName string
	for _, f := range strings.Split(stack, ",") {
		if _, ok := glyphFonts[strings.TrimSpace(f)]; ok {
			fontName = strings.TrimSpace(f)
			break
		}
	}
	if fontName == "" {
		writeError(c, notFound("fontstack", fmt.Sprintf("未提供字体「%s」；可用字体：%s", stack, strings.Join(glyphFontNames(), "、")), "no font of %q is served; fonts: %s", stack, strings.Join(glyphFontNames(), ", ")))
		return
	}
	rng, ok := strings.CutSuffix(c.Param("range"), ".pbf")
	a, b, ok2 := strings.Cut(rng, "-")
	start, err1 := strconv.Atoi(a)
	end, err2 := strconv.Atoi(b)
	if !ok || !ok2 || err1 != nil || err2 != nil || start < 0 || start%256 != 0 || end != start+255 || end > 0xffff {
		writeError(c, notFound("range", fmt.Sprintf("字形范围「%s」无效：须为 {start}-{start+255}.pbf，start 为 256 的倍数且不超过 65280", c.Param("range")), "glyph range %q: want {start}-{start+255}.pbf with start a multiple of 256 up to 65280", c.Param("range")))
		return
	}
	pbf, err := glyphs.glyphRange(fontName, start)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "application/x-protobuf", pbf)
}
