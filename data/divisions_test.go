package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lifecircle/coverage"
)

const streetsFixture = "testdata/streets/streets_synthetic.geojson"

func TestChengduDivisions(t *testing.T) {
	d, err := ChengduDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for l, want := range map[coverage.UnitLevel]int{coverage.District: 5, coverage.Street: 62, coverage.Community: 429} {
		if n := d.Count(l); n != want {
			t.Errorf("%s: %d divisions, want %d", l, n, want)
		}
	}
	v, ok := d.Lookup("510107063")
	if !ok || v.Name != "石羊街道" || v.Parent != "510107" || v.Level != coverage.Street {
		t.Errorf("510107063 = %+v", v)
	}
	c, ok := d.Lookup("510108008200")
	if !ok || c.Short != "跳蹬村" || c.Parent != "510108008" || d.District(c.Code).Name != "成华区" {
		t.Errorf("510108008200 = %+v", c)
	}
	if n := len(d.List(coverage.Community, "510107063")); n != 14 { // grep -c ,510107063, communities_2023_central5.csv
		t.Errorf("石羊街道 has %d communities in the list, want 14", n)
	}
	if _, err := d.Resolve("正街社区"); !errors.Is(err, coverage.ErrInvalid) || !strings.Contains(err.Error(), "武侯区") || !strings.Contains(err.Error(), "成华区") {
		t.Errorf("正街社区 is in two districts: %v", err)
	}
}

// sampleNoNetwork builds the embedded sample by straight line (fast).
func sampleNoNetwork(t *testing.T, edit func(*Inputs)) (*coverage.Analysis, BuildInfo) {
	t.Helper()
	in, err := SampleInputs("chengdu")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&in)
	}
	a, info, err := BuildInputs(in, BuildOptions{NoNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	return a, info
}

// On the sample (districts only) every official street and community is
// known by code and name; those without polygons are answered honestly.
func TestSampleResolvesDivisions(t *testing.T) {
	a, _ := sampleNoNetwork(t, nil)
	if a.Divisions.Len() != 5+62+429 {
		t.Fatalf("divisions %d", a.Divisions.Len())
	}
	if u, err := a.ResolveUnit("成华区"); err != nil || u.Code != "510108" {
		t.Errorf("成华区: %v %v", u.Code, err)
	}
	for _, s := range []string{"石羊街道", "510107063", "石羊"} {
		_, err := a.ResolveUnit(s)
		if !errors.Is(err, coverage.ErrNotFound) || !strings.Contains(err.Error(), "510107063") || !strings.Contains(err.Error(), "no street boundaries") ||
			!strings.Contains(err.Error(), "武侯区") || !strings.Contains(coverage.MessageZH(err), "没有街道边界") {
			t.Errorf("%s: %v / %s", s, err, coverage.MessageZH(err))
		}
		if code, err := a.ResolveCode(s); err != nil || code != "510107063" {
			t.Errorf("ResolveCode(%s) = %q, %v", s, code, err)
		}
	}
	_, err := a.ResolveUnit("510107999")
	if !errors.Is(err, coverage.ErrInvalid) || errors.Is(err, coverage.ErrNotFound) || !strings.Contains(err.Error(), "510107999") || !strings.Contains(err.Error(), "no unit has this code") {
		t.Errorf("unknown code: %v", err)
	}
	_, err = a.ResolveUnit("锦城社区") // 金牛区 and twice in 武侯区
	if !errors.Is(err, coverage.ErrInvalid) || !strings.Contains(err.Error(), "fits 3 units") || !strings.Contains(err.Error(), "金牛区") ||
		!strings.Contains(err.Error(), "510107063010") || !strings.Contains(coverage.MessageZH(err), "社区，武侯区") {
		t.Errorf("ambiguous community: %v / %s", err, coverage.MessageZH(err))
	}
	err = a.CheckLevel(coverage.Street)
	if !errors.Is(err, coverage.ErrNotFound) || !strings.Contains(err.Error(), "no street boundaries") || !strings.Contains(err.Error(), "62 official street") ||
		!strings.Contains(err.Error(), "--boundaries") || !strings.Contains(coverage.MessageZH(err), "没有街道边界") {
		t.Errorf("by=street: %v", err)
	}
	list, err := a.UnitList(coverage.Community, "石羊街道")
	if err != nil || len(list) != 14 || list[0].Boundary || !list[0].Official || list[0].District != "武侯区" || list[0].ParentName != "石羊街道" {
		t.Errorf("communities of 石羊街道: %d %+v %v", len(list), list, err)
	}
	dist, _ := a.UnitList(coverage.District, "")
	if len(dist) != 5 || !dist[0].Boundary || !dist[0].Official {
		t.Errorf("districts: %+v", dist)
	}
	// a street official of a street without polygon: refused with the reason
	u := coverage.User{Name: "x", Role: coverage.StreetOfficial, Units: []string{"510108002"}}
	if err := a.MayUseUnit(u, "510108002"); err != nil {
		t.Errorf("own unit: %v", err)
	}
	if err := a.MayTouch(u, "site", a.Centre(0)); err == nil || !strings.Contains(err.Error(), "no boundary polygon") {
		t.Errorf("site in a unit without polygon: %v", err)
	}
	planner := coverage.User{Name: "y", Role: coverage.Planner, Units: []string{"510108"}}
	if err := a.MayUseUnit(planner, "510108002"); err != nil {
		t.Errorf("a district planner holds its streets through the official parents: %v", err)
	}
}

// writeGBKStreets turns the fixture into a GBK Shapefile with GDAL.
func writeGBKStreets(t *testing.T, dir string, extra string) string {
	t.Helper()
	needOgr2ogr(t)
	src := streetsFixture
	if extra != "" { // one more feature
		b, err := os.ReadFile(streetsFixture)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "\n]}", ",\n"+extra+"\n]}", 1)
		src = filepath.Join(dir, "streets.geojson")
		if err := os.WriteFile(src, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ogr2ogr(t, dir, "街道.shp", src, "-lco", "ENCODING=GBK")
}

// A street boundary file as agencies hand it out (GBK Shapefile, Chinese
// field names, no level): the level is told from the codes, names and
// parents come out right, by=street rolls up with Chinese names and parents.
func TestStreetBoundaryShapefile(t *testing.T) {
	dir := t.TempDir()
	shp := writeGBKStreets(t, dir, "")
	if cpg, _ := os.ReadFile(filepath.Join(dir, "街道.cpg")); !strings.Contains(strings.ToUpper(string(cpg)), "GBK") && string(cpg) != "936" {
		t.Fatalf("GDAL wrote .cpg %q", cpg)
	}
	sf, err := ReadShapefile(os.ReadFile, shp, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sf.Encoding, "GBK") || sf.Features.Features[0].Properties["街道名称"] != "春熙路街道" {
		t.Fatalf("read as %s: %v", sf.Encoding, sf.Features.Features[0].Properties)
	}
	in, _ := SampleInputs("chengdu")
	sampleDir := t.TempDir()
	for _, f := range []string{"facilities.geojson", "population.csv"} {
		b, err := SampleFile("sample/chengdu/" + f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(sampleDir, f), b, 0o644)
	}
	in.FS = nil
	in.Facilities, in.Population = filepath.Join(sampleDir, "facilities.geojson"), filepath.Join(sampleDir, "population.csv")
	in.Boundaries, in.OSM = BoundaryPaths(shp), ""
	a, info, err := BuildInputs(in, BuildOptions{NoNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range info.Warnings {
		if strings.Contains(w, "official") {
			t.Errorf("a file of official codes warned: %s", w)
		}
	}
	s := a.Summary(coverage.Street, coverage.DefaultProfile)
	if len(s.Units) != 7 {
		t.Fatalf("by=street: %d units", len(s.Units))
	}
	want := map[string][3]string{
		"510104022": {"春熙路街道", "510104", "锦江区"},
		"510106030": {"驷马桥街道", "510106", "金牛区"},
		"510108004": {"双桥子街道", "510108", "成华区"},
	}
	for _, u := range s.Units {
		if u.Level != coverage.Street || u.Residents <= 0 {
			t.Errorf("%s: level %s, residents %v", u.Code, u.Level, u.Residents)
		}
		if w, ok := want[u.Code]; ok && (u.Name != w[0] || u.Parent != w[1] || u.ParentName != w[2]) {
			t.Errorf("%s = %s, parent %s %s; want %v", u.Code, u.Name, u.Parent, u.ParentName, w)
		}
	}
	if u, err := a.ResolveUnit("猛追湾街道"); err != nil || u.Code != "510108002" {
		t.Errorf("猛追湾街道 with its polygon: %v %v", u.Code, err)
	}
	// an official street whose polygon the file lacks
	if _, err := a.ResolveUnit("石羊街道"); !errors.Is(err, coverage.ErrNotFound) || !strings.Contains(err.Error(), "have no polygon for it") {
		t.Errorf("石羊街道: %v", err)
	}

	// the same file as GeoJSON and as a UTF-8 Shapefile: the same units
	utf8Shp := ogr2ogr(t, t.TempDir(), "streets_utf8.shp", streetsFixture, "-lco", "ENCODING=UTF-8")
	for _, path := range []string{streetsFixture, utf8Shp} {
		in2 := in
		in2.Boundaries = BoundaryPaths(path)
		_, ds, err := Load(in2)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(ds.Units) != 7 || ds.Units[4].Code != "510108002" || ds.Units[4].Name != "猛追湾街道" || ds.Units[4].Parent != "510108" || ds.Units[4].Level != coverage.Street {
			t.Errorf("%s: %+v", path, ds.Units[4])
		}
	}

	// a polygon the official list does not know: loaded, and warned of by name
	dir2 := t.TempDir()
	in.Boundaries = BoundaryPaths(writeGBKStreets(t, dir2, `{"type": "Feature", "properties": {"街道代码": "510108099", "街道名称": "建设路街道"}, "geometry": {"type": "Polygon", "coordinates": [[[104.10, 30.70], [104.105, 30.70], [104.105, 30.705], [104.10, 30.705], [104.10, 30.70]]]}}`))
	var warned []string
	in.OnWarning = func(w string) { warned = append(warned, w) }
	if _, _, err := Load(in); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "1 of 8 polygons") || !strings.Contains(warned[0], "510108099 建设路街道") {
		t.Errorf("warnings: %q", warned)
	}
}

// A boundary file whose codes are in no field lifecircle knows is refused
// with the fields it has; a level that cannot be told is refused too.
func TestBoundaryFileFieldsNamed(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(streetsFixture)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	noCode := write("nocode.geojson", strings.ReplaceAll(string(b), "街道代码", "id号"))
	f, err := os.Open(noCode)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := readFeatures(noCode, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	divs, _ := ChengduDivisions()
	_, err = prepareBoundaries(noCode, fc, "", divs)
	if err == nil || !strings.Contains(err.Error(), "no field holds the unit codes") || !strings.Contains(err.Error(), "id号, 街道名称") {
		t.Errorf("no code field: %v", err)
	}
	grid := write("grid.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"G1","name":"一号"},"geometry":{"type":"Polygon","coordinates":[[[104.1,30.7],[104.101,30.7],[104.101,30.701],[104.1,30.7]]]}}]}`)
	f, _ = os.Open(grid)
	fc, _ = readFeatures(grid, f)
	f.Close()
	if _, err := prepareBoundaries(grid, fc, "", divs); err == nil || !strings.Contains(err.Error(), "--boundaries-level") {
		t.Errorf("level unknown: %v", err)
	}
	if w, err := prepareBoundaries(grid, fc, "网格", divs); err != nil || fc.Features[0].Properties["level"] != "grid" || len(w) != 1 || !strings.Contains(w[0], "G1 一号") {
		t.Errorf("--boundaries-level 网格: %v %v %v", w, err, fc.Features[0].Properties)
	}
}
