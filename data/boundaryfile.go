package data

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
)

// Boundary files come as agencies hand them out: a street or community
// layer from the natural-resources bureau (Shapefile, GBK attributes,
// XZQDM/XZQMC), a grid layer from the governance office, a GeoJSON someone
// drew. prepareBoundaries finds the code, name, parent and level of every
// polygon, fills what is missing from the official divisions, and lists
// the polygons the divisions do not know.

// boundaryFieldAliases are the usual field names of code, name and parent
// (lower-cased, as the readers give them).
var boundaryFieldAliases = map[string][]string{
	"code": {"code", "xzqdm", "dm", "qhdm", "jddm", "sqdm", "adcode", "gb", "代码", "编码", "编号", "区划代码", "行政区代码", "行政区划代码",
		"街道代码", "街道编码", "社区代码", "社区编码", "网格代码", "网格编码", "网格编号"},
	"name":   {"name", "xzqmc", "mc", "qhmc", "jdmc", "sqmc", "名称", "区划名称", "行政区名称", "街道名称", "社区名称", "网格名称"},
	"parent": {"parent", "sjdm", "parent_code", "上级代码", "上级编码", "所属街道代码", "所属区代码"},
}

// levelWords maps the level values people write to levels.
var levelWords = map[string]coverage.UnitLevel{
	"district": coverage.District, "区": coverage.District, "区县": coverage.District, "区（市）县": coverage.District, "县": coverage.District,
	"street": coverage.Street, "街道": coverage.Street, "镇": coverage.Street, "乡": coverage.Street, "乡镇": coverage.Street, "subdistrict": coverage.Street,
	"community": coverage.Community, "社区": coverage.Community, "村": coverage.Community, "居委会": coverage.Community,
	"grid": coverage.Grid, "网格": coverage.Grid,
}

// loadBoundaries reads every boundary file, each with its own level,
// layer, encoding and CRS. A code in two files is refused, naming both;
// names and parents come from the official divisions per file, so a street
// whose district is in another file (or in none) gets its official parent.
func (in Inputs) loadBoundaries() ([]BoundarySet, error) {
	if len(in.Boundaries) == 0 {
		return nil, nil
	}
	divs, _ := ChengduDivisions()
	var sets []BoundarySet
	from := map[string]string{} // code → the file it came from
	for _, bf := range in.Boundaries {
		if bf.Path == "" {
			return nil, invalid("--boundaries: an empty file name")
		}
		c := or(bf.CRS, in.CRS)
		fin := in // where the file is read from
		if bf.OS {
			fin.FS = nil
		}
		var fc *geojson.FeatureCollection
		var err error
		if isVector(bf.Path) {
			sf, sc, err := fin.vectorEnc(bf.Path, bf.Layer, or2(bf.Encoding, in.Encoding), c)
			if err != nil {
				return nil, err
			}
			fc, c = sf.Features, sc
		} else if fc, err = readWith(fin, bf.Path, func(r io.Reader) (*geojson.FeatureCollection, error) {
			return readFeatures(bf.Path, r)
		}); err != nil {
			return nil, err
		}
		warns, err := prepareBoundaries(bf.Path, fc, bf.Level, divs)
		if err != nil {
			return nil, err
		}
		for _, w := range warns {
			if in.OnWarning != nil {
				in.OnWarning(w)
			}
		}
		units, err := boundariesFromFeatures(bf.Path, fc, c)
		if err != nil {
			return nil, err
		}
		for i, u := range units {
			if prev, dup := from[u.Code]; dup {
				same := ""
				if prev == bf.Path {
					same = " (the same file given twice)"
				}
				return nil, invalid("%s feature %d: code %s (%s) is also in %s%s: each unit must come from one boundary file; remove it from one of them / 代码 %s 同时出现在 %s 和 %s 中",
					bf.Path, i+1, u.Code, u.Name, prev, same, u.Code, prev, bf.Path)
			}
		}
		for _, u := range units {
			from[u.Code] = bf.Path
		}
		sets = append(sets, BoundarySet{File: bf, Units: units})
	}
	return sets, nil
}

func or2(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// prepareBoundaries sets the properties level, code, name and parent of
// every feature. level is --boundaries-level ("" to read or detect it);
// divs, when not nil, is the official hierarchy the codes are checked
// against. It returns warnings (polygons whose code or name is not in the
// divisions) and fails when no field holds the codes, naming the fields.
func prepareBoundaries(file string, fc *geojson.FeatureCollection, level string, divs *coverage.Divisions) ([]string, error) {
	var given coverage.UnitLevel
	if level != "" {
		l, ok := levelWords[strings.ToLower(strings.TrimSpace(level))]
		if !ok {
			return nil, invalid("%s: --boundaries-level %q: want district, street, community or grid (区, 街道, 社区, 网格)", file, level)
		}
		given = l
	}
	if len(fc.Features) == 0 {
		return nil, invalid("%s: no boundary polygon in the file", file)
	}
	// which field holds what: the first alias any feature has
	fields := map[string]bool{}
	for _, ft := range fc.Features {
		for k := range ft.Properties {
			fields[strings.ToLower(k)] = true
		}
	}
	field := map[string]string{}
	for key, as := range boundaryFieldAliases {
		for _, a := range as {
			if fields[a] {
				field[key] = a
				break
			}
			if cut := dbfFieldName(a); cut != a && fields[cut] { // a UTF-8 Shapefile's 10-byte name
				field[key] = cut
				break
			}
		}
	}
	if field["code"] == "" {
		have := make([]string, 0, len(fields))
		for k := range fields {
			have = append(have, k)
		}
		sort.Strings(have)
		if len(have) == 0 {
			have = []string{"(none)"}
		}
		return nil, invalid("%s: no field holds the unit codes (looked for %s); the file's fields are: %s. Rename the code field to \"code\" (e.g. ogr2ogr -sql 'SELECT 字段 AS code, ...')",
			file, strings.Join(boundaryFieldAliases["code"], ", "), strings.Join(have, ", "))
	}
	get := func(p geojson.Properties, key string) string {
		for k, v := range p { // field names as read may differ in case
			if strings.ToLower(k) == key && v != nil {
				return prop(geojson.Properties{"v": v}, "v")
			}
		}
		return ""
	}
	var unknown, renamed, wrongLevel []string
	inList := 0
	for i, ft := range fc.Features {
		where := fmt.Sprintf("%s feature %d", file, i+1)
		p := ft.Properties
		if p == nil {
			p = geojson.Properties{}
			ft.Properties = p
		}
		code := get(p, field["code"])
		if code == "" {
			return nil, invalid("%s: its code (field %s) is empty", where, field["code"])
		}
		name := ""
		if field["name"] != "" {
			name = get(p, field["name"])
		}
		parent := ""
		if field["parent"] != "" {
			parent = get(p, field["parent"])
		}
		div, known := divs.Lookup(code)
		// the level: the feature's own, else --boundaries-level, else the
		// division's, else the code's length or the name's ending
		var lv coverage.UnitLevel
		if s := get(p, "level"); s != "" {
			l, ok := levelWords[strings.ToLower(s)]
			if !ok {
				return nil, invalid("%s: level %q is not one of district, street, community, grid (区, 街道, 社区, 网格)", where, s)
			}
			lv = l
		}
		switch {
		case lv != "":
		case given != "":
			lv = given
		case known:
			lv = div.Level
		default:
			lv = levelOf(code, name)
		}
		if lv == "" {
			return nil, invalid("%s: no level field, and the level cannot be told from its code %q or name %q: give --boundaries-level district|street|community|grid", where, code, name)
		}
		if known {
			inList++
			if name == "" {
				name = div.Name
			} else if name != div.Name && name != div.Short && coverage.ShortDivisionName(name) != div.Short {
				renamed = append(renamed, fmt.Sprintf("%s %s (officially %s)", code, name, div.Short))
			}
			if parent == "" || !isDigits(parent) { // DataV writes {"adcode": 510100}
				parent = div.Parent
			}
			if div.Level != lv {
				wrongLevel = append(wrongLevel, fmt.Sprintf("%s %s is a %s, not a %s", code, div.Short, div.Level, lv))
			}
		} else {
			unknown = append(unknown, strings.TrimSpace(code+" "+name))
			if parent == "" {
				parent = parentByCode(code, lv)
			}
		}
		p["level"], p["code"], p["name"], p["parent"] = string(lv), code, name, parent
	}
	if divs.Len() == 0 || (inList == 0 && !fileInChengdu(fc)) {
		return nil, nil // no official list applies here
	}
	var warn []string
	list := func(s []string) string {
		if len(s) > 12 {
			return strings.Join(s[:12], "; ") + fmt.Sprintf("; … %d more", len(s)-12)
		}
		return strings.Join(s, "; ")
	}
	if len(unknown) > 0 {
		warn = append(warn, fmt.Sprintf("%s: %d of %d polygons have a code that is not among the official divisions (%s): %s / %d 个多边形的代码不在正式行政区划中",
			file, len(unknown), len(fc.Features), divs.Source, list(unknown), len(unknown)))
	}
	if len(renamed) > 0 {
		warn = append(warn, fmt.Sprintf("%s: %d polygons have a name other than the official one of their code: %s / %d 个多边形的名称与其代码的正式名称不同",
			file, len(renamed), list(renamed), len(renamed)))
	}
	if len(wrongLevel) > 0 {
		warn = append(warn, fmt.Sprintf("%s: %d polygons have a code of another level: %s / %d 个多边形的代码属于另一级别",
			file, len(wrongLevel), list(wrongLevel), len(wrongLevel)))
	}
	return warn, nil
}

// levelOf tells a unit's level from an NBS code's length (6 district, 9
// street, 12 community) or from the name's ending.
func levelOf(code, name string) coverage.UnitLevel {
	if isDigits(code) {
		switch len(code) {
		case 6:
			return coverage.District
		case 9:
			return coverage.Street
		case 12:
			return coverage.Community
		}
	}
	n := coverage.ShortDivisionName(name)
	switch {
	case strings.HasSuffix(n, "网格"):
		return coverage.Grid
	case strings.HasSuffix(n, "社区") || strings.HasSuffix(n, "村"):
		return coverage.Community
	case strings.HasSuffix(n, "街道") || strings.HasSuffix(n, "镇") || strings.HasSuffix(n, "乡"):
		return coverage.Street
	case strings.HasSuffix(n, "区") || strings.HasSuffix(n, "县") || strings.HasSuffix(n, "市"):
		return coverage.District
	}
	return ""
}

// parentByCode is the parent an NBS code implies: its first 6 (of a
// street's 9) or 9 (of a community's 12) digits.
func parentByCode(code string, lv coverage.UnitLevel) string {
	if !isDigits(code) {
		return ""
	}
	switch {
	case lv == coverage.Street && len(code) == 9:
		return code[:6]
	case lv == coverage.Community && len(code) == 12:
		return code[:9]
	}
	return ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// fileInChengdu says whether the features' bounds lie in the five central
// districts.
func fileInChengdu(fc *geojson.FeatureCollection) bool {
	var b orb.Bound
	for i, ft := range fc.Features {
		if ft.Geometry == nil {
			continue
		}
		if i == 0 {
			b = ft.Geometry.Bound()
		} else {
			b = b.Union(ft.Geometry.Bound())
		}
	}
	return chengduExtent.Intersects(b)
}
