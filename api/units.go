package api

import (
	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// unitCount is, per level, how many official divisions and how many
// polygons the dataset has.
type unitCount struct {
	Official   int `json:"official"`
	Boundaries int `json:"boundaries"`
}

// handleUnits: GET /v1/units?level=street&parent=成华区 — the admin units
// known to the dataset: the official divisions (code, name, parent; no
// geometry) and the polygons, each marked with whether it can be drawn,
// filtered and rolled up (boundary). A level without polygons is listed
// too: this is where a planner finds the codes of the streets and
// communities the sample has no boundaries of.
func (s *Server) handleUnits(c *gin.Context) {
	if err := checkParams(c, "level", "parent", "f"); err != nil {
		writeError(c, err)
		return
	}
	level, err := queryLevel(c, "level")
	if err != nil {
		writeError(c, err)
		return
	}
	a := s.current()
	units, err := a.UnitList(level, c.Query("parent"))
	if err != nil {
		writeError(c, err)
		return
	}
	all, _ := a.UnitList("", "")
	counts := map[coverage.UnitLevel]*unitCount{}
	for _, l := range coverage.UnitLevels {
		counts[l] = &unitCount{}
	}
	for _, u := range all {
		if n := counts[u.Level]; n != nil {
			if u.Official {
				n.Official++
			}
			if u.Boundary {
				n.Boundaries++
			}
		}
	}
	source := ""
	if a.Divisions != nil {
		source = a.Divisions.Source
	}
	if units == nil {
		units = []coverage.UnitEntry{}
	}
	s.writeJSON(c, gin.H{"dataset": a.Data.Name, "source": source, "levels": counts, "count": len(units), "units": units})
}
