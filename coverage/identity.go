package coverage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Who may change the plan: users, their roles and jurisdictions, the audit
// of every write, and what makes a retried write safe.

// More domain errors: a rule forbids the action (the caller is known), and
// a write collides with another one.
var (
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
	// ErrStale: the record changed since the writer read it (its version
	// is not the one the write expects); a kind of ErrConflict.
	ErrStale = fmt.Errorf("the version read is no longer current: %w", ErrConflict)
)

// Role is what a user may do.
type Role string

// Roles, from least to most.
const (
	// Viewer reads (needed only when the server is private).
	Viewer Role = "viewer"
	// StreetOfficial works in one or more streets, communities or grids:
	// scenarios, changes and proposals inside them.
	StreetOfficial Role = "street_official"
	// Planner works in a district (units) or the whole city (no units):
	// everything a street official does there, and the plan items.
	Planner Role = "planner"
	// Admin may do everything everywhere.
	Admin Role = "admin"
)

// Roles lists the roles.
var Roles = []Role{Viewer, StreetOfficial, Planner, Admin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q is not one of viewer, street_official, planner, admin: %w", s, ErrInvalid)
}

// User is someone who holds an API token.
type User struct {
	ID      string    `json:"id"` // the public part of the token
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Units   []string  `json:"units,omitempty"` // admin unit codes of the jurisdiction; none = the whole city
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"` // zero while the token is valid
}

// Active says whether the user's token is still valid.
func (u User) Active() bool { return u.Revoked.IsZero() }

// Check checks a new user: a name, a role, and units where the role needs
// them (street officials) or allows them (planners).
func (u User) Check() error {
	switch {
	case strings.TrimSpace(u.Name) == "" || len(u.Name) > 200:
		return fmt.Errorf("user name must be 1 to 200 bytes: %w", ErrInvalid)
	case u.Role == StreetOfficial && len(u.Units) == 0:
		return fmt.Errorf("a street_official needs at least one admin unit (--unit CODE): %w", ErrInvalid)
	case (u.Role == Viewer || u.Role == Admin) && len(u.Units) > 0:
		return fmt.Errorf("a %s has no units (they are for street_official and planner): %w", u.Role, ErrInvalid)
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return err
	}
	for _, c := range u.Units {
		if strings.TrimSpace(c) == "" || len(c) > 100 {
			return fmt.Errorf("unit code %q is empty or too long: %w", c, ErrInvalid)
		}
	}
	return nil
}

// Credential is what a store keeps of a token: a random salt and
// SHA-256(salt ‖ secret). The secret is 32 random bytes, so no table of
// guesses can help and a slow hash would add nothing but latency.
type Credential struct {
	Salt []byte
	Hash []byte
}

// Matches reports, in constant time, whether secret is the credential's.
func (c Credential) Matches(secret []byte) bool {
	h := sha256.New()
	h.Write(c.Salt)
	h.Write(secret)
	return len(c.Hash) == sha256.Size && subtle.ConstantTimeCompare(h.Sum(nil), c.Hash) == 1
}

const tokenPrefix = "lc_"

// NewToken makes a token: "lc_<id>_<secret>", where id (16 hex digits)
// names the user and secret is 32 random bytes (base64url). It returns the
// token, shown once, and the id and credential to store.
func NewToken() (token, id string, cred Credential) {
	idb := make([]byte, 8)
	secret := make([]byte, 32)
	salt := make([]byte, 16)
	for _, b := range [][]byte{idb, secret, salt} {
		rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	}
	id = hex.EncodeToString(idb)
	h := sha256.New()
	h.Write(salt)
	h.Write(secret)
	return tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret), id, Credential{Salt: salt, Hash: h.Sum(nil)}
}

// ParseToken splits a token into its id and secret.
func ParseToken(token string) (id string, secret []byte, err error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	id, enc, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 {
		return "", nil, fmt.Errorf("not a lifecircle token (lc_<id>_<secret>): %w", ErrInvalid)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", nil, fmt.Errorf("not a lifecircle token (bad id): %w", ErrInvalid)
	}
	secret, err = base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(secret) != 32 {
		return "", nil, fmt.Errorf("not a lifecircle token (bad secret): %w", ErrInvalid)
	}
	return id, secret, nil
}

// RuleError is an action a rule forbids: Rule names the rule, the message
// says it in Chinese and English.
type RuleError struct {
	Rule string
	Zh   string
	En   string
}

func (e *RuleError) Error() string { return e.Zh + " / " + e.En }
func (e *RuleError) Unwrap() error { return ErrForbidden }

func forbid(rule, zh, en string) error {
	return &RuleError{Rule: rule, Zh: zh, En: en}
}

// MayWrite says whether the user may write at all (not a viewer).
func MayWrite(u User) error {
	if u.Role == Viewer {
		return forbid("role.viewer_reads_only", "查看者（viewer）只能读取，不能修改", "a viewer may read but not write")
	}
	return nil
}

// MayWritePlan says whether the user may write plan items.
func MayWritePlan(u User) error {
	if u.Role != Planner && u.Role != Admin {
		return forbid("role.plan_needs_planner", "只有规划人员（planner）或管理员（admin）可以修改规划项目（您是 "+string(u.Role)+"）", "only planners and admins write plan items (you are "+string(u.Role)+")")
	}
	return nil
}

// citywide: admins and planners without units act everywhere.
func citywide(u User) bool {
	return u.Role == Admin || (u.Role == Planner && len(u.Units) == 0)
}

// holds reports whether unit code lies within one of the user's units: it
// is one of them or one of its ancestors (parent chain) is.
func (a *Analysis) holds(u User, code string) bool {
	for seen := 0; code != "" && seen < 8; seen++ {
		if slices.Contains(u.Units, code) {
			return true
		}
		unit, ok := a.Unit(code)
		if !ok || unit.Parent == "" {
			// a unit without polygon, or a polygon without parent: the
			// official hierarchy knows its parent
			d, ok := a.Divisions.Lookup(code)
			if !ok {
				return false
			}
			unit.Parent = d.Parent
		}
		code = unit.Parent
	}
	return false
}

// MayUseUnit says whether the user may create or work in a scenario limited
// to unit (empty: the whole city).
func (a *Analysis) MayUseUnit(u User, unit string) error {
	if err := MayWrite(u); err != nil {
		return err
	}
	switch {
	case citywide(u):
		return nil
	case unit == "":
		units := strings.Join(u.Units, ", ")
		return forbid("jurisdiction.scenario_unit_required", fmt.Sprintf("您的辖区是 %s：情景必须限定在其中的一个单元（unit）", units),
			fmt.Sprintf("your jurisdiction is %s: a scenario must name one of its units (unit)", units))
	case !a.holds(u, unit):
		units := strings.Join(u.Units, ", ")
		return forbid("jurisdiction.scenario_unit", fmt.Sprintf("单元 %s 不在您的辖区（%s）内", unit, units),
			fmt.Sprintf("unit %s is outside your jurisdiction (%s)", unit, units))
	}
	return nil
}

// MayTouch says whether the user may place or remove a facility at p:
// what names the point ("origin", "destination", "site", "plan item").
func (a *Analysis) MayTouch(u User, what string, p orb.Point) error {
	if citywide(u) {
		return nil
	}
	for _, code := range u.Units {
		if a.UnitContains(code, p) {
			return nil
		}
	}
	units := strings.Join(u.Units, ", ")
	drawn := false
	for _, code := range u.Units {
		if _, ok := a.Unit(code); ok {
			drawn = true
		}
	}
	if !drawn { // e.g. a street official on a dataset without street polygons
		return forbid("jurisdiction.no_boundary", fmt.Sprintf("您的辖区（%s）在数据集 %s 中没有边界多边形，无法判断%s（%.5f, %.5f）是否在辖区内：请用 --boundaries 导入街道/社区边界", units, a.Data.Name, whatZh(what), p[0], p[1]),
			fmt.Sprintf("your jurisdiction (%s) has no boundary polygon in dataset %s, so whether the %s (%.5f, %.5f) lies inside cannot be told: load the street/community boundaries with --boundaries", units, a.Data.Name, strings.ReplaceAll(what, "_", " "), p[0], p[1]))
	}
	return forbid("jurisdiction."+what, fmt.Sprintf("%s（%.5f, %.5f）不在您的辖区（%s）内", whatZh(what), p[0], p[1], units),
		fmt.Sprintf("the %s (%.5f, %.5f) lies outside your jurisdiction (%s)", strings.ReplaceAll(what, "_", " "), p[0], p[1], units))
}

func whatZh(what string) string {
	switch what {
	case "origin":
		return "设施原址"
	case "destination":
		return "设施新址"
	case "site":
		return "选址"
	case "plan_item":
		return "规划项目位置"
	}
	return what
}

// AuditEntry is one write, kept for good: who, when, what, on which
// scenario, answering which request.
type AuditEntry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	User      string    `json:"user"`
	Role      Role      `json:"role,omitempty"`
	Action    string    `json:"action"` // e.g. scenario.create, scenario.changes, proposal.add, plan.replace, user.add
	Dataset   string    `json:"dataset,omitempty"`
	Scenario  string    `json:"scenario_id,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Detail    []byte    `json:"detail,omitempty"` // what changed, JSON
}

// AuditQuery selects audit entries, oldest first.
type AuditQuery struct {
	Dataset, Scenario, User string
	After                   int64 // entries with Seq > After
	Limit                   int   // at most this many (0: 1000)
}

// Replay is the stored answer to a write made with an idempotency key: a
// retry with the same key gets it back instead of writing again.
type Replay struct {
	User    string
	Key     string
	Method  string
	Path    string
	Status  int
	Body    []byte
	Created time.Time
	// RequestSHA256 is the hex SHA-256 of the request body the answer was
	// given to ("" for answers stored before it was kept): a retry with the
	// same key and another body is refused instead of answered.
	RequestSHA256 string
}

// VersionNote makes a write bump the version of a record (a scenario, a
// dataset's plan) in its transaction, after checking, when Check is set,
// that the version is still Expect (ErrStale otherwise). Versions start
// at 0 (never written) and grow by one with every write that names them.
type VersionNote struct {
	Key    string // ScenarioVersionKey, PlanVersionKey
	Check  bool
	Expect int64
	// Got, when not nil, receives the version after the write.
	Got *int64
}

// ScenarioVersionKey and PlanVersionKey name the versioned records.
func ScenarioVersionKey(id string) string  { return "scenario/" + id }
func PlanVersionKey(dataset string) string { return "plan/" + dataset }

// WriteNote is what a store records in the same transaction as a write:
// its audit entry and, for a write with an idempotency key, the answer.
// A store refuses the write (ErrConflict) when the key was used before.
type WriteNote struct {
	Audit   *AuditEntry
	Replay  *Replay
	Version *VersionNote
}

type writeNoteKey struct{}

// WithWriteNote returns a context that makes the next store write record n.
func WithWriteNote(ctx context.Context, n WriteNote) context.Context {
	return context.WithValue(ctx, writeNoteKey{}, n)
}

// WriteNoteOf returns the note a write must record, if any.
func WriteNoteOf(ctx context.Context) (WriteNote, bool) {
	n, ok := ctx.Value(writeNoteKey{}).(WriteNote)
	return n, ok
}

// UnitWithin reports whether unit code is ancestor or lies inside it
// (following parent codes).
func (a *Analysis) UnitWithin(code, ancestor string) bool {
	return a.holds(User{Units: []string{ancestor}}, code)
}

// CheckChanges checks new changes of a scenario against the user's
// jurisdiction and the scenario's unit: the origin (where a moved or
// removed facility stands now, after the scenario's earlier changes) and
// the destination (where an added or moved one goes) must both lie inside.
// Errors name the change at fault (FieldError).
func (a *Analysis) CheckChanges(u User, scenarioUnit string, prior, changes []Change) error {
	where := make(map[string]orb.Point, len(a.Data.Facilities))
	for _, f := range a.Data.Facilities {
		where[f.ID] = f.Location
	}
	step := func(ch Change) {
		switch ch.Kind {
		case Add, Move:
			id := ch.Facility.ID
			if ch.Kind == Move {
				id = ch.FacilityID
			}
			where[id] = ch.Facility.Location
		case Remove:
			delete(where, ch.FacilityID)
		}
	}
	for _, ch := range prior {
		step(ch)
	}
	for i, ch := range changes {
		field := fmt.Sprintf("changes[%d]", i)
		if ch.Kind == Move || ch.Kind == Remove {
			p, ok := where[ch.FacilityID]
			if !ok {
				return fieldErr(field+".facility_id", errZH(ErrNotFound, fmt.Sprintf("%s：设施「%s」不存在", field, ch.FacilityID), "%s: facility %q does not exist", field, ch.FacilityID))
			}
			if err := a.MayTouch(u, "origin", p); err != nil {
				return fieldErr(field+".facility_id", err)
			}
			if scenarioUnit != "" && !a.UnitContains(scenarioUnit, p) {
				return fieldErr(field+".facility_id", errZH(ErrInvalid, fmt.Sprintf("%s：设施 %s 不在方案的行政单元 %s 内", field, ch.FacilityID, scenarioUnit), "%s: facility %s stands outside the scenario's unit %s", field, ch.FacilityID, scenarioUnit))
			}
		}
		if ch.Kind == Add || ch.Kind == Move {
			p := ch.Facility.Location
			if err := a.MayTouch(u, "destination", p); err != nil {
				return fieldErr(field+".facility.location", err)
			}
			if scenarioUnit != "" && !a.UnitContains(scenarioUnit, p) {
				return fieldErr(field+".facility.location", errZH(ErrInvalid, fmt.Sprintf("%s：选址不在方案的行政单元 %s 内", field, scenarioUnit), "%s: the site lies outside the scenario's unit %s", field, scenarioUnit))
			}
		}
		step(ch)
	}
	return nil
}
