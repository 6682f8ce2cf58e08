package data

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
	"lifecircle/spatial"
)

// NamedLayer is a computed layer ready for Store.SaveLayer.
type NamedLayer struct {
	Name     string
	Features []coverage.LayerFeature
}

// LayerFeatures converts a GeoJSON layer into store features.
func LayerFeatures(fc *geojson.FeatureCollection) []coverage.LayerFeature {
	out := make([]coverage.LayerFeature, len(fc.Features))
	for i, f := range fc.Features {
		id := ""
		if f.ID != nil {
			id = fmt.Sprint(f.ID)
		}
		out[i] = coverage.LayerFeature{ID: id, Geometry: f.Geometry, Properties: f.Properties}
	}
	return out
}

// AnalysisLayers is what an export stores of an analysis: for every type
// (those without any facility too: their gaps are everyone)
// coverage/<type>, gaps/<type> and gap-areas/<type> with the data-quality
// audit on every feature (TypedLayer), and catchments (one outline per facility in force) —
// the layers `lifecircle analyze` writes as files.
func AnalysisLayers(a *coverage.Analysis, p coverage.Profile) ([]NamedLayer, error) {
	var out []NamedLayer
	set := collection.NewSet(a, "export")
	for _, tc := range a.Types() {
		var cov []coverage.LayerFeature
		for _, l := range []string{"coverage", "gaps", "gap-areas"} {
			if l == "gaps" {
				if gaps := gapsOf(a, tc, cov); gaps != nil {
					out = append(out, NamedLayer{Name: l + "/" + tc.Type.ID, Features: gaps})
					continue
				}
			}
			fc, err := TypedLayer(set, l, tc.Type.ID, p)
			if err != nil {
				return nil, fmt.Errorf("layer %s/%s: %w", l, tc.Type.ID, err)
			}
			out = append(out, NamedLayer{Name: l + "/" + tc.Type.ID, Features: LayerFeatures(fc)})
			if l == "coverage" {
				cov = out[len(out)-1].Features
			}
		}
	}
	cfc, err := catchments(a, set)
	if err != nil {
		return nil, err
	}
	out = append(out, NamedLayer{Name: "catchments", Features: LayerFeatures(cfc)})
	out = append(out, NamedLayer{Name: "metadata", Features: []coverage.LayerFeature{MetadataFeature(a)}})
	return out, nil
}

// gapsOf is the gaps layer of a type taken from its coverage layer (one
// feature per cell, in cell order): the features of the populated cells
// the type does not cover, the same features (shared, not copied) that
// the gaps collection gives. nil when cov is not in cell order.
func gapsOf(a *coverage.Analysis, tc *coverage.TypeCoverage, cov []coverage.LayerFeature) []coverage.LayerFeature {
	if len(cov) != len(a.Data.Cells) {
		return nil
	}
	out := []coverage.LayerFeature{}
	for i, c := range a.Data.Cells {
		if cov[i].ID != c.Cell.String() {
			return nil
		}
		if c.Population > 0 && !tc.IsCovered(i) {
			out = append(out, cov[i])
		}
	}
	return out
}

// MetadataFeature is the row of an export's metadata layer for one
// analysis: how distances were measured (method, detour, the network's
// source and SHA-256, or the straight-line warning), the population note
// and the data-quality summary. Its point is the centre of the data, so
// that GIS tools list it beside the layers.
func MetadataFeature(a *coverage.Analysis) coverage.LayerFeature {
	var b orb.Bound
	for i, c := range a.Data.Cells {
		p := spatial.Center(c.Cell)
		if i == 0 {
			b = orb.Bound{Min: p, Max: p}
		}
		b = b.Extend(p)
	}
	warn, warnZH := a.DistanceWarning()
	q := a.QualitySummary()
	props := map[string]any{
		"dataset": a.Data.Name, "method": a.Method, "approximate": a.Method == "euclidean", "detour": a.Detour,
		"distance_warning": warn, "distance_warning_zh": warnZH, "population_note": a.Data.PopulationNote,
		"network_source": nil, "network_sha256": nil, "network_imported": nil,
		"types_none_mapped": strings.Join(q.NoneMapped, ","), "types_likely_incomplete": strings.Join(q.LikelyIncomplete, ","),
		"data_quality_note": q.Note, "data_quality_note_zh": q.NoteZH,
	}
	if n := a.Network; n != nil {
		props["network_source"], props["network_sha256"], props["network_imported"] = n.Source, n.SHA256, n.Imported
	}
	return coverage.LayerFeature{ID: a.Data.Name, Geometry: b.Center(), Properties: props}
}

// CopyStats counts what CopyStore copied.
type CopyStats struct {
	Datasets, Scenarios, Proposals, PlanItems, Layers, Audit int
}

// CopyStore copies datasets from src to dst with everything that belongs to
// them: catalogue, scenarios and their proposals, plan items and stored
// layers, and the audit entries of those datasets and of no dataset (user
// management). Users and their tokens are never copied. names empty copies
// every dataset.
func CopyStore(ctx context.Context, dst coverage.Store, src coverage.Store, names []string) (CopyStats, error) {
	return CopyStoreSkipping(ctx, dst, src, names, nil)
}

// CopyStoreSkipping is CopyStore without the stored layers for which skip
// is true (an export writes those from its own analysis).
func CopyStoreSkipping(ctx context.Context, dst coverage.Store, src coverage.Store, names []string, skip func(dataset, layer string) bool) (CopyStats, error) {
	c := &storeCopier{ctx: ctx, dst: dst, src: src, skip: skip}
	if len(names) == 0 {
		var err error
		if names, err = src.Datasets(ctx); err != nil {
			return c.st, err
		}
	}
	for _, name := range names {
		if err := c.dataset(name); err != nil {
			return c.st, err
		}
	}
	return c.st, c.audit(names)
}

// storeCopier copies datasets between two stores and counts what it
// copied.
type storeCopier struct {
	ctx      context.Context
	dst, src coverage.Store
	skip     func(dataset, layer string) bool
	st       CopyStats
}

// dataset copies one dataset with its scenarios and their proposals, its
// walking network, plan items and stored layers.
func (c *storeCopier) dataset(name string) error {
	cat, ds, err := c.src.LoadDataset(c.ctx, name)
	if err != nil {
		return err
	}
	if err := c.dst.SaveDataset(c.ctx, cat, ds); err != nil {
		return fmt.Errorf("dataset %s: %w", name, err)
	}
	c.st.Datasets++
	for _, step := range []func(string) error{c.scenarios, c.network, c.planItems, c.layers} {
		if err := step(name); err != nil {
			return err
		}
	}
	return nil
}

// scenarios copies the dataset's scenarios and their proposals.
func (c *storeCopier) scenarios(name string) error {
	scenarios, err := c.src.Scenarios(c.ctx, name)
	if err != nil {
		return err
	}
	for _, sc := range scenarios {
		if err := c.dst.SaveScenario(c.ctx, sc); err != nil {
			return fmt.Errorf("scenario %s: %w", sc.ID, err)
		}
		c.st.Scenarios++
		ps, err := c.src.Proposals(c.ctx, sc.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := c.dst.AddProposal(c.ctx, p); err != nil {
				return fmt.Errorf("proposal %s: %w", p.ID, err)
			}
			c.st.Proposals++
		}
	}
	return nil
}

// network copies the walking network, so the copy measures the same way.
func (c *storeCopier) network(name string) error {
	sn, ok := c.src.(coverage.NetworkStore)
	if !ok {
		return nil
	}
	dn, ok := c.dst.(coverage.NetworkStore)
	if !ok {
		return nil
	}
	n, err := sn.Network(c.ctx, name)
	switch {
	case err == nil:
		if err := dn.SaveNetwork(c.ctx, name, n); err != nil {
			return fmt.Errorf("walking network of %s: %w", name, err)
		}
	case !errors.Is(err, coverage.ErrNotFound):
		return err
	}
	return nil
}

// planItems copies the dataset's plan items.
func (c *storeCopier) planItems(name string) error {
	items, err := c.src.PlanItems(c.ctx, name)
	if err != nil {
		return err
	}
	if len(items) > 0 {
		if err := c.dst.SavePlanItems(c.ctx, name, items); err != nil {
			return err
		}
		c.st.PlanItems += len(items)
	}
	return nil
}

// layers copies the dataset's stored layers but those skip leaves out.
func (c *storeCopier) layers(name string) error {
	layers, err := c.src.Layers(c.ctx, name)
	if err != nil {
		return err
	}
	for _, l := range layers {
		if c.skip != nil && c.skip(name, l) {
			continue
		}
		fs, err := c.src.Layer(c.ctx, name, l)
		if err != nil {
			return err
		}
		if err := c.dst.SaveLayer(c.ctx, name, l, fs); err != nil {
			return fmt.Errorf("layer %s: %w", l, err)
		}
		c.st.Layers++
	}
	return nil
}

// audit copies the audit entries of the datasets copied and of no dataset
// (user management), a thousand at a time.
func (c *storeCopier) audit(names []string) error {
	keep := map[string]bool{"": true}
	for _, n := range names {
		keep[n] = true
	}
	for after := int64(0); ; {
		entries, err := c.src.Audit(c.ctx, coverage.AuditQuery{After: after, Limit: 1000})
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return nil
		}
		var batch []coverage.AuditEntry
		for _, e := range entries {
			if keep[e.Dataset] {
				batch = append(batch, e)
			}
		}
		if err := c.dst.AppendAudit(c.ctx, batch); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		c.st.Audit += len(batch)
		after = entries[len(entries)-1].Seq
	}
}
