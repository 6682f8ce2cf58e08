// Package api is lifecircle's HTTP surface (Gin): it parses parameters,
// calls the coverage domain and writes JSON and GeoJSON. It holds no
// business rules; errors map to statuses in one place (errors.go).
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// Server answers the HTTP API over the analysis it currently holds.
type Server struct {
	logger   *slog.Logger
	analysis atomic.Pointer[coverage.Analysis]
	engine   *gin.Engine
	started  time.Time
	plan     atomic.Pointer[[]coverage.PlanItem]
	// scenarios caches scenario analyses in an LRU (limits.go).
	scenarios *scenarioCache
	limiter   *limiter
	logs      *asyncLog
	store     atomic.Pointer[storeRef] // optional; see SetStore (proposals.go)
	// base holds the collections of the current analysis; sets those of
	// recent scenario analyses (collections.go).
	base atomic.Pointer[collection.Set]
	sets *setCache
	// tiles caches encoded vector tiles (tiles.go).
	tiles *tileCache
	// resp caches the bytes of read answers by analysis version (respcache.go).
	resp    *respCache
	auth    Authenticator    // nil: tokens checked against the store (auth.go)
	private bool             // reads need a token too
	origins map[string]bool  // origins that may write from a browser (cors.go)
	gpkg    GeoPackageWriter // nil: no ?f=gpkg downloads (download.go)
	// locks serialise the writes of one scenario (and of the plan).
	locks sync.Map
	// warm: after an answer, compute in the background the types of the
	// current analysis not computed yet (SetWarmUp); warmed is the last
	// analysis so warmed.
	warm   atomic.Pointer[context.Context]
	warmed atomic.Pointer[coverage.Analysis]
}

// New returns a server over a; Replace swaps the analysis later without
// blocking readers.
func New(logger *slog.Logger, a *coverage.Analysis) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{logger: logger, engine: gin.New(), started: time.Now(), sets: newSetCache(16), tiles: newTileCache(64 << 20), resp: newRespCache(128 << 20)}
	s.analysis.Store(a)
	s.engine.HandleMethodNotAllowed = true
	s.engine.NoMethod(func(c *gin.Context) {
		writeBilingual(c, http.StatusMethodNotAllowed, "method.not_allowed", "",
			"此路径不接受 "+c.Request.Method+" 方法（见响应头 Allow）", "method "+c.Request.Method+" is not allowed here (see the Allow header)")
	})
	s.base.Store(newSet(a))
	s.limiter = newLimiter(Limits{})
	s.scenarios = newScenarioCache(s.limiter.limits.ScenarioMemory)
	s.logs = newAsyncLog()
	s.engine.Use(s.recovery(), requestID(), s.logRequests(), s.warmAfterAnswer(), checkQuery(), s.cors(), s.authenticate(), s.bound())
	s.addRoutes()
	s.addOpsRoutes()
	s.addPreflights()
	return s
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Replace publishes a new analysis; requests in flight finish on the old one.
// The analysis goes first: a cached answer is keyed by the version read
// from base before its handler runs, so it can only be newer than its key
// (and that key is never asked for again), never older.
func (s *Server) Replace(a *coverage.Analysis) {
	s.analysis.Store(a)
	s.base.Store(newSet(a))
}

func (s *Server) current() *coverage.Analysis { return s.analysis.Load() }

// logRequests logs one line per request with the route template, not the raw
// path, so logs group by endpoint.
func (s *Server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		observe(c, start)
		user, _ := userOf(c)
		attrs := []any{"request_id", requestIDOf(c), "user", user.Name,
			"method", c.Request.Method, "route", c.FullPath(), "path", c.Request.URL.Path,
			"status", c.Writer.Status(), "bytes", c.Writer.Size(), "ms", float64(time.Since(start).Microseconds()) / 1000}
		if errs := c.Errors.String(); errs != "" {
			attrs = append(attrs, "error", errs)
		}
		s.logs.log(func() { s.logger.Info("request", attrs...) })
	}
}

// SetWarmUp turns on computing, in the background once a first answer is
// written, the coverage of every type the current analysis has not
// computed yet (a type is computed on first use: the first answer never
// waits for the others, and later answers needing every type, such as
// the summary, find them computed). It runs on all cores but one and
// starts no further type once ctx ends; a nil ctx turns it off.
func (s *Server) SetWarmUp(ctx context.Context) {
	if ctx == nil {
		s.warm.Store(nil)
		return
	}
	s.warm.Store(&ctx)
}

// warmAfterAnswer starts the warm-up (SetWarmUp) once an answer is written.
func (s *Server) warmAfterAnswer() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		s.warmUp()
	}
}

// warmUp starts the warm-up of the current analysis, once per analysis.
func (s *Server) warmUp() {
	ctx := s.warm.Load()
	if ctx == nil {
		return
	}
	a := s.current()
	old := s.warmed.Load()
	if old == a || !s.warmed.CompareAndSwap(old, a) {
		return
	}
	go func() {
		start := time.Now()
		before := a.Computed()
		a.ComputeAll((*ctx).Done(), max(runtime.GOMAXPROCS(0)-1, 1))
		s.logger.Info("warmed up", "dataset", a.Data.Name, "types", a.NumTypes(), "computed", a.NumTypes()-before,
			"ms", time.Since(start).Milliseconds())
	}()
}

// recovery turns a panic into a 500 that shows nothing internal, and logs it.
func (s *Server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		s.logger.Error("panic", "path", c.Request.URL.Path, "error", err)
		writeError(c, fmt.Errorf("panic: %v", err))
	})
}

var timeSince = time.Since

// lock serialises the writes of one key (a scenario id, "plan"): a read,
// change and save of one scenario never interleaves with another.
func (s *Server) lock(key string) func() {
	v, _ := s.locks.LoadOrStore(key, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
