package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifecircle/coverage"
)

// Read endpoints the map and the street official's workbench need: one
// cell's story, the scenario list, and a proposal scored without saving it.

func (s *Server) addWorkbenchRoutes() {
	get := func(path string, h gin.HandlerFunc) {
		s.engine.Match([]string{http.MethodGet, http.MethodHead}, path, h)
	}
	get("/v1/cells", s.handleCellAt)
	get("/v1/cells/:h3", s.handleCell)
	get("/v1/scenarios", s.handleScenarioList)
	s.engine.POST("/v1/scenarios/:id/whatif", s.handleWhatIf)
}

// handleCellAt: GET /v1/cells?lon=&lat= — the populated cell at a point.
func (s *Server) handleCellAt(c *gin.Context) {
	if err := checkParams(c, "lon", "lat", "profile", "f"); err != nil {
		writeError(c, err)
		return
	}
	var p orb.Point
	for k, name := range []string{"lon", "lat"} {
		v, ok := c.GetQuery(name)
		if !ok {
			writeError(c, badParamZH(name, fmt.Sprintf("缺少参数 %s（%s，WGS84 度）；或改用 /v1/cells/{h3}", name, []string{"经度", "纬度"}[k]), "%s is required (WGS84 degrees); or ask /v1/cells/{h3}", name))
			return
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			writeError(c, badParamZH(name, fmt.Sprintf("参数 %s「%s」不是数字", name, v), "%s %q is not a number", name, v))
			return
		}
		if lim := []float64{180, 90}[k]; f < -lim || f > lim {
			writeError(c, badParamZH(name, fmt.Sprintf("参数 %s %g 超出%s范围 [-%g, %g]", name, f, []string{"经度", "纬度"}[k], lim, lim), "%s %g is outside [-%g, %g]", name, f, lim, lim))
			return
		}
		p[k] = f
	}
	a := s.current()
	i, err := a.CellAt(p)
	if err != nil {
		writeError(c, err)
		return
	}
	s.writeCell(c, a, i)
}

// handleCell: GET /v1/cells/{h3}.
func (s *Server) handleCell(c *gin.Context) {
	if err := checkParams(c, "profile", "f"); err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	i, err := a.CellByID(c.Param("h3"))
	if err != nil {
		writeError(c, err)
		return
	}
	s.writeCell(c, a, i)
}

func (s *Server) writeCell(c *gin.Context, a *coverage.Analysis, i int) {
	profile, err := coverage.ParseProfile(c.Query("profile"))
	if err != nil {
		writeError(c, blame("profile", err))
		return
	}
	s.writeJSON(c, a.CellInfo(i, profile))
}

// handleScenarioList: GET /v1/scenarios — the scenarios of the dataset
// served, oldest first.
func (s *Server) handleScenarioList(c *gin.Context) {
	if err := checkParams(c, "f"); err != nil {
		writeError(c, err)
		return
	}
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	a := s.current()
	list, err := st.Scenarios(c.Request.Context(), a.Data.Name)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]coverage.Scenario, len(list))
	for i, sc := range list {
		out[i] = scenarioResponse(sc)
	}
	c.JSON(http.StatusOK, gin.H{"dataset": a.Data.Name, "scenarios": out})
}

// handleWhatIf: POST /v1/scenarios/{id}/whatif takes the body of a
// proposal and answers what POST .../proposals would store as "shown",
// without storing anything: the workbench shows it while a site is placed
// and dragged.
func (s *Server) handleWhatIf(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	sc, err := st.Scenario(ctx, c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	var req struct {
		Unit       string        `json:"unit"`
		Facilities []siteRequest `json:"facilities"`
	}
	if err := decodeBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	facs, err := proposedSites(a, sc, req.Facilities, "whatif", nil)
	if err != nil {
		writeError(c, err)
		return
	}
	state, err := s.scenarioAnalysis(ctx, st, sc)
	if err != nil {
		writeError(c, err)
		return
	}
	defer state.mu.Unlock()
	gains, _, err := proposalGain(state.a, facs)
	if err != nil {
		writeError(c, blame("facilities", err))
		return
	}
	s.writeJSON(c, gin.H{"scenario_id": sc.ID, "shown": gains})
}
