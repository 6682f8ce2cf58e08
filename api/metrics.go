package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Operations: /metrics (Prometheus), /readyz beside /healthz.

var (
	metricRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lifecircle_http_requests_total", Help: "HTTP requests by route template, method and status.",
	}, []string{"route", "method", "status"})
	metricLatency = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifecircle_http_request_seconds", Help: "HTTP request latency by route template and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route", "method"})
	metricAnalysis = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifecircle_analysis_seconds", Help: "Time to build a scenario analysis (kind=scenario) or re-score after proposals (kind=recompute).",
		Buckets: prometheus.ExponentialBuckets(.001, 4, 10),
	}, []string{"kind"})
	metricStoreWrite = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lifecircle_store_write_seconds", Help: "Store write latency (commit included) by action.",
		Buckets: prometheus.ExponentialBuckets(.0005, 3, 10),
	}, []string{"action"})
	metricRejected = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lifecircle_limiter_rejections_total", Help: "Requests refused by a limit (429), by rule.",
	}, []string{"rule"})
	metricScenarioCache = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "lifecircle_scenario_cache_entries", Help: "Scenario analyses kept in memory.",
	})
	metricScenarioBytes = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "lifecircle_scenario_cache_bytes", Help: "Estimated memory of the scenario analyses kept.",
	})
	metricLogDropped = promauto.NewCounter(prometheus.CounterOpts{
		Name: "lifecircle_log_lines_dropped_total", Help: "Request log lines dropped because the log sink was too slow.",
	})
)

// observe counts every request by route template (not raw path).
func observe(c *gin.Context, start time.Time) {
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	metricRequests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	metricLatency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

func (s *Server) addOpsRoutes() {
	h := promhttp.Handler()
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/metrics", func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) })
	s.engine.Match([]string{http.MethodGet, http.MethodHead}, "/readyz", s.handleReadyz)
}

// handleReadyz: 200 when the server can answer: an analysis is loaded and
// the store (if any) answers a read within two seconds; 503 otherwise.
func (s *Server) handleReadyz(c *gin.Context) {
	if s.current() == nil {
		writeBilingual(c, http.StatusServiceUnavailable, "ready.no_analysis", "", "尚未载入分析", "no analysis is loaded yet")
		return
	}
	if ref := s.store.Load(); ref != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if _, err := ref.Store.Datasets(ctx); err != nil {
			s.logger.Error("readyz", "error", err)
			writeBilingual(c, http.StatusServiceUnavailable, "ready.store", "", "存储无响应", "the store does not answer")
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "scenarios_cached": s.scenarios.len()})
}
