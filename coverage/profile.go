package coverage

import (
	"fmt"
	"strings"
)

// Profile is a walking speed. The catalogue's radii in metres stay
// authoritative for coverage; a profile turns distances into minutes and
// says whose walk fits the type's minutes (domain-standards.md §b.4).
type Profile struct {
	Name         string  `json:"name"`
	SpeedMPerMin float64 `json:"speed_m_per_min"`
}

// Profiles are the built-in walking speeds: 60 m/min reproduces GB 50180's
// 300 m / 5 min; 50 m/min is its 500 m / 10 min ratio (elderly); 67 m/min is
// Shanghai's 1 km / 15 min (adult).
var Profiles = []Profile{{"default", 60}, {"elderly", 50}, {"adult", 67}}

// DefaultProfile is 60 m/min.
var DefaultProfile = Profiles[0]

// ParseProfile accepts a profile name; empty means the default.
func ParseProfile(s string) (Profile, error) {
	if s == "" {
		return DefaultProfile, nil
	}
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		if p.Name == s {
			return p, nil
		}
		names[i] = p.Name
	}
	return Profile{}, errZH(ErrInvalid, fmt.Sprintf("步行方案「%s」不存在；可选：%s", s, strings.Join(names, "、")), "walking profile %q is not one of %s", s, strings.Join(names, ", "))
}

// Minutes is the walking time of d metres.
func (p Profile) Minutes(d float64) float64 { return d / p.SpeedMPerMin }
