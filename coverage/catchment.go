package coverage

import (
	"fmt"

	"github.com/paulmach/orb"

	"lifecircle/spatial"
)

// Catchment is what one facility serves: the populated cells within its
// type's radius along the analysis's distance measure, outlined.
type Catchment struct {
	Facility  Facility
	Type      FacilityType
	Cells     []spatial.Cell
	Residents float64
	Geometry  orb.MultiPolygon
	// FarthestM is the distance to the farthest cell reached.
	FarthestM float64
}

// Catchment computes the catchment of the facility with the given id (one
// bounded search from the site; nothing else is recomputed).
func (a *Analysis) Catchment(facilityID string) (*Catchment, error) {
	fi, ok := a.facIndex[facilityID]
	if !ok {
		return nil, errZH(ErrNotFound, fmt.Sprintf("设施「%s」不存在", facilityID), "facility %q does not exist", facilityID)
	}
	f := a.Data.Facilities[fi]
	t, _ := a.Catalog.Type(f.Type)
	c := &Catchment{Facility: f, Type: t}
	a.source.Reach(f.Location, t.MaxDistM, func(cell int, d float32) {
		c.Cells = append(c.Cells, a.Data.Cells[cell].Cell)
		c.Residents += a.Data.Cells[cell].Population
		c.FarthestM = max(c.FarthestM, float64(d))
	})
	c.Residents = round1(c.Residents)
	c.Geometry = spatial.OutlineOf(c.Cells, a.cellBoundary)
	return c, nil
}
