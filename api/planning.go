package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// maxBody bounds request bodies (candidate lists can be long).
const maxBody = 32 << 20

// decodeBody reads a JSON body strictly: unknown fields are errors naming
// the field, so typos never pass silently.
func decodeBody(c *gin.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &paramError{"body", fmt.Errorf("the request body is over %d KiB, the limit of %s: %w", mbe.Limit>>10, c.FullPath(), errTooLarge)}
	}
	if err != nil {
		return badParamZH("body", "无法读取请求体", "cannot read the request body: %v", err)
	}
	if len(body) > maxBody {
		return badParamZH("body", fmt.Sprintf("请求体超过 %d MiB", maxBody>>20), "request body over %d MiB", maxBody>>20)
	}
	sum := sha256.Sum256(body)
	c.Set(bodySHA256Key, hex.EncodeToString(sum[:])) // what an Idempotency-Key's answer is tied to
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute):
			// embedded structs show up as "Outer.field": keep the JSON path
			f := ute.Field
			if i := strings.IndexByte(f, '.'); i >= 0 && f[:i] != strings.ToLower(f[:i]) {
				f = f[i+1:]
			}
			en, zh := jsonKind(ute.Type)
			return badParamZH(f, fmt.Sprintf("字段「%s」应为%s，而不是 JSON %s", f, zh, jsonValueZH(ute.Value)),
				"field %q must be %s, not a JSON %s", f, en, ute.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badParamZH(f, fmt.Sprintf("未知字段「%s」", f), "unknown field %q", f)
		case err == io.EOF:
			return badParamZH("body", "请求体为空，请发送 JSON", "the request body is empty; send JSON")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return badParamZH("body", fmt.Sprintf("请求体不是有效的 JSON（第 %d 字节附近）", se.Offset),
				"the request body is not valid JSON (near byte %d): %v", se.Offset, err)
		}
		return badParamZH("body", "请求体不是有效的 JSON", "the request body is not valid JSON: %v", err)
	}
	if err := checkLocationsJSON(body); err != nil {
		return err
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(body[off:])) > 0 {
		return badParamZH("body", fmt.Sprintf("JSON 之后还有多余内容（第 %d 字节起）", off),
			"the request body has more after its JSON value (from byte %d): send exactly one JSON object", off)
	}
	return nil
}

const maxPlanItems = 10000

// errTooLarge marks a body over its route's limit (413).
var errTooLarge = errors.New("request body too large")

// jsonKind names the JSON a Go type expects, in English and Chinese, so
// that no Go type name (coverage.WeightedType) reaches a message.
func jsonKind(t reflect.Type) (en, zh string) {
	if t == nil {
		return "another JSON value", "其他 JSON 值"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if t == reflect.TypeOf(coverage.WeightedType{}) {
			return `a type id or Chinese name ("kindergarten", "幼儿园") or an object {"id", "weight"}`, `类型编号或中文名（"kindergarten"、"幼儿园"）或对象 {"id", "weight"}`
		}
		return "a JSON object", "JSON 对象"
	case reflect.Slice, reflect.Array:
		return "a JSON list", "JSON 数组"
	case reflect.String:
		return "a string", "字符串"
	case reflect.Bool:
		return "true or false", "true 或 false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number", "整数"
	case reflect.Float32, reflect.Float64:
		return "a number", "数字"
	}
	return "another JSON value", "其他 JSON 值"
}

// jsonValueZH names a JSON value kind (as encoding/json reports it) in Chinese.
func jsonValueZH(v string) string {
	switch {
	case v == "string":
		return "字符串"
	case v == "object":
		return "对象"
	case v == "array":
		return "数组"
	case v == "bool":
		return "布尔值"
	case strings.HasPrefix(v, "number"):
		return "数字"
	}
	return v
}

// phasing asks for a recommendation to be split into plan years.
type phasing struct {
	FirstYear   int     `json:"first_year"`
	Years       int     `json:"years"`
	PerYear     int     `json:"per_year,omitempty"`
	Budget      float64 `json:"budget,omitempty"`
	CostPerSite float64 `json:"cost_per_site,omitempty"`
}

type recommendBody struct {
	coverage.RecommendRequest
	CRS   string   `json:"crs,omitempty"` // of the candidates' coordinates
	Phase *phasing `json:"phase,omitempty"`
}

type recommendAnswer struct {
	*coverage.Recommendation
	Phases []coverage.PhaseYear `json:"phases,omitempty"`
}

// handleRecommend: POST /v1/recommend.
func (s *Server) handleRecommend(c *gin.Context) {
	var req recommendBody
	if err := decodeBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	for i := range req.Candidates {
		p, err := coverage.ConvertPoint(req.Candidates[i].Location, req.CRS)
		if err != nil {
			writeError(c, blame(fmt.Sprintf("candidates[%d].location", i), err))
			return
		}
		req.Candidates[i].Location = p
	}
	a := s.current()
	for i := range req.Candidates {
		if err := checkInExtent(a, fmt.Sprintf("candidates[%d].location", i), req.Candidates[i].Location); err != nil {
			writeError(c, err)
			return
		}
	}
	rec, err := a.RecommendContext(c.Request.Context(), req.RecommendRequest)
	if err != nil {
		writeError(c, blame("types", err))
		return
	}
	ans := recommendAnswer{Recommendation: rec}
	if ph := req.Phase; ph != nil {
		if ans.Phases, err = coverage.Phase(rec, ph.FirstYear, ph.Years, ph.PerYear, ph.Budget, ph.CostPerSite); err != nil {
			writeError(c, blame("phase", err))
			return
		}
	}
	s.writeJSON(c, ans)
}

type planBody struct {
	CRS   string          `json:"crs,omitempty"`
	By    string          `json:"by,omitempty"`
	Items []planItemInput `json:"items"`
}

type planItemInput struct {
	coverage.PlanItem
	Location [2]float64 `json:"location"`
}

// planItemsOf checks and converts the items of a plan body to WGS84.
func planItemsOf(body planBody, a *coverage.Analysis) ([]coverage.PlanItem, error) {
	if len(body.Items) > maxPlanItems {
		return nil, badParamZH("items", fmt.Sprintf("items 列出了 %d 个规划项目，最多 %d 个", len(body.Items), maxPlanItems), "items lists %d plan items; at most %d", len(body.Items), maxPlanItems)
	}
	items := make([]coverage.PlanItem, len(body.Items))
	for i, in := range body.Items {
		field := func(f string) string { return fmt.Sprintf("items[%d].%s", i, f) }
		p, err := coverage.ConvertPoint(in.Location, body.CRS)
		if err != nil {
			return nil, blame(field("location"), err)
		}
		if err := checkInExtent(a, field("location"), p); err != nil {
			return nil, err
		}
		if in.Cost < 0 || in.Cost > 1e9 {
			return nil, badParamZH(field("cost"), fmt.Sprintf("「%s」%g 须在 0 至 1,000,000,000（万元）之间", field("cost"), in.Cost), "%s %g must be from 0 to 1,000,000,000 (10k yuan)", field("cost"), in.Cost)
		}
		if in.Year != 0 && (in.Year < 1900 || in.Year > 2200) {
			return nil, badParamZH(field("year"), fmt.Sprintf("「%s」%d 不是有效的规划年份（1900 至 2200）", field("year"), in.Year), "%s %d is not a plan year", field("year"), in.Year)
		}
		it := in.PlanItem
		it.Location, it.Dataset = p, a.Data.Name
		if it.ID == "" {
			it.ID = strconv.Itoa(i + 1)
		}
		if it.Status == "" {
			it.Status = coverage.Planned
		}
		st, err := coverage.ParseStatus(string(it.Status)) // built, 已建 … are existing
		if err != nil {
			return nil, blame(fmt.Sprintf("items[%d].status", i), err)
		}
		it.Status = st
		items[i] = it
	}
	return items, nil
}

// handleTrajectoryPost: POST /v1/plan/trajectory with the plan items.
func (s *Server) handleTrajectoryPost(c *gin.Context) {
	var body planBody
	if err := decodeBody(c, &body); err != nil {
		writeError(c, err)
		return
	}
	if body.Items == nil {
		writeError(c, badParamZH("items", "缺少 items：须给出要布置的规划项目", "items is required: the plan items to lay out"))
		return
	}
	items, err := planItemsOf(body, s.current())
	if err != nil {
		writeError(c, err)
		return
	}
	s.trajectory(c, items, body.By)
}

// handlePutPlan: PUT /v1/plan/items replaces the stored plan of the
// dataset (checked first: every type known, every year a year).
func (s *Server) handlePutPlan(c *gin.Context) {
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	u, ok := writer(c)
	if !ok {
		return
	}
	if err := coverage.MayWritePlan(u); err != nil {
		writeError(c, err)
		return
	}
	var body planBody
	if err := decodeBody(c, &body); err != nil {
		writeError(c, err)
		return
	}
	if body.Items == nil {
		writeError(c, badParamZH("items", "缺少 items：须给出完整的规划（空列表 [] 表示清空）", "items is required: the whole plan (an empty list [] clears it)"))
		return
	}
	a := s.current()
	items, err := planItemsOf(body, a)
	if err != nil {
		writeError(c, err)
		return
	}
	for i, it := range items {
		if err := a.MayTouch(u, "plan_item", it.Location); err != nil {
			writeError(c, blame(fmt.Sprintf("items[%d].location", i), err))
			return
		}
	}
	defer s.lock("plan")()
	ctx := c.Request.Context()
	expect, check, err := ifMatch(c)
	if err != nil {
		writeError(c, err)
		return
	}
	vkey := coverage.PlanVersionKey(a.Data.Name)
	read, err := st.Version(ctx, vkey) // before the stored items a district planner keeps
	if err != nil {
		writeError(c, err)
		return
	}
	if !check {
		expect = read
	}
	if len(u.Units) > 0 {
		// A district planner replaces the items of their district only;
		// the others stay as stored.
		stored, err := st.PlanItems(ctx, a.Data.Name)
		if err != nil {
			writeError(c, err)
			return
		}
		for _, it := range stored {
			if a.MayTouch(u, "plan_item", it.Location) != nil {
				items = append(items, it)
			}
		}
	}
	if _, err := a.Trajectory(items, ""); err != nil {
		writeError(c, blame("items", err))
		return
	}
	answer, _ := json.Marshal(gin.H{"dataset": a.Data.Name, "items": len(items)})
	detail, _ := json.Marshal(gin.H{"items": items})
	note := writeNote(c, u, "plan.replace", a.Data.Name, "", detail)
	note.Version = &coverage.VersionNote{Key: vkey, Check: true, Expect: expect}
	if !commit(c, st, u, note, http.StatusOK, answer, func(ctx context.Context) error { return st.SavePlanItems(ctx, a.Data.Name, items) }) {
		return
	}
	sendJSON(c, http.StatusOK, answer)
}

// handleGetPlan: GET /v1/plan/items — the stored plan of the dataset, with
// its version as ETag (send it as If-Match with the PUT).
func (s *Server) handleGetPlan(c *gin.Context) {
	if err := checkParams(c, "f"); err != nil {
		writeError(c, err)
		return
	}
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	name := s.current().Data.Name
	v, err := st.Version(ctx, coverage.PlanVersionKey(name)) // before the items, as for scenarios
	if err != nil {
		writeError(c, err)
		return
	}
	items, err := st.PlanItems(ctx, name)
	if err != nil {
		writeError(c, err)
		return
	}
	if items == nil {
		items = []coverage.PlanItem{}
	}
	c.Header("ETag", versionETag(v))
	s.writeJSON(c, gin.H{"dataset": name, "items": items})
}

// handleTrajectory: GET /v1/plan/trajectory over the plan items loaded.
func (s *Server) handleTrajectory(c *gin.Context) {
	if err := checkParams(c, "by", "f"); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.planItems(c)
	if err != nil {
		writeError(c, err)
		return
	}
	s.trajectory(c, items, c.Query("by"))
}

func (s *Server) trajectory(c *gin.Context, items []coverage.PlanItem, by string) {
	var level coverage.UnitLevel
	if by != "" {
		l, err := coverage.ParseUnitLevel(by)
		if err != nil {
			writeError(c, blame("by", err))
			return
		}
		level = l
	}
	if err := s.current().CheckLevel(level); err != nil {
		writeError(c, err)
		return
	}
	tr, err := s.current().Trajectory(items, level)
	if err != nil {
		writeError(c, blame("items", err))
		return
	}
	s.writeJSON(c, tr)
}

// planItems returns the plan of the dataset: from the store when the
// server has one, else the plan given with SetPlan (none: baseline only).
func (s *Server) planItems(c *gin.Context) ([]coverage.PlanItem, error) {
	if ref := s.store.Load(); ref != nil {
		return ref.PlanItems(c.Request.Context(), s.current().Data.Name)
	}
	if p := s.plan.Load(); p != nil {
		return *p, nil
	}
	return nil, nil
}

// SetPlan gives the server the plan items GET /v1/plan/trajectory lays out.
func (s *Server) SetPlan(items []coverage.PlanItem) { s.plan.Store(&items) }

// handleEquity: GET /v1/equity?type=T&by=street.
func (s *Server) handleEquity(c *gin.Context) {
	if err := checkParams(c, "type", "by", "f"); err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	typ := c.Query("type")
	if typ == "" {
		writeError(c, badParamZH("type", "公平性分析须指定设施类型（type=…）", "equity needs a facility type (type=…)"))
		return
	}
	level, err := coverage.ParseUnitLevel(c.DefaultQuery("by", "district"))
	if err != nil {
		writeError(c, blame("by", err))
		return
	}
	e, err := a.Equity(typ, level)
	if err != nil {
		writeError(c, err)
		return
	}
	s.writeJSON(c, e)
}

// handleCapacity: GET /v1/capacity?type=T[&decay=e2sfca] — the 2SFCA split
// of residents into served, capacity-short and uncovered.
func (s *Server) handleCapacity(c *gin.Context) {
	if err := checkParams(c, "type", "decay", "f"); err != nil {
		writeError(c, err)
		return
	}
	typ := c.Query("type")
	if typ == "" {
		writeError(c, badParamZH("type", "容量分析须指定设施类型（type=…）", "capacity needs a facility type (type=…)"))
		return
	}
	var opts coverage.CapacityOptions
	switch c.DefaultQuery("decay", "none") {
	case "none", "2sfca":
	case "e2sfca":
		opts.Steps = coverage.E2SFCASteps
	default:
		writeError(c, badParamZH("decay", fmt.Sprintf("参数 decay「%s」须为 none 或 e2sfca", c.Query("decay")), "decay %q is not none or e2sfca", c.Query("decay")))
		return
	}
	r, err := s.current().Capacity(typ, opts)
	if err != nil {
		writeError(c, blame("type", err))
		return
	}
	s.writeJSON(c, r)
}
