package api

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by
// reference) under /ogc, over the same collections as /v1/layers.

const (
	mediaJSON     = "application/json"
	mediaGeoJSON  = "application/geo+json"
	mediaSchema   = "application/schema+json"
	mediaOpenAPI  = "application/vnd.oai.openapi+json;version=3.0"
	mediaMVT      = "application/vnd.mapbox-vector-tile"
	mediaTileJSON = "application/json"

	relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
	relTilesets   = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
	relTiling     = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
	relTilingOne  = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"

	itemsLimitDefault = 100
	itemsLimitMax     = 10_000
)

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
}

// itemsParams are the query parameters every items request may carry,
// besides the collection's queryable properties.
var itemsParams = []string{"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f", "scenario", "unit", "profile"}

func (s *Server) addOGCRoutes() {
	get := func(path string, h gin.HandlerFunc) {
		s.engine.Match([]string{http.MethodGet, http.MethodHead}, path, h)
	}
	get("/ogc", s.e(s.handleOGCLanding))
	get("/ogc/", s.e(s.handleOGCLanding))
	get("/ogc/conformance", s.e(s.handleConformance))
	get("/ogc/api", s.e(s.handleOpenAPI))
	get("/ogc/collections", s.e(s.handleOGCCollections))
	get("/ogc/collections/:id", s.e(s.handleOGCCollection))
	get("/ogc/collections/:id/items", s.cached(s.e(s.handleOGCItems)))
	get("/ogc/collections/:id/items/:fid", s.e(s.handleOGCItem))
	get("/ogc/collections/:id/queryables", s.e(s.handleOGCSchema))
	get("/ogc/collections/:id/schema", s.e(s.handleOGCSchema))
	s.addTileRoutes(get)
}

func (s *Server) handleOGCLanding(c *gin.Context) error {
	if err := checkParams(c, "f"); err != nil {
		return err
	}
	b := baseURL(c.Request) + "/ogc"
	s.writeJSON(c, gin.H{
		"title":       "lifecircle 15分钟社区生活圈 — OGC API",
		"description": "社区生活圈设施覆盖、服务缺口与选址：设施、人口网格、行政区划及每类设施的覆盖、缺口、缺口区与服务范围 — facility coverage, gaps and catchments of 15-minute community life circles as OGC API Features and vector tiles",
		"links": []link{
			{Href: b, Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: b + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "OpenAPI 3.0 definition"},
			{Href: baseURL(c.Request) + "/", Rel: "service-doc", Type: "text/html", Title: "地图 web map"},
			{Href: b + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
			{Href: b + "/collections", Rel: "data", Type: mediaJSON, Title: "collections 数据集合"},
			{Href: b + "/tileMatrixSets", Rel: relTiling, Type: mediaJSON, Title: "tile matrix sets"},
		},
	})
	return nil
}

func (s *Server) handleConformance(c *gin.Context) error {
	if err := checkParams(c, "f"); err != nil {
		return err
	}
	s.writeJSON(c, gin.H{"conformsTo": conformance})
	return nil
}

// collectionDoc is one collection's metadata.
func collectionDoc(base string, col *collection.Collection, scenario string) gin.H {
	u := base + "/ogc/collections/" + col.ID
	q := ""
	if scenario != "" {
		q = "?scenario=" + scenario
	}
	e := col.Extent()
	doc := gin.H{
		"id": col.ID, "title": col.Title, "description": col.Description, "itemType": "feature",
		"title_en": col.TitleEN, "geometryType": col.GeometryType,
		"extent": gin.H{"spatial": gin.H{"bbox": [][]float64{{roundCoordOut(e.Min[0]), roundCoordOut(e.Min[1]), roundCoordOut(e.Max[0]), roundCoordOut(e.Max[1])}},
			"crs": collection.CRS84.URI}},
		"crs":        collection.CRSURIs(),
		"storageCrs": collection.CRS84.URI,
		"links": []link{
			{Href: u + q, Rel: "self", Type: mediaJSON, Title: "this collection"},
			{Href: u + "/items" + q, Rel: "items", Type: mediaGeoJSON, Title: "items as GeoJSON"},
			{Href: u + "/schema", Rel: "describedby", Type: mediaSchema, Title: "schema of the features"},
			{Href: u + "/schema", Rel: "describedBy", Type: mediaSchema, Title: "schema of the features (GDAL ≤ 3.6 reads this spelling)"},
			{Href: u + "/queryables", Rel: relQueryables, Type: mediaSchema, Title: "queryable properties"},
			{Href: u + "/tiles", Rel: relTilesets, Type: mediaJSON, Title: "vector tilesets"},
		},
	}
	if col.Type != "" {
		doc["facility_type"] = col.Type
		// the audit of the inventory behind every number of the collection
		if q, err := col.Analysis().Quality(col.Type, ""); err == nil {
			doc["data_quality"] = q
		}
	}
	return doc
}

func roundCoordOut(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func (s *Server) handleOGCCollections(c *gin.Context) error {
	if err := checkParams(c, "f", "scenario"); err != nil {
		return err
	}
	set, err := s.collections(c)
	if err != nil {
		return err
	}
	base := baseURL(c.Request)
	var cols []gin.H
	for _, col := range set.Collections() {
		cols = append(cols, collectionDoc(base, col, c.Query("scenario")))
	}
	s.writeJSON(c, gin.H{
		"links": []link{{Href: base + c.Request.URL.RequestURI(), Rel: "self", Type: mediaJSON, Title: "collections"}},
		"crs":   collection.CRSURIs(), "collections": cols,
	})
	return nil
}

// collectionOf checks the query against params and finds the collection
// the request names.
func (s *Server) collectionOf(c *gin.Context, params ...string) (*collection.Collection, error) {
	if err := checkParams(c, params...); err != nil {
		return nil, err
	}
	return s.ogcCollection(c)
}

// ogcCollection finds the collection of the request (of its scenario when
// ?scenario= is given).
func (s *Server) ogcCollection(c *gin.Context) (*collection.Collection, error) {
	set, err := s.collections(c)
	if err != nil {
		return nil, err
	}
	return findCollection(set, c.Param("id"))
}

// findCollection returns the collection with the given id. An unknown id
// is a 404 naming it and /ogc/collections; admin-units-<level> of a level
// the dataset has no polygons for (admin-units-street on the sample) gets
// the 404 by=<level> gets everywhere, naming the missing boundaries and
// the --boundaries fix.
func findCollection(set *collection.Set, id string) (*collection.Collection, error) {
	col, err := set.Collection(id)
	if err == nil {
		return col, nil
	}
	if l, ok := strings.CutPrefix(id, "admin-units-"); ok {
		if lv, perr := coverage.ParseUnitLevel(l); perr == nil {
			if lerr := set.Analysis().CheckLevelParam(lv, "collectionId"); lerr != nil {
				return nil, lerr
			}
		}
	}
	if coverage.MessageZH(err) == "" {
		err = coverage.WithZH(err, "没有集合「%s」（集合列表见 /ogc/collections）", id)
	}
	return nil, err
}

func (s *Server) handleOGCCollection(c *gin.Context) error {
	col, err := s.collectionOf(c, "f", "scenario")
	if err != nil {
		return err
	}
	s.writeJSON(c, collectionDoc(baseURL(c.Request), col, c.Query("scenario")))
	return nil
}

// queryables are the properties a client may filter on with name=value.
func queryables(col *collection.Collection) []collection.Property {
	var out []collection.Property
	for _, p := range col.Properties {
		if p.Type != collection.Array {
			out = append(out, p)
		}
	}
	return out
}

// handleOGCSchema answers /schema and /queryables: JSON Schema of the
// features' properties (GDAL types fields from it).
func (s *Server) handleOGCSchema(c *gin.Context) error {
	col, err := s.collectionOf(c, "f", "scenario")
	if err != nil {
		return err
	}
	ps := gin.H{}
	body := gin.H{
		"$schema": "https://json-schema.org/draft/2019-09/schema",
		"$id":     baseURL(c.Request) + c.Request.URL.Path,
		"type":    "object", "title": col.Title, "description": col.Description,
	}
	if strings.HasSuffix(c.Request.URL.Path, "/queryables") {
		// Part 3: the properties a client may filter on, flat.
		for _, p := range queryables(col) {
			ps[p.Name] = propertySchema(p)
		}
		body["properties"] = ps
	} else {
		// The schema of one item as GeoJSON encodes it: GDAL 3.6 reads the
		// field types from its properties.properties.
		for _, p := range col.Properties {
			ps[p.Name] = propertySchema(p)
		}
		body["required"] = []string{"type", "geometry", "properties"}
		body["properties"] = gin.H{
			"type":       gin.H{"type": "string", "enum": []string{"Feature"}},
			"id":         gin.H{"type": "integer", "description": "feature id"},
			"geometry":   gin.H{"format": "geometry-" + strings.ToLower(col.GeometryType), "description": col.GeometryType + ", CRS84 unless crs= asks otherwise"},
			"properties": gin.H{"type": "object", "properties": ps},
		}
	}
	b, err := jsonBytes(body)
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, mediaSchema, b)
	return nil
}

func propertySchema(p collection.Property) gin.H {
	h := gin.H{"title": p.Title, "description": p.Description}
	if p.Type == collection.Array {
		h["type"] = "array"
		h["items"] = gin.H{"type": "string"}
	} else {
		h["type"] = p.Type
	}
	return h
}

// itemsRequest is a parsed items query.
type itemsRequest struct {
	q    collection.Query
	crs  collection.CRS
	proj project
}

var datetimeRE = regexp.MustCompile(`^(\.\.|\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))?)?$`)

func parseItemsRequest(c *gin.Context, col *collection.Collection) (itemsRequest, error) {
	var r itemsRequest
	allowed := append([]string(nil), itemsParams...)
	for _, p := range queryables(col) {
		allowed = append(allowed, p.Name)
	}
	if err := checkParams(c, allowed...); err != nil {
		return r, err
	}
	r.q.Limit = itemsLimitDefault
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return r, badParamZH("limit", fmt.Sprintf("参数 limit「%s」须为正整数（最多返回 %d 个）", v, itemsLimitMax), "limit %q must be a whole number ≥ 1 (at most %d are returned); limit 须为正整数", v, itemsLimitMax)
		}
		r.q.Limit = min(n, itemsLimitMax) // clamped, not refused
	}
	if v, ok := c.GetQuery("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return r, badParamZH("offset", fmt.Sprintf("参数 offset「%s」须为非负整数", v), "offset %q must be a whole number ≥ 0; offset 须为非负整数", v)
		}
		r.q.Offset = n
	}
	r.crs = collection.CRS84
	if v, ok := c.GetQuery("crs"); ok {
		cr, err := collection.LookupCRS(v)
		if err != nil {
			return r, blame("crs", err)
		}
		r.crs = cr
	}
	if r.crs.URI != collection.CRS84.URI {
		cr := r.crs
		r.proj = func(g orb.Geometry) orb.Geometry { return collection.Project(g, cr) }
	}
	if v, ok := c.GetQuery("bbox"); ok {
		b, err := parseOGCBBox(v, c.Query("bbox-crs"))
		if err != nil {
			return r, err
		}
		r.q.Bound = &b
	} else if _, ok := c.GetQuery("bbox-crs"); ok {
		return r, badParamZH("bbox-crs", "参数 bbox-crs 须与 bbox 一起给出", "bbox-crs needs a bbox")
	}
	if v, ok := c.GetQuery("datetime"); ok {
		// No collection has a temporal dimension: a well-formed datetime
		// selects every feature (QGIS sends 0000-01-01…/9999-12-31… sentinels).
		parts := strings.Split(v, "/")
		if len(parts) > 2 || v == "" || !datetimeRE.MatchString(parts[0]) || (len(parts) == 2 && !datetimeRE.MatchString(parts[1])) {
			return r, badParamZH("datetime", fmt.Sprintf("参数 datetime「%s」须为 RFC 3339 时刻，或区间 a/b（开放的一端写 ..）", v), "datetime %q must be an RFC 3339 instant or an interval a/b with .. for open ends", v)
		}
		for _, p := range parts {
			if !validDatetime(p) {
				return r, badParamZH("datetime", fmt.Sprintf("参数 datetime「%s」中的「%s」不是有效的日期或 RFC 3339 日期时间", v, p), "datetime %q: %q is not a valid date or RFC 3339 date-time", v, p)
			}
		}
	}
	r.q.Unit = c.Query("unit")
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		return r, blame("profile", err)
	}
	r.q.Profile = profile
	for _, p := range queryables(col) {
		if v, ok := c.GetQuery(p.Name); ok {
			if r.q.Filters == nil {
				r.q.Filters = map[string]string{}
			}
			r.q.Filters[p.Name] = v
		}
	}
	return r, nil
}

// validDatetime checks a date or date-time the pattern admitted (an open
// end, "" or "..", is valid): month 13 or hour 25 are not.
func validDatetime(v string) bool {
	if v == "" || v == ".." {
		return true
	}
	layout := time.DateOnly
	if strings.Contains(v, "T") {
		layout = time.RFC3339Nano
	}
	_, err := time.Parse(layout, v)
	return err == nil
}

// parseOGCBBox reads 4 or 6 numbers in bbox-crs (default CRS84) and returns
// the WGS84 bound.
func parseOGCBBox(v, bboxCRS string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox「%s」须为 4 个数（含高度时为 6 个）：按 bbox-crs 的坐标轴顺序依次为最小、最小、最大、最大（默认 CRS84：最小经度,最小纬度,最大经度,最大纬度）", v), "bbox %q must be 4 numbers (or 6 with heights): min, min, max, max in the axis order of bbox-crs (default CRS84: minLon,minLat,maxLon,maxLat)", v)
	}
	n := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox 中的「%s」不是数字", p), "bbox value %q is not a number", p)
		}
		n[i] = f
	}
	if len(n) == 6 {
		n = []float64{n[0], n[1], n[3], n[4]}
	}
	if bboxCRS == "" {
		return parseBBox(strings.Join([]string{fmtF(n[0]), fmtF(n[1]), fmtF(n[2]), fmtF(n[3])}, ","))
	}
	cr, err := collection.LookupCRS(bboxCRS)
	if err != nil {
		return orb.Bound{}, blame("bbox-crs", err)
	}
	if n[0] > n[2] || n[1] > n[3] {
		return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox「%s」的最小值大于最大值", v), "bbox %q has min greater than max", v)
	}
	b, err := collection.BoundToCRS84(n[0], n[1], n[2], n[3], cr)
	if err != nil {
		return orb.Bound{}, blame("bbox", err)
	}
	return b, nil
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (s *Server) handleOGCItems(c *gin.Context) error {
	col, err := s.ogcCollection(c)
	if err != nil {
		return err
	}
	r, err := parseItemsRequest(c, col)
	if err != nil {
		return err
	}
	switch f := c.Query("f"); f {
	case "", "json", "geojson":
	case "gpkg":
		return s.handleItemsGPKG(c, col, r) // download.go
	default:
		return badParamZH("f", "不支持格式「"+f+"」，请用 json 或 gpkg", "format %q is not supported; use json (GeoJSON) or gpkg (GeoPackage)", f)
	}
	page, err := col.Query(r.q)
	if err != nil {
		return err
	}
	links := pageLinks(c.Request, r.q, page.Matched, len(page.Features), mediaGeoJSON)
	links = append(links, link{Href: baseURL(c.Request) + "/ogc/collections/" + col.ID, Rel: "collection", Type: mediaJSON, Title: col.Title})
	c.Header("Content-Crs", "<"+r.crs.URI+">")
	writeFeatureCollection(c, page, map[string]any{
		"numberMatched": page.Matched, "numberReturned": len(page.Features), "timeStamp": timeStamp(), "links": links,
	}, true, r.proj)
	return nil
}

func (s *Server) handleOGCItem(c *gin.Context) error {
	if err := checkParams(c, "crs", "f", "scenario", "profile"); err != nil {
		return err
	}
	col, err := s.ogcCollection(c)
	if err != nil {
		return err
	}
	fid, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if err != nil {
		return notFound("", fmt.Sprintf("要素编号「%s」不是整数；要素编号均为整数（H3 编号见属性 h3）", c.Param("fid")), "feature id %q is not an integer; feature ids are integers (the H3 index is the h3 property)", c.Param("fid"))
	}
	cr := collection.CRS84
	if v, ok := c.GetQuery("crs"); ok {
		if cr, err = collection.LookupCRS(v); err != nil {
			return blame("crs", err)
		}
	}
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		return blame("profile", err)
	}
	f, err := col.Feature(fid, profile)
	if err != nil {
		return err
	}
	var proj project
	if cr.URI != collection.CRS84.URI {
		proj = func(g orb.Geometry) orb.Geometry { return collection.Project(g, cr) }
	}
	out := encodeFeature(f, true, proj)
	base := baseURL(c.Request)
	out.Links = []link{
		{Href: base + c.Request.URL.RequestURI(), Rel: "self", Type: mediaGeoJSON, Title: "this feature"},
		{Href: base + "/ogc/collections/" + col.ID, Rel: "collection", Type: mediaJSON, Title: col.Title},
	}
	b, err := jsonBytes(out)
	if err != nil {
		return err
	}
	c.Header("Content-Crs", "<"+cr.URI+">")
	c.Data(http.StatusOK, mediaGeoJSON, b)
	return nil
}
