package gpkgstore

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"modernc.org/sqlite"
)

// GeoPackage geometry blobs (OGC 12-128r18 §2.1.3): "GP", version 0, flags,
// srs_id, an optional envelope, then standard WKB.
const (
	gpFlagLittleEndian = 0x01
	gpFlagEmpty        = 0x10
	gpEnvelopeXY       = 1 << 1 // envelope code 1: minx, maxx, miny, maxy

	srsWGS84 = 4326
)

// encodeGP encodes g as a GeoPackage blob in EPSG:4326. Points carry no
// envelope (as GDAL writes them); everything else carries the XY envelope,
// which is what the R-tree triggers read. A nil geometry encodes as nil
// (SQL NULL).
func encodeGP(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	flags := byte(gpFlagLittleEndian)
	empty := isEmpty(g)
	_, point := g.(orb.Point)
	withEnv := !point && !empty
	if withEnv {
		flags |= gpEnvelopeXY
	}
	if empty {
		flags |= gpFlagEmpty
	}
	n := 8 + len(body)
	if withEnv {
		n += 32
	}
	b := make([]byte, 8, n)
	b[0], b[1], b[2], b[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(b[4:], srsWGS84)
	if withEnv {
		bd := g.Bound()
		for _, v := range []float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return append(b, body...), nil
}

// encodeGPPoint is encodeGP for a point (no envelope), without going
// through the generic WKB writer.
func encodeGPPoint(p orb.Point) ([]byte, envelope) {
	b := make([]byte, 8, 8+21)
	b[0], b[1], b[2], b[3] = 'G', 'P', 0, gpFlagLittleEndian
	binary.LittleEndian.PutUint32(b[4:], srsWGS84)
	b = append(b, 1)                           // little-endian WKB
	b = binary.LittleEndian.AppendUint32(b, 1) // Point
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
	return b, envelope{p[0], p[0], p[1], p[1], !math.IsNaN(p[0]) && !math.IsNaN(p[1])}
}

// encodeGPRing is encodeGP for the polygon of one closed ring (an H3
// cell), byte for byte, with its envelope.
func encodeGPRing(r orb.Ring) ([]byte, envelope) {
	if len(r) == 0 {
		b, _ := encodeGP(orb.Polygon{})
		return b, envelope{}
	}
	env := envelope{r[0][0], r[0][0], r[0][1], r[0][1], true}
	for _, p := range r[1:] {
		env.minx, env.maxx = math.Min(env.minx, p[0]), math.Max(env.maxx, p[0])
		env.miny, env.maxy = math.Min(env.miny, p[1]), math.Max(env.maxy, p[1])
	}
	b := make([]byte, 8, 8+32+13+16*len(r))
	b[0], b[1], b[2], b[3] = 'G', 'P', 0, gpFlagLittleEndian|gpEnvelopeXY
	binary.LittleEndian.PutUint32(b[4:], srsWGS84)
	for _, v := range []float64{env.minx, env.maxx, env.miny, env.maxy} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	b = append(b, 1)                           // little-endian WKB
	b = binary.LittleEndian.AppendUint32(b, 3) // Polygon
	b = binary.LittleEndian.AppendUint32(b, 1) // one ring
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
	for _, p := range r {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
	}
	return b, env
}

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return false
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	case orb.Bound:
		return false
	}
	return false
}

// gpHeader is the part of a GeoPackage blob before the WKB.
type gpHeader struct {
	empty bool
	srsID int32
	env   []float64 // minx, maxx, miny, maxy[, …] or nil
	wkb   []byte
}

var errNotGP = errors.New("not a GeoPackage geometry blob")

func parseGP(b []byte) (gpHeader, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return gpHeader{}, errNotGP
	}
	flags := b[3]
	var bo binary.ByteOrder = binary.BigEndian
	if flags&gpFlagLittleEndian != 0 {
		bo = binary.LittleEndian
	}
	h := gpHeader{empty: flags&gpFlagEmpty != 0, srsID: int32(bo.Uint32(b[4:]))}
	var n int
	switch code := (flags >> 1) & 0x07; code {
	case 0:
	case 1:
		n = 4
	case 2, 3:
		n = 6
	case 4:
		n = 8
	default:
		return gpHeader{}, fmt.Errorf("%w: envelope code %d", errNotGP, code)
	}
	if len(b) < 8+8*n {
		return gpHeader{}, fmt.Errorf("%w: truncated envelope", errNotGP)
	}
	for i := 0; i < n; i++ {
		h.env = append(h.env, math.Float64frombits(bo.Uint64(b[8+8*i:])))
	}
	h.wkb = b[8+8*n:]
	return h, nil
}

// decodeGP decodes a GeoPackage blob (nil for SQL NULL).
func decodeGP(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	h, err := parseGP(b)
	if err != nil {
		return nil, err
	}
	return wkb.Unmarshal(h.wkb)
}

// gpBound is the XY envelope of a blob: from its header when it has one,
// otherwise from its WKB (points, and blobs other tools wrote without one).
func gpBound(b []byte) (minx, maxx, miny, maxy float64, ok bool) {
	h, err := parseGP(b)
	if err != nil || h.empty {
		return 0, 0, 0, 0, false
	}
	if len(h.env) >= 4 {
		return h.env[0], h.env[1], h.env[2], h.env[3], true
	}
	if x, y, isPoint := wkbPoint(h.wkb); isPoint {
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, 0, 0, 0, false
		}
		return x, x, y, y, true
	}
	g, err := wkb.Unmarshal(h.wkb)
	if err != nil || isEmpty(g) {
		return 0, 0, 0, 0, false
	}
	bd := g.Bound()
	return bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1], true
}

// wkbPoint reads a 2D WKB point without allocating.
func wkbPoint(w []byte) (x, y float64, ok bool) {
	if len(w) < 21 {
		return 0, 0, false
	}
	var bo binary.ByteOrder = binary.BigEndian
	if w[0] == 1 {
		bo = binary.LittleEndian
	}
	if bo.Uint32(w[1:]) != 1 {
		return 0, 0, false
	}
	return math.Float64frombits(bo.Uint64(w[5:])), math.Float64frombits(bo.Uint64(w[13:])), true
}

var registerOnce sync.Once

// registerGPFunctions registers, once per process, the SQL functions that
// the GeoPackage R-tree triggers call (GDAL and QGIS install the same
// triggers): ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY, ST_MaxY. Without them
// any insert into an indexed table fails with "no such function". Also
// the aggregate LoadDataset reads cells with (collect.go).
func registerGPFunctions() {
	registerOnce.Do(func() {
		registerCollectCells()
		fn := func(name string, f func(b []byte) driver.Value) {
			sqlite.MustRegisterFunction(name, &sqlite.FunctionImpl{
				NArgs: 1, Deterministic: true, VolatileArgs: true,
				Scalar: func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
					b, ok := args[0].([]byte)
					if !ok {
						return nil, nil // NULL (or not a blob) in, NULL out
					}
					return f(b), nil
				},
			})
		}
		fn("ST_IsEmpty", func(b []byte) driver.Value {
			h, err := parseGP(b)
			if err != nil {
				return nil
			}
			if h.empty {
				return int64(1)
			}
			if _, _, _, _, ok := gpBound(b); !ok {
				return int64(1)
			}
			return int64(0)
		})
		coord := func(pick func(minx, maxx, miny, maxy float64) float64) func([]byte) driver.Value {
			return func(b []byte) driver.Value {
				minx, maxx, miny, maxy, ok := gpBound(b)
				if !ok {
					return nil
				}
				return pick(minx, maxx, miny, maxy)
			}
		}
		fn("ST_MinX", coord(func(minx, _, _, _ float64) float64 { return minx }))
		fn("ST_MaxX", coord(func(_, maxx, _, _ float64) float64 { return maxx }))
		fn("ST_MinY", coord(func(_, _, miny, _ float64) float64 { return miny }))
		fn("ST_MaxY", coord(func(_, _, _, maxy float64) float64 { return maxy }))
	})
}
