package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Types and units by Chinese name on every endpoint that takes them.
func TestChineseNamesEverywhere(t *testing.T) {
	h := newTestServer(t)
	for _, url := range []string{
		"/v1/layers/gaps?type=幼儿园&unit=东区",
		"/v1/layers/coverage?type=药店&unit=西区",
		"/v1/layers/gap-areas?type=幼儿园",
		"/v1/equity?type=幼儿园&by=district",
		"/v1/capacity?type=幼儿园",
	} {
		rec := get(t, h, http.MethodGet, url)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d %s", url, rec.Code, rec.Body)
		}
	}
	withoutLinks := func(url string) string { // the self link names the URL asked
		var m map[string]any
		json.Unmarshal(get(t, h, http.MethodGet, url).Body.Bytes(), &m)
		delete(m, "links")
		b, _ := json.Marshal(m)
		return string(b)
	}
	byCode := withoutLinks("/v1/layers/gaps?type=kindergarten&unit=E")
	byName := withoutLinks("/v1/layers/gaps?type=幼儿园&unit=东区")
	if byCode != byName || len(byCode) < 100 {
		t.Errorf("unit by name answers differently from unit by code")
	}
	for _, body := range []string{
		`{"types":["kindergarten"],"k":1}`,
		`{"types":["幼儿园"],"k":1}`,
		`{"types":[{"id":"幼儿园","weight":2}],"k":1,"unit":"东区"}`,
	} {
		rec := post(t, h, "/v1/recommend", body)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"kindergarten"`) {
			t.Errorf("recommend %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	rec := post(t, h, "/v1/plan/trajectory", `{"items":[{"type":"幼儿园","year":2026,"location":[104.0657,30.6595]}]}`)
	if rec.Code != http.StatusOK {
		t.Errorf("trajectory with a Chinese type: %d %s", rec.Code, rec.Body)
	}
}

// Errors carry Chinese and English; Accept-Language orders them; no Go
// type name leaks.
func TestErrorsBilingual(t *testing.T) {
	h := newTestServer(t)
	do := func(method, url, body, lang string) errorBody {
		t.Helper()
		req := httptest.NewRequest(method, url, strings.NewReader(body))
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var eb errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || rec.Code < 400 {
			t.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body)
		}
		return eb
	}
	zh := do("GET", "/v1/layers/gaps?type=公园", "", "")
	if zh.Parameter != "type" || !strings.HasPrefix(zh.Error, "设施类型「公园」") || !strings.Contains(zh.Error, "park_lc5") || zh.ErrorEN == "" {
		t.Errorf("ambiguous type, default (Chinese first): %+v", zh)
	}
	en := do("GET", "/v1/layers/gaps?type=公园", "", "en-GB,en;q=0.9,zh;q=0.5")
	if !strings.HasPrefix(en.Error, "facility type") || !strings.Contains(en.Error, "设施类型") {
		t.Errorf("English preferred: %+v", en)
	}
	if u := do("GET", "/v1/layers/gaps?type=幼儿园&unit=南区", "", "zh-CN"); u.Parameter != "unit" || !strings.Contains(u.ErrorZH, "南区") {
		t.Errorf("unknown unit: %+v", u)
	}
	for _, c := range []struct{ body, param string }{
		{`{"types":[5],"k":1}`, "types"},
		{`{"types":"kindergarten","k":1}`, "types"},
		{`{"types":[{"id":"kindergarten","weight":"x"}],"k":1}`, "types.weight"},
		{`{"types":[{"id":"kindergarten"}],"k":"two"}`, "k"},
		{`{"types":[{"id":"kindergarten"}],"k":1,"phase":[]}`, "phase"},
	} {
		eb := do("POST", "/v1/recommend", c.body, "")
		if eb.Parameter != c.param || strings.Contains(eb.Error, "coverage.") || strings.Contains(eb.Error, "api.") ||
			strings.Contains(eb.Error, "float64") || strings.Contains(eb.Error, "be int") || eb.ErrorZH == "" {
			t.Errorf("%s: %+v", c.body, eb)
		}
	}
	// every error has a Chinese text, even those whose detail is English only
	if eb := do("GET", "/v1/layers?bogus=1", "", ""); !strings.Contains(eb.ErrorZH, "未知的查询参数「bogus」") {
		t.Errorf("unknown parameter: %+v", eb)
	}
}

// Planners write status "built" (or 已建); it is accepted as existing.
func TestTrajectoryAcceptsBuilt(t *testing.T) {
	h := newTestServer(t)
	rec := post(t, h, "/v1/plan/trajectory", `{"items":[{"type":"kindergarten","year":2020,"status":"built","location":[104.0657,30.6595]},
	  {"type":"幼儿园","year":2020,"status":"已建","location":[104.0667,30.6595]}]}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"built":2`) {
		t.Errorf("status built: %d %s", rec.Code, rec.Body)
	}
}
