package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// checkParams rejects query parameters the endpoint does not know, so typos
// (bbbox=…) fail loudly instead of being ignored.
func checkParams(c *gin.Context, allowed ...string) error {
	q := c.Request.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return badParamZH(k, fmt.Sprintf("未知的查询参数「%s」；此接口接受：%s", k, strings.Join(allowed, "、")),
				"unknown query parameter %q; this endpoint takes: %s", k, strings.Join(allowed, ", "))
		}
		if len(q[k]) > 1 {
			return badParamZH(k, fmt.Sprintf("查询参数「%s」出现了 %d 次", k, len(q[k])), "query parameter %q is given %d times", k, len(q[k]))
		}
	}
	if f := c.Query("f"); f != "" && f != "json" && f != "geojson" && (f != "gpkg" || c.FullPath() != "/ogc/collections/:id/items") { // items download as GeoPackage (download.go)
		return badParamZH("f", fmt.Sprintf("不支持格式「%s」，请用 json", f), "format %q is not supported; use json", f)
	}
	return nil
}

func (s *Server) handleHealthz(c *gin.Context) {
	a := s.current()
	c.JSON(http.StatusOK, gin.H{
		"status": "ok", "dataset": a.Data.Name, "cells": len(a.Data.Cells),
		"facilities": len(a.Data.Facilities), "method": a.Method, "approximate": a.Method == "euclidean",
		"data_quality": a.QualitySummary(),
		"network":      a.Network, // the walking network measured on (null: straight line)
		"distance_warning": func() any {
			if en, zh := a.DistanceWarning(); en != "" {
				return gin.H{"en": en, "zh": zh}
			}
			return nil
		}(),
		"uptime_s": math.Round(timeSince(s.started).Seconds()),
		"store":    s.store.Load() != nil,   // scenarios and proposals are kept (the workbench needs it)
		"basemap":  s.basemapLayer() != nil, // /tiles/basemap/… is served (the map draws it)
	})
}

func (s *Server) handleCatalog(c *gin.Context) {
	if err := checkParams(c, "f"); err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	c.JSON(http.StatusOK, gin.H{"levels": coverage.Levels, "types": a.Catalog.Types})
}

func (s *Server) handleSummary(c *gin.Context) {
	if err := checkParams(c, "by", "profile", "f"); err != nil {
		writeError(c, err)
		return
	}
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		writeError(c, blame("profile", err))
		return
	}
	by, err := queryLevel(c, "by")
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.current().CheckLevel(by); err != nil { // the same 404 as equity and trajectory
		writeError(c, err)
		return
	}
	s.writeJSON(c, s.current().Summary(by, profile))
}

// layerInfo describes one layer for /v1/layers.
type layerInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	NeedsType   bool   `json:"needs_type"`
	Href        string `json:"href"`
}

var layerDescriptions = map[string]string{
	"facilities": "facility points: id, type, type_name_zh, level, name, status, plan_year, capacity, in_force",
	"population": "populated H3 cells: h3, population, unit codes per level, completeness_<level>",
	"coverage":   "populated H3 cells for one type: h3, population, type, distance_m, facility_id, covered, unit codes",
	"gaps":       "the populated cells one type does not cover (same properties as coverage)",
	"gap-areas":  "contiguous uncovered cells merged into polygons: id, type, rank, residents, cells, unit_code, unit_name, unit_level, units",
	"catchment":  "the outline of the cells one facility serves within its type's radius: facility_id, name, type, max_dist_m, residents, cells, farthest_m",
	"units":      "admin unit polygons (level=district|street|community|grid): code, name, level, parent, residents, cells, completeness_<level>; with type=, covered and share",
}

func (s *Server) handleLayerList(c *gin.Context) {
	if err := checkParams(c, "f"); err != nil {
		writeError(c, err)
		return
	}
	var out []layerInfo
	for _, name := range collection.LayerNames {
		needs := collection.LayerNeedsType(name)
		href := "/v1/layers/" + name
		if needs {
			href += "?type={type}"
		}
		if name == "catchment" {
			href += "?facility={facility_id}"
		}
		out = append(out, layerInfo{Name: name, Description: layerDescriptions[name], NeedsType: needs, Href: href})
	}
	c.JSON(http.StatusOK, gin.H{"layers": out})
}

// handleLayer: GET /v1/layers/{layer} — one layer as GeoJSON, from the same
// indexed collections as the OGC API, with next/prev links.
func (s *Server) handleLayer(c *gin.Context) {
	if err := checkParams(c, "type", "bbox", "unit", "limit", "offset", "facility", "profile", "level", "f"); err != nil {
		writeError(c, err)
		return
	}
	q := collection.Query{Unit: c.Query("unit")}
	level, err := queryLevel(c, "level")
	if err != nil {
		writeError(c, err)
		return
	}
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		writeError(c, blame("profile", err))
		return
	}
	q.Profile = profile
	if v, ok := c.GetQuery("bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			writeError(c, err)
			return
		}
		q.Bound = &b
	}
	if q.Limit, err = parseCount(c, "limit", 1_000_000); err != nil {
		writeError(c, err)
		return
	}
	if q.Offset, err = parseCount(c, "offset", math.MaxInt32); err != nil {
		writeError(c, err)
		return
	}
	if q.Unit != "" {
		u, err := s.current().ResolveUnit(q.Unit) // a code or a name (成华区)
		if err != nil {
			writeError(c, blame("unit", err))
			return
		}
		q.Unit = u.Code
	}
	set := s.base.Load()
	layer := c.Param("layer")
	var page collection.Page
	var col *collection.Collection
	switch layer {
	case "catchment":
		col, page, err = catchmentPage(set, c.Query("facility"))
	case "units":
		col, page, err = unitsPage(set, level, c.Query("type"), q)
	default:
		if col, err = set.ForLayer(layer, c.Query("type")); err == nil {
			if layer == "facilities" && c.Query("type") != "" { // the facilities of one type
				t, _ := set.Analysis().ResolveType(c.Query("type"))
				q.Filters = map[string]string{"type": t.ID}
			}
			page, err = col.Query(q)
		}
	}
	if err != nil {
		writeError(c, err)
		return
	}
	members := col.Meta(profile)
	if collection.LayerNeedsType(layer) {
		// the audit of the inventory behind the layer, for the unit asked
		// (citywide otherwise)
		lq, err := set.Analysis().LayerQuality(c.Query("type"), q.Unit)
		if err != nil {
			writeError(c, err)
			return
		}
		for k, v := range lq {
			members[k] = v
		}
	}
	members["numberMatched"] = page.Matched
	members["numberReturned"] = len(page.Features)
	members["links"] = pageLinks(c.Request, q, page.Matched, len(page.Features), "application/geo+json")
	writeFeatureCollection(c, page, members, false, nil)
}

// unitsPage is the /v1 units layer: the admin units of one level (or of
// every level), with a type's covered residents and share when one is asked.
func unitsPage(set *collection.Set, level coverage.UnitLevel, typ string, q collection.Query) (*collection.Collection, collection.Page, error) {
	a := set.Analysis()
	var tc *coverage.TypeCoverage
	if typ != "" {
		var err error
		if tc, err = a.Type(typ); err != nil {
			return nil, collection.Page{}, blame("type", err)
		}
	}
	levels := coverage.UnitLevels
	if level != "" {
		levels = []coverage.UnitLevel{level}
	}
	var col *collection.Collection
	var page collection.Page
	limit, offset := q.Limit, q.Offset
	q.Limit, q.Offset = 0, 0
	for _, l := range levels {
		lc, err := set.Collection("admin-units-" + string(l))
		if err != nil {
			if level != "" {
				if err := a.CheckLevelParam(l, "level"); err != nil { // the same answer as by=
					return nil, page, err
				}
				return nil, page, notFound("level", fmt.Sprintf("数据中没有%s（%s）层级的边界", l.LevelNameZH(), l), "the dataset has no %s boundaries; 数据中没有该层级的边界", l)
			}
			continue
		}
		if col == nil {
			col = lc
		}
		p, err := lc.Query(q)
		if err != nil {
			return nil, page, err
		}
		var residents, covered []float64
		if tc != nil {
			residents, covered = a.UnitTotals(l, tc)
		}
		for _, f := range p.Features {
			if tc != nil {
				ui, _ := a.UnitPosition(f.Key)
				f.Properties["type"], f.Properties["covered"], f.Properties["share"] = tc.Type.ID, math.Round(covered[ui]*10)/10, nil
				if residents[ui] > 0 {
					f.Properties["share"] = math.Round(covered[ui]/residents[ui]*1e4) / 1e4
				}
			}
			page.Features = append(page.Features, f)
		}
		page.Matched += p.Matched
	}
	if col == nil {
		return nil, page, notFound("level", "数据中没有行政区划边界", "the dataset has no admin units; 数据中没有行政区划边界")
	}
	page.Features = page.Features[min(offset, len(page.Features)):]
	if limit > 0 && len(page.Features) > limit {
		page.Features = page.Features[:limit]
	}
	return col, page, nil
}

// catchmentPage is the /v1 catchment layer: one facility's outline.
func catchmentPage(set *collection.Set, facility string) (*collection.Collection, collection.Page, error) {
	if facility == "" {
		return nil, collection.Page{}, badParamZH("facility", "服务范围图层（catchment）须指定设施编号（facility=…）", "layer catchment needs a facility id (facility=…)")
	}
	a := set.Analysis()
	fi, ok := a.FacilityIndex(facility)
	if !ok {
		return nil, collection.Page{}, notFound("facility", fmt.Sprintf("设施「%s」不存在", facility), "facility %q does not exist", facility)
	}
	col, err := set.Collection("catchments-" + a.Data.Facilities[fi].Type)
	if err != nil {
		return nil, collection.Page{}, err
	}
	f, err := col.Feature(int64(fi)+1, coverage.DefaultProfile)
	if err != nil {
		return nil, collection.Page{}, err
	}
	page := collection.Page{}
	if f.Geometry != nil {
		page.Features, page.Matched = []collection.Feature{f}, 1
	}
	return col, page, nil
}

// parseBBox reads minLon,minLat,maxLon,maxLat in WGS84 degrees.
func parseBBox(v string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox「%s」须为四个数：最小经度,最小纬度,最大经度,最大纬度", v), "bbox %q must be four numbers minLon,minLat,maxLon,maxLat", v)
	}
	var n [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox 中的「%s」不是数字", p), "bbox value %q is not a number", p)
		}
		n[i] = f
	}
	switch {
	case n[0] < -180 || n[2] > 180 || n[1] < -90 || n[3] > 90:
		return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox「%s」超出 WGS84 范围（经度 -180 至 180，纬度 -90 至 90；顺序为最小经度,最小纬度,最大经度,最大纬度）", v), "bbox %q is outside WGS84 lon [-180,180], lat [-90,90] (order is minLon,minLat,maxLon,maxLat)", v)
	case n[0] > n[2] || n[1] > n[3]:
		return orb.Bound{}, badParamZH("bbox", fmt.Sprintf("参数 bbox「%s」的最小值大于最大值（顺序为最小经度,最小纬度,最大经度,最大纬度）", v), "bbox %q has min greater than max (order is minLon,minLat,maxLon,maxLat)", v)
	}
	return orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}, nil
}

func parseCount(c *gin.Context, name string, max int) (int, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		return 0, badParamZH(name, fmt.Sprintf("参数 %s「%s」须为 0 至 %d 的整数", name, v, max), "%s %q must be a whole number from 0 to %d", name, v, max)
	}
	return n, nil
}

func (s *Server) writeJSON(c *gin.Context, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}
