package coverage

import (
	"math"
	"testing"
)

// CellInfo tells, for every cell and type, the same story as the coverage
// layer: covered, distance, nearest facility and reason.
func TestCellInfoAgreesWithTheCoverageLayer(t *testing.T) {
	cat, ds := fxDataset(t)
	a, err := Analyze(cat, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range a.Types() {
		for i, c := range a.Data.Cells {
			if j, err := a.CellByID(c.Cell.String()); err != nil || j != i {
				t.Fatalf("CellByID(%s) = %d, %v", c.Cell, j, err)
			}
			if j, err := a.CellAt(a.Centre(i)); err != nil || j != i {
				t.Fatalf("CellAt(centre of %s) = %d, %v", c.Cell, j, err)
			}
			info := a.CellInfo(i, Profile{})
			var ct *CellType
			for k := range info.Types {
				if info.Types[k].ID == tc.Type.ID {
					ct = &info.Types[k]
				}
			}
			if ct == nil || ct.Covered != tc.IsCovered(i) || info.Population != round1(c.Population) {
				t.Fatalf("%s %s: info %+v", c.Cell, tc.Type.ID, ct)
			}
			h := tc.Hit(i)
			if (ct.DistM == nil) != !h.Found() || (ct.DistM != nil && *ct.DistM != math.Round(float64(h.DistM)*10)/10) {
				t.Errorf("%s %s: distance %v, hit %v", c.Cell, tc.Type.ID, ct.DistM, h)
			}
			if h.Found() && ct.FacilityID != a.Data.Facilities[tc.Facilities[h.Site]].ID || ct.Reason != a.Reason(tc, i) {
				t.Errorf("%s %s: %+v, hit %v, reason %q", c.Cell, tc.Type.ID, ct, h, a.Reason(tc, i))
			}
		}
	}
	if _, err := a.CellByID("8a40e3cc0007fff"); err == nil {
		t.Error("a cell outside the dataset was found")
	}
}
