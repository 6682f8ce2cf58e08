package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"lifecircle/coverage/collection"
)

// The GeoJSON encoder: one collection page as an RFC 7946 FeatureCollection,
// for the /v1 layers (string ids, the layer's facts as foreign members) and
// the OGC API items (integer ids, OGC members). Both come from the same
// indexed query.

type link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

type featureJSON struct {
	Type       string            `json:"type"`
	ID         any               `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Links      []link            `json:"links,omitempty"`
}

// project transforms a geometry for output (nil: keep WGS84 lon,lat).
type project func(orb.Geometry) orb.Geometry

func encodeFeature(f collection.Feature, ogc bool, proj project) featureJSON {
	out := featureJSON{Type: "Feature", ID: f.Key, Properties: f.Properties}
	if ogc {
		out.ID = f.ID
	}
	if f.Geometry != nil {
		g := f.Geometry
		if proj != nil {
			g = proj(g)
		}
		out.Geometry = geojson.NewGeometry(g)
	}
	return out
}

// pageLinks are the next and prev links of a page (absolute, typed).
func pageLinks(r *http.Request, q collection.Query, matched, returned int, mediaType string) []link {
	var out []link
	self := *r.URL
	base := baseURL(r)
	at := func(offset int) string {
		v := self.Query()
		v.Set("offset", strconv.Itoa(offset))
		if q.Limit > 0 {
			v.Set("limit", strconv.Itoa(q.Limit))
		}
		u := url.URL{Path: self.Path, RawQuery: v.Encode()}
		return base + u.String()
	}
	out = append(out, link{Href: base + self.RequestURI(), Rel: "self", Type: mediaType, Title: "this page"})
	if q.Limit > 0 && q.Offset+returned < matched {
		out = append(out, link{Href: at(q.Offset + q.Limit), Rel: "next", Type: mediaType, Title: "next page 下一页"})
	}
	if q.Offset > 0 {
		out = append(out, link{Href: at(max(q.Offset-max(q.Limit, 1), 0)), Rel: "prev", Type: mediaType, Title: "previous page 上一页"})
	}
	return out
}

// bufPool keeps the response buffers of feature pages: a 1,000-feature
// page is about a megabyte, and growing a fresh buffer to that size for
// every request cost a fifth of the request.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeFeatureCollection writes a page with extra top-level members.
func writeFeatureCollection(c *gin.Context, p collection.Page, members map[string]any, ogc bool, proj project) {
	var buf *bytes.Buffer
	cw, handOver := c.Writer.(*captureWriter)
	if handOver {
		// The response cache keeps these bytes as they are: a buffer of
		// their own, handed over instead of copied.
		buf = new(bytes.Buffer)
	} else {
		buf = bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer func() {
			if buf.Cap() <= 32<<20 {
				bufPool.Put(buf)
			}
		}()
	}
	buf.WriteString(`{"type":"FeatureCollection"`)
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, err := jsonBytes(members[k])
		if err != nil {
			writeError(c, err)
			return
		}
		kb, _ := json.Marshal(k)
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteString(`,"features":[`)
	if n := len(p.Features); n > 0 {
		buf.Grow(n * 700) // a cell feature is 600–800 bytes
	}
	var enc *json.Encoder
	var propKeys []string
	for i, f := range p.Features {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, ok := appendFeature(buf.AvailableBuffer(), f, ogc, proj, &propKeys)
		if ok {
			buf.Write(b)
			continue
		}
		if enc == nil {
			enc = json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
		}
		if err := enc.Encode(encodeFeature(f, ogc, proj)); err != nil {
			writeError(c, err)
			return
		}
		buf.Truncate(buf.Len() - 1) // the encoder's newline
	}
	buf.WriteString("]}")
	if handOver {
		cw.handOver()
	}
	c.Data(http.StatusOK, "application/geo+json", buf.Bytes())
}

func timeStamp() string { return time.Now().UTC().Format(time.RFC3339) }

// jsonBytes marshals v without escaping <, > and & (links carry & in query strings).
func jsonBytes(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
