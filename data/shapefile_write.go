package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// wgs84PRJ is the .prj GDAL writes for EPSG:4326.
const wgs84PRJ = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// ShapefileStats says what WriteShapefile wrote.
type ShapefileStats struct {
	Files     []string
	Features  int
	Fields    []string // DBF field names, in order
	Truncated int      // text values cut at 254 bytes (the dBASE limit)
}

// WriteShapefile writes a layer (all Points, or all Polygons and
// MultiPolygons) as path (.shp) with .shx, .dbf, .prj (WGS 84) and .cpg.
// encoding is "utf-8" (default) or "gbk". Property names are cut to the
// 10 bytes dBASE allows (made unique); numbers become N fields, booleans L,
// everything else C (text; objects and arrays as JSON). Every file is
// written beside its place and renamed at the end.
func WriteShapefile(path string, fc *geojson.FeatureCollection, encoding string) (st ShapefileStats, err error) {
	if !IsShapefile(path) {
		return st, invalid("%s: a Shapefile's name ends in .shp", path)
	}
	enc := normEncoding(encoding)
	if encoding == "" {
		enc = "UTF-8"
	}
	if enc == "" {
		return st, invalid("encoding %q: want utf-8 or gbk", encoding)
	}
	if len(fc.Features) == 0 {
		return st, invalid("%s: the layer has no feature; a Shapefile needs a geometry type", path)
	}
	shpType := 0
	for i, f := range fc.Features {
		t := 0
		switch f.Geometry.(type) {
		case orb.Point:
			t = shpPoint
		case orb.Polygon, orb.MultiPolygon:
			t = shpPolygon
		default:
			return st, invalid("%s: feature %d is a %s; Shapefiles are written for points and polygons", path, i+1, f.Geometry.GeoJSONType())
		}
		if shpType != 0 && t != shpType {
			return st, invalid("%s: feature %d mixes points and polygons; a Shapefile holds one geometry type", path, i+1)
		}
		shpType = t
	}
	encode := func(s string) []byte { return []byte(s) }
	if enc == "GBK" {
		e := simplifiedchinese.GB18030.NewEncoder()
		encode = func(s string) []byte {
			b, err := e.Bytes([]byte(s))
			if err != nil {
				return []byte(s)
			}
			return b
		}
	}
	shp, shx := shapeFiles(fc, shpType)
	dbf, fields, trunc, err := dbfTable(fc, encode, enc)
	if err != nil {
		return st, err
	}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	files := map[string][]byte{".shp": shp, ".shx": shx, ".dbf": dbf, ".prj": []byte(wgs84PRJ), ".cpg": []byte(enc)}
	exts := []string{".shp", ".shx", ".dbf", ".prj", ".cpg"}
	for _, e := range exts {
		if _, err := os.Stat(stem + e); err == nil {
			return st, invalid("%s exists; remove it or choose another name", stem+e)
		}
	}
	var tmps []string
	defer func() {
		if err != nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}()
	for _, e := range exts {
		t := stem + e + fmt.Sprintf(".partial-%d", os.Getpid())
		tmps = append(tmps, t)
		if err = os.WriteFile(t, files[e], 0o644); err != nil {
			return st, err
		}
	}
	for i, e := range exts {
		if err = os.Rename(tmps[i], stem+e); err != nil {
			return st, err
		}
		st.Files = append(st.Files, stem+e)
	}
	st.Features, st.Fields, st.Truncated = len(fc.Features), fields, trunc
	return st, nil
}

// shapeFiles encodes the .shp and its index .shx.
func shapeFiles(fc *geojson.FeatureCollection, shpType int) (shp, shx []byte) {
	var body, index bytes.Buffer
	le := binary.LittleEndian
	var bound orb.Bound
	put32 := func(b *bytes.Buffer, o binary.ByteOrder, v uint32) {
		var x [4]byte
		o.PutUint32(x[:], v)
		b.Write(x[:])
	}
	putF := func(b *bytes.Buffer, v float64) {
		var x [8]byte
		le.PutUint64(x[:], math.Float64bits(v))
		b.Write(x[:])
	}
	offset := 50 // words: after the 100-byte header
	for i, f := range fc.Features {
		var rec bytes.Buffer
		b := f.Geometry.Bound()
		if i == 0 {
			bound = b
		} else {
			bound = bound.Union(b)
		}
		put32(&rec, le, uint32(shpType))
		switch g := f.Geometry.(type) {
		case orb.Point:
			putF(&rec, g[0])
			putF(&rec, g[1])
		default:
			var polys orb.MultiPolygon
			if p, ok := g.(orb.Polygon); ok {
				polys = orb.MultiPolygon{p}
			} else {
				polys = g.(orb.MultiPolygon)
			}
			var rings []orb.Ring
			for _, p := range polys {
				for k, r := range p {
					rr := append(orb.Ring(nil), r...)
					if len(rr) > 0 && rr[0] != rr[len(rr)-1] {
						rr = append(rr, rr[0])
					}
					// Shapefile winding: outer rings clockwise, holes counter-clockwise.
					if (k == 0) != (rr.Orientation() == orb.CW) {
						rr.Reverse()
					}
					rings = append(rings, rr)
				}
			}
			putF(&rec, b.Min[0])
			putF(&rec, b.Min[1])
			putF(&rec, b.Max[0])
			putF(&rec, b.Max[1])
			put32(&rec, le, uint32(len(rings)))
			n := 0
			for _, r := range rings {
				n += len(r)
			}
			put32(&rec, le, uint32(n))
			start := 0
			for _, r := range rings {
				put32(&rec, le, uint32(start))
				start += len(r)
			}
			for _, r := range rings {
				for _, p := range r {
					putF(&rec, p[0])
					putF(&rec, p[1])
				}
			}
		}
		words := rec.Len() / 2
		put32(&body, binary.BigEndian, uint32(i+1))
		put32(&body, binary.BigEndian, uint32(words))
		body.Write(rec.Bytes())
		put32(&index, binary.BigEndian, uint32(offset))
		put32(&index, binary.BigEndian, uint32(words))
		offset += 4 + words
	}
	header := func(lengthBytes int) []byte {
		var h bytes.Buffer
		put32(&h, binary.BigEndian, 9994)
		h.Write(make([]byte, 20))
		put32(&h, binary.BigEndian, uint32(lengthBytes/2))
		put32(&h, le, 1000)
		put32(&h, le, uint32(shpType))
		for _, v := range []float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1], 0, 0, 0, 0} {
			putF(&h, v)
		}
		return h.Bytes()
	}
	shp = append(header(100+body.Len()), body.Bytes()...)
	shx = append(header(100+index.Len()), index.Bytes()...)
	return shp, shx
}

type dbfOut struct {
	key, name string
	typ       byte
	len, dec  int
}

// dbfTable encodes the attribute table.
func dbfTable(fc *geojson.FeatureCollection, encode func(string) []byte, enc string) ([]byte, []string, int, error) {
	kinds := map[string]byte{}
	var keys []string
	for _, f := range fc.Features {
		for k, v := range f.Properties {
			if v == nil {
				continue
			}
			var t byte = 'C'
			switch v.(type) {
			case float64, int, int64:
				t = 'N'
			case bool:
				t = 'L'
			}
			if old, seen := kinds[k]; !seen {
				kinds[k] = t
				keys = append(keys, k)
			} else if old != t {
				kinds[k] = 'C'
			}
		}
	}
	sort.Strings(keys)
	truncated := 0
	cut := func(s string) []byte {
		b := encode(s)
		if len(b) <= 254 {
			return b
		}
		truncated++
		// Cut at a character boundary of the original text.
		for len(b) > 254 {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
			b = encode(s)
		}
		return b
	}
	var fields []dbfOut
	used := map[string]bool{}
	for _, k := range keys {
		name := k
		for len(encode(name)) > 10 {
			_, size := utf8.DecodeLastRuneInString(name)
			name = name[:len(name)-size]
		}
		base := name
		for n := 1; used[strings.ToLower(name)]; n++ {
			suffix := strconv.Itoa(n)
			name = base
			for len(encode(name))+len(suffix) > 10 {
				_, size := utf8.DecodeLastRuneInString(name)
				name = name[:len(name)-size]
			}
			name += suffix
		}
		used[strings.ToLower(name)] = true
		f := dbfOut{key: k, name: name, typ: kinds[k]}
		switch f.typ {
		case 'N':
			f.len, f.dec = 1, 0
			for _, ft := range fc.Features {
				if v, ok := ft.Properties[k].(float64); ok {
					s := strconv.FormatFloat(v, 'f', -1, 64)
					if i := strings.IndexByte(s, '.'); i >= 0 {
						f.dec = min(max(f.dec, len(s)-i-1), 8)
					}
				}
			}
			for _, ft := range fc.Features {
				if v, ok := ft.Properties[k].(float64); ok {
					f.len = max(f.len, len(strconv.FormatFloat(v, 'f', f.dec, 64)))
				}
			}
			f.len = min(f.len, 24)
		case 'L':
			f.len = 1
		default:
			f.len = 1
			for _, ft := range fc.Features {
				if v, ok := ft.Properties[k]; ok && v != nil {
					f.len = max(f.len, len(cut(valueText(v))))
				}
			}
			truncated = 0 // counted again when writing
		}
		fields = append(fields, f)
	}
	if len(fields) == 0 { // dBASE needs a field
		fields = append(fields, dbfOut{key: "\x00fid", name: "fid", typ: 'N', len: 10})
	}
	rlen := 1
	for _, f := range fields {
		rlen += f.len
	}
	hlen := 32 + 32*len(fields) + 1
	if rlen > 65535 || hlen > 65535 {
		return nil, nil, 0, invalid("the layer has too many or too wide properties for dBASE (%d bytes a record)", rlen)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	now := time.Now()
	hdr := make([]byte, 32)
	hdr[0] = 0x03
	hdr[1], hdr[2], hdr[3] = byte(now.Year()-1900), byte(now.Month()), byte(now.Day())
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(fc.Features)))
	binary.LittleEndian.PutUint16(hdr[8:], uint16(hlen))
	binary.LittleEndian.PutUint16(hdr[10:], uint16(rlen))
	if enc == "GBK" {
		hdr[29] = 0x4d // language driver: Chinese GBK (PRC), code page 936
	}
	w.Write(hdr)
	var names []string
	for _, f := range fields {
		d := make([]byte, 32)
		copy(d[:10], encode(f.name))
		d[11] = f.typ
		d[16], d[17] = byte(f.len), byte(f.dec)
		w.Write(d)
		names = append(names, f.name)
	}
	w.WriteByte(0x0d)
	for i, ft := range fc.Features {
		w.WriteByte(' ')
		for _, f := range fields {
			var cell []byte
			v := ft.Properties[f.key]
			if f.key == "\x00fid" {
				v = float64(i + 1)
			}
			switch {
			case v == nil:
			case f.typ == 'N':
				if x, ok := v.(float64); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
					cell = []byte(strconv.FormatFloat(x, 'f', f.dec, 64))
					if len(cell) > f.len {
						cell = nil
					}
				}
			case f.typ == 'L':
				if v.(bool) {
					cell = []byte("T")
				} else {
					cell = []byte("F")
				}
			default:
				cell = cut(valueText(v))
			}
			pad := bytes.Repeat([]byte(" "), f.len-len(cell))
			if f.typ == 'N' {
				w.Write(pad)
				w.Write(cell)
			} else {
				w.Write(cell)
				w.Write(pad)
			}
		}
	}
	w.WriteByte(0x1a)
	w.Flush()
	return b.Bytes(), names, truncated, nil
}
