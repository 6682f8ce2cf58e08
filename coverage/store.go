package coverage

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Store keeps what planners and street officials make so that it survives
// restarts and crashes: datasets, scenarios, proposals and plan items,
// computed layers, users and the audit. An acknowledged write (a method
// that returned nil) is durable, and every write records the WriteNote of
// its context in the same transaction. Implementations: a GeoPackage file (data/gpkgstore), PostgreSQL +
// PostGIS (data/pgstore) and memory (data/memstore); data/storetest is the
// conformance suite every one of them passes.
type Store interface {
	// SaveDataset stores (or replaces) a dataset and the catalogue in
	// force for it, all or nothing: readers see the old one or the new one.
	SaveDataset(ctx context.Context, cat *Catalog, ds *Dataset) error
	// LoadDataset returns a stored dataset and its catalogue (ErrNotFound
	// when there is none by that name).
	LoadDataset(ctx context.Context, name string) (*Catalog, *Dataset, error)
	// Datasets lists the stored dataset names.
	Datasets(ctx context.Context) ([]string, error)

	// SaveScenario creates or replaces a scenario (its changes included).
	SaveScenario(ctx context.Context, s Scenario) error
	// Scenario returns one scenario (ErrNotFound when absent).
	Scenario(ctx context.Context, id string) (Scenario, error)
	// Scenarios lists the scenarios of a dataset, oldest first.
	Scenarios(ctx context.Context, dataset string) ([]Scenario, error)
	// DeleteScenario removes a scenario and its proposals.
	DeleteScenario(ctx context.Context, id string) error

	// AddProposal records a proposal with the figures its author was shown.
	AddProposal(ctx context.Context, p Proposal) error
	// Proposals lists the proposals of a scenario, oldest first.
	Proposals(ctx context.Context, scenarioID string) ([]Proposal, error)

	// SavePlanItems replaces the plan items of a dataset.
	SavePlanItems(ctx context.Context, dataset string, items []PlanItem) error
	// PlanItems lists the plan items of a dataset by year, then id.
	PlanItems(ctx context.Context, dataset string) ([]PlanItem, error)

	// SaveLayer stores a computed layer (e.g. "gaps/kindergarten") of a
	// dataset as GeoJSON features, replacing any previous one.
	SaveLayer(ctx context.Context, dataset, name string, features []LayerFeature) error
	// Layers lists the names of the layers stored for a dataset, sorted.
	Layers(ctx context.Context, dataset string) ([]string, error)
	// Layer returns the features of one stored layer in the order they were
	// saved (ErrNotFound when there is none). Property values come back as
	// JSON decodes them: numbers are float64, lists []any.
	Layer(ctx context.Context, dataset, name string) ([]LayerFeature, error)

	// AddUser records a user with the credential of their token. The name
	// must not belong to another active user (ErrInvalid).
	AddUser(ctx context.Context, u User, c Credential) error
	// RevokeUser makes the active user of that name lose their token for
	// good (ErrNotFound when there is none).
	RevokeUser(ctx context.Context, name string) error
	// Users lists every user, revoked ones included, oldest first.
	Users(ctx context.Context) ([]User, error)
	// UserByID returns a user and their credential by token id
	// (ErrNotFound when unknown; a revoked user is returned as such).
	UserByID(ctx context.Context, id string) (User, Credential, error)

	// AppendAudit adds entries to the audit as they are (an export copies
	// them); writes record their own through WithWriteNote.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// Audit lists audit entries, oldest first.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// Replay returns the answer stored for a user's idempotency key
	// (ErrNotFound when the key is new).
	Replay(ctx context.Context, user, key string) (Replay, error)
	// Version returns the version of a record (ScenarioVersionKey,
	// PlanVersionKey): 0 before any write named it in its VersionNote.
	Version(ctx context.Context, key string) (int64, error)

	Close() error
}

// ChangeKind is what a scenario does to one facility.
type ChangeKind string

// A scenario adds, moves or removes facilities; the baseline never changes.
const (
	Add    ChangeKind = "add"
	Move   ChangeKind = "move"
	Remove ChangeKind = "remove"
)

// Change is one edit of a scenario. Add gives the whole new facility; Move
// gives FacilityID and the new Facility.Location (other fields of Facility
// replace the old ones when set); Remove gives FacilityID.
type Change struct {
	Kind       ChangeKind `json:"kind"`
	FacilityID string     `json:"facility_id,omitempty"`
	Facility   Facility   `json:"facility,omitempty"`
}

// Scenario is a named set of changes to a dataset's baseline.
type Scenario struct {
	ID          string    `json:"id"`
	Dataset     string    `json:"dataset"`
	Name        string    `json:"name"`
	Author      string    `json:"author,omitempty"`
	Unit        string    `json:"unit,omitempty"` // jurisdiction (admin unit code) it is limited to, if any
	Created     time.Time `json:"created"`
	Changes     []Change  `json:"changes"`
	Description string    `json:"description,omitempty"`
}

// Proposal is a street official's proposed site(s), kept with who, when,
// which jurisdiction and the figures they were shown (as JSON).
type Proposal struct {
	ID         string     `json:"id"`
	ScenarioID string     `json:"scenario_id"`
	Author     string     `json:"author,omitempty"`
	Unit       string     `json:"unit,omitempty"`
	Created    time.Time  `json:"created"`
	Facilities []Facility `json:"facilities"`
	Shown      []byte     `json:"shown,omitempty"` // the answer the author saw, JSON
}

// PlanItem is one facility of the multi-year construction plan.
type PlanItem struct {
	ID       string    `json:"id"`
	Dataset  string    `json:"dataset"`
	Type     string    `json:"type"`
	Name     string    `json:"name,omitempty"`
	Location orb.Point `json:"location"` // WGS84 [lon, lat]
	Year     int       `json:"year"`
	Status   Status    `json:"status"`
	Cost     float64   `json:"cost,omitempty"` // 10k yuan (万元) unless the plan says otherwise
	Unit     string    `json:"unit,omitempty"`
}

// LayerFeature is one feature of a stored computed layer.
type LayerFeature struct {
	ID         string
	Geometry   orb.Geometry
	Properties map[string]any
}

// StoredNetwork is the walking network (the OSM extract itself) a dataset
// was imported with, so that every later analysis of the stored dataset
// measures on the same network without being told again.
type StoredNetwork struct {
	Name     string    // the extract's file name as imported
	SHA256   string    // of Extract
	Imported time.Time // UTC
	Extract  []byte    // OSM PBF or XML
}

// NetworkStore is a Store that keeps each dataset's walking network. All
// three stores (GeoPackage, PostgreSQL, memory) are; a store that is not
// keeps no network, and its datasets are analysed by straight line unless
// one is given.
type NetworkStore interface {
	// SaveNetwork stores (or replaces) the network of a stored dataset.
	SaveNetwork(ctx context.Context, dataset string, n StoredNetwork) error
	// Network returns the network of a dataset (ErrNotFound when none).
	Network(ctx context.Context, dataset string) (StoredNetwork, error)
}
