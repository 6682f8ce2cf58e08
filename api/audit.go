package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// auditResponse is an audit entry on the wire: detail as JSON.
type auditResponse struct {
	coverage.AuditEntry
	Detail any `json:"detail,omitempty"`
}

// handleAudit: GET /v1/audit — every write of the dataset, oldest first,
// for planners and admins. ?scenario=, ?user=, ?after=SEQ, ?limit= (≤ 1000).
func (s *Server) handleAudit(c *gin.Context) {
	if err := checkParams(c, "scenario", "user", "after", "limit"); err != nil {
		writeError(c, err)
		return
	}
	st, ok := s.withStore(c)
	if !ok {
		return
	}
	u, ok := userOf(c)
	if !ok {
		writeError(c, errNoCredentials)
		return
	}
	if u.Role != coverage.Planner && u.Role != coverage.Admin {
		writeError(c, &coverage.RuleError{Rule: "role.audit_needs_planner",
			Zh: "只有规划人员（planner）或管理员（admin）可以查看审计记录", En: "only planners and admins read the audit"})
		return
	}
	q := coverage.AuditQuery{Dataset: s.current().Data.Name, Scenario: c.Query("scenario"), User: c.Query("user"), Limit: 1000}
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(c, badParamZH("after", fmt.Sprintf("参数 after「%s」须为不小于 0 的序号", v), "after must be a sequence number ≥ 0, not %q", v))
			return
		}
		q.After = n
	}
	if c.Query("limit") != "" {
		n, err := parseCount(c, "limit", 1000)
		if err != nil {
			writeError(c, err)
			return
		}
		q.Limit = max(n, 1)
	}
	entries, err := st.Audit(c.Request.Context(), q)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]auditResponse, len(entries))
	for i, e := range entries {
		out[i] = auditResponse{AuditEntry: e}
		if len(e.Detail) > 0 {
			out[i].Detail = rawJSON(e.Detail)
		}
	}
	c.JSON(http.StatusOK, gin.H{"dataset": q.Dataset, "entries": out})
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
