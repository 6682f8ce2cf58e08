package data

// Population rasters (GeoTIFF: WorldPop, GHS-POP) → H3 cells. The TIFF
// container and its GeoKeys are read here (golang.org/x/image/tiff decodes
// images, not float32 rasters); LZW strips through x/image/tiff/lzw.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"golang.org/x/image/tiff/lzw"

	"lifecircle/spatial"
)

// IsRaster says whether a path names a GeoTIFF.
func IsRaster(path string) bool {
	switch strings.ToLower(pathExt(path)) {
	case ".tif", ".tiff":
		return true
	}
	return false
}

func pathExt(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.ContainsAny(p[i:], "/\\") {
		return p[i:]
	}
	return ""
}

// RasterInfo describes a population raster as read.
type RasterInfo struct {
	Width, Height int
	CRS           string  // "WGS 84" or "Mollweide (ESRI:54009)"
	NoData        float64 // NaN when none
	Total         float64 // sum of the valid pixels
	Pixels        int     // valid pixels with population > 0
}

// geoTIFF is the part of a TIFF the population reader needs.
type geoTIFF struct {
	width, height      int
	bits, sampleFormat int
	compression        int
	predictor          int
	samples            int
	// strips or tiles
	offsets, counts []uint64
	tileW, tileH    int // 0 for strips
	rowsPerStrip    int
	scale, tiepoint []float64
	transform       []float64
	geoKeys         []uint16
	geoDoubles      []float64
	geoASCII        string
	noData          string
	order           binary.ByteOrder
}

const (
	tagWidth           = 256
	tagHeight          = 257
	tagBits            = 258
	tagCompression     = 259
	tagStripOffsets    = 273
	tagSamples         = 277
	tagRowsPerStrip    = 278
	tagStripCounts     = 279
	tagPlanar          = 284
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileCounts      = 325
	tagSampleFormat    = 339
	tagPixelScale      = 33550
	tagTiepoint        = 33922
	tagTransform       = 34264
	tagGeoKeys         = 34735
	tagGeoDoubles      = 34736
	tagGeoASCII        = 34737
	tagGDALNoData      = 42113
	geoKeyModelType    = 1024
	geoKeyRasterType   = 1025
	geoKeyGeographic   = 2048
	geoKeyProjectedCS  = 3072
	geoKeyPCSCitation  = 3073
	geoKeyProjection   = 3074
	geoKeyCoordTrans   = 3075
	geoKeyGTCitation   = 1026
	geoKeyGeogCitation = 2049
)

// parseTIFF reads the first directory of a classic TIFF: its header, then
// each entry into the geoTIFF, then checks that an image can be read.
func parseTIFF(name string, b []byte) (*geoTIFF, error) {
	t := &geoTIFF{samples: 1, predictor: 1, compression: 1, sampleFormat: 1}
	ifd, n, err := t.readHeader(name, b)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		e, ok, err := t.entry(name, b, ifd+2+12*i)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if err := t.set(name, e); err != nil {
			return nil, err
		}
	}
	if err := t.check(name); err != nil {
		return nil, err
	}
	return t, nil
}

// readHeader reads the byte order and the magic number, and where the
// first directory is and how many entries it has.
func (t *geoTIFF) readHeader(name string, b []byte) (ifd, n int, err error) {
	if len(b) < 8 {
		return 0, 0, invalid("%s: not a TIFF (too short)", name)
	}
	switch string(b[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return 0, 0, invalid("%s: not a TIFF (no II/MM byte order mark)", name)
	}
	switch t.order.Uint16(b[2:4]) {
	case 42:
	case 43:
		return 0, 0, invalid("%s: BigTIFF is not read; write a classic TIFF (gdal_translate -co BIGTIFF=NO)", name)
	default:
		return 0, 0, invalid("%s: not a TIFF (magic number)", name)
	}
	ifd = int(t.order.Uint32(b[4:8]))
	if ifd+2 > len(b) {
		return 0, 0, invalid("%s: damaged TIFF (first directory beyond the end)", name)
	}
	n = int(t.order.Uint16(b[ifd : ifd+2]))
	if ifd+2+12*n > len(b) {
		return 0, 0, invalid("%s: damaged TIFF (directory beyond the end)", name)
	}
	return ifd, n, nil
}

// tiffTypeSizes is the size in bytes of a value of each TIFF field type.
var tiffTypeSizes = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}

// tiffEntry is one directory entry with its values' bytes.
type tiffEntry struct {
	order    binary.ByteOrder
	tag, typ uint16
	count    int
	data     []byte
}

// entry reads the directory entry at off; false for a field type that is
// not known (the entry is passed over).
func (t *geoTIFF) entry(name string, b []byte, off int) (tiffEntry, bool, error) {
	raw := b[off : off+12]
	e := tiffEntry{order: t.order, tag: t.order.Uint16(raw[0:2]), typ: t.order.Uint16(raw[2:4]), count: int(t.order.Uint32(raw[4:8]))}
	sz, ok := tiffTypeSizes[e.typ]
	if !ok {
		return e, false, nil
	}
	e.data = raw[8:12]
	if sz*e.count > 4 {
		at := int(t.order.Uint32(raw[8:12]))
		if at < 0 || at+sz*e.count > len(b) || e.count < 0 {
			return e, false, invalid("%s: damaged TIFF (tag %d beyond the end)", name, e.tag)
		}
		e.data = b[at : at+sz*e.count]
	}
	return e, true, nil
}

// ints is the entry's values as integers.
func (e tiffEntry) ints() []uint64 {
	out := make([]uint64, e.count)
	for k := range out {
		switch e.typ {
		case 3, 8:
			out[k] = uint64(e.order.Uint16(e.data[2*k:]))
		case 4, 9:
			out[k] = uint64(e.order.Uint32(e.data[4*k:]))
		case 16:
			out[k] = e.order.Uint64(e.data[8*k:])
		case 1, 6, 7:
			out[k] = uint64(e.data[k])
		}
	}
	return out
}

// first is the entry's first value as an integer, 0 when it has none.
func (e tiffEntry) first() int {
	v := e.ints()
	if len(v) == 0 {
		return 0
	}
	return int(v[0])
}

// doubles is the entry's values as doubles.
func (e tiffEntry) doubles() []float64 {
	out := make([]float64, e.count)
	for k := range out {
		out[k] = math.Float64frombits(e.order.Uint64(e.data[8*k:]))
	}
	return out
}

// set keeps what an entry says that the reader needs.
func (t *geoTIFF) set(name string, e tiffEntry) error {
	switch e.tag {
	case tagWidth:
		t.width = e.first()
	case tagHeight:
		t.height = e.first()
	case tagBits:
		t.bits = e.first()
	case tagCompression:
		t.compression = e.first()
	case tagSamples:
		t.samples = e.first()
	case tagRowsPerStrip:
		t.rowsPerStrip = e.first()
	case tagPredictor:
		t.predictor = e.first()
	case tagSampleFormat:
		t.sampleFormat = e.first()
	case tagTileWidth:
		t.tileW = e.first()
	case tagTileLength:
		t.tileH = e.first()
	case tagPlanar:
		if e.first() == 2 && t.samples > 1 {
			return invalid("%s: separate colour planes are not read", name)
		}
	case tagStripOffsets, tagTileOffsets:
		t.offsets = e.ints()
	case tagStripCounts, tagTileCounts:
		t.counts = e.ints()
	case tagPixelScale:
		t.scale = e.doubles()
	case tagTiepoint:
		t.tiepoint = e.doubles()
	case tagTransform:
		t.transform = e.doubles()
	case tagGeoKeys:
		for _, v := range e.ints() {
			t.geoKeys = append(t.geoKeys, uint16(v))
		}
	case tagGeoDoubles:
		t.geoDoubles = e.doubles()
	case tagGeoASCII:
		t.geoASCII = string(e.data)
	case tagGDALNoData:
		t.noData = strings.Trim(string(e.data), "\x00 ")
	}
	return nil
}

// check says whether the directory describes an image the reader can read
// (one band, its strips or tiles); a missing RowsPerStrip is the height.
func (t *geoTIFF) check(name string) error {
	if t.width <= 0 || t.height <= 0 {
		return invalid("%s: the TIFF has no image size", name)
	}
	if t.samples != 1 {
		return invalid("%s: %d bands; a population raster has one", name, t.samples)
	}
	if len(t.offsets) == 0 || len(t.offsets) != len(t.counts) {
		return invalid("%s: damaged TIFF (strip or tile offsets missing)", name)
	}
	if t.rowsPerStrip == 0 {
		t.rowsPerStrip = t.height
	}
	return nil
}

// geoKey returns a GeoKey's short value, or its text for ASCII keys.
func (t *geoTIFF) geoKey(id uint16) (short int, text string, ok bool) {
	k := t.geoKeys
	if len(k) < 4 {
		return 0, "", false
	}
	for i := 4; i+3 < len(k) && i/4 <= int(k[3]); i += 4 {
		if k[i] != id {
			continue
		}
		loc, count, val := k[i+1], int(k[i+2]), int(k[i+3])
		switch loc {
		case 0:
			return val, "", true
		case tagGeoASCII:
			if val+count <= len(t.geoASCII) {
				return 0, strings.TrimRight(t.geoASCII[val:val+count], "|\x00"), true
			}
		case tagGeoDoubles:
			if val < len(t.geoDoubles) {
				return int(t.geoDoubles[val]), "", true
			}
		}
	}
	return 0, "", false
}

// pixelToLonLat maps a pixel corner (column x, row y; 0,0 is the top left
// corner of the first pixel) to WGS84.
type pixelToLonLat func(x, y float64) (orb.Point, error)

// georef reads the raster's placement and CRS: WGS 84 (EPSG:4326 or
// geographic on WGS 84 / CGCS2000), or Mollweide (ESRI:54009).
func (t *geoTIFF) georef(name string) (pixelToLonLat, string, error) {
	var affine [6]float64 // X = a0 + a1·col + a2·row; Y = a3 + a4·col + a5·row
	switch {
	case len(t.transform) >= 16:
		m := t.transform
		affine = [6]float64{m[3], m[0], m[1], m[7], m[4], m[5]}
	case len(t.scale) >= 2 && len(t.tiepoint) >= 6:
		i, j, x, y := t.tiepoint[0], t.tiepoint[1], t.tiepoint[3], t.tiepoint[4]
		sx, sy := t.scale[0], t.scale[1]
		affine = [6]float64{x - i*sx, sx, 0, y + j*sy, 0, -sy}
	default:
		return nil, "", invalid("%s: not a GeoTIFF: no ModelPixelScale/ModelTiepoint or ModelTransformation", name)
	}
	if rt, _, ok := t.geoKey(geoKeyRasterType); ok && rt == 2 { // PixelIsPoint: the tie point is a pixel centre
		affine[0] -= (affine[1] + affine[2]) / 2
		affine[3] -= (affine[4] + affine[5]) / 2
	}
	at := func(x, y float64) (float64, float64) {
		return affine[0] + affine[1]*x + affine[2]*y, affine[3] + affine[4]*x + affine[5]*y
	}
	model, _, _ := t.geoKey(geoKeyModelType)
	_, cit1, _ := t.geoKey(geoKeyPCSCitation)
	_, cit2, _ := t.geoKey(geoKeyGTCitation)
	citation := cit1 + " " + cit2
	switch model {
	case 2: // geographic
		g, _, _ := t.geoKey(geoKeyGeographic)
		if g != 4326 && g != 4490 && g != 32767 && g != 0 {
			return nil, "", invalid("%s: geographic CRS EPSG:%d is not read (WGS 84 EPSG:4326 or CGCS2000 EPSG:4490 are)", name, g)
		}
		return func(x, y float64) (orb.Point, error) {
			lon, lat := at(x, y)
			return orb.Point{lon, lat}, nil
		}, "WGS 84", nil
	case 1, 32767: // projected, or user-defined (GDAL writes ESRI:54009 so, with its PE string)
		pcs, _, _ := t.geoKey(geoKeyProjectedCS)
		if pcs == 54009 || strings.Contains(strings.ToLower(citation+t.geoASCII), "mollweide") {
			lon0 := wktParam(t.geoASCII, "central_meridian")
			fe, fn := wktParam(t.geoASCII, "false_easting"), wktParam(t.geoASCII, "false_northing")
			return func(x, y float64) (orb.Point, error) {
				x, y = at(x, y)
				p, err := mollweideInverse(x-fe, y-fn)
				p[0] += lon0
				return p, err
			}, fmt.Sprintf("Mollweide (ESRI:54009%s)", map[bool]string{true: "", false: fmt.Sprintf(", central meridian %g°", lon0)}[lon0 == 0]), nil
		}
		return nil, "", invalid("%s: projected CRS %d %q is not read (WGS 84 and Mollweide ESRI:54009 are); reproject with gdalwarp -t_srs EPSG:4326", name, pcs, strings.TrimSpace(citation))
	}
	return nil, "", invalid("%s: the GeoTIFF names no coordinate system (GTModelTypeGeoKey)", name)
}

// mollweideR is the sphere radius of ESRI:54009 (World Mollweide): PROJ's
// moll is spherical and takes the WGS 84 semi-major axis.
const mollweideR = 6378137.0

// mollweideInverse is the exact inverse of the Mollweide projection on the
// sphere (central meridian 0, no false origin, as ESRI:54009):
// θ = asin(y / (R√2)), φ = asin((2θ + sin 2θ) / π), λ = π x / (2√2 R cos θ).
func mollweideInverse(x, y float64) (orb.Point, error) {
	s := y / (mollweideR * math.Sqrt2)
	if math.Abs(s) > 1+1e-12 || math.IsNaN(s) {
		return orb.Point{}, fmt.Errorf("Mollweide y %.1f m lies beyond the pole", y)
	}
	theta := math.Asin(math.Max(-1, math.Min(1, s)))
	lat := math.Asin(math.Max(-1, math.Min(1, (2*theta+math.Sin(2*theta))/math.Pi)))
	c := math.Cos(theta)
	if c < 1e-12 {
		return orb.Point{0, lat * 180 / math.Pi}, nil
	}
	lon := math.Pi * x / (2 * math.Sqrt2 * mollweideR * c)
	if math.Abs(lon) > math.Pi+1e-9 {
		return orb.Point{}, fmt.Errorf("Mollweide x %.1f m lies outside the map (longitude %.2f°)", x, lon*180/math.Pi)
	}
	return orb.Point{lon * 180 / math.Pi, lat * 180 / math.Pi}, nil
}

// mollweideForward is the forward projection (Newton iteration for θ), for tests.
func mollweideForward(lon, lat float64) (x, y float64) {
	phi, lam := lat*math.Pi/180, lon*math.Pi/180
	theta := phi
	for i := 0; i < 50; i++ {
		d := (2*theta + math.Sin(2*theta) - math.Pi*math.Sin(phi)) / (2 + 2*math.Cos(2*theta))
		theta -= d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	return mollweideR * 2 * math.Sqrt2 / math.Pi * lam * math.Cos(theta), mollweideR * math.Sqrt2 * math.Sin(theta)
}

// pixels decodes the raster into float64 values, row by row.
func (t *geoTIFF) pixels(name string, b []byte) ([]float64, error) {
	bps := t.bits / 8
	if t.bits%8 != 0 || bps == 0 {
		return nil, invalid("%s: %d bits per sample is not read", name, t.bits)
	}
	conv, err := sampleReader(t.order, t.bits, t.sampleFormat)
	if err != nil {
		return nil, invalid("%s: %v", name, err)
	}
	out := make([]float64, t.width*t.height)
	blockW, blockH := t.width, t.rowsPerStrip
	across := 1
	if t.tileW > 0 {
		blockW, blockH = t.tileW, t.tileH
		across = (t.width + blockW - 1) / blockW
	}
	for k := range t.offsets {
		off, cnt := t.offsets[k], t.counts[k]
		if off+cnt > uint64(len(b)) {
			return nil, invalid("%s: damaged TIFF (block %d beyond the end)", name, k)
		}
		raw, err := decompress(t.compression, b[off:off+cnt])
		if err != nil {
			return nil, invalid("%s block %d: %v", name, k, err)
		}
		bx, by := (k%across)*blockW, (k/across)*blockH
		rows := blockH
		if t.tileW == 0 {
			rows = min(blockH, t.height-by)
		}
		if len(raw) < rows*blockW*bps {
			return nil, invalid("%s block %d: %d bytes, want %d", name, k, len(raw), rows*blockW*bps)
		}
		if err := unpredict(t.predictor, raw, blockW, rows, bps, t.order); err != nil {
			return nil, invalid("%s: %v", name, err)
		}
		for r := 0; r < rows; r++ {
			y := by + r
			if y >= t.height {
				break
			}
			for c := 0; c < blockW; c++ {
				x := bx + c
				if x >= t.width {
					break
				}
				out[y*t.width+x] = conv(raw[(r*blockW+c)*bps:])
			}
		}
	}
	return out, nil
}

func sampleReader(o binary.ByteOrder, bits, format int) (func([]byte) float64, error) {
	switch {
	case format == 3 && bits == 32:
		return func(b []byte) float64 { return float64(math.Float32frombits(o.Uint32(b))) }, nil
	case format == 3 && bits == 64:
		return func(b []byte) float64 { return math.Float64frombits(o.Uint64(b)) }, nil
	case format == 2 && bits == 16:
		return func(b []byte) float64 { return float64(int16(o.Uint16(b))) }, nil
	case format == 2 && bits == 32:
		return func(b []byte) float64 { return float64(int32(o.Uint32(b))) }, nil
	case format == 1 && bits == 8, format == 2 && bits == 8:
		if format == 2 {
			return func(b []byte) float64 { return float64(int8(b[0])) }, nil
		}
		return func(b []byte) float64 { return float64(b[0]) }, nil
	case format == 1 && bits == 16:
		return func(b []byte) float64 { return float64(o.Uint16(b)) }, nil
	case format == 1 && bits == 32:
		return func(b []byte) float64 { return float64(o.Uint32(b)) }, nil
	}
	return nil, fmt.Errorf("sample format %d with %d bits is not read (integers of 8–32 bits and 32/64-bit floats are)", format, bits)
}

func decompress(c int, b []byte) ([]byte, error) {
	switch c {
	case 1:
		return b, nil
	case 5:
		r := lzw.NewReader(bytes.NewReader(b), lzw.MSB, 8)
		defer r.Close()
		return io.ReadAll(r)
	case 8, 32946:
		r, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	return nil, fmt.Errorf("compression %d is not read (none, LZW and Deflate are; gdal_translate -co COMPRESS=DEFLATE)", c)
}

// unpredict undoes TIFF predictors: 2 (horizontal differencing of
// integers) and 3 (floating point: byte planes, differenced).
func unpredict(p int, raw []byte, w, rows, bps int, o binary.ByteOrder) error {
	switch p {
	case 1:
		return nil
	case 2:
		for r := 0; r < rows; r++ {
			row := raw[r*w*bps : (r+1)*w*bps]
			for c := 1; c < w; c++ {
				switch bps {
				case 1:
					row[c] += row[c-1]
				case 2:
					o.PutUint16(row[2*c:], o.Uint16(row[2*c:])+o.Uint16(row[2*c-2:]))
				case 4:
					o.PutUint32(row[4*c:], o.Uint32(row[4*c:])+o.Uint32(row[4*c-4:]))
				case 8:
					o.PutUint64(row[8*c:], o.Uint64(row[8*c:])+o.Uint64(row[8*c-8:]))
				}
			}
		}
		return nil
	case 3:
		tmp := make([]byte, w*bps)
		for r := 0; r < rows; r++ {
			row := raw[r*w*bps : (r+1)*w*bps]
			for i := 1; i < len(row); i++ {
				row[i] += row[i-1]
			}
			// Byte planes, most significant first, back into samples in file order.
			for c := 0; c < w; c++ {
				for k := 0; k < bps; k++ {
					v := row[k*w+c]
					if o == binary.LittleEndian {
						tmp[c*bps+bps-1-k] = v
					} else {
						tmp[c*bps+k] = v
					}
				}
			}
			copy(row, tmp)
		}
		return nil
	}
	return fmt.Errorf("predictor %d is not read", p)
}

// ReadPopulationRaster reads a GeoTIFF population raster (one band, float
// or integer, nodata honoured) into cells of resolution res: each pixel's
// population is shared among the cells its footprint overlaps, by area.
// The total is preserved. Negative values other than nodata are errors
// naming the pixel.
func ReadPopulationRaster(name string, r io.Reader, res int) (map[spatial.Cell]float64, RasterInfo, error) {
	var info RasterInfo
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, info, fmt.Errorf("%s: %v", name, err)
	}
	t, err := parseTIFF(name, b)
	if err != nil {
		return nil, info, err
	}
	toLL, crsName, err := t.georef(name)
	if err != nil {
		return nil, info, err
	}
	px, err := t.pixels(name, b)
	if err != nil {
		return nil, info, err
	}
	info = RasterInfo{Width: t.width, Height: t.height, CRS: crsName, NoData: math.NaN()}
	if t.noData != "" {
		v, err := strconv.ParseFloat(t.noData, 64)
		if err != nil {
			return nil, info, invalid("%s: nodata value %q is not a number", name, t.noData)
		}
		info.NoData = v
	}
	acc := map[spatial.Cell]float64{}
	for y := 0; y < t.height; y++ {
		for x := 0; x < t.width; x++ {
			v := px[y*t.width+x]
			if math.IsNaN(v) || v == info.NoData || (t.sampleFormat == 3 && float64(float32(info.NoData)) == v) {
				continue
			}
			if v < 0 || math.IsInf(v, 0) {
				return nil, info, invalid("%s pixel (column %d, row %d): population %v is negative or infinite (nodata is %v)", name, x, y, v, info.NoData)
			}
			if v == 0 {
				continue
			}
			info.Total += v
			info.Pixels++
			var ring orb.Ring
			for _, c := range [][2]float64{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}} {
				p, err := toLL(float64(x)+c[0], float64(y)+c[1])
				if err != nil {
					return nil, info, invalid("%s pixel (column %d, row %d): %v", name, x, y, err)
				}
				if err := spatial.CheckLonLat(p); err != nil {
					return nil, info, invalid("%s pixel (column %d, row %d): %v", name, x, y, err)
				}
				ring = append(ring, p)
			}
			if ring.Orientation() != orb.CCW {
				ring.Reverse()
			}
			// Fast path: a pixel wholly inside one cell (cells are convex).
			c0 := spatial.CellOf(ring[0], res)
			whole := true
			for _, p := range ring[1:4] {
				if spatial.CellOf(p, res) != c0 {
					whole = false
					break
				}
			}
			if whole {
				acc[c0] += v
				continue
			}
			if err := apportion(acc, orb.MultiPolygon{{ring}}, v, res); err != nil {
				return nil, info, invalid("%s pixel (column %d, row %d): %v", name, x, y, err)
			}
		}
	}
	return acc, info, nil
}

// wktParam reads PARAMETER["name",value] from WKT text (0 when absent).
func wktParam(wkt, name string) float64 {
	up := strings.ToUpper(wkt)
	i := strings.Index(up, `PARAMETER["`+strings.ToUpper(name)+`",`)
	if i < 0 {
		return 0
	}
	rest := up[i+len(`PARAMETER["`)+len(name)+2:]
	end := strings.IndexAny(rest, "],")
	if end < 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.TrimSpace(rest[:end]), 64)
	return v
}
