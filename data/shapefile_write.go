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

// dbfTable encodes the attribute table; it returns the field names and how
// many texts were cut to dBASE's 254 bytes.
func dbfTable(fc *geojson.FeatureCollection, encode func(string) []byte, enc string) ([]byte, []string, int, error) {
	d := &dbfWriter{fc: fc, encode: encode}
	d.layout()
	rlen := 1
	for _, f := range d.fields {
		rlen += f.len
	}
	hlen := 32 + 32*len(d.fields) + 1
	if rlen > 65535 || hlen > 65535 {
		return nil, nil, 0, invalid("the layer has too many or too wide properties for dBASE (%d bytes a record)", rlen)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	names := d.writeHeader(w, enc, rlen, hlen)
	d.writeRecords(w)
	w.WriteByte(0x1a)
	w.Flush()
	return b.Bytes(), names, d.truncated, nil
}

// dbfWriter writes one layer's attribute table: the fields are laid out
// from every feature's properties, then each feature is a record.
type dbfWriter struct {
	fc        *geojson.FeatureCollection
	encode    func(string) []byte
	fields    []dbfOut
	truncated int // texts cut while writing the records
}

// cut encodes s, cut at a character boundary of s to dBASE's 254 bytes;
// true when it was cut.
func (d *dbfWriter) cut(s string) ([]byte, bool) {
	b := d.encode(s)
	if len(b) <= 254 {
		return b, false
	}
	for len(b) > 254 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
		b = d.encode(s)
	}
	return b, true
}

// kinds is the keys of the properties that have a value somewhere, in
// order, and the dBASE type of each: N for numbers, L for booleans, C for
// text and for a key whose values are of several kinds.
func (d *dbfWriter) kinds() ([]string, map[string]byte) {
	kinds := map[string]byte{}
	var keys []string
	for _, f := range d.fc.Features {
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
	return keys, kinds
}

// layout makes a field per property key (a placeholder fid when there
// is none: dBASE needs a field), named and sized.
func (d *dbfWriter) layout() {
	keys, kinds := d.kinds()
	used := map[string]bool{}
	for _, k := range keys {
		name := d.fieldName(k, used)
		used[strings.ToLower(name)] = true
		f := dbfOut{key: k, name: name, typ: kinds[k]}
		switch f.typ {
		case 'N':
			d.sizeNumber(&f)
		case 'L':
			f.len = 1
		default:
			d.sizeText(&f)
		}
		d.fields = append(d.fields, f)
	}
	if len(d.fields) == 0 {
		d.fields = append(d.fields, dbfOut{key: "\x00fid", name: "fid", typ: 'N', len: 10})
	}
}

// fieldName is a property key as a field name of at most 10 bytes, with a
// number where it is already used (names are compared without case).
func (d *dbfWriter) fieldName(k string, used map[string]bool) string {
	name := d.trim(k, 10)
	base := name
	for n := 1; used[strings.ToLower(name)]; n++ {
		suffix := strconv.Itoa(n)
		name = d.trim(base, 10-len(suffix)) + suffix
	}
	return name
}

// trim cuts s at character boundaries until it encodes to at most n bytes.
func (d *dbfWriter) trim(s string, n int) string {
	for len(d.encode(s)) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// sizeNumber sets the decimals (at most 8) and the width (at most 24) of
// a number field from its values.
func (d *dbfWriter) sizeNumber(f *dbfOut) {
	f.len, f.dec = 1, 0
	for _, ft := range d.fc.Features {
		if v, ok := ft.Properties[f.key].(float64); ok {
			s := strconv.FormatFloat(v, 'f', -1, 64)
			if i := strings.IndexByte(s, '.'); i >= 0 {
				f.dec = min(max(f.dec, len(s)-i-1), 8)
			}
		}
	}
	for _, ft := range d.fc.Features {
		if v, ok := ft.Properties[f.key].(float64); ok {
			f.len = max(f.len, len(strconv.FormatFloat(v, 'f', f.dec, 64)))
		}
	}
	f.len = min(f.len, 24)
}

// sizeText sets the width of a text field: its longest value, encoded and
// cut.
func (d *dbfWriter) sizeText(f *dbfOut) {
	f.len = 1
	for _, ft := range d.fc.Features {
		if v, ok := ft.Properties[f.key]; ok && v != nil {
			b, _ := d.cut(valueText(v))
			f.len = max(f.len, len(b))
		}
	}
}

// writeHeader writes the table header and the field descriptors; it
// returns the field names.
func (d *dbfWriter) writeHeader(w *bufio.Writer, enc string, rlen, hlen int) []string {
	now := time.Now()
	hdr := make([]byte, 32)
	hdr[0] = 0x03
	hdr[1], hdr[2], hdr[3] = byte(now.Year()-1900), byte(now.Month()), byte(now.Day())
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(d.fc.Features)))
	binary.LittleEndian.PutUint16(hdr[8:], uint16(hlen))
	binary.LittleEndian.PutUint16(hdr[10:], uint16(rlen))
	if enc == "GBK" {
		hdr[29] = 0x4d // language driver: Chinese GBK (PRC), code page 936
	}
	w.Write(hdr)
	var names []string
	for _, f := range d.fields {
		desc := make([]byte, 32)
		copy(desc[:10], d.encode(f.name))
		desc[11] = f.typ
		desc[16], desc[17] = byte(f.len), byte(f.dec)
		w.Write(desc)
		names = append(names, f.name)
	}
	w.WriteByte(0x0d)
	return names
}

// writeRecords writes a record per feature: numbers right-aligned, the
// rest left-aligned, each padded to its field's width.
func (d *dbfWriter) writeRecords(w *bufio.Writer) {
	for i, ft := range d.fc.Features {
		w.WriteByte(' ')
		for _, f := range d.fields {
			v := ft.Properties[f.key]
			if f.key == "\x00fid" {
				v = float64(i + 1)
			}
			cell := d.cell(f, v)
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
}

// cell is a value as the bytes of field f (nil: blank); a number too wide
// for its field is blank, a text too long is cut and counted.
func (d *dbfWriter) cell(f dbfOut, v any) []byte {
	switch {
	case v == nil:
	case f.typ == 'N':
		if x, ok := v.(float64); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
			if cell := []byte(strconv.FormatFloat(x, 'f', f.dec, 64)); len(cell) <= f.len {
				return cell
			}
		}
	case f.typ == 'L':
		if v.(bool) {
			return []byte("T")
		}
		return []byte("F")
	default:
		b, cut := d.cut(valueText(v))
		if cut {
			d.truncated++
		}
		return b
	}
	return nil
}
