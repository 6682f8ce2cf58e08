package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// Identity: who sent a request. An Authenticator says; the middleware
// enforces that writes (and, on a private server, reads) carry a valid
// identity; handlers only ask userOf(c). OpenID Connect can be added as
// another Authenticator (verifying the provider's ID tokens and mapping
// their claims to a coverage.User) without touching a handler.

// Authenticator finds the user a request comes from. It returns
// errNoCredentials when the request carries none, and an *authError when
// it carries credentials that are not valid.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (coverage.User, error)
}

// errUnauthorized marks the errors answered 401.
var errUnauthorized = errors.New("unauthorized")

// errNoCredentials: the request carries no credentials at all.
var errNoCredentials = &authError{rule: "auth.token_required",
	zh: "需要 API 令牌：请在请求头 Authorization: Bearer 令牌 中提供",
	en: "an API token is required: send the header Authorization: Bearer TOKEN"}

// authError is a 401 naming the rule, in Chinese and English.
type authError struct{ rule, zh, en string }

func (e *authError) Error() string { return e.zh + " / " + e.en }
func (e *authError) Unwrap() error { return errUnauthorized }

// TokenAuthenticator checks "Authorization: Bearer lc_…" tokens against
// the users in a store.
type TokenAuthenticator struct {
	Users interface {
		UserByID(ctx context.Context, id string) (coverage.User, coverage.Credential, error)
	}
}

// Authenticate implements Authenticator.
func (t TokenAuthenticator) Authenticate(ctx context.Context, r *http.Request) (coverage.User, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return coverage.User{}, errNoCredentials
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return coverage.User{}, &authError{"auth.bearer_only", "只接受 Authorization: Bearer 令牌", "only Authorization: Bearer TOKEN is accepted"}
	}
	id, secret, err := coverage.ParseToken(strings.TrimSpace(token))
	if err != nil {
		return coverage.User{}, &authError{"auth.token_invalid", "令牌格式无效", "the token is not a lifecircle token"}
	}
	u, cred, err := t.Users.UserByID(ctx, id)
	switch {
	case errors.Is(err, coverage.ErrNotFound) || (err == nil && !cred.Matches(secret)):
		return coverage.User{}, &authError{"auth.token_invalid", "令牌无效", "the token is not valid"}
	case err != nil:
		return coverage.User{}, err
	case !u.Active():
		return coverage.User{}, &authError{"auth.token_revoked", "令牌已被吊销", "the token has been revoked"}
	}
	return u, nil
}

// SetAuthenticator replaces the token authenticator over the store.
func (s *Server) SetAuthenticator(a Authenticator) { s.auth = a }

// SetPrivate makes every read need a valid identity too (serve --private).
func (s *Server) SetPrivate(private bool) { s.private = private }

const userKey = "lifecircle.user"

// readPOSTs are POST routes that compute an answer and store nothing.
var readPOSTs = map[string]bool{"/v1/recommend": true, "/v1/plan/trajectory": true, "/v1/scenarios/:id/whatif": true}

// isWrite says whether a request changes what the store holds.
func isWrite(c *gin.Context) bool {
	if c.FullPath() == "" {
		return false // no such route: 404 or 405 follows
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	case http.MethodPost:
		return !readPOSTs[c.FullPath()]
	}
	return true
}

// open paths answer without identity even on a private server.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// authenticate finds the request's user. Bad credentials are a 401
// everywhere; missing ones are a 401 on writes and on a private server.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Method == http.MethodOptions {
			return
		}
		auth := s.auth
		if auth == nil {
			if ref := s.store.Load(); ref != nil {
				auth = TokenAuthenticator{ref.Store}
			}
		}
		if auth == nil {
			return // no store, no users: the handlers answer 503 for writes
		}
		u, err := auth.Authenticate(c.Request.Context(), c.Request)
		switch {
		case err == nil:
			c.Set(userKey, u)
			return
		case !errors.Is(err, errNoCredentials):
			writeError(c, err)
		case isWrite(c) || (s.private && !openPaths[c.FullPath()]):
			writeError(c, err)
		}
	}
}

// userOf is the authenticated user (false when the request has none).
func userOf(c *gin.Context) (coverage.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return coverage.User{}, false
	}
	u, ok := v.(coverage.User)
	return u, ok
}

// writer is the user of a write request, answering 401 when there is none
// (the middleware already did; this keeps handlers safe on their own).
func writer(c *gin.Context) (coverage.User, bool) {
	u, ok := userOf(c)
	if !ok {
		writeError(c, errNoCredentials)
		return u, false
	}
	if err := coverage.MayWrite(u); err != nil {
		writeError(c, err)
		return u, false
	}
	return u, true
}

const requestIDKey = "lifecircle.request_id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID takes a sane X-Request-Id from the client (a proxy's) or makes
// one, and answers it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
			id = hex.EncodeToString(b)
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-Id", id)
	}
}

func requestIDOf(c *gin.Context) string { return c.GetString(requestIDKey) }

// writeNote is the audit entry (and the idempotency answer, when the
// request has a key) a write records with itself.
func writeNote(c *gin.Context, u coverage.User, action, dataset, scenario string, detail []byte) coverage.WriteNote {
	return coverage.WriteNote{Audit: &coverage.AuditEntry{
		At: timeNow(), User: u.Name, Role: u.Role, Action: action, Dataset: dataset, Scenario: scenario,
		RequestID: requestIDOf(c), Detail: detail,
	}}
}

// idempotencyKey is the request's Idempotency-Key ("" for none).
func idempotencyKey(c *gin.Context) (string, error) {
	k := c.GetHeader("Idempotency-Key")
	if k != "" && !requestIDPattern.MatchString(k) {
		return "", badParamZH("Idempotency-Key", "请求头 Idempotency-Key 须为 1 至 64 个字母、数字或 ._:- 字符", "the Idempotency-Key header must be 1 to 64 letters, digits or ._:-")
	}
	return k, nil
}

// bodySHA256Key holds the hex SHA-256 of the request body decodeBody read.
const bodySHA256Key = "lifecircle.body_sha256"

// errKeyReused: an Idempotency-Key comes back with another request body.
var errKeyReused = errors.New("idempotency key reused with another body")

// replayed answers a retried write with the answer stored for its
// Idempotency-Key, and says whether it did. The retry must be the same
// request: another method, path or body under the key is refused (409,
// 422) rather than answered with the first request's answer.
func replayed(c *gin.Context, st coverage.Store, u coverage.User, key string) bool {
	if key == "" {
		return false
	}
	r, err := st.Replay(c.Request.Context(), u.Name, key)
	switch {
	case errors.Is(err, coverage.ErrNotFound):
		return false
	case err != nil:
		writeError(c, err)
		return true
	case r.Method != c.Request.Method || r.Path != c.Request.URL.Path:
		writeError(c, coverage.WithZH(fmt.Errorf("Idempotency-Key %q was used for %s %s, not this request: %w", key, r.Method, r.Path, coverage.ErrConflict),
			"Idempotency-Key「%s」已用于 %s %s，不能用于本次请求", key, r.Method, r.Path))
		return true
	case r.RequestSHA256 != "" && r.RequestSHA256 != c.GetString(bodySHA256Key):
		writeError(c, &paramError{"Idempotency-Key", coverage.WithZH(
			fmt.Errorf("Idempotency-Key %q was used for a request with another body (%s %s at %s); a retry must send the same body, a new request a new key: %w",
				key, r.Method, r.Path, r.Created.Format(time.RFC3339), errKeyReused), "%s",
			fmt.Sprintf("幂等键「%s」已用于另一个请求体不同的请求（%s %s，%s）：重试必须发送相同的请求体，新的请求请使用新的键",
				key, r.Method, r.Path, r.Created.Format(time.RFC3339)))})
		return true
	}
	c.Header("Idempotent-Replayed", "true")
	c.Data(r.Status, "application/json; charset=utf-8", r.Body)
	c.Abort()
	return true
}

var timeNow = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// commit runs a store write with its note (audit entry; the answer, when
// the request has an Idempotency-Key; the version it bumps) in the write's
// own transaction. It returns true when the caller should now send body
// with status; false when an error or the stored answer of an earlier try
// was sent instead. A write whose version is stale is a 409 naming the
// version now stored (the ETag to send as If-Match after reading again).
func commit(c *gin.Context, st coverage.Store, u coverage.User, note coverage.WriteNote, status int, body []byte, write func(ctx context.Context) error) bool {
	key, err := idempotencyKey(c)
	if err != nil {
		writeError(c, err)
		return false
	}
	if key != "" {
		note.Replay = &coverage.Replay{User: u.Name, Key: key, Method: c.Request.Method, Path: c.Request.URL.Path,
			Status: status, Body: body, Created: timeNow(), RequestSHA256: c.GetString(bodySHA256Key)}
	}
	var got int64
	if note.Version != nil {
		note.Version.Got = &got
	}
	start := time.Now()
	err = write(coverage.WithWriteNote(c.Request.Context(), note))
	metricStoreWrite.WithLabelValues(note.Audit.Action).Observe(time.Since(start).Seconds())
	if errors.Is(err, coverage.ErrConflict) && key != "" && replayed(c, st, u, key) {
		return false // a concurrent try with the same key won
	}
	if errors.Is(err, coverage.ErrStale) && note.Version != nil {
		now, verr := st.Version(c.Request.Context(), note.Version.Key)
		if verr != nil {
			writeError(c, verr)
			return false
		}
		c.Header("ETag", versionETag(now))
		writeError(c, staleError(note.Version.Key, note.Version.Expect, now))
		return false
	}
	if err != nil {
		writeError(c, err)
		return false
	}
	if note.Version != nil && got > 0 {
		c.Header("ETag", versionETag(got))
	}
	return true
}

// versionETag is the ETag of a versioned record (a scenario, a plan).
func versionETag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// ifMatch reads If-Match: the version the client read (ok false when the
// header is absent or *, which any stored version satisfies). Writes
// without it are accepted and checked against the version the server read
// itself, so they cannot lose another write either.
func ifMatch(c *gin.Context) (int64, bool, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v < 0 || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || len(h) < 3 {
		return 0, false, badParamZH("If-Match", fmt.Sprintf("If-Match「%s」不是本服务给出的 ETag（如 \"3\"，见读取时的 ETag 响应头）", h),
			"If-Match %q is not an ETag this server gave (such as \"3\", from the ETag header of the read)", h)
	}
	return v, true, nil
}

// staleError is the 409 of a write made on a version that is no longer
// current.
func staleError(key string, expect, now int64) error {
	what, whatZH := "the plan", "规划"
	if strings.HasPrefix(key, "scenario/") {
		what, whatZH = "scenario "+strings.TrimPrefix(key, "scenario/"), "方案 "+strings.TrimPrefix(key, "scenario/")
	}
	return &paramError{"If-Match", coverage.WithZH(
		fmt.Errorf("%s was changed by another write since version %s: it is now at version %s (ETag %s); read it again, check the change still holds, and retry with If-Match: %s: %w",
			what, versionETag(expect), versionETag(now), versionETag(now), versionETag(now), coverage.ErrStale), "%s",
		fmt.Sprintf("%s在版本 %s 之后已被其他写入修改，当前版本为 %s：请重新读取，确认修改仍然适用后，以 If-Match: %s 重试",
			whatZH, versionETag(expect), versionETag(now), versionETag(now)))}
}

func sendJSON(c *gin.Context, status int, body []byte) {
	c.Data(status, "application/json; charset=utf-8", body)
}
