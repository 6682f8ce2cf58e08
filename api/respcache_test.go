package api

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
)

func getWith(t testing.TB, h http.Handler, url string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestResponseCache: a cached answer is the answer, byte for byte, with an
// ETag that If-None-Match turns into a 304 and that a new analysis changes;
// gzip is the same bytes compressed; errors and scenarios are not kept.
func TestResponseCache(t *testing.T) {
	s := New(discardLogger(), fixture(t))
	h := s.Handler()
	urls := []string{"/v1/summary?by=district", "/v1/layers/gap-areas?type=kindergarten", "/ogc/collections/coverage-kindergarten/items?limit=5&offset=2",
		"/v1/layers/gaps?type=pharmacy&limit=3"}
	for _, u := range urls {
		cold := getWith(t, h, u, nil)
		if cold.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", u, cold.Code, cold.Body)
		}
		warm := getWith(t, h, u, nil)
		etag := warm.Header().Get("ETag")
		if etag == "" || etag != cold.Header().Get("ETag") {
			t.Errorf("%s: ETag %q then %q", u, cold.Header().Get("ETag"), etag)
		}
		if !bytes.Equal(stripTimeStamp(cold.Body.Bytes()), stripTimeStamp(warm.Body.Bytes())) || warm.Header().Get("Content-Type") != cold.Header().Get("Content-Type") {
			t.Errorf("%s: the cached answer differs from the first", u)
		}
		// the same answer with the cache off
		off := New(discardLogger(), s.current())
		off.SetResponseCache(0)
		plain := getWith(t, off.Handler(), u, nil)
		if !bytes.Equal(stripTimeStamp(plain.Body.Bytes()), stripTimeStamp(warm.Body.Bytes())) || plain.Header().Get("ETag") != "" {
			t.Errorf("%s: the cached answer differs from an uncached server's", u)
		}
		if nm := getWith(t, h, u, map[string]string{"If-None-Match": etag}); nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
			t.Errorf("%s with If-None-Match: %d, %d bytes; want 304 without a body", u, nm.Code, nm.Body.Len())
		}
		if nm := getWith(t, h, u, map[string]string{"If-None-Match": `W/"other"`}); nm.Code != http.StatusOK {
			t.Errorf("%s with another ETag: %d, want 200", u, nm.Code)
		}
		gz := getWith(t, h, u, map[string]string{"Accept-Encoding": "br, gzip"})
		body := gz.Body.Bytes()
		if gz.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		} else if warm.Body.Len() >= 1024 {
			t.Errorf("%s: %d bytes sent without gzip to a client that takes it", u, warm.Body.Len())
		}
		if !bytes.Equal(body, warm.Body.Bytes()) {
			t.Errorf("%s: the gzip answer is not the same bytes", u)
		}
		if q := getWith(t, h, u, map[string]string{"Accept-Encoding": "gzip;q=0"}); q.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip sent to a client that refuses it (q=0)", u)
		}
	}
	// a new analysis: new ETags, and If-None-Match with the old one is a 200
	u := urls[0]
	old := getWith(t, h, u, nil).Header().Get("ETag")
	s.Replace(fixture(t))
	rec := getWith(t, h, u, map[string]string{"If-None-Match": old})
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == old {
		t.Errorf("after Replace: %d, ETag %q (old %q); want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"), old)
	}
	// errors pass through and are not kept
	_, before := s.resp.size()
	for i := 0; i < 2; i++ {
		if rec := getWith(t, h, "/v1/summary?by=nowhere", nil); rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound || rec.Header().Get("ETag") != "" {
			t.Errorf("bad by: %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
		}
	}
	if _, after := s.resp.size(); after != before {
		t.Errorf("an error answer was cached (%d → %d entries)", before, after)
	}
	// HEAD of a cached answer: its headers, no body
	if rec := get(t, h, http.MethodHead, u); rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("ETag") == "" {
		t.Errorf("HEAD: %d, %d bytes, ETag %q", rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
	}
}

// TestResponseCacheBudget: the cache never holds more than its budget.
func TestResponseCacheBudget(t *testing.T) {
	s := New(discardLogger(), fixture(t))
	s.SetResponseCache(64 << 10)
	h := s.Handler()
	for off := 0; off < 19; off++ {
		for lim := 1; lim < 8; lim++ {
			if rec := getWith(t, h, "/ogc/collections/coverage-kindergarten/items?limit="+strconv.Itoa(lim)+"&offset="+strconv.Itoa(off), nil); rec.Code != http.StatusOK {
				t.Fatal(rec.Code)
			}
		}
	}
	if b, n := s.resp.size(); b > 64<<10 || n == 0 {
		t.Errorf("cache holds %d bytes in %d answers; budget %d", b, n, 64<<10)
	}
}

// TestResponseCacheCopiesChunks: a handler that writes its answer in chunks
// from one reused buffer (as io.Copy does) is kept byte for byte; only a
// handler that hands its buffer over is taken without a copy.
func TestResponseCacheCopiesChunks(t *testing.T) {
	s := New(discardLogger(), fixture(t))
	want := make([]byte, 128<<10) // no two chunks alike
	for i := range want {
		want[i] = byte('a' + (i/4096+i)%26)
	}
	r := gin.New()
	r.GET("/chunked", s.cached(func(c *gin.Context) {
		c.Status(http.StatusOK)
		buf := make([]byte, 4096)
		for off := 0; off < len(want); off += len(buf) {
			copy(buf, want[off:])
			c.Writer.Write(buf)  //nolint:errcheck
			for i := range buf { // the buffer is reused: scribble on it
				buf[i] = 'X'
			}
		}
	}))
	for i, name := range []string{"cold", "warm"} {
		rec := getWith(t, r, "/chunked", nil)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("%s answer (%d): %d bytes, equal=%v", name, i, rec.Body.Len(), bytes.Equal(rec.Body.Bytes(), want))
		}
	}
}
