package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifecircle/coverage"
)

// Scenarios and street officials' proposals. They need a store
// (SetStore); without one these endpoints answer 503. A write is answered
// 201 only after the store has committed it.

// storeRef boxes the optional store for an atomic pointer.
type storeRef struct{ coverage.Store }

// SetStore gives the server a store for scenarios and proposals. Call it
// before serving, or at any time to switch stores.
func (s *Server) SetStore(st coverage.Store) {
	if st == nil {
		s.store.Store(nil)
		return
	}
	s.store.Store(&storeRef{st})
}

func (s *Server) addProposalRoutes() {
	s.engine.POST("/v1/scenarios", s.handleCreateScenario)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/scenarios/:id", s.handleScenario)
	s.engine.POST("/v1/scenarios/:id/proposals", s.handleAddProposal)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/scenarios/:id/proposals", s.handleProposals)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/audit", s.handleAudit)
}

// withStore answers 503 when the server has no store.
func (s *Server) withStore(c *gin.Context) (coverage.Store, bool) {
	ref := s.store.Load()
	if ref == nil {
		writeError(c, errNoStore())
		return nil, false
	}
	return ref.Store, true
}

func errNoStore() error {
	return coverage.WithZH(fmt.Errorf("this server keeps no scenarios or proposals: start it with --store FILE.gpkg or --pg URL: %w", errUnavailable),
		"本服务未连接存储，不保存方案和提案：请以 --store FILE.gpkg 或 --pg URL 启动")
}

// openScenario finds a stored scenario and its analysis, locked (the caller
// unlocks st.mu).
func (s *Server) openScenario(ctx context.Context, id string) (*scenarioState, coverage.Scenario, error) {
	ref := s.store.Load()
	if ref == nil {
		return nil, coverage.Scenario{}, errNoStore()
	}
	sc, err := ref.Store.Scenario(ctx, id)
	if err != nil {
		return nil, sc, err
	}
	st, err := s.scenarioAnalysis(ctx, ref.Store, sc)
	return st, sc, err
}

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}

func checkText(field, v string, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return badParamZH(field, fmt.Sprintf("「%s」为必填项", field), "%s is required", field)
	case len(v) > 200:
		return badParamZH(field, fmt.Sprintf("「%s」超过 200 字节", field), "%s is longer than 200 bytes", field)
	}
	return nil
}

// checkUnit resolves a unit given in a request body (code or name) to its
// code; an unknown unit is a bad field (400), not a missing resource.
func (s *Server) checkUnit(a *coverage.Analysis, field string, unit *string) error {
	if *unit == "" {
		return nil
	}
	u, err := a.ResolveUnit(*unit)
	if err != nil {
		return blame(field, coverage.AsInvalid(err))
	}
	*unit = u.Code
	return nil
}

// scenarioResponse is a scenario on the wire: changes always a list.
func scenarioResponse(sc coverage.Scenario) coverage.Scenario {
	if sc.Changes == nil {
		sc.Changes = []coverage.Change{}
	}
	return sc
}

func (s *Server) handleCreateScenario(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	u, ok := writer(c)
	if !ok {
		return
	}
	var req struct {
		Name        string `json:"name"`
		Unit        string `json:"unit"`
		Description string `json:"description"`
	}
	if err := decodeBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	for _, err := range []error{
		checkText("name", req.Name, true), s.checkUnit(a, "unit", &req.Unit), checkText("description", req.Description, false),
		blame("unit", a.MayUseUnit(u, req.Unit)),
	} {
		if err != nil {
			writeError(c, err)
			return
		}
	}
	sc := coverage.Scenario{
		ID: newID("s-"), Dataset: a.Data.Name, Name: req.Name, Author: u.Name, Unit: req.Unit,
		Created: timeNow(), Description: req.Description,
	}
	body, err := json.Marshal(scenarioResponse(sc))
	if err != nil {
		writeError(c, err)
		return
	}
	detail, _ := json.Marshal(gin.H{"name": sc.Name, "unit": sc.Unit})
	note := writeNote(c, u, "scenario.create", sc.Dataset, sc.ID, detail)
	note.Version = &coverage.VersionNote{Key: coverage.ScenarioVersionKey(sc.ID)} // version 1
	if !commit(c, st, u, note, http.StatusCreated, body, func(ctx context.Context) error { return st.SaveScenario(ctx, sc) }) {
		return
	}
	c.Header("Location", "/v1/scenarios/"+sc.ID)
	sendJSON(c, http.StatusCreated, body)
}

func (s *Server) handleScenario(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	// The version is read before the scenario: an ETag never claims a
	// newer scenario than the body shows (at worst an older one, which
	// makes a write with it a 409 to retry, never a lost update).
	v, err := st.Version(ctx, coverage.ScenarioVersionKey(c.Param("id")))
	if err != nil {
		writeError(c, err)
		return
	}
	sc, err := st.Scenario(ctx, c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("ETag", versionETag(v))
	c.JSON(http.StatusOK, scenarioResponse(sc))
}

// siteRequest is one proposed facility as a client sends it.
type siteRequest struct {
	Type     string   `json:"type"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	CRS      string   `json:"crs"`
	Name     string   `json:"name"`
	Capacity *float64 `json:"capacity"`
	PlanYear int      `json:"plan_year"`
}

// facility checks one site and makes it a planned facility in WGS84.
func (r siteRequest) facility(a *coverage.Analysis, i int, id string) (coverage.Facility, error) {
	field := func(name string) string { return fmt.Sprintf("facilities[%d].%s", i, name) }
	if r.Type == "" {
		return coverage.Facility{}, badParamZH(field("type"), fmt.Sprintf("「%s」为必填项（设施类型编号，见 /v1/catalog）", field("type")), "%s is required (a catalogue id, see /v1/catalog)", field("type"))
	}
	typ, err := a.Catalog.CheckType(r.Type)
	if err != nil {
		return coverage.Facility{}, blame(field("type"), err)
	}
	r.Type = typ
	switch {
	case r.Lon == nil:
		return coverage.Facility{}, badParamZH(field("lon"), fmt.Sprintf("「%s」为必填项（经度，单位为度）", field("lon")), "%s is required (longitude in degrees)", field("lon"))
	case r.Lat == nil:
		return coverage.Facility{}, badParamZH(field("lat"), fmt.Sprintf("「%s」为必填项（纬度，单位为度）", field("lat")), "%s is required (latitude in degrees)", field("lat"))
	case *r.Lon < -180 || *r.Lon > 180:
		return coverage.Facility{}, badParamZH(field("lon"), fmt.Sprintf("「%s」%g 超出经度范围 [-180, 180]", field("lon"), *r.Lon), "%s %g is outside [-180, 180]", field("lon"), *r.Lon)
	case *r.Lat < -90 || *r.Lat > 90:
		hint, hintZH := "", ""
		if *r.Lon >= -90 && *r.Lon <= 90 {
			hint, hintZH = " (lon and lat swapped?)", "（经纬度是否写反了？）"
		}
		return coverage.Facility{}, badParamZH(field("lat"), fmt.Sprintf("「%s」%g 超出纬度范围 [-90, 90]%s", field("lat"), *r.Lat, hintZH), "%s %g is outside [-90, 90]%s", field("lat"), *r.Lat, hint)
	}
	loc, err := coverage.ConvertPoint(orb.Point{*r.Lon, *r.Lat}, r.CRS)
	if err != nil {
		return coverage.Facility{}, blame(field("crs"), err)
	}
	if err := checkInExtent(a, field("lon"), loc); err != nil {
		return coverage.Facility{}, err
	}
	if err := checkText(field("name"), r.Name, false); err != nil {
		return coverage.Facility{}, err
	}
	f := coverage.Facility{
		ID: id, Type: r.Type, Name: r.Name, Location: loc,
		Status: coverage.Planned, PlanYear: r.PlanYear,
	}
	if r.Capacity != nil {
		if *r.Capacity < 0 || *r.Capacity > 1e7 {
			return coverage.Facility{}, badParamZH(field("capacity"), fmt.Sprintf("「%s」%g 须在 0 至 10,000,000 之间", field("capacity"), *r.Capacity), "%s %g must be from 0 to 10,000,000", field("capacity"), *r.Capacity)
		}
		f.Capacity = *r.Capacity
	}
	if r.PlanYear != 0 && (r.PlanYear < 2000 || r.PlanYear > 2100) {
		return coverage.Facility{}, badParamZH(field("plan_year"), fmt.Sprintf("「%s」%d 须为 2000 至 2100 之间的年份", field("plan_year"), r.PlanYear), "%s %d must be a year from 2000 to 2100", field("plan_year"), r.PlanYear)
	}
	return f, nil
}

// proposalResponse is a proposal on the wire: what the author was shown as
// JSON, not base64.
type proposalResponse struct {
	coverage.Proposal
	Shown json.RawMessage `json:"shown,omitempty"`
}

func newProposalResponse(p coverage.Proposal) proposalResponse {
	if p.Facilities == nil {
		p.Facilities = []coverage.Facility{}
	}
	return proposalResponse{Proposal: p, Shown: json.RawMessage(p.Shown)}
}

const maxSites = 100

// proposedSites turns a proposal body's sites into facilities with the
// given id prefix, checking their count and that each lies inside the
// scenario's unit (the proposal and its what-if check the same); may, when
// given, is asked first whether the user may touch each site.
func proposedSites(a *coverage.Analysis, sc coverage.Scenario, reqs []siteRequest, idPrefix string, may func(i int, f coverage.Facility) error) ([]coverage.Facility, error) {
	if len(reqs) == 0 || len(reqs) > maxSites {
		return nil, badParamZH("facilities", fmt.Sprintf("facilities 须列出 1 至 %d 个拟建设施点，而不是 %d 个", maxSites, len(reqs)), "facilities must list 1 to %d proposed sites, not %d", maxSites, len(reqs))
	}
	facs := make([]coverage.Facility, 0, len(reqs))
	for i, r := range reqs {
		f, err := r.facility(a, i, fmt.Sprintf("%s-%d", idPrefix, i+1))
		if err != nil {
			return nil, err
		}
		if may != nil {
			if err := may(i, f); err != nil {
				return nil, err
			}
		}
		if sc.Unit != "" && !a.UnitContains(sc.Unit, f.Location) {
			return nil, badParamZH(fmt.Sprintf("facilities[%d].lon", i), fmt.Sprintf("facilities[%d] 的位置不在方案的辖区 %s 内", i, sc.Unit), "the site lies outside the scenario's jurisdiction %s", sc.Unit)
		}
		facs = append(facs, f)
	}
	return facs, nil
}

func (s *Server) handleAddProposal(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	u, ok := writer(c)
	if !ok {
		return
	}
	expect, check, err := ifMatch(c) // a proposal scored on the version the client saw
	if err != nil {
		writeError(c, err)
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
	if err := a.MayUseUnit(u, sc.Unit); err != nil {
		writeError(c, err)
		return
	}
	if err := s.checkUnit(a, "unit", &req.Unit); err != nil {
		writeError(c, err)
		return
	}
	switch {
	case req.Unit == "":
		req.Unit = sc.Unit
	case sc.Unit != "" && !a.UnitWithin(req.Unit, sc.Unit):
		writeError(c, badParamZH("unit", fmt.Sprintf("行政单元 %s 既不是方案的单元 %s，也不在其范围内", req.Unit, sc.Unit), "unit %s is not the scenario's unit %s nor inside it", req.Unit, sc.Unit))
		return
	}
	if err := a.MayUseUnit(u, req.Unit); err != nil {
		writeError(c, blame("unit", err))
		return
	}
	p := coverage.Proposal{
		ID: newID("p-"), ScenarioID: sc.ID, Author: u.Name, Unit: req.Unit, Created: timeNow(),
	}
	facs, err := proposedSites(a, sc, req.Facilities, p.ID, func(i int, f coverage.Facility) error {
		return blame(fmt.Sprintf("facilities[%d].lon", i), a.MayTouch(u, "site", f.Location))
	})
	if err != nil {
		writeError(c, err)
		return
	}
	p.Facilities = facs
	// The gain, scored against the scenario as it stands (its changes and
	// earlier proposals): only what each site reaches is re-scored.
	state, err := s.scenarioAnalysis(ctx, st, sc)
	if err != nil {
		writeError(c, err)
		return
	}
	defer state.mu.Unlock()
	gains, after, err := proposalGain(state.a, p.Facilities)
	if err != nil {
		writeError(c, blame("facilities", err))
		return
	}
	if p.Shown, err = json.Marshal(gains); err != nil {
		writeError(c, err)
		return
	}
	body, err := json.Marshal(newProposalResponse(p))
	if err != nil {
		writeError(c, err)
		return
	}
	detail, _ := json.Marshal(gin.H{"proposal_id": p.ID, "unit": p.Unit, "facilities": p.Facilities})
	note := writeNote(c, u, "proposal.add", sc.Dataset, sc.ID, detail)
	note.Version = &coverage.VersionNote{Key: coverage.ScenarioVersionKey(sc.ID), Check: check, Expect: expect}
	// The store write is the last step: 201 means it is committed.
	if !commit(c, st, u, note, http.StatusCreated, body, func(ctx context.Context) error { return st.AddProposal(ctx, p) }) {
		return
	}
	state.a, state.proposals = after, state.proposals+1
	c.Header("Location", "/v1/scenarios/"+sc.ID+"/proposals")
	sendJSON(c, http.StatusCreated, body)
}

func (s *Server) handleProposals(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	ps, err := st.Proposals(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]proposalResponse, len(ps))
	for i, p := range ps {
		out[i] = newProposalResponse(p)
	}
	c.JSON(http.StatusOK, gin.H{"scenario_id": c.Param("id"), "proposals": out})
}
