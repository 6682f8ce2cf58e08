package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// Store is a coverage.Store that can also read its computed layers back,
// which is what an export needs. Both OpenGeoPackage and OpenPostGIS return
// one.
type Store interface {
	coverage.Store
	// Layers lists the names of the layers stored for a dataset, sorted.
	Layers(ctx context.Context, dataset string) ([]string, error)
	// Layer returns the features of one stored layer in the order they were
	// saved (ErrNotFound when there is none). Property values come back as
	// JSON decodes them: numbers are float64, lists []any.
	Layer(ctx context.Context, dataset, name string) ([]coverage.LayerFeature, error)
}

// OpenStore opens the GeoPackage file at path or the PostgreSQL database at
// pgURL; exactly one must be given.
func OpenStore(ctx context.Context, path, pgURL string) (Store, error) {
	switch {
	case path != "" && pgURL != "":
		return nil, invalid("give either a GeoPackage file (--store) or a PostgreSQL URL (--pg), not both")
	case path != "":
		return OpenGeoPackage(path)
	case pgURL != "":
		return OpenPostGIS(ctx, pgURL)
	}
	return nil, invalid("no store given: use --store FILE.gpkg or --pg URL")
}

// Progress is told how far a long store write has got: stage names what is
// being written ("facilities", "population_cells", …), done counts the rows
// written so far out of total for the whole write.
type Progress func(stage string, done, total int)

type progressKey struct{}

// WithProgress returns a context that makes SaveDataset report its progress
// to fn.
func WithProgress(ctx context.Context, fn Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func progressOf(ctx context.Context) Progress {
	if fn, ok := ctx.Value(progressKey{}).(Progress); ok && fn != nil {
		return fn
	}
	return func(string, int, int) {}
}

// progressEvery is how many rows pass between two progress reports.
const progressEvery = 5000

// storeTime is how times are kept: UTC, to the microsecond (PostgreSQL's
// precision), so both stores give back exactly what the other would.
func storeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return storeTime(t).Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %v", s, err)
	}
	return t.UTC(), nil
}

// catalogJSON is the catalogue as stored: the file format ParseCatalog reads.
func catalogJSON(cat *coverage.Catalog) ([]byte, error) {
	return json.Marshal(struct {
		Types []coverage.FacilityType `json:"types"`
	}{cat.Types})
}

func parseStoredCatalog(dataset string, b []byte) (*coverage.Catalog, error) {
	cat, err := coverage.ParseCatalog("catalogue of stored dataset "+dataset, b)
	if err != nil {
		return nil, fmt.Errorf("store is damaged: %w", err)
	}
	return cat, nil
}

// checkDataset is what both stores require of SaveDataset.
func checkDataset(cat *coverage.Catalog, ds *coverage.Dataset) error {
	if cat == nil || ds == nil {
		return invalid("SaveDataset needs a catalogue and a dataset")
	}
	if err := checkName("dataset name", ds.Name); err != nil {
		return err
	}
	for i, u := range ds.Units {
		if _, err := coverage.ParseUnitLevel(string(u.Level)); err != nil {
			return fmt.Errorf("admin unit %d (%s): %w", i+1, u.Code, err)
		}
	}
	return ds.Validate(cat)
}

func checkName(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return invalid("%s is empty", what)
	case len(s) > 200:
		return invalid("%s %.40q… is longer than 200 bytes", what, s)
	}
	return nil
}

func checkScenario(s coverage.Scenario) error {
	if err := checkName("scenario id", s.ID); err != nil {
		return err
	}
	if err := checkName("scenario dataset", s.Dataset); err != nil {
		return err
	}
	if err := checkName("scenario name", s.Name); err != nil {
		return err
	}
	for i, c := range s.Changes {
		switch c.Kind {
		case coverage.Add, coverage.Move, coverage.Remove:
		default:
			return invalid("scenario %s: change %d: kind %q is not one of add, move, remove", s.ID, i+1, c.Kind)
		}
	}
	return nil
}

func checkProposal(p coverage.Proposal) error {
	if err := checkName("proposal id", p.ID); err != nil {
		return err
	}
	if err := checkName("proposal scenario_id", p.ScenarioID); err != nil {
		return err
	}
	for i, f := range p.Facilities {
		if err := spatial.CheckLonLat(f.Location); err != nil {
			return invalid("proposal %s: facility %d: %v", p.ID, i+1, err)
		}
	}
	if len(p.Shown) > 0 && !json.Valid(p.Shown) {
		return invalid("proposal %s: shown is not valid JSON", p.ID)
	}
	return nil
}

// checkPlanItems fills in the dataset of each item and checks ids, sites
// and states.
func checkPlanItems(dataset string, items []coverage.PlanItem) ([]coverage.PlanItem, error) {
	out := make([]coverage.PlanItem, len(items))
	ids := make(map[string]bool, len(items))
	for i, it := range items {
		where := fmt.Sprintf("plan item %d (%s)", i+1, it.ID)
		if it.Dataset != "" && it.Dataset != dataset {
			return nil, invalid("%s: belongs to dataset %q, not %q", where, it.Dataset, dataset)
		}
		it.Dataset = dataset
		if it.ID == "" || ids[it.ID] {
			return nil, invalid("%s: id is empty or repeated", where)
		}
		ids[it.ID] = true
		if err := checkName(where+": type", it.Type); err != nil {
			return nil, err
		}
		if err := spatial.CheckLonLat(it.Location); err != nil {
			return nil, invalid("%s: %v", where, err)
		}
		st, err := coverage.ParseStatus(string(it.Status))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		it.Status = st
		out[i] = it
	}
	return out, nil
}

func checkLayer(dataset, name string) error {
	if err := checkName("dataset name", dataset); err != nil {
		return err
	}
	if err := checkName("layer name", name); err != nil {
		return err
	}
	if len(name) > 100 {
		return invalid("layer name %q is longer than 100 bytes", name)
	}
	return nil
}

// propertiesJSON encodes a feature's properties (an empty map for none).
func propertiesJSON(p map[string]any) ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(p)
}

func decodeProperties(b []byte) (map[string]any, error) {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("stored layer properties: %v", err)
	}
	return p, nil
}

// sites is the multipoint of a proposal's facilities (nil when there are none).
func sites(fs []coverage.Facility) orb.Geometry {
	if len(fs) == 0 {
		return nil
	}
	mp := make(orb.MultiPoint, len(fs))
	for i, f := range fs {
		mp[i] = f.Location
	}
	return mp
}

func notFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, coverage.ErrNotFound)...)
}

// isNotFound reports whether err is the domain's not-found error.
func isNotFound(err error) bool { return errors.Is(err, coverage.ErrNotFound) }
