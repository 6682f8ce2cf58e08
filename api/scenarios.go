package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// Scenario state: the baseline with a scenario's changes and every site of
// its proposals applied. It is built on first use from the store and then
// kept up to date as proposals arrive, so a proposal is scored against
// everything proposed before it.

type scenarioState struct {
	mu        sync.Mutex
	base      *coverage.Analysis // the baseline it was built on
	a         *coverage.Analysis
	changes   int // scenario changes applied
	proposals int // proposals applied
}

// scenarioAnalysis returns the current analysis of a scenario (locked state:
// the caller must unlock st.mu).
func (s *Server) scenarioAnalysis(ctx context.Context, store coverage.Store, sc coverage.Scenario) (*scenarioState, error) {
	st := s.scenarios.get(sc.ID)
	st.mu.Lock()
	base := s.current()
	if st.base != base || st.changes != len(sc.Changes) {
		st.a, st.base, st.changes, st.proposals = nil, base, len(sc.Changes), 0
	}
	if st.a == nil {
		start := time.Now()
		a, err := base.Apply(sc.Changes)
		if err != nil {
			st.mu.Unlock()
			return nil, err
		}
		st.a = a
		metricAnalysis.WithLabelValues("scenario").Observe(time.Since(start).Seconds())
		s.scenarios.charge(sc.ID, analysisCost(a))
	}
	ps, err := store.Proposals(ctx, sc.ID)
	if err != nil {
		st.mu.Unlock()
		return nil, err
	}
	if len(ps) > st.proposals {
		var adds []coverage.Change
		for _, p := range ps[st.proposals:] {
			adds = append(adds, proposalChanges(p)...)
		}
		start := time.Now()
		a, err := st.a.Apply(adds)
		if err != nil {
			st.mu.Unlock()
			return nil, err
		}
		st.a, st.proposals = a, len(ps)
		metricAnalysis.WithLabelValues("recompute").Observe(time.Since(start).Seconds())
	}
	return st, nil
}

// analysisCost estimates the memory of an analysis: per type a hit per
// cell, plus the cells and facilities themselves.
func analysisCost(a *coverage.Analysis) int64 {
	return int64(len(a.Data.Cells))*int64(a.NumTypes()+2)*16 + int64(len(a.Data.Facilities))*128
}

// proposalChanges turns a proposal's sites into scenario additions; they
// count as built in the scenario.
func proposalChanges(p coverage.Proposal) []coverage.Change {
	out := make([]coverage.Change, len(p.Facilities))
	for i, f := range p.Facilities {
		f.Status, f.PlanYear = coverage.Existing, 0
		out[i] = coverage.Change{Kind: coverage.Add, Facility: f}
	}
	return out
}

// proposalGain scores a proposal's sites one after the other against the
// scenario (sites at the same place form one building). It returns the
// gains and the analysis with the sites added.
func proposalGain(a *coverage.Analysis, facs []coverage.Facility) ([]*coverage.Gain, *coverage.Analysis, error) {
	type group struct {
		site coverage.Site
		facs []coverage.Facility
	}
	var groups []*group
	for _, f := range facs {
		var g *group
		for _, x := range groups {
			if x.site.Location == f.Location {
				g = x
			}
		}
		if g == nil {
			g = &group{site: coverage.Site{Location: f.Location, Name: f.Name, Capacity: f.Capacity}}
			groups = append(groups, g)
		}
		g.site.Types = append(g.site.Types, f.Type)
		g.facs = append(g.facs, f)
	}
	var gains []*coverage.Gain
	cur := a
	for _, g := range groups {
		gain, err := cur.WhatIf(g.site)
		if err != nil {
			return nil, nil, err
		}
		gains = append(gains, gain)
		{
			var ch []coverage.Change
			for _, f := range g.facs {
				f.Status, f.PlanYear = coverage.Existing, 0
				ch = append(ch, coverage.Change{Kind: coverage.Add, Facility: f})
			}
			if cur, err = cur.Apply(ch); err != nil {
				return nil, nil, err
			}
		}
	}
	return gains, cur, nil
}

// handleScenarioChanges: POST /v1/scenarios/{id}/changes appends add, move
// and remove changes (checked against the baseline first).
func (s *Server) handleScenarioChanges(c *gin.Context) {
	store, ok := s.withStore(c)
	if !ok {
		return
	}
	u, ok := writer(c)
	if !ok {
		return
	}
	var req struct {
		CRS     string            `json:"crs"`
		Changes []coverage.Change `json:"changes"`
	}
	if err := decodeBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	if len(req.Changes) == 0 {
		writeError(c, badParamZH("changes", "changes 须至少列出一项新增（add）、迁移（move）或撤除（remove）", "changes must list at least one add, move or remove"))
		return
	}
	// Read, check, append and save under the scenario's lock: concurrent
	// writers queue, and every acknowledged change is stored.
	// Across processes sharing a store, the version does the same: the
	// write must find the scenario at the version read here (or at the one
	// If-Match names), or it is refused with a 409.
	defer s.lock("scenario/" + c.Param("id"))()
	ctx := c.Request.Context()
	expect, check, err := ifMatch(c)
	if err != nil {
		writeError(c, err)
		return
	}
	vkey := coverage.ScenarioVersionKey(c.Param("id"))
	read, err := store.Version(ctx, vkey) // before the scenario: a write in between makes ours stale
	if err != nil {
		writeError(c, err)
		return
	}
	if !check {
		expect = read
	}
	sc, err := store.Scenario(ctx, c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	if err := a.MayUseUnit(u, sc.Unit); err != nil {
		writeError(c, err)
		return
	}
	for i := range req.Changes {
		ch := &req.Changes[i]
		if ch.Kind == coverage.Add || ch.Kind == coverage.Move {
			p, err := coverage.ConvertPoint(ch.Facility.Location, req.CRS)
			if err != nil {
				writeError(c, blame(fmt.Sprintf("changes[%d].facility.location", i), err))
				return
			}
			ch.Facility.Location = p
			if err := checkInExtent(a, fmt.Sprintf("changes[%d].facility.location", i), p); err != nil {
				writeError(c, err)
				return
			}
		}
		if ch.Kind == coverage.Add && ch.Facility.ID == "" {
			ch.Facility.ID = newID("f-")
		}
	}
	if err := a.CheckChanges(u, sc.Unit, sc.Changes, req.Changes); err != nil {
		writeError(c, err)
		return
	}
	all := append(append([]coverage.Change(nil), sc.Changes...), req.Changes...)
	if _, err := a.Apply(all); err != nil {
		writeError(c, blame("changes", err))
		return
	}
	sc.Changes = all
	body, err := json.Marshal(scenarioResponse(sc))
	if err != nil {
		writeError(c, err)
		return
	}
	detail, _ := json.Marshal(gin.H{"changes": req.Changes})
	note := writeNote(c, u, "scenario.changes", sc.Dataset, sc.ID, detail)
	note.Version = &coverage.VersionNote{Key: vkey, Check: true, Expect: expect}
	if !commit(c, store, u, note, http.StatusOK, body, func(ctx context.Context) error { return store.SaveScenario(ctx, sc) }) {
		return
	}
	sendJSON(c, http.StatusOK, body)
}

// loadScenario is the common start of the read endpoints: check the query,
// find the scenario and lock its analysis (the caller unlocks st.mu).
func (s *Server) loadScenario(c *gin.Context, params ...string) (*scenarioState, coverage.Scenario, bool) {
	if err := checkParams(c, append(params, "f")...); err != nil {
		writeError(c, err)
		return nil, coverage.Scenario{}, false
	}
	st, sc, err := s.openScenario(c.Request.Context(), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return nil, sc, false
	}
	return st, sc, true
}

// handleScenarioCompare: GET /v1/scenarios/{id}/compare — residents newly
// covered and newly uncovered per type and per admin unit.
func (s *Server) handleScenarioCompare(c *gin.Context) {
	st, sc, ok := s.loadScenario(c)
	if !ok {
		return
	}
	defer st.mu.Unlock()
	s.writeJSON(c, gin.H{"scenario_id": sc.ID, "comparison": coverage.Compare(st.base, st.a)})
}

// handleScenarioDelta: GET /v1/scenarios/{id}/layers/delta?type=T — the
// cells whose coverage changed, as GeoJSON.
func (s *Server) handleScenarioDelta(c *gin.Context) {
	if c.Query("type") == "" && checkParams(c, "type", "f") == nil {
		writeError(c, badParamZH("type", "差异图层须指定设施类型（type=…）", "the delta layer needs a facility type (type=…)"))
		return
	}
	st, _, ok := s.loadScenario(c, "type")
	if !ok {
		return
	}
	defer st.mu.Unlock()
	page, meta, err := collection.Delta(st.base, st.a, c.Query("type"))
	if err != nil {
		writeError(c, err)
		return
	}
	meta["numberMatched"], meta["numberReturned"] = page.Matched, len(page.Features)
	writeFeatureCollection(c, page, meta, false, nil)
}

func (s *Server) addScenarioRoutes() {
	s.engine.POST("/v1/scenarios/:id/changes", s.handleScenarioChanges)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/scenarios/:id/compare", s.handleScenarioCompare)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/scenarios/:id/compare.xlsx", s.handleScenarioCompareXLSX)
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/v1/scenarios/:id/layers/delta", s.handleScenarioDelta)
}
