package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// addRoutes is the whole API surface. Every GET also answers HEAD (GDAL
// sends HEAD first; Gin alone would answer 404).
func (s *Server) addRoutes() {
	get := func(path string, h gin.HandlerFunc) {
		s.engine.Match([]string{http.MethodGet, http.MethodHead}, path, h)
	}
	get("/healthz", s.handleHealthz)
	get("/v1/catalog", s.handleCatalog)
	get("/v1/summary", s.cached(s.handleSummary))
	get("/v1/summary.xlsx", s.handleSummaryXLSX)
	get("/v1/summary.csv", s.handleSummaryCSV)
	get("/v1/layers", s.handleLayerList)
	get("/v1/layers/:layer", s.cached(s.handleLayer))
	get("/v1/units", s.handleUnits)
	s.addOGCRoutes()
	s.addProposalRoutes()
	s.addScenarioRoutes()
	get("/v1/plan/trajectory", s.handleTrajectory)
	get("/v1/equity", s.handleEquity)
	get("/v1/capacity", s.handleCapacity)
	s.engine.POST("/v1/recommend", s.handleRecommend)
	s.engine.POST("/v1/plan/trajectory", s.handleTrajectoryPost)
	s.engine.PUT("/v1/plan/items", s.handlePutPlan)
	get("/v1/plan/items", s.handleGetPlan)
	s.addWorkbenchRoutes()
	get("/fonts/:fontstack/:range", s.handleGlyphs) // the map's label glyphs (glyphs.go)
	s.addWebRoutes()                                // the map at /, its files under /web/
	s.engine.NoRoute(func(c *gin.Context) {
		writeError(c, notFound("", fmt.Sprintf("没有接口 %s；见 /v1/layers、/v1/summary、/v1/catalog、/healthz", c.Request.URL.Path), "no such endpoint %s; see /v1/layers, /v1/summary, /v1/catalog, /healthz", c.Request.URL.Path))
	})
}
