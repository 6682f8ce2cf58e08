# lifecircle — 15-minute community life-circle coverage.
# h3-go binds the H3 C library, so cgo stays on.
export CGO_ENABLED := 1
GO ?= go
BIN := bin/lifecircle
BENCH_OUT ?= /tmp/lifecircle-bench.txt

.PHONY: load help build run test check fmt vet deps race bench load-tiles load-items golden sample compare-peer deps-pg deps-gdal deps-glpk deps-proj crash bench-store deps-web vendor-web deps-xlsx deps-owslib
help:   ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-12s %s\n", $$1, $$2}'
build:  ## Build the binary into bin/
	$(GO) build -o $(BIN) ./cmd/lifecircle
ADDR ?= :8080
run: build ## Serve the embedded Chengdu sample on :8080 (make run ADDR=:9090 for another port)
	./$(BIN) serve --addr $(ADDR)
test:   ## Run every test (what CI runs; the map's browser test needs make deps-web)
	$(GO) test -count=1 -timeout 30m ./...
check: fmt vet deps race ## fmt, vet, the dependency rule, tests under -race
fmt:    ## Fail if any file is not gofmt -s clean
	@test -z "$$(gofmt -s -l .)" || { gofmt -s -l .; exit 1; }
vet:    ## go vet
	$(GO) vet ./...
deps:   ## Fail if a package imports against cmd → api → coverage → spatial; data → coverage
	@! $(GO) list -deps ./spatial | grep -E '^lifecircle/(coverage|data|api)|gin-gonic|net/http$$' || { echo "spatial must not import our packages or HTTP"; exit 1; }
	@! $(GO) list -deps ./coverage | grep -E '^lifecircle/(data|api)|gin-gonic|net/http$$' || { echo "coverage must not import data, api or HTTP"; exit 1; }
	@! $(GO) list -deps ./data/... | grep -E '^lifecircle/api|gin-gonic' || { echo "data must not import api or gin"; exit 1; }
	@! $(GO) list -deps ./api | grep -E '^lifecircle/data' || { echo "api must not import data"; exit 1; }
	@! $(GO) list -f '{{join .Imports "\n"}}' ./api | grep -E '^lifecircle/spatial' || { echo "api must not import spatial (coverage wraps what it needs)"; exit 1; }
	@echo "dependency rule holds"
race:   ## Tests under the race detector
	$(GO) test -race -count=1 -timeout 45m ./...
bench:  ## Benchmarks (synthetic Chengdu-sized city, samples, OSM); compared with .ci/bench-baseline.txt when benchstat is installed
	$(GO) test -run='^$$' -bench='Synthetic|DetailedUnits|Network|ScenarioCompare' -benchmem -benchtime=3x -count=3 -timeout 60m ./coverage/ | tee $(BENCH_OUT)
	$(GO) test -run='^$$' -bench='WhatIf' -benchtime=2000x -count=3 ./coverage/ | tee -a $(BENCH_OUT)
	$(GO) test -run='^$$' -bench='Recommend$$' -benchtime=1x -count=3 ./coverage/ | tee -a $(BENCH_OUT)
	$(GO) test -run='^$$' -bench='LoadSample|IngestSynthetic|ReadOSM|PortoAlegre|ReadBasemap|BasemapQuery' -benchtime=3x -count=3 ./data/ | tee -a $(BENCH_OUT)
	$(GO) test -run='^$$' -bench='CollectionBBox' -benchmem -benchtime=300x -count=3 ./coverage/collection/ | tee -a $(BENCH_OUT)
	$(GO) test -run='^$$' -bench='ItemsPage1000|TileUncached|TileCached|MixedReads' -benchmem -benchtime=200x -count=3 ./api/ | tee -a $(BENCH_OUT)
	@if command -v benchstat >/dev/null; then benchstat .ci/bench-baseline.txt $(BENCH_OUT); \
	else echo "go install golang.org/x/perf/cmd/benchstat@latest to compare with .ci/bench-baseline.txt"; fi
LOAD_TIME ?= 20s
load-tiles: build ## 64 clients on loopback fetch cached z14 tiles from `lifecircle serve` (embedded sample, free port) for 20 s (vegeta)
	$(GO) run ./cmd/loadgen --serve ./$(BIN) --scenario tiles --clients 64 --duration $(LOAD_TIME)
load-items: build ## 64 clients on loopback fetch 1,000-feature items pages from `lifecircle serve` for 20 s (vegeta)
	$(GO) run ./cmd/loadgen --serve ./$(BIN) --scenario items --clients 64 --duration $(LOAD_TIME)
LOAD_MIX_ADDR ?= 127.0.0.1:18191
LOAD_FLAGS ?=
load: build ## 64 clients of mixed reads on the embedded sample, then the same with 16 proposal writers and a recommend loop on a GeoPackage-backed server (vegeta; LOAD_TIME=60s for the BENCHMARKS figures; LOAD_FLAGS=--gzip to ask for gzip)
	@! curl -s -o /dev/null http://$(LOAD_MIX_ADDR)/healthz || { echo "$(LOAD_MIX_ADDR) is taken: set LOAD_MIX_ADDR"; exit 1; }
	@./$(BIN) serve --addr $(LOAD_MIX_ADDR) 2>/dev/null & pid=$$!; \
	$(GO) run ./cmd/loadgen --target http://$(LOAD_MIX_ADDR) --scenario mixed --clients 64 --duration $(LOAD_TIME) $(LOAD_FLAGS); rc=$$?; \
	kill $$pid || { echo "the server had stopped"; exit 1; }; wait $$pid 2>/dev/null; [ $$rc = 0 ] || exit $$rc; \
	d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; \
	./$(BIN) import --store $$d/load.gpkg --sample chengdu >/dev/null 2>&1 || exit 1; \
	tok=$$(./$(BIN) users add --store $$d/load.gpkg --name load --role admin 2>/dev/null) || exit 1; \
	./$(BIN) serve --store $$d/load.gpkg --addr $(LOAD_MIX_ADDR) --write-rate 1000 --write-burst 1000 2>/dev/null & pid=$$!; \
	$(GO) run ./cmd/loadgen --target http://$(LOAD_MIX_ADDR) --scenario mixed-writes --token $$tok --clients 64 --duration $(LOAD_TIME) $(LOAD_FLAGS); rc=$$?; \
	kill $$pid || { echo "the server had stopped"; exit 1; }; wait $$pid 2>/dev/null; exit $$rc
golden: ## Rewrite the API golden files after an intended change
	$(GO) test ./api -update
sample: ## Regenerate data/sample from ../shared
	$(GO) run ./cmd/samplegen --shared ../shared --out data/sample
compare-peer: ## Run lifecircle and the PostGIS+pgRouting peer on Porto Alegre and compare (installs PostgreSQL on first use)
	$(GO) run ./cmd/comparepeer --shared ../shared --peer-out /tmp/lifecircle-peer-out
deps-pg: ## Install PostgreSQL 15 + PostGIS 3 with apt (root) for the PostGIS store tests
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3
deps-gdal: ## Install gdal-bin with apt (root): ogrinfo checks of the GeoPackage files
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin
crash: ## SIGKILL durability test of the GeoPackage store, 200 kills (make test runs 20)
	LIFECIRCLE_CRASH_CYCLES=200 $(GO) test -count=1 -timeout 30m -run TestCrashDurability -v ./cmd/lifecircle
bench-store: ## Store benchmarks: imports into GeoPackage and PostGIS, open + first layer
	LIFECIRCLE_BENCH_STORE=1 $(GO) test -run='^$$' -bench=Store -benchtime=1x -count=1 -timeout 120m ./data/storetest/
deps-owslib: ## Install python3-owslib with apt (root): OWSLib, the OGC API client test of /ogc (run with /usr/bin/python3)
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-owslib
deps-glpk: ## Install glpk-utils with apt (root): glpsol, the exact optimum for the recommendation test
	apt-get install -y glpk-utils
deps-proj: ## Install proj-bin with apt (root): cs2cs, the reference for the CRS transforms (spatial/crs)
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq proj-bin
WEBTEST := api/testdata/browser
deps-web: ## Install Debian chromium and a CJK font (root) and the browser-test npm packages (playwright-core, maplibre-gl) for the map tests
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }
	command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cd $(WEBTEST) && npm ci --no-audit --no-fund
vendor-web: ## Re-copy the pinned MapLibre (package-lock.json in api/testdata/browser) into api/web/vendor
	cd $(WEBTEST) && npm ci --no-audit --no-fund
	cp $(WEBTEST)/node_modules/maplibre-gl/dist/maplibre-gl.mjs $(WEBTEST)/node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
	   $(WEBTEST)/node_modules/maplibre-gl/dist/maplibre-gl.css $(WEBTEST)/node_modules/maplibre-gl/LICENSE.txt api/web/vendor/maplibre-gl/
	@grep -o '"version": "[^"]*"' $(WEBTEST)/node_modules/maplibre-gl/package.json | head -1
deps-xlsx: ## Install python3-openpyxl with apt (root): the independent reader the workbook tests check .xlsx files with
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-openpyxl
