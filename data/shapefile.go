package data

// ESRI Shapefiles (.shp/.shx/.dbf/.prj/.cpg), read and written here from
// the published format (ESRI Shapefile Technical Description, 1998; dBASE
// III+ tables): no Shapefile module is served to this project, and the
// format is small. GDAL's ogr2ogr/ogrinfo are the independent check.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/encoding/simplifiedchinese"

	"lifecircle/spatial/crs"
)

// IsShapefile says whether a path names a Shapefile (by its .shp).
func IsShapefile(path string) bool { return strings.EqualFold(filepath.Ext(path), ".shp") }

// Shapefile is one Shapefile read whole: its records as features with the
// attributes as properties (field names lower-cased), in WGS84 when the
// .prj said where they were.
type Shapefile struct {
	Features *geojson.FeatureCollection
	// Projected is true when a .prj was read and the coordinates were
	// converted to WGS84 from it; false when there was no .prj.
	Projected bool
	CRS       string // what the .prj said, e.g. "CGCS2000 / Gauss-Kruger CM 105E"
	Encoding  string // "UTF-8" or "GBK", and how it was decided
}

// ReadShapefile reads path (.shp) and its .dbf, .prj and .cpg through read.
// The attribute encoding is encoding when given ("utf-8", "gbk"), else the
// .cpg's, else the .dbf's language driver, else detected (UTF-8 when every
// text is valid UTF-8, GBK otherwise). The CRS comes from the .prj: WGS 84,
// CGCS2000 (EPSG:4490, taken as WGS 84: they differ by centimetres), or a
// Transverse Mercator / Gauss-Krüger projection on either; any other .prj
// is an error naming it.
func ReadShapefile(read func(string) ([]byte, error), path, encoding string) (*Shapefile, error) {
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	shp, err := read(path)
	if err != nil {
		return nil, err
	}
	dbf, err := readSibling(read, stem, ".dbf")
	if err != nil {
		return nil, err
	}
	if dbf == nil {
		return nil, invalid("%s: the attribute table %s.dbf is missing (a Shapefile is .shp + .shx + .dbf, with .prj and .cpg)", path, filepath.Base(stem))
	}
	prj, err := readSibling(read, stem, ".prj")
	if err != nil {
		return nil, err
	}
	cpg, err := readSibling(read, stem, ".cpg")
	if err != nil {
		return nil, err
	}
	out := &Shapefile{Features: geojson.NewFeatureCollection()}
	var proj *crs.CRS
	if prj != nil {
		c, desc, err := parsePRJ(prj)
		if err != nil {
			return nil, invalid("%s.prj: %v", stem, err)
		}
		proj, out.CRS, out.Projected = c, desc, true
	}
	geoms, err := readSHP(path, shp)
	if err != nil {
		return nil, err
	}
	recs, fields, enc, err := readDBF(stem+".dbf", dbf, strings.TrimSpace(string(cpg)), encoding)
	if err != nil {
		return nil, err
	}
	out.Encoding = enc
	if len(recs) != len(geoms) {
		return nil, invalid("%s: %d shapes but %s.dbf has %d records", path, len(geoms), filepath.Base(stem), len(recs))
	}
	for i, g := range geoms {
		if g == nil {
			return nil, invalid("%s record %d: null shape (no geometry)", path, i+1)
		}
		if proj != nil && proj.Projected {
			if g, err = projectToWGS84(g, *proj); err != nil {
				return nil, invalid("%s record %d: %v", path, i+1, err)
			}
		}
		ft := geojson.NewFeature(g)
		for j, f := range fields {
			if v := recs[i][j]; v != nil {
				ft.Properties[f.name] = v
			}
		}
		out.Features.Features = append(out.Features.Features, ft)
	}
	return out, nil
}

func readSibling(read func(string) ([]byte, error), stem, ext string) ([]byte, error) {
	for _, e := range []string{ext, strings.ToUpper(ext)} {
		b, err := read(stem + e)
		if err == nil {
			return b, nil
		}
	}
	return nil, nil
}

func projectToWGS84(g orb.Geometry, c crs.CRS) (orb.Geometry, error) {
	var err error
	f := func(p orb.Point) orb.Point {
		if err != nil {
			return p
		}
		lon, lat, e := c.ToCRS84(p[0], p[1])
		if e != nil {
			err = e
		}
		return orb.Point{lon, lat}
	}
	switch g := g.(type) {
	case orb.Point:
		return f(g), err
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for i, p := range g {
			out[i] = f(p)
		}
		return out, err
	case orb.Polygon:
		return mapPolygon(g, f), err
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = mapPolygon(p, f)
		}
		return out, err
	}
	return g, fmt.Errorf("geometry %s is not supported", g.GeoJSONType())
}

// Shape types of the .shp.
const (
	shpNull       = 0
	shpPoint      = 1
	shpPolyLine   = 3
	shpPolygon    = 5
	shpMultiPoint = 8
)

// readSHP decodes every record: points (Z and M read as 2D), multipoints
// and polygons (outer rings clockwise, holes counter-clockwise, as the
// format defines; each hole goes to the outer ring that contains it).
func readSHP(name string, b []byte) ([]orb.Geometry, error) {
	if len(b) < 100 || binary.BigEndian.Uint32(b[0:4]) != 9994 {
		return nil, invalid("%s: not a Shapefile (.shp header missing)", name)
	}
	fileType := int(binary.LittleEndian.Uint32(b[32:36]))
	var out []orb.Geometry
	off := 100
	for n := 1; off < len(b); n++ {
		if off+8 > len(b) {
			return nil, invalid("%s record %d: truncated header", name, n)
		}
		length := int(binary.BigEndian.Uint32(b[off+4:off+8])) * 2
		body := off + 8
		if length < 4 || body+length > len(b) {
			return nil, invalid("%s record %d: truncated (content length %d bytes, %d left)", name, n, length, len(b)-body)
		}
		rec := b[body : body+length]
		off = body + length
		typ := int(binary.LittleEndian.Uint32(rec[0:4]))
		base := typ % 10
		if typ == shpNull {
			out = append(out, nil)
			continue
		}
		if typ >= 30 || (base != shpPoint && base != shpPolygon && base != shpMultiPoint && base != shpPolyLine) {
			return nil, invalid("%s record %d: shape type %d is not read (points, multipoints and polygons are)", name, n, typ)
		}
		if typ != fileType && fileType != shpNull {
			return nil, invalid("%s record %d: shape type %d in a file of type %d", name, n, typ, fileType)
		}
		f64 := func(at int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(rec[at : at+8])) }
		switch base {
		case shpPoint:
			if len(rec) < 20 {
				return nil, invalid("%s record %d: truncated point", name, n)
			}
			out = append(out, orb.Point{f64(4), f64(12)})
		case shpMultiPoint:
			np := int(binary.LittleEndian.Uint32(rec[36:40]))
			if len(rec) < 40+16*np {
				return nil, invalid("%s record %d: truncated multipoint", name, n)
			}
			mp := make(orb.MultiPoint, np)
			for i := range mp {
				mp[i] = orb.Point{f64(40 + 16*i), f64(48 + 16*i)}
			}
			out = append(out, mp)
		case shpPolyLine:
			return nil, invalid("%s record %d: lines (shape type %d) are not read; boundaries must be polygons", name, n, typ)
		case shpPolygon:
			if len(rec) < 44 {
				return nil, invalid("%s record %d: truncated polygon", name, n)
			}
			nparts := int(binary.LittleEndian.Uint32(rec[36:40]))
			npts := int(binary.LittleEndian.Uint32(rec[40:44]))
			pts := 44 + 4*nparts
			if nparts < 1 || npts < 4 || len(rec) < pts+16*npts {
				return nil, invalid("%s record %d: polygon with %d parts and %d points is truncated or empty", name, n, nparts, npts)
			}
			var rings []orb.Ring
			for p := 0; p < nparts; p++ {
				start := int(binary.LittleEndian.Uint32(rec[44+4*p:]))
				end := npts
				if p+1 < nparts {
					end = int(binary.LittleEndian.Uint32(rec[48+4*p:]))
				}
				if start < 0 || end > npts || end-start < 4 {
					return nil, invalid("%s record %d: ring %d has %d points (at least 4 needed)", name, n, p+1, end-start)
				}
				r := make(orb.Ring, end-start)
				for i := range r {
					at := pts + 16*(start+i)
					r[i] = orb.Point{f64(at), f64(at + 8)}
				}
				rings = append(rings, r)
			}
			out = append(out, assemblePolygons(rings))
		}
	}
	return out, nil
}

// assemblePolygons groups rings: clockwise rings are outer rings, the
// others holes of the outer ring containing them. Rings are returned in
// GeoJSON winding (outer counter-clockwise).
func assemblePolygons(rings []orb.Ring) orb.Geometry {
	var mp orb.MultiPolygon
	var holes []orb.Ring
	for _, r := range rings {
		if r.Orientation() == orb.CW {
			rr := append(orb.Ring(nil), r...)
			rr.Reverse()
			mp = append(mp, orb.Polygon{rr})
		} else {
			holes = append(holes, r)
		}
	}
	if len(mp) == 0 { // wrongly wound file: take every ring as an outer ring
		for _, r := range holes {
			mp = append(mp, orb.Polygon{r})
		}
		holes = nil
	}
	for _, h := range holes {
		hh := append(orb.Ring(nil), h...)
		hh.Reverse()
		placed := false
		for i := range mp {
			if ringContainsPoint(mp[i][0], h[0]) {
				mp[i] = append(mp[i], hh)
				placed = true
				break
			}
		}
		if !placed {
			mp = append(mp, orb.Polygon{h})
		}
	}
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

func ringContainsPoint(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

type dbfField struct {
	name     string
	typ      byte
	len, dec int
}

// readDBF decodes a dBASE table: C (text), N/F (numbers), L (logical), D
// (dates, as text). Deleted records are skipped.
func readDBF(name string, b []byte, cpg, force string) ([][]any, []dbfField, string, error) {
	d := &dbfReader{name: name, b: b}
	if err := d.readHeader(); err != nil {
		return nil, nil, "", err
	}
	if err := d.chooseEncoding(cpg, force); err != nil {
		return nil, nil, "", err
	}
	if err := d.decodeFieldNames(); err != nil {
		return nil, nil, "", err
	}
	var recs [][]any
	for i := 0; i < d.nrec; i++ {
		row, err := d.record(i)
		if err != nil {
			return nil, nil, "", err
		}
		if row != nil {
			recs = append(recs, row)
		}
	}
	return recs, d.fields, d.enc + " (" + d.how + ")", nil
}

// dbfReader reads one dBASE table: the header, the encoding, then each
// record.
type dbfReader struct {
	name             string
	b                []byte
	nrec, hlen, rlen int
	ldid             byte // the language driver
	fields           []dbfField
	enc, how         string // UTF-8 or GBK, and what said so
}

// readHeader reads the record count and sizes and the field descriptors.
func (d *dbfReader) readHeader() error {
	b := d.b
	if len(b) < 33 {
		return invalid("%s: not a dBASE table (too short)", d.name)
	}
	d.nrec = int(binary.LittleEndian.Uint32(b[4:8]))
	d.hlen = int(binary.LittleEndian.Uint16(b[8:10]))
	d.rlen = int(binary.LittleEndian.Uint16(b[10:12]))
	d.ldid = b[29]
	if d.hlen > len(b) || d.rlen < 1 {
		return invalid("%s: damaged dBASE header", d.name)
	}
	for off := 32; off+32 <= d.hlen && b[off] != 0x0d; off += 32 {
		raw := b[off : off+11]
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			raw = raw[:i]
		}
		d.fields = append(d.fields, dbfField{name: string(raw), typ: b[off+11], len: int(b[off+16]), dec: int(b[off+17])})
	}
	return nil
}

// chooseEncoding takes the encoding forced, else the .cpg's, else the
// language driver's, else detects it (GBK when a record or field name is
// not valid UTF-8).
func (d *dbfReader) chooseEncoding(cpg, force string) error {
	switch {
	case force != "":
		d.enc, d.how = normEncoding(force), "--encoding"
		if d.enc == "" {
			return invalid("--encoding %q: want utf-8 or gbk", force)
		}
	case cpg != "":
		d.enc, d.how = normEncoding(cpg), ".cpg"
		if d.enc == "" {
			return invalid("%s: the .cpg names encoding %q; lifecircle reads UTF-8 and GBK (override with --encoding)", d.name, cpg)
		}
	case d.ldid == 0x4d || d.ldid == 0x7a:
		d.enc, d.how = "GBK", "dBASE language driver"
	}
	if d.enc == "" {
		d.enc, d.how = "UTF-8", "detected"
		for i := 0; i < d.nrec; i++ {
			at := d.hlen + i*d.rlen
			if at+d.rlen <= len(d.b) && !utf8.Valid(d.b[at:at+d.rlen]) {
				d.enc = "GBK"
				break
			}
		}
		for _, f := range d.fields {
			if !utf8.ValidString(f.name) {
				d.enc = "GBK"
			}
		}
	}
	return nil
}

// decode is text of the table's encoding as a string.
func (d *dbfReader) decode(s []byte) (string, error) {
	if d.enc == "GBK" {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(s)
		return string(out), err
	}
	if !utf8.Valid(s) {
		return "", fmt.Errorf("not valid UTF-8 (the encoding is %s by %s; try --encoding gbk)", d.enc, d.how)
	}
	return string(s), nil
}

// decodeFieldNames decodes the field names, trimmed and in lower case.
func (d *dbfReader) decodeFieldNames() error {
	for i := range d.fields {
		raw := []byte(d.fields[i].name)
		if d.enc == "UTF-8" {
			raw = trimCutRune(raw)
		}
		n, err := d.decode(raw)
		if err != nil {
			return invalid("%s: field %d name: %v", d.name, i+1, err)
		}
		d.fields[i].name = strings.ToLower(strings.TrimSpace(n))
	}
	return nil
}

// record reads record i; nil when it is deleted.
func (d *dbfReader) record(i int) ([]any, error) {
	at := d.hlen + i*d.rlen
	if at+d.rlen > len(d.b) {
		return nil, invalid("%s record %d: truncated (%d records announced)", d.name, i+1, d.nrec)
	}
	rec := d.b[at : at+d.rlen]
	if rec[0] == '*' {
		return nil, nil
	}
	row := make([]any, len(d.fields))
	pos := 1
	for j, f := range d.fields {
		if pos+f.len > len(rec) {
			return nil, invalid("%s record %d: field %s runs past the record", d.name, i+1, f.name)
		}
		raw := bytes.TrimSpace(bytes.TrimRight(rec[pos:pos+f.len], "\x00"))
		pos += f.len
		if len(raw) == 0 {
			continue
		}
		v, err := d.value(f, raw)
		if err != nil {
			return nil, invalid("%s record %d field %s: %v", d.name, i+1, f.name, err)
		}
		row[j] = v
	}
	return row, nil
}

// value is a field's value of a record (not empty): a number (nil for
// the overflow marker), a boolean (nil when unknown) or text.
func (d *dbfReader) value(f dbfField, raw []byte) (any, error) {
	switch f.typ {
	case 'N', 'F':
		if raw[0] == '*' { // overflow marker
			return nil, nil
		}
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", raw)
		}
		return v, nil
	case 'L':
		switch raw[0] {
		case 'T', 't', 'Y', 'y':
			return true, nil
		case 'F', 'f', 'N', 'n':
			return false, nil
		}
		return nil, nil
	}
	return d.decode(raw)
}

// trimCutRune drops an incomplete UTF-8 sequence at the end of a dBASE
// field name: names hold 10 bytes, and writers (GDAL among them) cut a
// Chinese name such as 街道代码 (12 bytes) inside its last character.
func trimCutRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.Valid(b) {
			break
		}
		if utf8.Valid(b[:len(b)-k]) {
			return b[:len(b)-k]
		}
	}
	return b
}

// dbfFieldName is a field name as a dBASE table can hold it: at most 10
// bytes, cut at a character boundary (how 街道代码 reads back from a UTF-8
// table: 街道代).
func dbfFieldName(name string) string {
	if len(name) <= 10 {
		return name
	}
	n := 0
	for i := range name {
		if i > 10 {
			break
		}
		n = i
	}
	if utf8.ValidString(name[:10]) {
		n = 10
	}
	return name[:n]
}

func normEncoding(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "UTF-8", "UTF8", "65001":
		return "UTF-8"
	case "GBK", "936", "CP936", "GB2312", "GB18030", "ANSI 936", "EUC-CN":
		return "GBK"
	}
	return ""
}

// parsePRJ recognises the .prj (WKT1, ESRI or OGC flavour): WGS 84 or
// CGCS2000 geographic, or Transverse Mercator / Gauss-Krüger on their
// ellipsoid with metres.
func parsePRJ(b []byte) (*crs.CRS, string, error) {
	w := strings.TrimSpace(string(b))
	up := strings.ToUpper(w)
	short := w
	if len(short) > 160 {
		short = short[:160] + "…"
	}
	unknown := func(why string) (*crs.CRS, string, error) {
		return nil, "", fmt.Errorf("the coordinate system %s is not one lifecircle reads (%s); reproject to WGS 84 (EPSG:4326), CGCS2000 (EPSG:4490) or a CGCS2000 Gauss-Krüger zone, e.g. ogr2ogr -t_srs EPSG:4326", short, why)
	}
	datumOK := strings.Contains(up, "WGS_1984") || strings.Contains(up, "WGS 84") || strings.Contains(up, "WGS84") ||
		strings.Contains(up, "CHINA_2000") || strings.Contains(up, "CGCS2000") || strings.Contains(up, "CHINA GEODETIC COORDINATE SYSTEM 2000") || strings.Contains(up, "CHINA_GEODETIC_COORDINATE_SYSTEM_2000")
	if !datumOK {
		switch {
		case strings.Contains(up, "XIAN") || strings.Contains(up, "1980"):
			return unknown("Xi'an 1980 datum: its shift to WGS 84 is not published")
		case strings.Contains(up, "BEIJING") || strings.Contains(up, "1954"):
			return unknown("Beijing 1954 datum: its shift to WGS 84 is not published")
		}
		return unknown("datum neither WGS 84 nor CGCS2000")
	}
	isProj := strings.HasPrefix(up, "PROJCS") || strings.HasPrefix(up, "PROJCRS")
	if !isProj {
		if strings.HasPrefix(up, "GEOGCS") || strings.HasPrefix(up, "GEOGCRS") || strings.HasPrefix(up, "GEODCRS") {
			c := crs.CRS{}
			if strings.Contains(up, "2000") {
				return &c, "CGCS2000 geographic (EPSG:4490, taken as WGS 84)", nil
			}
			return &c, "WGS 84 geographic (EPSG:4326)", nil
		}
		return unknown("neither a geographic nor a projected system")
	}
	if !(strings.Contains(up, "TRANSVERSE_MERCATOR") || strings.Contains(up, "TRANSVERSE MERCATOR") || strings.Contains(up, "GAUSS_KRUGER") || strings.Contains(up, "GAUSS-KRUGER")) {
		return unknown("projection other than Transverse Mercator / Gauss-Krüger")
	}
	param := func(names ...string) (float64, bool) {
		for _, n := range names {
			i := strings.Index(up, `PARAMETER["`+strings.ToUpper(n)+`"`)
			if i < 0 {
				continue
			}
			rest := up[i+len(`PARAMETER["`)+len(n)+2:]
			end := strings.IndexAny(rest, "],")
			if end < 0 {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(rest[:end]), 64)
			if err == nil {
				return v, true
			}
		}
		return 0, false
	}
	lon0, ok := param("central_meridian", "Longitude of natural origin")
	if !ok {
		return unknown("no central meridian")
	}
	k0, ok := param("scale_factor", "Scale factor at natural origin")
	if !ok {
		k0 = 1
	}
	fe, _ := param("false_easting", "False easting")
	fn, _ := param("false_northing", "False northing")
	if lat0, _ := param("latitude_of_origin", "Latitude of natural origin"); lat0 != 0 {
		return unknown("latitude of origin other than 0")
	}
	if !(strings.Contains(up, `UNIT["METER"`) || strings.Contains(up, `UNIT["METRE"`) || strings.Contains(up, `LENGTHUNIT["METRE"`)) {
		return unknown("units other than metres")
	}
	invF := 298.257223563
	name := "WGS 84"
	if strings.Contains(up, "2000") {
		invF, name = 298.257222101, "CGCS2000"
	}
	desc := fmt.Sprintf("%s / Transverse Mercator (Gauss-Krüger) CM %g°E, false easting %g m", name, lon0, fe)
	c := crs.TransverseMercatorCRS("", desc, 6378137, invF, lon0, k0, fe, fn)
	return &c, desc, nil
}
