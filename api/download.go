package api

// Downloads of a collection as a GeoPackage:
// GET /ogc/collections/{id}/items?f=gpkg (with the items filters: bbox,
// unit, profile, the queryables; limit and offset only when given). The
// GeoPackage writer lives in data (api does not import it); cmd hands it
// over with SetGeoPackageWriter.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage/collection"
)

// GeoPackageWriter writes features of col as a new GeoPackage file at
// path with one feature table named table (WGS84 lon,lat).
type GeoPackageWriter func(ctx context.Context, path, table string, col *collection.Collection, features []collection.Feature) error

// SetGeoPackageWriter enables ?f=gpkg on the items of every collection.
func (s *Server) SetGeoPackageWriter(w GeoPackageWriter) { s.gpkg = w }

const (
	mediaGeoPackage = "application/geopackage+sqlite3"
	// gpkgMaxFeatures bounds one download (a 1.3 M-cell city's coverage
	// layer fits; narrow it with bbox or unit otherwise).
	gpkgMaxFeatures = 2_000_000
)

// gpkgTable is the feature table of a collection: its id with - as _.
func gpkgTable(id string) string { return strings.ReplaceAll(id, "-", "_") }

// handleItemsGPKG answers an items request with f=gpkg: every feature the
// filters select (not a page of them) in one GeoPackage file.
func (s *Server) handleItemsGPKG(c *gin.Context, col *collection.Collection, r itemsRequest) error {
	if s.gpkg == nil {
		return notFound("f", "本服务未启用 GeoPackage 下载（f=gpkg），请用 f=json", "this server writes no GeoPackage (f=gpkg); use f=json")
	}
	if r.crs.URI != collection.CRS84.URI {
		return badParamZH("crs", "GeoPackage 下载采用 WGS 84（EPSG:4326）坐标，请去掉参数 crs", "a GeoPackage download is in WGS 84 (EPSG:4326); leave out crs")
	}
	q := r.q
	if _, ok := c.GetQuery("limit"); !ok {
		q.Limit = 0 // every matching feature, not the first page
	}
	page, err := col.Query(q)
	if err != nil {
		return err
	}
	if len(page.Features) > gpkgMaxFeatures {
		return badParamZH("limit", fmt.Sprintf("有 %d 个要素符合条件，GeoPackage 下载最多 %d 个：请用 bbox 或 unit 缩小范围", len(page.Features), gpkgMaxFeatures), "%d features match; a GeoPackage download holds at most %d: narrow it with bbox or unit", len(page.Features), gpkgMaxFeatures)
	}
	dir, err := os.MkdirTemp("", "lifecircle-gpkg-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	name := col.ID
	if t := q.Filters["type"]; t != "" && col.Type == "" {
		name += "_" + t
	}
	if q.Unit != "" {
		if u, err := s.current().ResolveUnit(q.Unit); err == nil {
			name += "_" + u.Code
		}
	}
	path := filepath.Join(dir, "layer.gpkg")
	if err := s.gpkg(c.Request.Context(), path, gpkgTable(col.ID), col, page.Features); err != nil {
		return err
	}
	// The file is read whole: the response cache keeps this answer in
	// memory anyway (a repeated download is not written again), and the
	// temporary file can go at once.
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	file := name + ".gpkg"
	c.Header("Content-Disposition", `attachment; filename="`+asciiName(file)+`"; filename*=UTF-8''`+url.PathEscape(file))
	c.Header("X-Number-Matched", strconv.Itoa(page.Matched))
	c.Data(http.StatusOK, mediaGeoPackage, body)
	return nil
}

// asciiName keeps a file name's ASCII letters, digits, - _ . (the rest as _)
// for the plain filename= of Content-Disposition.
func asciiName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}
