package api

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The map (planner's view, street official's workbench, print view) lives
// in api/web and is embedded in the binary: it needs nothing from the
// internet. MapLibre is vendored under web/vendor (make vendor-web).
//
//go:embed web
var webFiles embed.FS

// webRoot is api/web as a file system.
var webRoot = func() fs.FS {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}()

func (s *Server) addWebRoutes() {
	files := http.FileServer(http.FS(webRoot))
	page := func(c *gin.Context) {
		if c.NegotiateFormat("text/html", mediaJSON) == mediaJSON { // API clients: where the APIs are
			s.handleRootJSON(c)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.FileFromFS("/", http.FS(webRoot)) // index.html
	}
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/", page)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/favicon.ico", func(c *gin.Context) {
		c.Request.URL.Path = "/favicon.svg"
		files.ServeHTTP(c.Writer, c.Request)
	})
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/web/*file", func(c *gin.Context) {
		p := c.Param("file")
		if p == "/" || strings.HasSuffix(p, "/") {
			writeError(c, notFound("", fmt.Sprintf("没有文件 %s", c.Request.URL.Path), "no such file %s", c.Request.URL.Path))
			return
		}
		if _, err := fs.Stat(webRoot, strings.TrimPrefix(p, "/")); err != nil {
			writeError(c, notFound("", fmt.Sprintf("没有文件 %s", c.Request.URL.Path), "no such file %s", c.Request.URL.Path))
			return
		}
		if strings.HasPrefix(p, "/vendor/") {
			c.Header("Cache-Control", "public, max-age=86400")
		} else {
			c.Header("Cache-Control", "no-cache")
		}
		c.Request.URL.Path = p
		files.ServeHTTP(c.Writer, c.Request)
	})
}

// handleRootJSON answers / for clients asking for JSON: the links to the
// OGC API, the /v1 API and the map.
func (s *Server) handleRootJSON(c *gin.Context) {
	b := baseURL(c.Request)
	s.writeJSON(c, gin.H{
		"title":       "lifecircle 15分钟社区生活圈",
		"description": "社区生活圈设施覆盖、缺口与选址 — life-circle facility coverage, gaps and siting",
		"links": []link{
			{Href: b + "/", Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: b + "/", Rel: "alternate", Type: "text/html", Title: "地图 web map"},
			{Href: b + "/ogc", Rel: "http://www.opengis.net/def/rel/ogc/1.0/ogc-api", Type: mediaJSON, Title: "OGC API – Features and Tiles"},
			{Href: b + "/ogc/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "OpenAPI 3.0 definition of /ogc"},
			{Href: b + "/ogc/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
			{Href: b + "/ogc/collections", Rel: "data", Type: mediaJSON, Title: "collections 数据集合"},
			{Href: b + "/v1/layers", Rel: "related", Type: mediaJSON, Title: "/v1 layers"},
		},
	})
}
