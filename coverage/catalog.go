package coverage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"

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
	Source       string      `json:"source"`
	Confidence   string      `json:"confidence"`
}

// Catalog is an ordered set of facility types.
type Catalog struct {
	Types []FacilityType
	index map[string]int
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
		Types     []json.RawMessage `json:"types"`
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrInvalid)
	}
	if len(file.Types) == 0 {
		return nil, fmt.Errorf("%s: no \"types\" given: %w", name, ErrInvalid)
	}
	out := &Catalog{index: map[string]int{}}
	if base != nil {
		out.Types = append(out.Types, base.Types...)
		for k, v := range base.index {
			out.index[k] = v
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
	return nil
}

// ParseCatalog reads a whole catalogue (JSON or YAML), replacing the default
// one; every type must give every required field.
func ParseCatalog(name string, src []byte) (*Catalog, error) {
	return (&Catalog{}).Extend(name, src)
}
