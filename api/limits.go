package api

import (
	"container/list"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// Bounded work: no request may take the server with it. Expensive routes
// pass a small concurrency limiter (429 + Retry-After when it is full) and
// run under a deadline that ends with the client; writes are rate-limited
// per client; bodies are capped per route; scenario analyses live in an LRU
// under a memory budget; request logs never block an answer.

// expensive are the routes whose work grows with the request: they share
// the limiter and get a deadline.
var expensive = map[string]bool{
	"/v1/recommend":                  true,
	"/v1/plan/trajectory":            true,
	"/v1/scenarios/:id/compare":      true,
	"/v1/scenarios/:id/compare.xlsx": true,
	"/v1/scenarios/:id/layers/delta": true,
	"/v1/summary.xlsx":               true,
	"/v1/capacity":                   true,
	"/v1/equity":                     true,
}

// expensiveTimeout bounds one expensive request (below the server's
// WriteTimeout, so the answer can still be written).
const expensiveTimeout = 60 * time.Second

// bodyLimits caps request bodies per route (bytes); others get defaultBody.
var bodyLimits = map[string]int64{
	"/v1/scenarios":               16 << 10,
	"/v1/scenarios/:id/proposals": 256 << 10,
	"/v1/scenarios/:id/whatif":    256 << 10,
	"/v1/scenarios/:id/changes":   1 << 20,
	"/v1/plan/items":              4 << 20,
	"/v1/plan/trajectory":         4 << 20,
	"/v1/recommend":               4 << 20,
}

const defaultBody = 64 << 10

func bodyLimit(route string) int64 {
	if n, ok := bodyLimits[route]; ok {
		return n
	}
	return defaultBody
}

// Limits are the server's work limits; SetLimits changes them.
type Limits struct {
	Expensive      int           // expensive requests at once (0: 2)
	WritesPerSec   float64       // per client (user, or address without one); 0: 10
	WriteBurst     int           // 0: 50
	ScenarioMemory int64         // bytes of scenario analyses kept (0: 512 MiB)
	Timeout        time.Duration // of an expensive request (0: expensiveTimeout)
}

func (l Limits) withDefaults() Limits {
	if l.Expensive <= 0 {
		l.Expensive = 2
	}
	if l.WritesPerSec <= 0 {
		l.WritesPerSec = 10
	}
	if l.WriteBurst <= 0 {
		l.WriteBurst = 50
	}
	if l.ScenarioMemory <= 0 {
		l.ScenarioMemory = 512 << 20
	}
	if l.Timeout <= 0 {
		l.Timeout = expensiveTimeout
	}
	return l
}

// limiter holds the live limits.
type limiter struct {
	limits  Limits
	slots   chan struct{}
	mu      sync.Mutex
	clients map[string]*clientRate
}

type clientRate struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l Limits) *limiter {
	l = l.withDefaults()
	return &limiter{limits: l, slots: make(chan struct{}, l.Expensive), clients: map[string]*clientRate{}}
}

// SetLimits replaces the work limits (call before serving).
func (s *Server) SetLimits(l Limits) {
	s.limiter = newLimiter(l)
	s.scenarios = newScenarioCache(s.limiter.limits.ScenarioMemory)
}

// allowWrite takes a token of the client's write bucket.
func (l *limiter) allowWrite(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	cr := l.clients[client]
	if cr == nil {
		if len(l.clients) > 10000 { // forget clients idle for a minute
			for k, v := range l.clients {
				if now.Sub(v.seen) > time.Minute {
					delete(l.clients, k)
				}
			}
		}
		cr = &clientRate{lim: rate.NewLimiter(rate.Limit(l.limits.WritesPerSec), l.limits.WriteBurst)}
		l.clients[client] = cr
	}
	cr.seen = now
	return cr.lim.AllowN(now, 1)
}

func tooMany(c *gin.Context, rule, zh, en string, retry int) {
	c.Header("Retry-After", strconv.Itoa(retry))
	metricRejected.WithLabelValues(rule).Inc()
	writeBilingual(c, http.StatusTooManyRequests, rule, "", zh, en)
}

// bound applies the limits: body cap, write rate, and for expensive
// routes a slot and a deadline.
func (s *Server) bound() gin.HandlerFunc {
	return func(c *gin.Context) {
		l := s.limiter
		route := c.FullPath()
		if c.Request.Body != nil && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimit(route))
		}
		if isWrite(c) {
			client := c.ClientIP()
			if u, ok := userOf(c); ok {
				client = "user:" + u.Name
			}
			if !l.allowWrite(client) {
				tooMany(c, "limit.write_rate", "写入过于频繁，请稍后重试", "too many writes from this client; retry later", 1)
				return
			}
		}
		if !expensive[route] && !(route == "/ogc/collections/:id/items" && c.Query("f") == "gpkg") { // a GeoPackage download (download.go) is a whole layer
			return
		}
		select {
		case l.slots <- struct{}{}:
		default:
			tooMany(c, "limit.busy", "服务器正忙于其他耗时计算，请稍后重试", "the server is busy with other long computations; retry later", 2)
			return
		}
		defer func() { <-l.slots }()
		ctx, cancel := context.WithTimeout(c.Request.Context(), l.limits.Timeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// errTooSlow: the request's deadline passed.
func isDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// scenarioCache keeps scenario analyses, least recently used first out,
// under a budget of bytes (estimated from cells × types).
type scenarioCache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	order  *list.List // of *scenarioEntry, most recent at the front
	byID   map[string]*list.Element
}

type scenarioEntry struct {
	id    string
	state *scenarioState
	cost  int64
}

func newScenarioCache(budget int64) *scenarioCache {
	return &scenarioCache{budget: budget, order: list.New(), byID: map[string]*list.Element{}}
}

// get returns the state of a scenario, adding an empty one when absent.
func (c *scenarioCache) get(id string) *scenarioState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*scenarioEntry).state
	}
	st := &scenarioState{}
	c.byID[id] = c.order.PushFront(&scenarioEntry{id: id, state: st})
	metricScenarioCache.Set(float64(len(c.byID)))
	return st
}

// charge records the memory a scenario's analysis takes and evicts the
// least recently used ones past the budget (never the one just charged).
func (c *scenarioCache) charge(id string, cost int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return
	}
	ent := e.Value.(*scenarioEntry)
	c.used += cost - ent.cost
	ent.cost = cost
	for c.used > c.budget && c.order.Len() > 1 {
		last := c.order.Back()
		if last == e {
			break
		}
		old := last.Value.(*scenarioEntry)
		c.order.Remove(last)
		delete(c.byID, old.id)
		c.used -= old.cost
	}
	metricScenarioCache.Set(float64(len(c.byID)))
	metricScenarioBytes.Set(float64(c.used))
}

// len is the number of scenarios kept.
func (c *scenarioCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}

// asyncLog hands log lines to one goroutine through a buffer: a slow log
// sink delays nothing; when the buffer is full lines are dropped and
// counted.
type asyncLog struct {
	ch chan func()
}

func newAsyncLog() *asyncLog {
	l := &asyncLog{ch: make(chan func(), 4096)}
	go func() {
		for f := range l.ch {
			f()
		}
	}()
	return l
}

func (l *asyncLog) log(f func()) {
	select {
	case l.ch <- f:
	default:
		metricLogDropped.Inc()
	}
}
