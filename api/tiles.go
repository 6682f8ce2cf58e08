package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// Vector tiles (MVT v2) of every collection: XYZ at /tiles/{c}/{z}/{x}/{y}.pbf
// with TileJSON at /tiles/{c}.json, and the OGC API – Tiles paths under
// /ogc/collections/{c}/tiles. A tile is one bbox query of the collection's
// index, clipped with a buffer and simplified for its zoom.

const (
	tileMaxZoom = 22
	// cellMinZoom: below it a tile of a million-cell city holds too many
	// hexagons to be useful; the map shows gap areas and units there.
	cellMinZoom    = 10
	webMercatorURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	epsg3857URI    = "http://www.opengis.net/def/crs/EPSG/0/3857"
)

// tileLayer is what can be tiled: a collection, or the basemap.
type tileLayer interface {
	name() string
	minZoom() int
	// features returns the layer's features inside b at zoom z, each with
	// a geometry of its own (the encoder overwrites it).
	features(b orb.Bound, z maptile.Zoom) (map[string]*geojson.FeatureCollection, error)
	fields() map[string]string
	bound() orb.Bound
	// reachM is how far (metres) beyond a query box a feature the query
	// leaves out may still draw into it (H3 cells are found by centre).
	reachM() float64
}

// collectionTiles tiles a collection with the walking profile that turns its
// distances into minutes (cell layers' minutes and within_minutes).
type collectionTiles struct {
	c       *collection.Collection
	profile coverage.Profile
}

func (t collectionTiles) name() string { return t.c.ID }

func (t collectionTiles) minZoom() int {
	if t.c.GeometryType == "Polygon" { // H3 cells
		return cellMinZoom
	}
	return 0
}

func (t collectionTiles) bound() orb.Bound { return t.c.Extent() }

func (t collectionTiles) reachM() float64 { return t.c.ReachM() }

func (t collectionTiles) fields() map[string]string {
	out := map[string]string{}
	for _, p := range t.c.Properties {
		switch p.Type {
		case collection.Number, collection.Integer:
			out[p.Name] = "Number"
		case collection.Boolean:
			out[p.Name] = "Boolean"
		default:
			out[p.Name] = "String"
		}
	}
	return out
}

func (t collectionTiles) features(b orb.Bound, z maptile.Zoom) (map[string]*geojson.FeatureCollection, error) {
	page, err := t.c.Query(collection.Query{Bound: &b, Profile: t.profile})
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	for _, f := range page.Features {
		if f.Geometry == nil {
			continue
		}
		// Query built this geometry and map for this call alone
		// (collection.Feature), so the encoder may overwrite them.
		gf := &geojson.Feature{Type: "Feature", ID: f.ID, Geometry: f.Geometry, Properties: mvtProperties(f.Properties)}
		fc.Append(gf)
	}
	return map[string]*geojson.FeatureCollection{t.c.ID: fc}, nil
}

// mvtProperties keeps what MVT can carry: nulls are left out and lists
// become comma-separated text. It changes p in place (a map Query made for
// this tile alone) rather than copying it.
func mvtProperties(p map[string]any) geojson.Properties {
	for k, v := range p {
		switch x := v.(type) {
		case nil:
			delete(p, k)
		case []string:
			p[k] = strings.Join(x, ",")
		case string, bool, float64, float32, int, int64:
		default:
			p[k] = collection.FormatValue(x)
		}
	}
	return geojson.Properties(p)
}

// tileBuffer is how far, in tile units (4,096 a tile), geometry is kept
// beyond the tile's edge: 80 units, tippecanoe's default (5 pixels of 256),
// so strokes and fills meet across tile edges. orb's
// MapboxGLDefaultExtentBound keeps a whole tile width on every side, which
// made every tile carry the features of the 3 × 3 tiles around it when
// they were queried (they were not, so it only cost the query pad below).
const tileBuffer = 80

var tileClip = orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{mvt.DefaultExtent + tileBuffer, mvt.DefaultExtent + tileBuffer}}

// tileQueryBound is the box to query for tile t: the tile, its buffer, and
// the layer's reach (how far a feature found by its centre may draw).
func tileQueryBound(t maptile.Tile, reachM float64) orb.Bound {
	b := t.Bound()
	buf := (b.Max[0] - b.Min[0]) * tileBuffer / mvt.DefaultExtent
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dLat := reachM / 111_320
	dLon := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	return orb.Bound{Min: orb.Point{b.Min[0] - buf - dLon, b.Min[1] - buf - dLat}, Max: orb.Point{b.Max[0] + buf + dLon, b.Max[1] + buf + dLat}}
}

// encodeTile projects, clips, simplifies and encodes the layers of one tile
// (nil when the tile is empty).
func encodeTile(fcs map[string]*geojson.FeatureCollection, t maptile.Tile) ([]byte, error) {
	var layers mvt.Layers
	for name, fc := range fcs {
		if len(fc.Features) == 0 {
			continue
		}
		l := mvt.NewLayer(name, fc)
		l.Version = 2
		layers = append(layers, l)
	}
	if len(layers) == 0 {
		return nil, nil
	}
	layers.ProjectToTile(t)
	layers.Clip(tileClip)
	layers.Simplify(simplify.DouglasPeucker(1.0))
	layers.RemoveEmpty(1.0, 1.0)
	n := 0
	for _, l := range layers {
		n += len(l.Features)
	}
	if n == 0 {
		return nil, nil
	}
	return mvt.Marshal(layers)
}

// tileCache keeps encoded tiles by analysis version, layer and address,
// under a byte budget (least recently used out first).
type tileCache = lru[*cachedTile]

type cachedTile struct {
	key  string
	data []byte // nil: empty tile
	etag string
}

func newTileCache(budget int) *tileCache { return newLRU[*cachedTile](budget) }

func (s *Server) addTileRoutes(get func(string, gin.HandlerFunc)) {
	get("/tiles/:c/:z/:x/:y", s.e(s.handleXYZTile))
	get("/tiles/:c", s.e(s.handleTileJSON))
	get("/ogc/tileMatrixSets", s.e(s.handleTileMatrixSets))
	get("/ogc/tileMatrixSets/:tms", s.e(s.handleTileMatrixSet))
	get("/ogc/collections/:id/tiles", s.e(s.handleTilesets))
	get("/ogc/collections/:id/tiles/:tms", s.e(s.handleTileset))
	get("/ogc/collections/:id/tiles/:tms/:z/:row/:col", s.e(s.handleOGCTile))
}

// tileLayerOf finds the tileable layer named id (a collection or basemap)
// and the version its tiles are cached under: the analysis version and, for
// a collection, the walking profile of ?profile= (minutes differ by it).
func (s *Server) tileLayerOf(c *gin.Context, id string) (tileLayer, string, error) {
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		return nil, "", blame("profile", err)
	}
	if id == basemapID {
		if bm := s.basemapLayer(); bm != nil {
			return bm, "basemap", nil
		}
		return nil, "", notFound("", "本服务没有底图（底图由 OSM 数据绘制；启动时请用 --osm FILE 或内置样例）", "this server has no basemap (it is drawn from the OSM extract; start with --osm FILE or the embedded sample); 没有底图")
	}
	set, err := s.collections(c)
	if err != nil {
		return nil, "", err
	}
	col, err := findCollection(set, id)
	if err != nil {
		return nil, "", err // names the id and /ogc/collections, or the missing boundaries; a 404
	}
	return collectionTiles{col, profile}, set.Version() + "|" + profile.Name, nil
}

func parseTileAddress(zs, xs, ys string) (maptile.Tile, error) {
	z, err1 := strconv.Atoi(zs)
	x, err2 := strconv.Atoi(xs)
	y, err3 := strconv.Atoi(ys)
	if err1 != nil || err2 != nil || err3 != nil || z < 0 || z > tileMaxZoom || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return maptile.Tile{}, notFound("", fmt.Sprintf("瓦片 %s/%s/%s 超出范围（缩放级别 0–%d，x 与 y 须小于 2^级别）", zs, xs, ys, tileMaxZoom), "tile %s/%s/%s is out of range (zoom 0–%d, x and y below 2^zoom); 瓦片超出范围", zs, xs, ys, tileMaxZoom)
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

func (s *Server) handleXYZTile(c *gin.Context) error {
	y := strings.TrimSuffix(strings.TrimSuffix(c.Param("y"), ".pbf"), ".mvt")
	t, err := parseTileAddress(c.Param("z"), c.Param("x"), y)
	if err != nil {
		return err
	}
	return s.serveTile(c, c.Param("c"), t)
}

func (s *Server) handleOGCTile(c *gin.Context) error {
	if c.Param("tms") != "WebMercatorQuad" {
		return notFound("", fmt.Sprintf("不提供瓦片矩阵集「%s」，请用 WebMercatorQuad", c.Param("tms")), "tile matrix set %q is not offered; use WebMercatorQuad", c.Param("tms"))
	}
	t, err := parseTileAddress(c.Param("z"), c.Param("col"), c.Param("row")) // row is y, col is x
	if err != nil {
		return err
	}
	return s.serveTile(c, c.Param("id"), t)
}

func (s *Server) serveTile(c *gin.Context, id string, t maptile.Tile) error {
	if err := checkParams(c, "scenario", "profile", "f"); err != nil {
		return err
	}
	layer, version, err := s.tileLayerOf(c, id)
	if err != nil {
		return err
	}
	if int(t.Z) < layer.minZoom() {
		return notFound("", fmt.Sprintf("图层 %s 从 %d 级起提供瓦片；更低级别请查看缺口区域或行政区划", id, layer.minZoom()), "layer %s is tiled from zoom %d; ask for gap areas or admin units at lower zooms; 该图层从 %d 级起提供瓦片", id, layer.minZoom(), layer.minZoom())
	}
	key := fmt.Sprintf("%s|%s|%d/%d/%d", version, id, t.Z, t.X, t.Y)
	ct, ok := s.tiles.get(key)
	if !ok {
		fcs, err := layer.features(tileQueryBound(t, layer.reachM()), t.Z)
		if err != nil {
			return err
		}
		data, err := encodeTile(fcs, t)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(append([]byte(key), data...))
		ct = &cachedTile{key: key, data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		ct = s.tiles.put(key, ct, len(ct.data)+len(key))
	}
	h := c.Writer.Header()
	h.Set("ETag", ct.etag)
	h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	if ct.data == nil {
		if match := c.GetHeader("If-None-Match"); match == ct.etag {
			c.Status(http.StatusNotModified)
			return nil
		}
		c.Status(http.StatusNoContent)
		return nil
	}
	h.Set("Content-Type", mediaMVT)
	r := c.Request
	if r.Method == http.MethodGet && r.Header.Get("Range") == "" && r.Header.Get("If-None-Match") == "" &&
		r.Header.Get("If-Match") == "" && r.Header.Get("If-Range") == "" {
		// What ServeContent answers to a plain GET, without its copy
		// through a fresh buffer the size of the tile (a cached tile's
		// largest cost after the system calls).
		h.Set("Accept-Ranges", "bytes")
		h.Set("Content-Length", strconv.Itoa(len(ct.data)))
		c.Status(http.StatusOK)
		c.Writer.Write(ct.data)
		return nil
	}
	http.ServeContent(c.Writer, r, "", time.Time{}, bytes.NewReader(ct.data))
	return nil
}

// handleTileJSON: GET /tiles/{c}.json — TileJSON 3.0.0.
func (s *Server) handleTileJSON(c *gin.Context) error {
	id, ok := strings.CutSuffix(c.Param("c"), ".json")
	if !ok {
		return notFound("", fmt.Sprintf("没有接口 %s；TileJSON 见 /tiles/{collection}.json，瓦片见 /tiles/{collection}/{z}/{x}/{y}.pbf", c.Request.URL.Path), "no such endpoint %s; TileJSON is at /tiles/{collection}.json, tiles at /tiles/{collection}/{z}/{x}/{y}.pbf", c.Request.URL.Path)
	}
	if err := checkParams(c, "scenario", "profile", "f"); err != nil {
		return err
	}
	layer, _, err := s.tileLayerOf(c, id)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range []string{"scenario", "profile"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	b := layer.bound()
	doc := gin.H{
		"tilejson": "3.0.0", "name": id, "scheme": "xyz",
		"tiles":   []string{baseURL(c.Request) + "/tiles/" + id + "/{z}/{x}/{y}.pbf" + querySuffix(q)},
		"minzoom": layer.minZoom(), "maxzoom": tileMaxZoom,
		"bounds": []float64{roundCoordOut(b.Min[0]), roundCoordOut(b.Min[1]), roundCoordOut(b.Max[0]), roundCoordOut(b.Max[1])},
		"center": []float64{roundCoordOut(b.Center()[0]), roundCoordOut(b.Center()[1]), float64(max(layer.minZoom(), 11))},
	}
	var vls []gin.H
	if bm, ok := layer.(*basemapTiles); ok {
		doc["attribution"] = "© OpenStreetMap contributors (ODbL)"
		for _, name := range bm.layerNames() {
			vls = append(vls, gin.H{"id": name, "fields": bm.layerFields(name), "minzoom": 0, "maxzoom": tileMaxZoom})
		}
	} else {
		vls = []gin.H{{"id": id, "fields": layer.fields(), "minzoom": layer.minZoom(), "maxzoom": tileMaxZoom}}
	}
	doc["vector_layers"] = vls
	s.writeJSON(c, doc)
	return nil
}

func (s *Server) handleTileMatrixSets(c *gin.Context) error {
	if err := checkParams(c, "f"); err != nil {
		return err
	}
	b := baseURL(c.Request) + "/ogc/tileMatrixSets/WebMercatorQuad"
	s.writeJSON(c, gin.H{"tileMatrixSets": []gin.H{{
		"id": "WebMercatorQuad", "title": "Google Maps Compatible for the World", "uri": webMercatorURI,
		"links": []link{{Href: b, Rel: "self", Type: mediaJSON, Title: "WebMercatorQuad"}},
	}}})
	return nil
}

// handleTileMatrixSet: the WebMercatorQuad definition (2D TMS 2.0 JSON).
func (s *Server) handleTileMatrixSet(c *gin.Context) error {
	if err := checkParams(c, "f"); err != nil {
		return err
	}
	if c.Param("tms") != "WebMercatorQuad" {
		return notFound("", fmt.Sprintf("不提供瓦片矩阵集「%s」，请用 WebMercatorQuad", c.Param("tms")), "tile matrix set %q is not offered; use WebMercatorQuad", c.Param("tms"))
	}
	const origin = 20037508.3427892
	var ms []gin.H
	for z := 0; z <= tileMaxZoom; z++ {
		cell := 2 * origin / 256 / float64(int(1)<<z)
		ms = append(ms, gin.H{
			"id": strconv.Itoa(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
			"cornerOfOrigin": "topLeft", "pointOfOrigin": []float64{-origin, origin},
			"tileWidth": 256, "tileHeight": 256, "matrixWidth": 1 << z, "matrixHeight": 1 << z,
		})
	}
	s.writeJSON(c, gin.H{
		"id": "WebMercatorQuad", "title": "Google Maps Compatible for the World", "uri": webMercatorURI,
		"crs": epsg3857URI, "orderedAxes": []string{"X", "Y"}, "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
		"tileMatrices": ms,
	})
	return nil
}

func (s *Server) tilesetLinks(base, id string) []link {
	u := base + "/ogc/collections/" + id + "/tiles/WebMercatorQuad"
	return []link{
		{Href: u, Rel: "self", Type: mediaJSON, Title: "tileset " + id},
		{Href: u + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: mediaMVT, Title: "tiles", Templated: true},
		{Href: base + "/ogc/tileMatrixSets/WebMercatorQuad", Rel: relTilingOne, Type: mediaJSON, Title: "WebMercatorQuad"},
	}
}

func (s *Server) handleTilesets(c *gin.Context) error {
	if err := checkParams(c, "f", "scenario", "profile"); err != nil {
		return err
	}
	id := c.Param("id")
	if _, _, err := s.tileLayerOf(c, id); err != nil {
		return err
	}
	base := baseURL(c.Request)
	s.writeJSON(c, gin.H{
		"links": []link{{Href: base + c.Request.URL.Path, Rel: "self", Type: mediaJSON, Title: "tilesets of " + id}},
		"tilesets": []gin.H{{"title": id, "dataType": "vector", "crs": epsg3857URI, "tileMatrixSetURI": webMercatorURI,
			"links": s.tilesetLinks(base, id)}},
	})
	return nil
}

func (s *Server) handleTileset(c *gin.Context) error {
	if err := checkParams(c, "f", "scenario", "profile"); err != nil {
		return err
	}
	if c.Param("tms") != "WebMercatorQuad" {
		return notFound("", fmt.Sprintf("不提供瓦片矩阵集「%s」，请用 WebMercatorQuad", c.Param("tms")), "tile matrix set %q is not offered; use WebMercatorQuad", c.Param("tms"))
	}
	id := c.Param("id")
	layer, _, err := s.tileLayerOf(c, id)
	if err != nil {
		return err
	}
	b := layer.bound()
	var limits []gin.H
	for z := layer.minZoom(); z <= tileMaxZoom; z++ {
		lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		limits = append(limits, gin.H{"tileMatrix": strconv.Itoa(z), "minTileRow": lo.Y, "maxTileRow": hi.Y, "minTileCol": lo.X, "maxTileCol": hi.X})
	}
	s.writeJSON(c, gin.H{
		"title": id, "dataType": "vector", "crs": epsg3857URI, "tileMatrixSetURI": webMercatorURI,
		"tileMatrixSetLimits": limits,
		"layers":              []gin.H{{"id": id, "dataType": "vector", "propertiesSchema": gin.H{"type": "object", "properties": layer.fields()}}},
		"links":               s.tilesetLinks(baseURL(c.Request), id),
	})
	return nil
}

// querySuffix is "?" and the encoded values, or nothing.
func querySuffix(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
