// Package memstore is a coverage.Store in memory: what a server started
// without a store file uses, so that scenarios, proposals and plans work
// there too (until it stops), and what the API tests use. It passes the
// same conformance suite (storetest) as the GeoPackage and PostGIS stores:
// it checks writes with the same rules and gives back copies, never the
// caller's values.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"lifecircle/coverage"
	"lifecircle/data/store"
)

var _ coverage.Store = (*Store)(nil)

// Store keeps everything in maps under one lock. Close keeps the contents:
// the value is its own "file", and using it again after Close is reopening.
type Store struct {
	mu        sync.RWMutex
	datasets  map[string]*dataset
	scenarios map[string]*scenario
	users     []user
	audit     []coverage.AuditEntry
	replays   map[[2]string]coverage.Replay // by user, key
	versions  map[string]int64              // coverage.VersionNote keys
}

type user struct {
	u    coverage.User
	cred coverage.Credential
}

type dataset struct {
	catalog []byte // the catalogue as stored (JSON), parsed on load
	ds      coverage.Dataset
	plan    []coverage.PlanItem
	layers  map[string][]storedFeature
	network *coverage.StoredNetwork
}

type scenario struct {
	s         coverage.Scenario
	seq       int
	proposals []coverage.Proposal
}

type storedFeature struct {
	id         string
	geometry   orb.Geometry
	properties []byte // JSON, so values come back as JSON decodes them
}

// New returns an empty store.
func New() *Store {
	return &Store{datasets: map[string]*dataset{}, scenarios: map[string]*scenario{}, replays: map[[2]string]coverage.Replay{}, versions: map[string]int64{}}
}

// Close does nothing: the contents stay for the next use.
func (m *Store) Close() error { return nil }

// SaveDataset stores (or replaces) a dataset and its catalogue; readers see
// the old one or the new one.
func (m *Store) SaveDataset(ctx context.Context, cat *coverage.Catalog, ds *coverage.Dataset) (err error) {
	if err := store.CheckDataset(cat, ds); err != nil {
		return err
	}
	catJSON, err := store.CatalogJSON(cat)
	if err != nil {
		return err
	}
	c := copyDataset(ds)
	total := len(ds.Facilities) + len(ds.Cells) + len(ds.Units)
	store.ProgressOf(ctx)("commit", total, total)
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	// a replaced dataset loses its old network; the one given with it
	// (store.WithNetwork) is kept
	var network *coverage.StoredNetwork
	if n := store.NetworkOf(ctx); n != nil {
		if err := store.CheckNetwork(*n); err != nil {
			return err
		}
		network = copyNetwork(*n)
	}
	if old, ok := m.datasets[ds.Name]; ok {
		old.catalog, old.ds, old.network = catJSON, c, network
		return nil
	}
	m.datasets[ds.Name] = &dataset{catalog: catJSON, ds: c, layers: map[string][]storedFeature{}, network: network}
	return nil
}

func copyNetwork(n coverage.StoredNetwork) *coverage.StoredNetwork {
	n.Extract = append([]byte(nil), n.Extract...)
	n.Imported = store.Time(n.Imported)
	return &n
}

func copyDataset(ds *coverage.Dataset) coverage.Dataset {
	c := *ds
	c.Facilities = slices.Clone(ds.Facilities)
	c.Cells = slices.Clone(ds.Cells)
	c.Units = slices.Clone(ds.Units)
	for i := range c.Units {
		if c.Units[i].Geometry != nil {
			c.Units[i].Geometry = c.Units[i].Geometry.Clone()
		}
		if len(c.Units[i].Geometry) == 0 {
			c.Units[i].Geometry = nil
		}
	}
	if len(c.Facilities) == 0 {
		c.Facilities = nil
	}
	if len(c.Cells) == 0 {
		c.Cells = nil
	}
	if len(c.Units) == 0 {
		c.Units = nil
	}
	return c
}

// LoadDataset returns a copy of a stored dataset and its catalogue.
func (m *Store) LoadDataset(_ context.Context, name string) (*coverage.Catalog, *coverage.Dataset, error) {
	m.mu.RLock()
	d, ok := m.datasets[name]
	var catJSON []byte
	var c coverage.Dataset
	if ok {
		catJSON, c = d.catalog, copyDataset(&d.ds)
	}
	m.mu.RUnlock()
	if !ok {
		return nil, nil, store.DatasetNotFound(name)
	}
	cat, err := store.ParseCatalog(name, catJSON)
	if err != nil {
		return nil, nil, err
	}
	return cat, &c, nil
}

// Datasets lists the stored dataset names, sorted.
func (m *Store) Datasets(context.Context) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var names []string
	for n := range m.datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// roundTrip copies v through JSON, as the other stores keep it.
func roundTrip[T any](v T) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

// SaveScenario creates or replaces a scenario; its proposals stay.
func (m *Store) SaveScenario(ctx context.Context, s coverage.Scenario) (err error) {
	if err := store.CheckScenario(s); err != nil {
		return err
	}
	c, err := roundTrip(s)
	if err != nil {
		return err
	}
	c.Created = store.Time(s.Created)
	if len(c.Changes) == 0 {
		c.Changes = nil
	}
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	if _, ok := m.datasets[s.Dataset]; !ok {
		return store.DatasetNotFound(s.Dataset)
	}
	if old, ok := m.scenarios[s.ID]; ok {
		old.s = c
		return nil
	}
	m.scenarios[s.ID] = &scenario{s: c, seq: len(m.scenarios)}
	return nil
}

// Scenario returns one scenario.
func (m *Store) Scenario(_ context.Context, id string) (coverage.Scenario, error) {
	m.mu.RLock()
	sc, ok := m.scenarios[id]
	m.mu.RUnlock()
	if !ok {
		return coverage.Scenario{}, store.ScenarioNotFound(id)
	}
	return copyScenario(sc.s)
}

func copyScenario(s coverage.Scenario) (coverage.Scenario, error) {
	c, err := roundTrip(s)
	if len(c.Changes) == 0 {
		c.Changes = nil
	}
	c.Created = s.Created
	return c, err
}

// Scenarios lists the scenarios of a dataset, oldest first.
func (m *Store) Scenarios(_ context.Context, dataset string) ([]coverage.Scenario, error) {
	m.mu.RLock()
	if _, ok := m.datasets[dataset]; !ok {
		m.mu.RUnlock()
		return nil, store.DatasetNotFound(dataset)
	}
	var list []*scenario
	for _, sc := range m.scenarios {
		if sc.s.Dataset == dataset {
			list = append(list, sc)
		}
	}
	m.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].s.Created.Equal(list[j].s.Created) {
			return list[i].s.Created.Before(list[j].s.Created)
		}
		return list[i].seq < list[j].seq
	})
	out := make([]coverage.Scenario, 0, len(list))
	for _, sc := range list {
		c, err := copyScenario(sc.s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteScenario removes a scenario and its proposals.
func (m *Store) DeleteScenario(ctx context.Context, id string) (err error) {
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	if _, ok := m.scenarios[id]; !ok {
		return store.ScenarioNotFound(id)
	}
	delete(m.scenarios, id)
	return nil
}

// AddProposal records a proposal of an existing scenario.
func (m *Store) AddProposal(ctx context.Context, p coverage.Proposal) (err error) {
	if err := store.CheckProposal(p); err != nil {
		return err
	}
	c, err := copyProposal(p)
	if err != nil {
		return err
	}
	c.Created = store.Time(p.Created)
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	sc, ok := m.scenarios[p.ScenarioID]
	if !ok {
		return store.ScenarioNotFound(p.ScenarioID)
	}
	for _, s := range m.scenarios {
		for _, q := range s.proposals {
			if q.ID == p.ID {
				return store.Invalid("proposal id %q already exists", p.ID)
			}
		}
	}
	// Oldest first: insert after every proposal created no later.
	i := sort.Search(len(sc.proposals), func(i int) bool { return sc.proposals[i].Created.After(c.Created) })
	sc.proposals = slices.Insert(sc.proposals, i, c)
	return nil
}

func copyProposal(p coverage.Proposal) (coverage.Proposal, error) {
	shown := p.Shown
	p.Shown = nil
	c, err := roundTrip(p)
	if err != nil {
		return c, err
	}
	if len(c.Facilities) == 0 {
		c.Facilities = nil
	}
	if len(shown) > 0 {
		c.Shown = slices.Clone(shown)
	}
	c.Created = p.Created
	return c, nil
}

// Proposals lists the proposals of a scenario, oldest first.
func (m *Store) Proposals(_ context.Context, scenarioID string) ([]coverage.Proposal, error) {
	m.mu.RLock()
	sc, ok := m.scenarios[scenarioID]
	var ps []coverage.Proposal
	if ok {
		ps = slices.Clone(sc.proposals)
	}
	m.mu.RUnlock()
	if !ok {
		return nil, store.ScenarioNotFound(scenarioID)
	}
	out := make([]coverage.Proposal, 0, len(ps))
	for _, p := range ps {
		c, err := copyProposal(p)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SavePlanItems replaces the plan items of a dataset.
func (m *Store) SavePlanItems(ctx context.Context, dataset string, items []coverage.PlanItem) (err error) {
	m.mu.RLock()
	_, ok := m.datasets[dataset]
	m.mu.RUnlock()
	if !ok {
		return store.DatasetNotFound(dataset)
	}
	checked, err := store.CheckPlanItems(dataset, items)
	if err != nil {
		return err
	}
	sort.SliceStable(checked, func(i, j int) bool {
		if checked[i].Year != checked[j].Year {
			return checked[i].Year < checked[j].Year
		}
		return checked[i].ID < checked[j].ID
	})
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	d, ok := m.datasets[dataset]
	if !ok {
		return store.DatasetNotFound(dataset)
	}
	d.plan = checked
	return nil
}

// PlanItems lists the plan items of a dataset by year, then id.
func (m *Store) PlanItems(_ context.Context, dataset string) ([]coverage.PlanItem, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.datasets[dataset]
	if !ok {
		return nil, store.DatasetNotFound(dataset)
	}
	if len(d.plan) == 0 {
		return nil, nil
	}
	return slices.Clone(d.plan), nil
}

// SaveLayer stores a computed layer of a dataset, replacing a previous one.
func (m *Store) SaveLayer(ctx context.Context, dataset, name string, features []coverage.LayerFeature) (err error) {
	if err := store.CheckLayer(dataset, name); err != nil {
		return err
	}
	out := make([]storedFeature, len(features))
	for i, f := range features {
		props, err := store.PropertiesJSON(f.Properties)
		if err != nil {
			return fmt.Errorf("layer %s: feature %d (%s): properties: %v: %w", name, i+1, f.ID, err, coverage.ErrInvalid)
		}
		var g orb.Geometry
		if f.Geometry != nil {
			g = orb.Clone(store.Normalize(f.Geometry))
		}
		out[i] = storedFeature{id: f.ID, geometry: g, properties: props}
	}
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	d, ok := m.datasets[dataset]
	if !ok {
		return store.DatasetNotFound(dataset)
	}
	d.layers[name] = out
	return nil
}

// Layers lists the names of a dataset's stored layers, sorted.
func (m *Store) Layers(_ context.Context, dataset string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.datasets[dataset]
	if !ok {
		return nil, store.DatasetNotFound(dataset)
	}
	var names []string
	for n := range d.layers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// Layer returns the features of one stored layer in the order saved.
func (m *Store) Layer(_ context.Context, dataset, name string) ([]coverage.LayerFeature, error) {
	m.mu.RLock()
	d, ok := m.datasets[dataset]
	var fs []storedFeature
	have := false
	if ok {
		fs, have = d.layers[name]
	}
	m.mu.RUnlock()
	switch {
	case !ok:
		return nil, store.DatasetNotFound(dataset)
	case !have:
		return nil, store.NotFound("dataset %q has no stored layer %q", dataset, strings.TrimSpace(name))
	}
	out := make([]coverage.LayerFeature, len(fs))
	for i, f := range fs {
		props, err := store.DecodeProperties(f.properties)
		if err != nil {
			return nil, err
		}
		var g orb.Geometry
		if f.geometry != nil {
			g = orb.Clone(f.geometry)
		}
		out[i] = coverage.LayerFeature{ID: f.id, Geometry: g, Properties: props}
	}
	return out, nil
}

// lockWrite takes the write lock and refuses a write whose idempotency key
// was used before (the note is recorded by unlockWrite).
func (m *Store) lockWrite(ctx context.Context) error {
	m.mu.Lock()
	if n, ok := coverage.WriteNoteOf(ctx); ok && n.Replay != nil {
		if _, used := m.replays[[2]string{n.Replay.User, n.Replay.Key}]; used {
			m.mu.Unlock()
			return store.KeyReused(n.Replay.Key)
		}
	}
	if n, ok := coverage.WriteNoteOf(ctx); ok && n.Version != nil && n.Version.Check {
		if have := m.versions[n.Version.Key]; have != n.Version.Expect {
			m.mu.Unlock()
			return store.Stale(n.Version.Key, n.Version.Expect, have)
		}
	}
	return nil
}

// unlockWrite records the context's write note when the write succeeded,
// and releases the lock.
func (m *Store) unlockWrite(ctx context.Context, err *error) {
	defer m.mu.Unlock()
	if *err != nil {
		return
	}
	n, ok := coverage.WriteNoteOf(ctx)
	if !ok {
		return
	}
	if n.Audit != nil {
		e := *n.Audit
		e.At = store.Time(e.At)
		e.Detail = slices.Clone(e.Detail)
		e.Seq = int64(len(m.audit) + 1)
		m.audit = append(m.audit, e)
	}
	if n.Replay != nil {
		r := *n.Replay
		r.Body = slices.Clone(r.Body)
		r.Created = store.Time(r.Created)
		m.replays[[2]string{r.User, r.Key}] = r
	}
	if v := n.Version; v != nil {
		m.versions[v.Key]++
		if v.Got != nil {
			*v.Got = m.versions[v.Key]
		}
	}
}

// Version returns the version of a record (0: never written).
func (m *Store) Version(_ context.Context, key string) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.versions[key], nil
}

// AddUser records a user and the credential of their token.
func (m *Store) AddUser(ctx context.Context, u coverage.User, c coverage.Credential) (err error) {
	if err := store.CheckUser(u, c); err != nil {
		return err
	}
	u.Units = slices.Clone(u.Units)
	u.Created, u.Revoked = store.Time(u.Created), time.Time{}
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	for _, x := range m.users {
		if x.u.ID == u.ID {
			return store.Invalid("user id %q already exists", u.ID)
		}
		if x.u.Name == u.Name && x.u.Active() {
			return store.Invalid("an active user is already called %q (revoke them first)", u.Name)
		}
	}
	m.users = append(m.users, user{u, coverage.Credential{Salt: slices.Clone(c.Salt), Hash: slices.Clone(c.Hash)}})
	return nil
}

// RevokeUser revokes the active user of that name.
func (m *Store) RevokeUser(ctx context.Context, name string) (err error) {
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	for i := range m.users {
		if m.users[i].u.Name == name && m.users[i].u.Active() {
			m.users[i].u.Revoked = store.Time(time.Now())
			return nil
		}
	}
	return store.NotFound("no active user is called %q", name)
}

// Users lists every user, oldest first.
func (m *Store) Users(context.Context) ([]coverage.User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]coverage.User, len(m.users))
	for i, x := range m.users {
		out[i] = x.u
		out[i].Units = slices.Clone(x.u.Units)
	}
	return out, nil
}

// UserByID returns a user and their credential by token id.
func (m *Store) UserByID(_ context.Context, id string) (coverage.User, coverage.Credential, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, x := range m.users {
		if x.u.ID == id {
			u := x.u
			u.Units = slices.Clone(u.Units)
			return u, coverage.Credential{Salt: slices.Clone(x.cred.Salt), Hash: slices.Clone(x.cred.Hash)}, nil
		}
	}
	return coverage.User{}, coverage.Credential{}, store.NotFound("no user has token id %q", id)
}

// AppendAudit adds entries to the audit as they are.
func (m *Store) AppendAudit(ctx context.Context, entries []coverage.AuditEntry) (err error) {
	for _, e := range entries {
		if err := store.CheckAudit(e); err != nil {
			return err
		}
	}
	if err := m.lockWrite(ctx); err != nil {
		return err
	}
	defer m.unlockWrite(ctx, &err)
	for _, e := range entries {
		e.At = store.Time(e.At)
		e.Detail = slices.Clone(e.Detail)
		e.Seq = int64(len(m.audit) + 1)
		m.audit = append(m.audit, e)
	}
	return nil
}

// Audit lists audit entries, oldest first.
func (m *Store) Audit(_ context.Context, q coverage.AuditQuery) ([]coverage.AuditEntry, error) {
	limit := store.AuditLimit(q.Limit)
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []coverage.AuditEntry
	for _, e := range m.audit {
		if e.Seq <= q.After || (q.Dataset != "" && e.Dataset != q.Dataset) ||
			(q.Scenario != "" && e.Scenario != q.Scenario) || (q.User != "" && e.User != q.User) {
			continue
		}
		if len(out) == limit {
			break
		}
		e.Detail = slices.Clone(e.Detail)
		out = append(out, e)
	}
	return out, nil
}

// Replay returns the answer stored for a user's idempotency key.
func (m *Store) Replay(_ context.Context, user, key string) (coverage.Replay, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.replays[[2]string{user, key}]
	if !ok {
		return r, store.NotFound("idempotency key %q is new", key)
	}
	r.Body = slices.Clone(r.Body)
	return r, nil
}

var _ coverage.NetworkStore = (*Store)(nil)

// SaveNetwork keeps the walking network of a stored dataset.
func (m *Store) SaveNetwork(ctx context.Context, dataset string, n coverage.StoredNetwork) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := store.CheckNetwork(n); err != nil {
		return err
	}
	d, ok := m.datasets[dataset]
	if !ok {
		return store.DatasetNotFound(dataset)
	}
	d.network = copyNetwork(n)
	return nil
}

// Network returns the walking network of a dataset.
func (m *Store) Network(ctx context.Context, dataset string) (coverage.StoredNetwork, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	d, ok := m.datasets[dataset]
	if !ok || d.network == nil {
		return coverage.StoredNetwork{}, store.NotFound("dataset %q has no stored walking network", dataset)
	}
	return *copyNetwork(*d.network), nil
}
