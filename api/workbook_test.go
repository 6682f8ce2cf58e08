package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lifecircle/coverage"
)

// openpyxl reads an .xlsx with Debian's python3-openpyxl (an independent
// reader) and returns what the script prints as JSON. Without it the test
// fails under CI=true and is skipped otherwise, naming make deps-xlsx.
func openpyxl(t *testing.T, path string) map[string]any {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import openpyxl").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-openpyxl is needed to check the workbook (%v): make deps-xlsx", err)
		}
		t.Skipf("python3-openpyxl missing (%v): make deps-xlsx installs it", err)
	}
	script := `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames, "active": wb.active.title, "data": {}}
for ws in wb.worksheets:
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    fmts = [[c.number_format for c in r] for r in ws.iter_rows(min_row=2, max_row=2)]
    out["data"][ws.title] = {"rows": rows, "freeze": ws.freeze_panes, "formats": fmts[0] if fmts else [],
        "filter": ws.auto_filter.ref}
print(json.dumps(out, ensure_ascii=False, default=str))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl could not read %s: %v\n%s", path, err, out)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return v
}

func saveBody(t *testing.T, rec interface{ Result() *http.Response }, body []byte, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSummaryWorkbook(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/v1/summary.xlsx?by=district")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != xlsxType {
		t.Fatalf("status %d, type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	wb := openpyxl(t, saveBody(t, rec, rec.Body.Bytes(), "s.xlsx"))
	sheets := wb["sheets"].([]any)
	want := []string{"说明", "全市汇总", "分单元分类型", "单元完整度", "缺口区域排名", "推荐选址"}
	if len(sheets) != len(want) {
		t.Fatalf("sheets %v, want %v", sheets, want)
	}
	for i, w := range want {
		if sheets[i] != w {
			t.Errorf("sheet %d is %v, want %s", i, sheets[i], w)
		}
	}
	if wb["active"] != "说明" {
		t.Errorf("the workbook opens on %v, want the cover sheet", wb["active"])
	}
	data := wb["data"].(map[string]any)
	sheet := func(name string) (rows [][]any, freeze string, formats []any) {
		s := data[name].(map[string]any)
		for _, r := range s["rows"].([]any) {
			rows = append(rows, r.([]any))
		}
		f, _ := s["freeze"].(string)
		formats, _ = s["formats"].([]any)
		return rows, f, formats
	}
	var sum coverage.Summary
	if err := json.Unmarshal(get(t, h, http.MethodGet, "/v1/summary?by=district").Body.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	// Citywide: one row per type, numbers as in /v1/summary, formats set.
	rows, freeze, formats := sheet("全市汇总")
	if freeze != "A2" {
		t.Errorf("citywide header not frozen: freeze_panes %q", freeze)
	}
	if rows[0][0] != "类型编码" || rows[0][6] != "常住人口" || rows[0][9] != "覆盖率" {
		t.Errorf("citywide headers %v", rows[0])
	}
	if len(rows)-1 != len(sum.Types) {
		t.Fatalf("%d type rows, want %d", len(rows)-1, len(sum.Types))
	}
	if formats[9] != "0.00%" || formats[6] != "#,##0" {
		t.Errorf("number formats %v: want 0.00%% for the share, #,##0 for residents", formats)
	}
	for i, ts := range sum.Types {
		r := rows[i+1]
		if r[0] != ts.ID || r[1] != ts.NameZH || math.Abs(r[7].(float64)-ts.Covered) > 1e-9 || math.Abs(r[9].(float64)-ts.Share) > 1e-9 {
			t.Errorf("row %d = %v; want %s %s covered %v share %v", i+2, r, ts.ID, ts.NameZH, ts.Covered, ts.Share)
		}
	}
	// Per unit and type: every district × type row, each unit's residents.
	rows, freeze, _ = sheet("分单元分类型")
	if freeze != "A2" {
		t.Errorf("unit sheet not frozen: %q", freeze)
	}
	n := 0
	for _, u := range sum.Units {
		n += len(u.Types)
		found := false
		for _, r := range rows[1:] {
			if r[1] == u.Code && r[3] == "kindergarten" {
				found = true
				if r[2] != u.Name || math.Abs(r[5].(float64)-u.Residents) > 1e-9 {
					t.Errorf("unit row %v; want %s %s residents %v", r, u.Code, u.Name, u.Residents)
				}
			}
		}
		if !found {
			t.Errorf("no kindergarten row for unit %s", u.Code)
		}
	}
	if sum.Unassigned != nil {
		n += len(sum.Unassigned.Types)
	}
	if len(rows)-1 != n {
		t.Errorf("%d unit rows, want %d", len(rows)-1, n)
	}
	// Data quality beside the numbers, citywide and per unit.
	rows, _, _ = sheet("全市汇总")
	if rows[0][13] != "数据质量" {
		t.Errorf("citywide headers lack 数据质量: %v", rows[0])
	}
	for i, ts := range sum.Types {
		q, err := fixture(t).Quality(ts.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if rows[i+1][13] != q.Status || rows[i+1][16] != q.NoteZH {
			t.Errorf("%s: quality %v / %v, want %s / %s", ts.ID, rows[i+1][13], rows[i+1][16], q.Status, q.NoteZH)
		}
	}
	// Cover: method and the population note.
	rows, _, _ = sheet("说明")
	cover := map[any]any{}
	for _, r := range rows {
		if len(r) > 1 {
			cover[r[0]] = r[1]
		}
	}
	if cover["人口数据说明"] != "test fixture" || !strings.Contains(cover["距离方法"].(string), "直线距离") {
		t.Errorf("cover sheet %v", cover)
	}
	// Gap areas ranked by residents.
	rows, _, _ = sheet("缺口区域排名")
	for i := 2; i < len(rows); i++ {
		if rows[i][4].(float64) > rows[i-1][4].(float64) {
			t.Errorf("gap areas not ranked: row %d %v after %v", i+1, rows[i], rows[i-1])
		}
	}

	// English on request.
	rec = get(t, h, http.MethodGet, "/v1/summary.xlsx?lang=en")
	wb = openpyxl(t, saveBody(t, rec, rec.Body.Bytes(), "en.xlsx"))
	if s := wb["sheets"].([]any); s[0] != "About" || s[1] != "Citywide" {
		t.Errorf("English sheets %v", s)
	}
	for url, param := range map[string]string{"/v1/summary.xlsx?lang=fr": "lang", "/v1/summary.xlsx?by=city": "by", "/v1/summary.xlsx?x=1": "x"} {
		rec := get(t, h, http.MethodGet, url)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), param) {
			t.Errorf("%s: %d %s; want a 400 naming %s", url, rec.Code, rec.Body.String(), param)
		}
	}
}

func TestWriteWorkbookDirect(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteWorkbook(&buf, fixture(t), WorkbookOptions{}); err != nil {
		t.Fatal(err)
	}
	wb := openpyxl(t, saveBody(t, nil, buf.Bytes(), "d.xlsx"))
	if len(wb["sheets"].([]any)) != 6 {
		t.Errorf("sheets %v", wb["sheets"])
	}
}

// TestWorkbookRecommendations: the 推荐选址 sheet lists, per type, exactly
// the sites POST /v1/recommend answers, in build order, with their gains
// and units, read back by openpyxl.
func TestWorkbookRecommendations(t *testing.T) {
	h := newTestServer(t)
	rec := get(t, h, http.MethodGet, "/v1/summary.xlsx?rec=pharmacy,"+url.QueryEscape("社区卫生服务中心")+"&rec_k=2")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	wb := openpyxl(t, saveBody(t, rec, rec.Body.Bytes(), "rec.xlsx"))
	s := wb["data"].(map[string]any)["推荐选址"].(map[string]any)
	var rows [][]any
	for _, r := range s["rows"].([]any) {
		rows = append(rows, r.([]any))
	}
	if s["freeze"] != "A2" {
		t.Errorf("recommendations header not frozen: %v", s["freeze"])
	}
	hdr := rows[0]
	if hdr[0] != "类型编码" || hdr[2] != "建设顺序" || hdr[5] != "新增覆盖人口" || hdr[8] != "所在区（市）县" {
		t.Errorf("headers %v", hdr)
	}
	if f := s["formats"].([]any); f[5] != "#,##0" || f[6] != "0.00%" || f[3] != "0.000000" {
		t.Errorf("number formats %v", f)
	}
	n := 1
	for _, typ := range []string{"pharmacy", "community_health_center"} {
		var ans struct {
			Sites []struct {
				Rank            int                `json:"rank"`
				ID              string             `json:"id"`
				Location        [2]float64         `json:"location"`
				GainByType      map[string]float64 `json:"gain_by_type"`
				CumulativeShare map[string]float64 `json:"cumulative_share"`
			} `json:"sites"`
		}
		r := post(t, h, "/v1/recommend", `{"types":[{"id":"`+typ+`"}],"k":2}`)
		if err := json.Unmarshal(r.Body.Bytes(), &ans); err != nil || len(ans.Sites) == 0 {
			t.Fatalf("recommend %s: %v %s", typ, err, r.Body)
		}
		for _, site := range ans.Sites {
			if n >= len(rows) {
				t.Fatalf("the sheet ends before %s site %d", typ, site.Rank)
			}
			row := rows[n]
			n++
			if row[0] != typ || row[2].(float64) != float64(site.Rank) || math.Abs(row[3].(float64)-site.Location[0]) > 1e-9 ||
				math.Abs(row[4].(float64)-site.Location[1]) > 1e-9 || math.Abs(row[5].(float64)-site.GainByType[typ]) > 1e-9 ||
				math.Abs(row[6].(float64)-site.CumulativeShare[typ]) > 1e-9 || row[len(row)-1] != site.ID {
				t.Errorf("row %d %v; /v1/recommend says %+v", n, row, site)
			}
			if name, _ := row[8].(string); !strings.HasSuffix(name, "区（W）") && !strings.HasSuffix(name, "区（E）") {
				t.Errorf("row %d: district %v, want 西区（W） or 东区（E）", n, row[8])
			}
		}
	}
	if n != len(rows) {
		t.Errorf("%d rows, /v1/recommend gave %d sites", len(rows)-1, n-1)
	}
	// Bounded as /v1/recommend: bad k, unknown or repeated types are 400s naming the parameter.
	for u, param := range map[string]string{
		"/v1/summary.xlsx?rec_k=21":                           "rec_k",
		"/v1/summary.xlsx?rec_k=0":                            "rec_k",
		"/v1/summary.xlsx?rec=no_such_type":                   "rec",
		"/v1/summary.xlsx?rec=pharmacy,pharmacy":              "rec",
		"/v1/summary.xlsx?rec_unit=" + url.QueryEscape("火星区"): "rec_unit",
		"/v1/summary.xlsx?rec_spacing_m=-1":                   "rec_spacing_m",
	} {
		rec := get(t, h, http.MethodGet, u)
		if rec.Code/100 != 4 || !strings.Contains(rec.Body.String(), `"parameter":"`+param+`"`) {
			t.Errorf("%s: %d %s; want a 4xx naming %s", u, rec.Code, rec.Body, param)
		}
	}
}

func TestSummaryCSVForExcel(t *testing.T) {
	h := newTestServer(t)
	with := get(t, h, http.MethodGet, "/v1/summary.csv?by=district&bom=1")
	without := get(t, h, http.MethodGet, "/v1/summary.csv?by=district")
	if with.Code != 200 || without.Code != 200 {
		t.Fatalf("status %d / %d", with.Code, without.Code)
	}
	if !bytes.HasPrefix(with.Body.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Errorf("bom=1 lacks the UTF-8 byte-order mark: % x", with.Body.Bytes()[:8])
	}
	if bytes.HasPrefix(without.Body.Bytes(), []byte("\xef\xbb\xbf")) || !bytes.Equal(with.Body.Bytes()[3:], without.Body.Bytes()) {
		t.Errorf("the BOM should be the only difference")
	}
	recs, err := csv.NewReader(without.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "单元级别" || recs[1][0] != "全市" {
		t.Errorf("csv starts %v / %v", recs[0], recs[1])
	}
	if rec := get(t, h, http.MethodGet, "/v1/summary.csv?bom=yes"); rec.Code != 400 || !strings.Contains(rec.Body.String(), "bom") {
		t.Errorf("bom=yes: %d %s", rec.Code, rec.Body.String())
	}
}

// TestScenarioCompareWorkbook: GET /v1/scenarios/{id}/compare.xlsx holds
// the 方案比较 sheet with exactly the gains of GET .../compare, and the
// recommendations measured on the scenario (its proposed pharmacy is a
// fixed facility there), read back by openpyxl.
func TestScenarioCompareWorkbook(t *testing.T) {
	srv, st := newStoreServer(t)
	h := withToken(srv.Handler(), addUser(t, st, "planner", coverage.Planner))
	rec := send(t, h, "POST", "/v1/scenarios", `{"name": "东区药店"}`)
	wantStatus(t, rec, http.StatusCreated, "")
	var sc coverage.Scenario
	json.Unmarshal(rec.Body.Bytes(), &sc)
	u := "/v1/scenarios/" + sc.ID
	wantStatus(t, send(t, h, "POST", u+"/proposals", `{"facilities": [{"type": "pharmacy", "lon": 104.0668, "lat": 30.6601}]}`), http.StatusCreated, "")
	var cmp struct {
		Comparison coverage.Comparison `json:"comparison"`
	}
	json.Unmarshal(send(t, h, "GET", u+"/compare", "").Body.Bytes(), &cmp)
	if len(cmp.Comparison.Types) != 1 || cmp.Comparison.Types[0].NewlyCovered <= 0 {
		t.Fatalf("comparison %+v: nothing to check", cmp.Comparison.Types)
	}

	rec = send(t, h, "GET", u+"/compare.xlsx?rec=pharmacy&rec_k=1", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != xlsxType || !strings.Contains(rec.Header().Get("Content-Disposition"), sc.ID) {
		t.Fatalf("status %d %q %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"), rec.Body)
	}
	wb := openpyxl(t, saveBody(t, rec, rec.Body.Bytes(), "cmp.xlsx"))
	if s := wb["sheets"].([]any); len(s) != 7 || s[5] != "推荐选址" || s[6] != "方案比较" {
		t.Fatalf("sheets %v", s)
	}
	data := wb["data"].(map[string]any)
	var rows [][]any
	for _, r := range data["方案比较"].(map[string]any)["rows"].([]any) {
		rows = append(rows, r.([]any))
	}
	if rows[0][0] != "类型编码" || rows[0][4] != "新增覆盖人口" {
		t.Errorf("comparison headers %v", rows[0])
	}
	want := cmp.Comparison.Types[0]
	if rows[1][0] != want.ID || rows[1][2] != nil || rows[1][3] != "全市" || math.Abs(rows[1][4].(float64)-want.NewlyCovered) > 1e-9 {
		t.Errorf("citywide comparison row %v, want %s +%v", rows[1], want.ID, want.NewlyCovered)
	}
	n := 0
	for _, un := range cmp.Comparison.Units {
		n += len(un.Types)
	}
	if len(rows)-1 != len(cmp.Comparison.Types)+n {
		t.Errorf("%d comparison rows, want %d types + %d unit rows", len(rows)-1, len(cmp.Comparison.Types), n)
	}
	// the recommendation is the scenario's: the same request on the baseline
	// starts from a lower pharmacy share
	recRows := data["推荐选址"].(map[string]any)["rows"].([]any)
	base := openpyxl(t, saveBody(t, nil, get(t, h, http.MethodGet, "/v1/summary.xlsx?rec=pharmacy&rec_k=1").Body.Bytes(), "base.xlsx"))
	baseRows := base["data"].(map[string]any)["推荐选址"].(map[string]any)["rows"].([]any)
	if len(recRows) < 2 || len(baseRows) < 2 {
		t.Fatalf("recommendations: scenario %v, baseline %v", recRows, baseRows)
	}
	if sShare, bShare := recRows[1].([]any)[7].(float64), baseRows[1].([]any)[7].(float64); !(sShare > bShare) {
		t.Errorf("share before the recommended pharmacy: scenario %v, baseline %v; the scenario's proposal should count", sShare, bShare)
	}
	// the bounds hold here too
	if rec := send(t, h, "GET", u+"/compare.xlsx?rec_k=99", ""); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "rec_k") {
		t.Errorf("rec_k=99: %d %s", rec.Code, rec.Body)
	}
}
