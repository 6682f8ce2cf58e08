package coverage

import (
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
		fc, err := a.Layer("coverage", Query{Type: tc.Type.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			p := f.Properties
			i, err := a.CellByID(p["h3"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if j, err := a.CellAt(a.centres[i]); err != nil || j != i {
				t.Fatalf("CellAt(centre of %s) = %d, %v", p["h3"], j, err)
			}
			info := a.CellInfo(i, Profile{})
			var ct *CellType
			for k := range info.Types {
				if info.Types[k].ID == tc.Type.ID {
					ct = &info.Types[k]
				}
			}
			if ct == nil || ct.Covered != p["covered"] || info.Population != p["population"] {
				t.Fatalf("%s %s: info %+v, layer %v", p["h3"], tc.Type.ID, ct, p)
			}
			if (ct.DistM == nil) != (p["distance_m"] == nil) || (ct.DistM != nil && *ct.DistM != p["distance_m"]) {
				t.Errorf("%s %s: distance %v, layer %v", p["h3"], tc.Type.ID, ct.DistM, p["distance_m"])
			}
			if ct.FacilityID != "" && ct.FacilityID != p["facility_id"] || ct.Reason != "" && ct.Reason != p["reason"] {
				t.Errorf("%s %s: %+v, layer %v", p["h3"], tc.Type.ID, ct, p)
			}
		}
	}
	if _, err := a.CellByID("8a40e3cc0007fff"); err == nil {
		t.Error("a cell outside the dataset was found")
	}
}
