package api

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"lifecircle/coverage/collection"
)

// appendFeature appends f as a GeoJSON Feature: byte for byte what
// encoding/json writes for encodeFeature(f, ogc, proj) with HTML escaping
// off (TestAppendFeatureMatchesEncodingJSON checks it), without reflection.
// A 1,000-feature items page spent two thirds of its time in encoding/json.
// keys carries the sorted property names from one feature to the next:
// features of a collection share them, so they are sorted once a page.
// ok is false for what it does not write itself (a geometry collection, an
// empty ring, a value of another type, NaN): the caller then encodes the
// feature with encoding/json.
func appendFeature(b []byte, f collection.Feature, ogc bool, proj project, keys *[]string) (_ []byte, ok bool) {
	start := len(b)
	fail := func() ([]byte, bool) { return b[:start], false }
	b = append(b, `{"type":"Feature","id":`...)
	if ogc {
		b = strconv.AppendInt(b, f.ID, 10)
	} else if b, ok = appendJSONString(b, f.Key); !ok {
		return fail()
	}
	b = append(b, `,"geometry":`...)
	if f.Geometry == nil {
		b = append(b, "null"...)
	} else {
		g := f.Geometry
		if proj != nil {
			g = proj(g)
		}
		if b, ok = appendGeometry(b, g); !ok {
			return fail()
		}
	}
	b = append(b, `,"properties":`...)
	if f.Properties == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		for i, k := range sortedKeys(f.Properties, keys) {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendJSONString(b, k); !ok {
				return fail()
			}
			b = append(b, ':')
			if b, ok = appendValue(b, f.Properties[k]); !ok {
				return fail()
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), true
}

// sortedKeys returns the keys of m in byte order, reusing *cache when m has
// exactly the cached keys.
func sortedKeys(m map[string]any, cache *[]string) []string {
	if len(*cache) == len(m) {
		same := true
		for _, k := range *cache {
			if _, ok := m[k]; !ok {
				same = false
				break
			}
		}
		if same {
			return *cache
		}
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	*cache = ks
	return ks
}

func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x), true
	case float64:
		return appendJSONFloat(b, x, 64)
	case float32:
		return appendJSONFloat(b, float64(x), 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case []string:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSONString(b, s); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	// Named types (coverage.Status, coverage.UnitLevel …) without a
	// marshaler of their own encode as their kind.
	if _, ok := v.(json.Marshaler); ok {
		return b, false
	}
	if _, ok := v.(json.Number); ok {
		return b, false
	}
	if _, ok := v.(encoding.TextMarshaler); ok {
		return b, false
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		return appendJSONString(b, rv.String())
	case reflect.Bool:
		return strconv.AppendBool(b, rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, rv.Uint(), 10), true
	case reflect.Float64:
		return appendJSONFloat(b, rv.Float(), 64)
	}
	return b, false
}

// appendJSONFloat writes f as encoding/json does (ES6 number formatting).
func appendJSONFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // e-09 → e-9, as encoding/json writes it
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendJSONString writes s quoted when it needs no escaping (no quote,
// backslash, control character, invalid UTF-8, U+2028 or U+2029): every
// name, code and id the collections carry. ok is false otherwise.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return b, false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && (!utf8.ValidString(s) || strings.ContainsAny(s, "\u2028\u2029")) {
		return b, false
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

func appendPoint(b []byte, p orb.Point) ([]byte, bool) {
	var ok bool
	b = append(b, '[')
	if b, ok = appendJSONFloat(b, p[0], 64); !ok {
		return b, false
	}
	b = append(b, ',')
	if b, ok = appendJSONFloat(b, p[1], 64); !ok {
		return b, false
	}
	return append(b, ']'), true
}

func appendPoints(b []byte, ps []orb.Point) ([]byte, bool) {
	if len(ps) == 0 { // encoding/json tells nil ([]) from empty (null): leave it to it
		return b, false
	}
	var ok bool
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendPoint(b, p); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

func appendRings(b []byte, rs []orb.Ring) ([]byte, bool) {
	if len(rs) == 0 {
		return b, false
	}
	var ok bool
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendPoints(b, r); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendGeometry writes g as orb's geojson.Geometry marshals it.
func appendGeometry(b []byte, g orb.Geometry) ([]byte, bool) {
	var ok bool
	switch g := g.(type) {
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b, ok = appendPoint(b, g)
	case orb.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":`...)
		b, ok = appendPoints(b, g)
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":`...)
		b, ok = appendPoints(b, g)
	case orb.Ring:
		b = append(b, `{"type":"Polygon","coordinates":[`...)
		if b, ok = appendPoints(b, g); ok {
			b = append(b, ']')
		}
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b, ok = appendRings(b, g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return b, false
		}
		b = append(b, `{"type":"MultiLineString","coordinates":[`...)
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendPoints(b, l); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	case orb.MultiPolygon:
		if len(g) == 0 {
			return b, false
		}
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendRings(b, p); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	default:
		return b, false
	}
	if !ok {
		return b, false
	}
	return append(b, '}'), true
}
