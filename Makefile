# lifecircle — 15-minute community life-circle coverage.
# h3-go binds the H3 C library, so cgo stays on.
export CGO_ENABLED := 1
GO ?= go
BIN := bin/lifecircle

.PHONY: help build run test check fmt vet deps race bench golden sample compare-peer
help:   ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-10s %s\n", $$1, $$2}'
build:  ## Build the binary into bin/
	$(GO) build -o $(BIN) ./cmd/lifecircle
run: build ## Serve the embedded Chengdu sample on :8080
	./$(BIN) serve --addr :8080
test:   ## Run every test (what CI runs)
	$(GO) test -count=1 ./...
check: fmt vet deps race ## fmt, vet, the dependency rule, tests under -race
fmt:    ## Fail if any file is not gofmt -s clean
	@test -z "$$(gofmt -s -l .)" || { gofmt -s -l .; exit 1; }
vet:    ## go vet
	$(GO) vet ./...
deps:   ## Fail if a package imports against cmd → api → coverage → spatial; data → coverage
	@! $(GO) list -deps ./spatial | grep -E '^lifecircle/(coverage|data|api)|gin-gonic|net/http$$' || { echo "spatial must not import our packages or HTTP"; exit 1; }
	@! $(GO) list -deps ./coverage | grep -E '^lifecircle/(data|api)|gin-gonic|net/http$$' || { echo "coverage must not import data, api or HTTP"; exit 1; }
	@! $(GO) list -deps ./data | grep -E '^lifecircle/api|gin-gonic' || { echo "data must not import api or gin"; exit 1; }
	@! $(GO) list -deps ./api | grep -E '^lifecircle/data' || { echo "api must not import data"; exit 1; }
	@echo "dependency rule holds"
race:   ## Tests under the race detector
	$(GO) test -race -count=1 ./...
bench:  ## Benchmarks (synthetic 1 M-cell city, samples); see BENCHMARKS.md
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=3x -count=3 ./spatial/... ./coverage/... ./data/...
golden: ## Rewrite the API golden files after an intended change
	$(GO) test ./api -update
sample: ## Regenerate data/sample from ../shared
	$(GO) run ./cmd/samplegen --shared ../shared --out data/sample
compare-peer: ## Run lifecircle and the PostGIS+pgRouting peer on Porto Alegre and compare (installs PostgreSQL on first use)
	$(GO) run ./cmd/comparepeer --shared ../shared --peer-out /tmp/lifecircle-peer-out
