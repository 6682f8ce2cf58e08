package api

import (
	"container/list"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
	"lifecircle/coverage/collection"
)

// setVersions numbers every collection set the process builds, so tile
// caches and ETags change whenever the analysis behind them does.
var setVersions atomic.Int64

func newSet(a *coverage.Analysis) *collection.Set {
	return collection.NewSet(a, fmt.Sprintf("v%d", setVersions.Add(1)))
}

// setCache keeps the collection sets of recent scenario analyses (a small
// LRU: a scenario's analysis changes with each proposal).
type setCache struct {
	mu    sync.Mutex
	order *list.List // of *coverage.Analysis, most recent first
	sets  map[*coverage.Analysis]*list.Element
	max   int
}

type setEntry struct {
	a   *coverage.Analysis
	set *collection.Set
}

func newSetCache(max int) *setCache {
	return &setCache{order: list.New(), sets: map[*coverage.Analysis]*list.Element{}, max: max}
}

func (c *setCache) get(a *coverage.Analysis) *collection.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sets[a]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*setEntry).set
	}
	s := newSet(a)
	c.sets[a] = c.order.PushFront(&setEntry{a, s})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.sets, last.Value.(*setEntry).a)
	}
	return s
}

// collections returns the collection set of the current analysis, or of
// the scenario the request names with ?scenario=.
func (s *Server) collections(c *gin.Context) (*collection.Set, error) {
	if id := c.Query("scenario"); id != "" {
		a, err := s.scenarioOf(c, id)
		if err != nil {
			return nil, err
		}
		return s.sets.get(a), nil
	}
	return s.base.Load(), nil
}

// scenarioOf returns the analysis of a stored scenario.
func (s *Server) scenarioOf(c *gin.Context, id string) (*coverage.Analysis, error) {
	st, _, err := s.openScenario(c.Request.Context(), id)
	if err != nil {
		return nil, blame("scenario", err)
	}
	defer st.mu.Unlock()
	return st.a, nil
}

// baseURL is the scheme and host clients reached us on, for absolute links
// (behind a proxy: X-Forwarded-Proto and X-Forwarded-Host).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/ \t") {
		host = h
	}
	return scheme + "://" + host
}
