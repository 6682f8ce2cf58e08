package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// The response cache: the bytes of read answers (summaries, layers, OGC
// API items) keyed by the analysis version they were computed from and
// the canonical request (path, sorted query, the base URL links are built
// on), under a byte budget, least recently used out first. A new analysis
// has a new version, so nothing stale is ever served; answers about a
// stored scenario (?scenario=) are not cached (a proposal changes them).
// Every cached answer carries a weak ETag (the version and the request), so
// a client that sends it back in If-None-Match gets a 304 without a body;
// a client that accepts gzip gets the answer compressed once and kept.

// respCache is an LRU of answers under a byte budget (0: off).
type respCache = lru[*cachedResp]

type cachedResp struct {
	key    string
	etag   string
	header http.Header // what the handler set (Content-Type, Content-Crs, …)
	body   []byte
	gzOnce sync.Once
	gz     []byte // body gzip-compressed, made on the first request that accepts it
}

func newRespCache(budget int) *respCache { return newLRU[*cachedResp](budget) }

// acceptsGzip reports whether the client takes gzip (Accept-Encoding lists
// it without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// etagMatches reports whether If-None-Match names etag (weak comparison).
func etagMatches(inm, etag string) bool {
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// captureWriter keeps what a handler writes instead of sending it. Every
// write is copied (a handler may reuse its buffer between writes, as
// io.Copy does), the first into a slice of exactly its size, not grown by
// doubling. Only a handler that calls handOver just before its single write
// gives its buffer away uncopied.
type captureWriter struct {
	gin.ResponseWriter
	status int
	body   []byte
	keep   bool // the handler handed over the buffer of its next write
	owned  bool // body is the handler's own buffer (handOver), not a copy
}

// handOver tells the cache that the handler's next write is one buffer of
// its own that it never touches again: the cache keeps it without a copy
// (a 1,000-feature page is a megabyte).
func (w *captureWriter) handOver() { w.keep = true }

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *captureWriter) WriteHeaderNow() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
}
func (w *captureWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	switch {
	case w.body == nil && w.keep:
		w.body, w.owned, w.keep = b, true, false
		return len(b), nil
	case w.owned: // a second write: the first is no longer ours alone
		w.body, w.owned = append(make([]byte, 0, len(w.body)+len(b)), w.body...), false
	case w.body == nil:
		w.body = make([]byte, 0, len(b))
	}
	w.body = append(w.body, b...)
	return len(b), nil
}
func (w *captureWriter) WriteString(s string) (int, error) {
	return w.Write([]byte(s))
}
func (w *captureWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
func (w *captureWriter) Size() int     { return len(w.body) }
func (w *captureWriter) Written() bool { return w.status != 0 }

// cached wraps a read handler with the response cache.
func (s *Server) cached(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		rc := s.resp
		if rc == nil || rc.budget <= 0 || c.Query("scenario") != "" {
			h(c)
			return
		}
		r := c.Request
		// The analysis version is read before the handler runs: an answer
		// computed after a Replace is kept under the older key, never the
		// other way round (Replace publishes the analysis first).
		key := s.base.Load().Version() + "|" + r.URL.Path + "?" + r.URL.Query().Encode() + "|" + baseURL(r)
		e, ok := rc.get(key)
		if !ok {
			before := map[string]bool{}
			for k := range c.Writer.Header() {
				before[k] = true
			}
			real := c.Writer
			cw := &captureWriter{ResponseWriter: real}
			c.Writer = cw
			h(c)
			c.Writer = real
			if cw.Status() != http.StatusOK || len(cw.body) > rc.budget/8 {
				// errors and answers too large to keep go out as they are
				real.WriteHeader(cw.Status())
				real.Write(cw.body) //nolint:errcheck // the client left
				return
			}
			hdr := http.Header{}
			for k, v := range real.Header() {
				if !before[k] {
					hdr[k] = v
				}
			}
			sum := sha256.Sum256([]byte(key))
			e = rc.put(key, &cachedResp{key: key, etag: `W/"` + hex.EncodeToString(sum[:12]) + `"`, header: hdr, body: cw.body}, len(cw.body)+len(key))
		}
		s.sendCached(c, e)
	}
}

// sendCached writes a cached answer: 304 when If-None-Match names it,
// gzip when the client takes it, the bytes as kept otherwise.
func (s *Server) sendCached(c *gin.Context, e *cachedResp) {
	h := c.Writer.Header()
	for k, v := range e.header {
		h[k] = v
	}
	h.Set("ETag", e.etag)
	h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	h.Add("Vary", "Accept-Encoding")
	if etagMatches(c.GetHeader("If-None-Match"), e.etag) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		c.Status(http.StatusNotModified)
		return
	}
	body := e.body
	if len(body) >= 1024 && acceptsGzip(c.Request) {
		e.gzOnce.Do(func() {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
			zw.Write(e.body) //nolint:errcheck // writes to memory
			zw.Close()
			e.gz = b.Bytes()
			s.resp.grow(e.key, e, len(e.gz))
		})
		body = e.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		c.Writer.Write(body) //nolint:errcheck // the client left
	}
}

// SetResponseCache sets the byte budget of the response cache (0: off).
func (s *Server) SetResponseCache(budget int) { s.resp = newRespCache(budget) }
