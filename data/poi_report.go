package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage"
)

// WritePOIFacilities writes classified facilities as a GeoJSON
// FeatureCollection that --facilities reads back: id, type, type_name_zh,
// name, status, and the rule that decided the type.
func WritePOIFacilities(w io.Writer, fs []coverage.Facility, rep *POIReport, cat *coverage.Catalog) error {
	fc := geojson.NewFeatureCollection()
	fc.ExtraMembers = geojson.Properties{"source": rep.File, "provider": rep.Provider, "source_crs": string(rep.CRS)}
	for _, f := range fs {
		ft := geojson.NewFeature(f.Location)
		ft.Properties = geojson.Properties{"id": f.ID, "type": f.Type, "name": f.Name, "status": string(f.Status), "rule": rep.RuleOf[f.ID]}
		if t, ok := cat.Type(f.Type); ok {
			ft.Properties["type_name_zh"] = t.NameZH
		}
		fc.Features = append(fc.Features, ft)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(fc); err != nil {
		return err
	}
	return bw.Flush()
}

// WritePOIReport writes the classification report as text (Chinese with
// English): rows per type, then every dropped, unmatched and ambiguous row
// with the rule that decided, then the merged duplicates.
func WritePOIReport(w io.Writer, rep *POIReport, cat *coverage.Catalog) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("POI 分类报告 / POI classification report\n")
	p("文件 file: %s\n提供方 provider: %s\n坐标系 source CRS: %s → WGS84\n编码 encoding: %s\n", rep.File, rep.Provider, rep.CRS, rep.Encoding)
	n := 0
	for _, c := range rep.PerType {
		n += c
	}
	p("行数 rows: %d; 设施 facilities written: %d; 归类行 rows classified: %d; 剔除 dropped: %d; 未匹配 unmatched: %d; 有歧义 ambiguous: %d; 合并重复 duplicates merged: %d\n\n",
		rep.Rows, n, len(rep.Decided), len(rep.Dropped), len(rep.Unmatched), len(rep.Ambiguous), len(rep.Duplicates))
	p("== 各类型设施数 facilities per type ==\n")
	types := make([]string, 0, len(rep.PerType))
	for t := range rep.PerType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		zh := ""
		if ft, ok := cat.Type(t); ok {
			zh = ft.NameZH
		}
		p("%-34s %5d  %s\n", t, rep.PerType[t], zh)
	}
	rows := func(title string, rs []POIRow) {
		p("\n== %s (%d) ==\n", title, len(rs))
		for _, r := range rs {
			p("%s\t%s", r.Where, r.Name)
			if r.Code != "" {
				p("\tcode=%s", r.Code)
			}
			if r.Category != "" {
				p("\tcategory=%s", r.Category)
			}
			p("\n\t规则 rule: %s\n", r.Rule)
			if len(r.Others) > 0 {
				p("\t不一致的规则 disagreeing: %s\n", strings.Join(r.Others, "; "))
			}
		}
	}
	rows("有歧义（按第一条规则归类）ambiguous, decided by the first rule", rep.Ambiguous)
	rows("未匹配 unmatched (not loaded)", rep.Unmatched)
	rows("剔除 dropped (not a catalogue facility)", rep.Dropped)
	p("\n== 合并的重复设施（同名同类型 ≤ 50 m）duplicates merged (%d) ==\n", len(rep.Duplicates))
	for _, d := range rep.Duplicates {
		p("%s\t%s\t%s merged into %s (%.0f m)\n", d.Type, d.Name, d.Merged, d.Kept, d.DistanceM)
	}
	return bw.Flush()
}
