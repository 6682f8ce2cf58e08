// Package store holds what every lifecircle store shares: the checks a
// write must pass before it reaches a database, how times, catalogues and
// layer properties are encoded, and progress reporting for long writes.
// The store interface itself is the domain's (coverage.Store); the stores
// are gpkgstore (GeoPackage), pgstore (PostgreSQL + PostGIS) and memstore
// (in memory), all held to one conformance suite (storetest).
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

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

func ProgressOf(ctx context.Context) Progress {
	if fn, ok := ctx.Value(progressKey{}).(Progress); ok && fn != nil {
		return fn
	}
	return func(string, int, int) {}
}

// ProgressEvery is how many rows pass between two progress reports.
const ProgressEvery = 5000

// Time is how times are kept: UTC, to the microsecond (PostgreSQL's
// precision), so both stores give back exactly what the other would.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

const TimeLayout = "2006-01-02T15:04:05.000000Z"

func FormatTime(t time.Time) string { return Time(t).Format(TimeLayout) }

func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %v", s, err)
	}
	return t.UTC(), nil
}

// CatalogJSON is the catalogue as stored: the file format ParseCatalog reads.
func CatalogJSON(cat *coverage.Catalog) ([]byte, error) {
	return json.Marshal(struct {
		Levels []coverage.LevelBand    `json:"levels,omitempty"`
		Types  []coverage.FacilityType `json:"types"`
	}{cat.Levels, cat.Types})
}

func ParseCatalog(dataset string, b []byte) (*coverage.Catalog, error) {
	cat, err := coverage.ParseCatalog("catalogue of stored dataset "+dataset, b)
	if err != nil {
		return nil, fmt.Errorf("store is damaged: %w", err)
	}
	return cat, nil
}

// CheckDataset is what both stores require of SaveDataset.
func CheckDataset(cat *coverage.Catalog, ds *coverage.Dataset) error {
	if cat == nil || ds == nil {
		return Invalid("SaveDataset needs a catalogue and a dataset")
	}
	if err := CheckName("dataset name", ds.Name); err != nil {
		return err
	}
	for i, u := range ds.Units {
		if _, err := coverage.ParseUnitLevel(string(u.Level)); err != nil {
			return fmt.Errorf("admin unit %d (%s): %w", i+1, u.Code, err)
		}
	}
	return ds.Validate(cat)
}

func CheckName(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return Invalid("%s is empty", what)
	case len(s) > 200:
		return Invalid("%s %.40q… is longer than 200 bytes", what, s)
	}
	return nil
}

func CheckScenario(s coverage.Scenario) error {
	if err := CheckName("scenario id", s.ID); err != nil {
		return err
	}
	if err := CheckName("scenario dataset", s.Dataset); err != nil {
		return err
	}
	if err := CheckName("scenario name", s.Name); err != nil {
		return err
	}
	for i, c := range s.Changes {
		switch c.Kind {
		case coverage.Add, coverage.Move, coverage.Remove:
		default:
			return Invalid("scenario %s: change %d: kind %q is not one of add, move, remove", s.ID, i+1, c.Kind)
		}
	}
	return nil
}

func CheckProposal(p coverage.Proposal) error {
	if err := CheckName("proposal id", p.ID); err != nil {
		return err
	}
	if err := CheckName("proposal scenario_id", p.ScenarioID); err != nil {
		return err
	}
	for i, f := range p.Facilities {
		if err := spatial.CheckLonLat(f.Location); err != nil {
			return Invalid("proposal %s: facility %d: %v", p.ID, i+1, err)
		}
	}
	if len(p.Shown) > 0 && !json.Valid(p.Shown) {
		return Invalid("proposal %s: shown is not valid JSON", p.ID)
	}
	return nil
}

// CheckPlanItems fills in the dataset of each item and checks ids, sites
// and states.
func CheckPlanItems(dataset string, items []coverage.PlanItem) ([]coverage.PlanItem, error) {
	out := make([]coverage.PlanItem, len(items))
	ids := make(map[string]bool, len(items))
	for i, it := range items {
		where := fmt.Sprintf("plan item %d (%s)", i+1, it.ID)
		if it.Dataset != "" && it.Dataset != dataset {
			return nil, Invalid("%s: belongs to dataset %q, not %q", where, it.Dataset, dataset)
		}
		it.Dataset = dataset
		if it.ID == "" || ids[it.ID] {
			return nil, Invalid("%s: id is empty or repeated", where)
		}
		ids[it.ID] = true
		if err := CheckName(where+": type", it.Type); err != nil {
			return nil, err
		}
		if err := spatial.CheckLonLat(it.Location); err != nil {
			return nil, Invalid("%s: %v", where, err)
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

func CheckLayer(dataset, name string) error {
	if err := CheckName("dataset name", dataset); err != nil {
		return err
	}
	if err := CheckName("layer name", name); err != nil {
		return err
	}
	if len(name) > 100 {
		return Invalid("layer name %q is longer than 100 bytes", name)
	}
	return nil
}

// PropertiesJSON encodes a feature's properties (an empty map for none).
func PropertiesJSON(p map[string]any) ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(p)
}

func DecodeProperties(b []byte) (map[string]any, error) {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("stored layer properties: %v", err)
	}
	return p, nil
}

// Sites is the multipoint of a proposal's facilities (nil when there are none).
func Sites(fs []coverage.Facility) orb.Geometry {
	if len(fs) == 0 {
		return nil
	}
	mp := make(orb.MultiPoint, len(fs))
	for i, f := range fs {
		mp[i] = f.Location
	}
	return mp
}

func NotFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, coverage.ErrNotFound)...)
}

// ScenarioNotFound is the error of every store for a scenario id it does
// not hold, in English and Chinese.
func ScenarioNotFound(id string) error {
	return coverage.WithZH(NotFound("scenario %q does not exist", id), "方案「%s」不存在", id)
}

// DatasetNotFound is the error of every store for a dataset it does not
// hold, in English and Chinese.
func DatasetNotFound(name string) error {
	return coverage.WithZH(NotFound("dataset %q is not in the store", name), "存储中没有数据集「%s」", name)
}

// KeyReused is the error of every store for an Idempotency-Key already
// used, in English and Chinese (a coverage.ErrConflict).
func KeyReused(key string) error {
	return coverage.WithZH(fmt.Errorf("idempotency key %q was used before: %w", key, coverage.ErrConflict), "Idempotency-Key「%s」已经用过", key)
}

// IsNotFound reports whether err is the domain's not-found error.
func IsNotFound(err error) bool { return errors.Is(err, coverage.ErrNotFound) }

// Invalid is an error the caller made (coverage.ErrInvalid).
func Invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, coverage.ErrInvalid)...)
}

// NonNil is s, or an empty list for nil (stored as [] rather than null).
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Empty strings and zero numbers are stored as NULL: GIS tools show them
// as absent, and the domain reads absent as the zero value.
func NullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func NullFloat(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

func NullInt(i int) any {
	if i == 0 {
		return nil
	}
	return i
}

// Normalize turns the orb types WKB has no code for into polygons.
func Normalize(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Ring:
		return orb.Polygon{g}
	case orb.Bound:
		return g.ToPolygon()
	}
	return g
}

// SRID is the spatial reference of every stored geometry: WGS84 lon,lat.
const SRID = 4326

// CheckUser checks a user and credential before they are stored.
func CheckUser(u coverage.User, c coverage.Credential) error {
	if err := u.Check(); err != nil {
		return err
	}
	if err := CheckName("user id", u.ID); err != nil {
		return err
	}
	if len(c.Salt) < 16 || len(c.Hash) != 32 {
		return Invalid("user %s: the credential needs a salt of 16 bytes or more and a SHA-256 hash", u.Name)
	}
	return nil
}

// CheckAudit checks an audit entry before it is stored.
func CheckAudit(e coverage.AuditEntry) error {
	if err := CheckName("audit user", e.User); err != nil {
		return err
	}
	if err := CheckName("audit action", e.Action); err != nil {
		return err
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return Invalid("audit entry %s: detail is not valid JSON", e.Action)
	}
	return nil
}

// AuditLimit is the number of audit entries a query returns at most.
func AuditLimit(n int) int {
	if n <= 0 || n > 10000 {
		return 1000
	}
	return n
}

// UnitsJSON encodes a user's unit codes ([] for none).
func UnitsJSON(units []string) string {
	b, _ := json.Marshal(NonNil(units))
	return string(b)
}

// ParseUnits decodes what UnitsJSON wrote (nil for none).
func ParseUnits(s string) ([]string, error) {
	var units []string
	if err := json.Unmarshal([]byte(s), &units); err != nil {
		return nil, fmt.Errorf("store is damaged: user units %q: %v", s, err)
	}
	if len(units) == 0 {
		return nil, nil
	}
	return units, nil
}

// Stale is the error of a write whose VersionNote expects a version the
// record no longer has.
func Stale(key string, expect, have int64) error {
	return fmt.Errorf("%s is at version %d, the write expected %d: %w", key, have, expect, coverage.ErrStale)
}

// CheckResult is one thing a store's full check (lifecircle check)
// looked at, and what it found wrong (nothing when it passed).
type CheckResult struct {
	What     string
	Problems []string
}

// Checker is a store that can check itself through: every page, index
// and count, which is too slow to do at every open.
type Checker interface {
	CheckAll(ctx context.Context) ([]CheckResult, error)
}

type networkKey struct{}

// WithNetwork returns a context that makes SaveDataset store n as the
// dataset's walking network in the same transaction as the dataset, so
// that an import is whole or absent, network included. Without it a
// saved dataset has no network (a replaced one loses its old network).
func WithNetwork(ctx context.Context, n coverage.StoredNetwork) context.Context {
	return context.WithValue(ctx, networkKey{}, &n)
}

// NetworkOf is the network WithNetwork put in ctx, or nil.
func NetworkOf(ctx context.Context) *coverage.StoredNetwork {
	n, _ := ctx.Value(networkKey{}).(*coverage.StoredNetwork)
	return n
}

// CheckNetwork is what every store requires of a walking network.
func CheckNetwork(n coverage.StoredNetwork) error {
	if err := CheckName("network name", n.Name); err != nil {
		return err
	}
	if len(n.Extract) == 0 {
		return Invalid("walking network %s is empty", n.Name)
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256(n.Extract)); n.SHA256 != sum {
		return Invalid("walking network %s: sha256 %.80q is not that of the extract (%s)", n.Name, n.SHA256, sum)
	}
	return nil
}
