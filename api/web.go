package api

import (
	"embed"
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
			writeError(c, notFound("", "no such file %s", c.Request.URL.Path))
			return
		}
		if _, err := fs.Stat(webRoot, strings.TrimPrefix(p, "/")); err != nil {
			writeError(c, notFound("", "no such file %s", c.Request.URL.Path))
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
