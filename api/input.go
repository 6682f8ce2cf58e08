package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"lifecircle/coverage"
)

// Stricter input: query strings that do not decode, points with other than
// two coordinates, and sites far outside the dataset are refused.

// checkQuery answers 400 for a query string that does not decode
// (bbox=%ZZ), naming the parameter, instead of ignoring it.
func checkQuery() gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := c.Request.URL.RawQuery
		if raw == "" {
			return
		}
		if _, err := url.ParseQuery(raw); err == nil {
			return
		}
		param := "query"
		for _, part := range strings.Split(raw, "&") {
			k, v, _ := strings.Cut(part, "=")
			_, errK := url.QueryUnescape(k)
			_, errV := url.QueryUnescape(v)
			if errK != nil || errV != nil {
				if dk, err := url.QueryUnescape(k); err == nil {
					param = dk
				}
				break
			}
		}
		writeBilingual(c, http.StatusBadRequest, "", param,
			fmt.Sprintf("查询参数「%s」的编码无效（%% 后须为两位十六进制数）", param),
			fmt.Sprintf("the query parameter %q is not valid URL encoding (%% must be followed by two hex digits)", param))
	}
}

// checkLocations walks a decoded JSON body and refuses every "location"
// that is not exactly [lon, lat] (a third value would be silently
// dropped otherwise).
func checkLocations(v any, path string) error {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if k == "location" {
				if arr, ok := x.([]any); ok && len(arr) != 2 {
					return badParamZH(p, fmt.Sprintf("「%s」须恰好有两个坐标 [经度, 纬度]，而不是 %d 个", p, len(arr)),
						"%s must have exactly 2 coordinates [lon, lat], not %d", p, len(arr))
				}
			}
			if err := checkLocations(x, p); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := checkLocations(x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkLocationsJSON(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil // the typed decode reports it
	}
	return checkLocations(v, "")
}

// extentMargin is how far (degrees, ≈ 11 km) outside the dataset a site or
// plan item may lie.
const extentMargin = 0.1

type extentOf struct {
	a *coverage.Analysis
	b orb.Bound
}

var extentCache atomic.Pointer[extentOf]

// datasetExtent is the bound of the dataset's cells, facilities and units.
func datasetExtent(a *coverage.Analysis) orb.Bound {
	if e := extentCache.Load(); e != nil && e.a == a {
		return e.b
	}
	var b orb.Bound
	first := true
	add := func(g orb.Bound) {
		if first {
			b, first = g, false
			return
		}
		b = b.Union(g)
	}
	for _, p := range coverage.Centres(a.Data) {
		add(p.Bound())
	}
	for _, f := range a.Data.Facilities {
		add(f.Location.Bound())
	}
	for _, u := range a.Data.Units {
		if len(u.Geometry) > 0 {
			add(u.Geometry.Bound())
		}
	}
	extentCache.Store(&extentOf{a, b})
	return b
}

// checkInExtent refuses a point outside the dataset's extent plus a margin.
func checkInExtent(a *coverage.Analysis, field string, p orb.Point) error {
	b := datasetExtent(a)
	if b.IsZero() && b.Min == (orb.Point{}) {
		return nil
	}
	if p[0] < b.Min[0]-extentMargin || p[0] > b.Max[0]+extentMargin || p[1] < b.Min[1]-extentMargin || p[1] > b.Max[1]+extentMargin {
		return badParamZH(field, fmt.Sprintf("「%s」（%.5f, %.5f）不在数据集 %s 的范围内（经度 %.3f–%.3f，纬度 %.3f–%.3f）", field, p[0], p[1], a.Data.Name,
			b.Min[0], b.Max[0], b.Min[1], b.Max[1]),
			"%s (%.5f, %.5f) lies outside dataset %s (lon %.3f–%.3f, lat %.3f–%.3f, with a margin of %.1f°)", field, p[0], p[1], a.Data.Name,
			b.Min[0], b.Max[0], b.Min[1], b.Max[1], extentMargin)
	}
	return nil
}
