package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// errorBody is every error answer: a message a person can act on, in
// Chinese and in English, and, when one parameter is at fault, its name.
// Error holds both texts, the one Accept-Language prefers first (Chinese
// unless English is preferred); ErrorZH and ErrorEN hold them apart.
type errorBody struct {
	Error     string `json:"error"`
	ErrorZH   string `json:"error_zh"`
	ErrorEN   string `json:"error_en"`
	Parameter string `json:"parameter,omitempty"`
	Rule      string `json:"rule,omitempty"` // the rule that refused a 401 or 403
}

// paramError blames one query parameter.
type paramError struct {
	param string
	err   error
}

func (e *paramError) Error() string { return e.err.Error() }
func (e *paramError) Unwrap() error { return e.err }

// errUnavailable marks a feature this server was started without (503).
var errUnavailable = errors.New("unavailable")

// badParamZH blames param for a bad request: zh is the Chinese text a
// person reads (Chinese first), format/args the English one. Every 400 the
// API raises itself goes through here, so none falls back to zhFallback.
func badParamZH(param, zh, format string, args ...any) error {
	return &paramError{param, coverage.WithZH(fmt.Errorf(format+": %w", append(args, coverage.ErrInvalid)...), "%s", zh)}
}

// notFound is badParamZH for something that does not exist (404): zh is
// the Chinese text, format/args the English one.
func notFound(param, zh, format string, args ...any) error {
	return &paramError{param, coverage.WithZH(fmt.Errorf(format+": %w", append(args, coverage.ErrNotFound)...), "%s", zh)}
}

// blame attaches a parameter name to a domain error that names none itself
// (a coverage.FieldError, e.g. types[1].id, is more precise and is kept).
func blame(param string, err error) error {
	var pe *paramError
	var fe *coverage.FieldError
	if err == nil || errors.As(err, &pe) || errors.As(err, &fe) {
		return err
	}
	return &paramError{param, err}
}

// The kind of a fault travels as a sentinel wrapped with %w
// (coverage.ErrInvalid, ErrNotFound …), so errors.Is and statusOf can tell
// it, but its word then trails the text ("…: not found"). The status (or
// the CLI's exit) already says the kind: what a person reads is the text
// without these words, made here once for the API and the command line.

// sentinelWords are the texts of the sentinels whose words are dropped.
var sentinelWords = func() string {
	var w []string
	for _, e := range []error{coverage.ErrInvalid, coverage.ErrNotFound, coverage.ErrForbidden, coverage.ErrConflict,
		errUnavailable, errUnauthorized, errors.New("ambiguous")} {
		w = append(w, regexp.QuoteMeta(e.Error()))
	}
	return strings.Join(w, "|")
}()

// sentinelSuffix matches ": <sentinel>" at the end of the text or of a
// clause (before ":", ";", ")", " (", " /" or " —").
var sentinelSuffix = regexp.MustCompile(`: (?:` + sentinelWords + `)($|[:;)]| \(| /| —)`)

// Message is the text of err a person reads: err.Error() without the
// sentinel words. errors.Is on err itself keeps working.
func Message(err error) string {
	if err == nil {
		return ""
	}
	return cleanText(err.Error())
}

func cleanText(s string) string {
	for {
		t := sentinelSuffix.ReplaceAllString(s, "$1")
		if t == s {
			return s
		}
		s = t
	}
}

// statusOf is the only error → status mapping.
func statusOf(err error) int {
	switch {
	case errors.Is(err, coverage.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, coverage.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, coverage.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errKeyReused):
		return http.StatusUnprocessableEntity
	case errors.Is(err, coverage.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case isDeadline(err):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// zhFallback is the Chinese text of an error that brings none: what kind
// of fault it is and which parameter, the detail being in the English text.
func zhFallback(status int, param string) string {
	where := ""
	if param != "" {
		where = "（参数「" + param + "」）"
	}
	switch status {
	case http.StatusBadRequest:
		return "请求有误" + where + "，详见英文说明"
	case http.StatusNotFound:
		return "未找到所请求的内容" + where + "，详见英文说明"
	case http.StatusServiceUnavailable:
		return "本服务未启用此功能，详见英文说明"
	case http.StatusConflict:
		return "与先前的请求冲突" + where + "，详见英文说明"
	case http.StatusTooManyRequests:
		return "请求过多，请稍后重试"
	}
	return "服务器内部错误"
}

// englishFirst reports whether Accept-Language prefers English to Chinese
// (Chinese comes first otherwise: the users are Chinese officials).
func englishFirst(header string) bool {
	type lang struct {
		tag string
		q   float64
	}
	var ls []lang
	for _, part := range strings.Split(header, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		l := lang{tag: strings.ToLower(strings.TrimSpace(fields[0])), q: 1}
		for _, f := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "q="); ok {
				if q, err := strconv.ParseFloat(v, 64); err == nil {
					l.q = q
				}
			}
		}
		if l.tag != "" {
			ls = append(ls, l)
		}
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].q > ls[j].q })
	for _, l := range ls {
		switch {
		case strings.HasPrefix(l.tag, "zh"):
			return false
		case strings.HasPrefix(l.tag, "en"):
			return true
		}
	}
	return false
}

func writeError(c *gin.Context, err error) {
	status := statusOf(err)
	body := errorBody{ErrorEN: Message(err), ErrorZH: cleanText(coverage.MessageZH(err))}
	var pe *paramError
	var fe *coverage.FieldError
	switch {
	case errors.As(err, &pe):
		body.Parameter = pe.param
	case errors.As(err, &fe):
		body.Parameter = fe.Field
	}
	var re *coverage.RuleError
	var ae *authError
	switch {
	case errors.As(err, &re):
		body.Rule, body.ErrorZH, body.ErrorEN = re.Rule, re.Zh, re.En
	case errors.As(err, &ae):
		body.Rule, body.ErrorZH, body.ErrorEN = ae.rule, ae.zh, ae.en
		c.Header("WWW-Authenticate", `Bearer realm="lifecircle"`)
	}
	if status == http.StatusInternalServerError {
		c.Error(err) //nolint:errcheck // recorded for the log line
		body = errorBody{ErrorEN: "internal error"}
	}
	if body.ErrorZH == "" {
		body.ErrorZH = zhFallback(status, body.Parameter)
	}
	if englishFirst(c.GetHeader("Accept-Language")) {
		body.Error = body.ErrorEN + " — " + body.ErrorZH
	} else {
		body.Error = body.ErrorZH + " — " + body.ErrorEN
	}
	c.AbortWithStatusJSON(status, body)
}

// writeBilingual answers an error given in both languages.
func writeBilingual(c *gin.Context, status int, rule, param, zh, en string) {
	body := errorBody{ErrorZH: zh, ErrorEN: en, Parameter: param, Rule: rule}
	if englishFirst(c.GetHeader("Accept-Language")) {
		body.Error = en + " — " + zh
	} else {
		body.Error = zh + " — " + en
	}
	c.AbortWithStatusJSON(status, body)
}

// e adapts a handler that returns its error: the error is written here,
// through the one mapping above.
func (s *Server) e(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			writeError(c, err)
		}
	}
}

// queryLevel reads an optional admin-level parameter (by=, level=): zero
// when absent, a 400 naming the parameter when it is not a level.
func queryLevel(c *gin.Context, name string) (coverage.UnitLevel, error) {
	v := c.Query(name)
	var l coverage.UnitLevel
	if v == "" {
		return l, nil
	}
	l, err := coverage.ParseUnitLevel(v)
	return l, blame(name, err)
}
