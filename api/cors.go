package api

import (
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// CORS: reads are open to every origin (browser GIS clients); writes are
// accepted from a browser only when its Origin is one given with
// SetAllowedOrigins (serve --allow-origin), and every write must be
// Content-Type: application/json, so that no form or text/plain POST from
// another page (which needs no preflight) can change anything.

// SetAllowedOrigins lists the origins (scheme://host[:port]) that may write.
func (s *Server) SetAllowedOrigins(origins []string) {
	m := make(map[string]bool, len(origins))
	for _, o := range origins {
		m[strings.TrimRight(o, "/")] = true
	}
	s.origins = m
}

const corsHeaders = "Content-Type, Accept, Range, Authorization, Idempotency-Key, If-Match, X-Request-Id"

func (s *Server) cors() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		origin := c.GetHeader("Origin")
		h.Add("Vary", "Origin")
		if c.Request.Method == http.MethodOptions {
			return // preflights are answered by the OPTIONS routes
		}
		if !isWrite(c) {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, ETag")
		} else {
			if origin != "" && !s.origins[origin] && !sameOrigin(c.Request, origin) {
				writeError(c, &coverage.RuleError{Rule: "cors.origin_not_allowed",
					Zh: "不接受来自网页 " + origin + " 的修改请求（服务器以 --allow-origin 列出允许的来源）",
					En: "writes from the web origin " + origin + " are not accepted (the server lists allowed origins with --allow-origin)"})
				return
			}
			if origin != "" {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Location, ETag, Idempotent-Replayed")
			}
		}
		if isWrite(c) {
			mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
			if err != nil || mt != "application/json" {
				writeBilingual(c, http.StatusUnsupportedMediaType, "content_type.json_only", "Content-Type",
					"请求体必须是 JSON（Content-Type: application/json）", "the body must be sent as Content-Type: application/json")
				return
			}
		}
	}
}

// sameOrigin reports whether origin is the server itself: the map and
// workbench pages it serves at / write with the user's token.
func sameOrigin(r *http.Request, origin string) bool {
	return origin == "http://"+r.Host || origin == "https://"+r.Host
}

// addPreflights answers OPTIONS on every real path (and only there):
// unknown paths stay 404.
func (s *Server) addPreflights() {
	methods := map[string][]string{}
	for _, r := range s.engine.Routes() {
		if r.Method != http.MethodOptions {
			methods[r.Path] = append(methods[r.Path], r.Method)
		}
	}
	for path, ms := range methods {
		ms := append(ms, http.MethodOptions)
		sort.Strings(ms)
		allow := strings.Join(ms, ", ")
		s.engine.OPTIONS(path, func(c *gin.Context) {
			h := c.Writer.Header()
			h.Set("Allow", allow)
			origin := c.GetHeader("Origin")
			switch {
			case origin != "" && s.origins[origin]:
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", allow)
			default:
				h.Set("Access-Control-Allow-Origin", "*")
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
			}
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
		})
	}
}
