package data

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"lifecircle/coverage"
	"lifecircle/spatial"
)

// expectedPOI is one hand-checked row of testdata/poi/expected.csv: the
// types it must become ("" dropped, "-" unmatched, "dup" merged into the
// row before) and its WGS84 position (the fixtures hold GCJ-02 / BD-09).
type expectedPOI struct {
	line  int
	name  string
	types string
	at    orb.Point
}

func readExpectedPOIs(t *testing.T) []expectedPOI {
	t.Helper()
	f, err := os.Open("testdata/poi/expected.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []expectedPOI
	for _, r := range recs[1:] {
		line, _ := strconv.Atoi(r[0])
		lon, _ := strconv.ParseFloat(r[3], 64)
		lat, _ := strconv.ParseFloat(r[4], 64)
		out = append(out, expectedPOI{line, r[1], r[2], orb.Point{lon, lat}})
	}
	return out
}

// checkPOIs compares a classification with the hand-checked expectations.
func checkPOIs(t *testing.T, fs []coverage.Facility, rep *POIReport, where string) {
	t.Helper()
	exp := readExpectedPOIs(t)
	got := map[string][]coverage.Facility{} // "name@line" → facilities (ids carry the row)
	for _, f := range fs {
		got[f.Name] = append(got[f.Name], f)
	}
	wantN, merged := 0, 0
	for _, e := range exp {
		switch e.types {
		case "", "-":
			if fs := got[e.name]; len(fs) > 0 && e.name != "公共厕所" {
				t.Errorf("%s %d %s: loaded as %s; want %s", where, e.line, e.name, fs[0].Type, map[string]string{"": "dropped", "-": "unmatched"}[e.types])
			}
		case "dup":
			merged++
		default:
			want := strings.Split(e.types, "+")
			wantN += len(want)
			var found []string
			for _, f := range got[e.name] {
				if spatial.DistanceM(f.Location, e.at) < 2 {
					found = append(found, f.Type)
				}
			}
			if strings.Join(found, "+") != strings.Join(want, "+") {
				t.Errorf("%s %d %s: types %v within 2 m of %v; want %v", where, e.line, e.name, found, e.at, want)
			}
		}
	}
	if len(fs) != wantN {
		t.Errorf("%s: %d facilities, want %d", where, len(fs), wantN)
	}
	if len(rep.Duplicates) != merged {
		t.Errorf("%s: %d duplicates merged, want %d: %+v", where, len(rep.Duplicates), merged, rep.Duplicates)
	}
	unmatched := map[string]bool{}
	for _, r := range rep.Unmatched {
		unmatched[r.Name] = true
	}
	for _, e := range exp {
		if e.types == "-" && !unmatched[e.name] {
			t.Errorf("%s: %s not listed as unmatched", where, e.name)
		}
	}
	ambiguous := map[string]string{}
	for _, r := range rep.Ambiguous {
		ambiguous[r.Name] = r.Rule + " | " + strings.Join(r.Others, "; ")
	}
	// Name and code disagree on these two; the name decides and the row is listed.
	for name, rule := range map[string]string{"爱贝尔托育中心": "name:托育", "二仙桥街道社区卫生服务中心": "name:社区卫生服务中心"} {
		if !strings.HasPrefix(ambiguous[name], rule) {
			t.Errorf("%s: %s listed as ambiguous with %q; want decided by %s", where, name, ambiguous[name], rule)
		}
	}
}

func TestPOIAmapCSV(t *testing.T) {
	cat := coverage.DefaultCatalog()
	f, err := os.Open("testdata/poi/amap_chengdu.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, rep, err := ReadPOIs("amap_chengdu.csv", f, cat, POIOptions{Provider: "amap"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CRS != spatial.GCJ02 {
		t.Errorf("amap CRS %s, want gcj02", rep.CRS)
	}
	checkPOIs(t, fs, rep, "amap csv")
	var buf bytes.Buffer
	if err := WritePOIReport(&buf, rep, cat); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kindergarten", "幼儿园", "amap_chengdu.csv line 33", "exclude:A口", "exclude:警务室", "建设路(公交站)", "no rule matched"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
	// What the classifier writes is what --facilities reads.
	buf.Reset()
	if err := WritePOIFacilities(&buf, fs, rep, cat); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFacilities("f.geojson", &buf, spatial.WGS84, cat)
	if err != nil || len(back) != len(fs) {
		t.Fatalf("reading the output back: %d facilities, %v", len(back), err)
	}
}

func TestPOIBaiduCSV(t *testing.T) {
	f, err := os.Open("testdata/poi/baidu_chengdu.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, rep, err := ReadPOIs("baidu_chengdu.csv", f, coverage.DefaultCatalog(), POIOptions{Provider: "baidu"})
	if err != nil {
		t.Fatal(err)
	}
	checkPOIs(t, fs, rep, "baidu csv")
}

// Excel on Chinese Windows saves CSV in GBK; the same file as XLSX.
func TestPOIAmapGBKAndXLSX(t *testing.T) {
	src, err := os.ReadFile("testdata/poi/amap_chengdu.csv")
	if err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(src)
	if err != nil {
		t.Fatal(err)
	}
	cat := coverage.DefaultCatalog()
	fs, rep, err := ReadPOIs("amap_gbk.csv", bytes.NewReader(gbk), cat, POIOptions{Provider: "amap"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Encoding != "GBK" {
		t.Errorf("encoding %s, want GBK", rep.Encoding)
	}
	checkPOIs(t, fs, rep, "amap gbk")

	recs, err := csv.NewReader(bytes.NewReader(src)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	x := excelize.NewFile()
	for i, r := range recs {
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		cellName, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cellName, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "pois.xlsx")
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	xf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer xf.Close()
	fs, rep, err = ReadPOIs(path, xf, cat, POIOptions{Provider: "amap"})
	if err != nil {
		t.Fatal(err)
	}
	checkPOIs(t, fs, rep, "amap xlsx")
	if len(rep.Unmatched) == 0 || !strings.Contains(rep.Unmatched[0].Where, "sheet Sheet1 row ") {
		t.Errorf("xlsx rows should be named by sheet and row: %+v", rep.Unmatched)
	}
}

func TestPOIErrorsNameTheRow(t *testing.T) {
	cat := coverage.DefaultCatalog()
	for _, c := range []struct {
		name, src, provider string
		wants               []string
	}{
		{"bad location", "name,typecode,location\n幼儿园A,141204,\"104.08,30.67\"\n幼儿园B,141204,104.08\n", "amap", []string{"p.csv line 3", "location"}},
		{"outside China", "name,typecode,location\n幼儿园A,141204,\"-51.2,-30.0\"\n", "amap", []string{"p.csv line 2", "outside China"}},
		{"no coordinates", "name,typecode\n幼儿园A,141204\n", "amap", []string{"p.csv", "no coordinate columns"}},
		{"unknown provider", "name,location\n", "google", []string{"p.csv", "unknown provider \"google\""}},
		{"nothing maps", "name,typecode,location\n麦当劳,050301,\"104.08,30.67\"\n", "amap", []string{"no row maps", "1 unmatched"}},
	} {
		_, _, err := ReadPOIs("p.csv", strings.NewReader(c.src), cat, POIOptions{Provider: c.provider})
		wantInvalid(t, err, c.wants...)
	}
}

func TestPOIRulesOverride(t *testing.T) {
	cat := coverage.DefaultCatalog()
	def, err := DefaultPOIRules(cat)
	if err != nil {
		t.Fatal(err)
	}
	// A bureau that counts every 市场 row by its own rule, and maps a code.
	r, err := def.Extend("mine.json", []byte(`{"weak": [], "codes": {"amap": [{"prefix": "060101", "types": ["supermarket"]}]}}`), cat)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open("testdata/poi/amap_chengdu.csv")
	defer f.Close()
	fs, rep, err := ReadPOIs("amap_chengdu.csv", f, cat, POIOptions{Provider: "amap", Rules: r})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, f := range fs {
		types[f.Name] = f.Type
	}
	if types["华润万象城"] != "supermarket" || types["府河桥市场"] != "" || types["人民公园"] != "park_lc10" {
		t.Errorf("override not applied: 华润万象城 %q, 府河桥市场 %q, 人民公园 %q", types["华润万象城"], types["府河桥市场"], types["人民公园"])
	}
	if len(rep.Unmatched) != 2 { // 府河桥市场 (no weak rule now) and 麦当劳
		t.Errorf("unmatched %+v", rep.Unmatched)
	}
	for _, c := range []struct{ src, want string }{
		{`{"names": [{"any": ["x"], "types": ["nope"]}]}`, "unknown facility type \"nope\""},
		{`{"names": [{"types": ["kindergarten"]}]}`, "names[0]: a rule needs"},
		{`{"codes": {"google": []}}`, "unknown provider \"google\""},
		{`{"nmes": []}`, "unknown field"},
	} {
		_, err := def.Extend("mine.json", []byte(c.src), cat)
		wantInvalid(t, err, "mine.json", c.want)
	}
}
