package coverage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/goccy/go-yaml"
)

// Level is a life-circle level of GB 50180-2018. Levels are not inclusive: a
// 15-minute facility does not serve a 5-minute need (GB 50180; Changsha rule).
type Level string

// The four levels, small to large.
const (
	Block Level = "block" // 居住街坊
	LC5   Level = "lc5"   // 五分钟生活圈
	LC10  Level = "lc10"  // 十分钟生活圈
	LC15  Level = "lc15"  // 十五分钟生活圈
)

// Levels lists the life-circle levels, small to large.
var Levels = []Level{Block, LC5, LC10, LC15}

// Requirement says whether a type must be provided.
type Requirement string

// GB 50180 ● is mandatory, △ optional; chengdu_policy marks local programmes.
const (
	Mandatory     Requirement = "mandatory"
	Optional      Requirement = "optional"
	ChengduPolicy Requirement = "chengdu_policy"
)

// Norm is a capacity norm: Value Unit per Per PerUnit, e.g. 40 beds per 1000
// residents aged 60+.
type Norm struct {
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Per     float64 `json:"per"`
	PerUnit string  `json:"per_unit"`
}

// FacilityType is one entry of the facility catalogue.
type FacilityType struct {
	ID           string      `json:"id"`
	NameZH       string      `json:"name_zh"`
	NameEN       string      `json:"name_en"`
	Category     string      `json:"category"`
	Level        Level       `json:"level"`
	MaxWalkMin   float64     `json:"max_walk_min"`
	MaxDistM     float64     `json:"max_dist_m"`
	Requirement  Requirement `json:"requirement"`
	CapacityNorm string      `json:"capacity_norm,omitempty"`
	Norm         *Norm       `json:"norm,omitempty"`
	Cohort       string      `json:"cohort,omitempty"`
	Note         string      `json:"note,omitempty"`
	// ResidentsPerFacility, when set, replaces the level's resident band
	// for this type in the data-quality audit (e.g. community health
	// centres: 1 per 30,000–100,000 residents).
	ResidentsPerFacility *ResidentBand `json:"residents_per_facility,omitempty"`
	Source               string        `json:"source"`
	Confidence           string        `json:"confidence"`
}

// ResidentBand is how many residents one facility (or one circle of a
// level) is planned for, with where the figures come from.
type ResidentBand struct {
	Min        float64 `json:"residents_min"`
	Max        float64 `json:"residents_max"`
	Source     string  `json:"source,omitempty"`
	Confidence string  `json:"confidence,omitempty"`
}

// LevelBand is the resident band of one life-circle level (GB 50180-2018:
// 5-minute circle 5,000–12,000 residents, ...).
type LevelBand struct {
	ID     Level  `json:"id"`
	NameZH string `json:"name_zh,omitempty"`
	ResidentBand
}

// Catalog is an ordered set of facility types, with the resident band of
// each life-circle level.
type Catalog struct {
	Types  []FacilityType
	Levels []LevelBand
	index  map[string]int
}

//go:embed catalog.json
var defaultCatalogJSON []byte

// DefaultCatalog is the built-in catalogue of domain-standards.md §(a).
func DefaultCatalog() *Catalog {
	c, err := parseCatalog(nil, defaultCatalogJSON, "built-in catalogue")
	if err != nil {
		panic(err) // the embedded file is checked by tests
	}
	return c
}

// Type returns the type with the given id.
func (c *Catalog) Type(id string) (FacilityType, bool) {
	i, ok := c.index[id]
	if !ok {
		return FacilityType{}, false
	}
	return c.Types[i], true
}

// IDs lists the type ids in catalogue order.
func (c *Catalog) IDs() []string {
	ids := make([]string, len(c.Types))
	for i, t := range c.Types {
		ids[i] = t.ID
	}
	return ids
}

// CheckType returns an ErrInvalid error listing the valid types when s
// names no type (by id or Chinese name, see Resolve), and the type's id
// otherwise.
func (c *Catalog) CheckType(s string) (string, error) {
	t, err := c.Resolve(s)
	return t.ID, err
}

// Extend returns a new catalogue: c with the types of an override file
// applied. An entry whose id exists replaces only the fields it gives; a new
// id adds a type and must give every required field. The file is JSON or
// YAML ({"types": [...]}); name is used in error messages.
func (c *Catalog) Extend(name string, src []byte) (*Catalog, error) {
	src = bytes.TrimSpace(src)
	if len(src) == 0 || src[0] != '{' {
		j, err := yaml.YAMLToJSON(src)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON or YAML: %v: %w", name, err, ErrInvalid)
		}
		src = j
	}
	return parseCatalog(c, src, name)
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func parseCatalog(base *Catalog, src []byte, name string) (*Catalog, error) {
	var file struct {
		SourceDoc string            `json:"source_doc"`
		Levels    []json.RawMessage `json:"levels"`
		Types     []json.RawMessage `json:"types"`
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrInvalid)
	}
	if len(file.Types) == 0 && (len(file.Levels) == 0 || base == nil) {
		return nil, fmt.Errorf("%s: no \"types\" given: %w", name, ErrInvalid)
	}
	out := &Catalog{index: map[string]int{}}
	if base != nil {
		out.Types = append(out.Types, base.Types...)
		out.Levels = append(out.Levels, base.Levels...)
		for k, v := range base.index {
			out.index[k] = v
		}
	}
	for i, raw := range file.Levels {
		var probe struct {
			ID Level `json:"id"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("%s: level %d: %v: %w", name, i+1, err, ErrInvalid)
		}
		where := fmt.Sprintf("%s: level %d (%q)", name, i+1, probe.ID)
		j := -1
		for k, l := range out.Levels {
			if l.ID == probe.ID {
				j = k
			}
		}
		var l LevelBand
		if j >= 0 {
			l = out.Levels[j] // fields the entry gives overwrite; the rest stay
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s: %v: %w", where, err, ErrInvalid)
		}
		switch l.ID {
		case Block, LC5, LC10, LC15:
		default:
			return nil, fmt.Errorf("%s: level id %q is not one of block, lc5, lc10, lc15: %w", where, l.ID, ErrInvalid)
		}
		if err := l.ResidentBand.validate(); err != nil {
			return nil, fmt.Errorf("%s: %v: %w", where, err, ErrInvalid)
		}
		if j >= 0 {
			out.Levels[j] = l
		} else {
			out.Levels = append(out.Levels, l)
		}
	}
	for i, raw := range file.Types {
		var probe struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("%s: type %d: %v: %w", name, i+1, err, ErrInvalid)
		}
		where := fmt.Sprintf("%s: type %d (%q)", name, i+1, probe.ID)
		var t FacilityType
		j, exists := out.index[probe.ID]
		if exists {
			t = out.Types[j] // fields the entry gives overwrite; the rest stay
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s: %v: %w", where, err, ErrInvalid)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%s: %v: %w", where, err, ErrInvalid)
		}
		if exists {
			out.Types[j] = t
		} else {
			out.index[t.ID] = len(out.Types)
			out.Types = append(out.Types, t)
		}
	}
	return out, nil
}

func (t FacilityType) validate() error {
	switch {
	case !idPattern.MatchString(t.ID):
		return fmt.Errorf("id %q must be lower-case letters, digits and _ (starting with a letter)", t.ID)
	case t.NameZH == "" && t.NameEN == "":
		return fmt.Errorf("name_zh or name_en is required")
	case t.Category == "":
		return fmt.Errorf("category is required")
	case !(t.MaxDistM > 0 && t.MaxDistM <= 5000):
		return fmt.Errorf("max_dist_m %v must be in (0, 5000] metres", t.MaxDistM)
	case !(t.MaxWalkMin > 0 && t.MaxWalkMin <= 120):
		return fmt.Errorf("max_walk_min %v must be in (0, 120]", t.MaxWalkMin)
	}
	switch t.Level {
	case Block, LC5, LC10, LC15:
	default:
		return fmt.Errorf("level %q is not one of block, lc5, lc10, lc15", t.Level)
	}
	switch t.Requirement {
	case Mandatory, Optional, ChengduPolicy:
	default:
		return fmt.Errorf("requirement %q is not one of mandatory, optional, chengdu_policy", t.Requirement)
	}
	if t.Norm != nil && !(t.Norm.Value > 0 && t.Norm.Per > 0) {
		return fmt.Errorf("norm needs value > 0 and per > 0")
	}
	if t.ResidentsPerFacility != nil {
		if err := t.ResidentsPerFacility.validate(); err != nil {
			return fmt.Errorf("residents_per_facility: %v", err)
		}
	}
	return nil
}

func (b ResidentBand) validate() error {
	if !(b.Min > 0 && b.Max >= b.Min && b.Max <= 1e8) {
		return fmt.Errorf("residents_min %v and residents_max %v must satisfy 0 < min ≤ max", b.Min, b.Max)
	}
	return nil
}

// Band returns the resident band the data-quality audit uses for a type:
// its own residents_per_facility, else its level's band (from this
// catalogue, or the built-in one when the catalogue has none).
func (c *Catalog) Band(t FacilityType) (ResidentBand, bool) {
	if t.ResidentsPerFacility != nil {
		return *t.ResidentsPerFacility, true
	}
	for _, levels := range [][]LevelBand{c.Levels, defaultLevels()} {
		for _, l := range levels {
			if l.ID == t.Level {
				return l.ResidentBand, true
			}
		}
	}
	return ResidentBand{}, false
}

// defaultLevels are the resident bands of the built-in catalogue.
func defaultLevels() []LevelBand {
	defaultOnce.Do(func() { defaultCat = DefaultCatalog() })
	return defaultCat.Levels
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// ParseCatalog reads a whole catalogue (JSON or YAML), replacing the default
// one; every type must give every required field.
func ParseCatalog(name string, src []byte) (*Catalog, error) {
	return (&Catalog{}).Extend(name, src)
}
