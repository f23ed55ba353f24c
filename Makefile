# entpipe — build, tools, tests. Every target prints what it does.
# The README's two commands: `make demo` and `make test`.

GO        ?= go
TOOLS     := $(CURDIR)/.tools
BIN       := $(TOOLS)/bin
INFLUXD   := $(BIN)/influxd
STATICCHECK := $(BIN)/staticcheck
INFLUXD_VERSION     := v1.8.10
STATICCHECK_VERSION := v0.8.2
DEBIAN_PACKAGES     := prometheus prometheus-node-exporter prometheus-alertmanager nginx systemd file
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# The build information of `entpipe --version` and entpipe_build_info, in
# github.com/prometheus/common/version as every Prometheus project sets it.
LDFLAGS   := -s -w -X github.com/prometheus/common/version.Version=$(VERSION) -X github.com/prometheus/common/version.Revision=$(REVISION)

export ENTPIPE_INFLUXD := $(INFLUXD)

.PHONY: all build tools lint test test-short bench demo clean

all: build

build:
	@echo ">> building bin/entpipe"
	@CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/entpipe ./cmd/entpipe

## tools: install what the tests need, idempotently (project-local Go tools, Debian packages).
tools: $(INFLUXD) $(STATICCHECK) debian-packages

$(INFLUXD):
	@echo ">> installing influxd $(INFLUXD_VERSION) into $(BIN) (first time: a few minutes)"
	@GOBIN=$(BIN) $(GO) install github.com/influxdata/influxdb/cmd/influxd@$(INFLUXD_VERSION)

$(STATICCHECK):
	@echo ">> installing staticcheck $(STATICCHECK_VERSION) into $(BIN)"
	@GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: debian-packages
debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo ">> installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## lint: formatting, vet, staticcheck.
lint: $(STATICCHECK)
	@echo ">> checking gofmt"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@echo ">> go vet"
	@$(GO) vet ./...
	@echo ">> staticcheck"
	@$(STATICCHECK) ./...

## test: the whole suite, integration tests included and required (never skipped).
test: tools lint
	@echo ">> go test -race (integration tests required: real influxd, Prometheus, node_exporter, nginx)"
	@ENTPIPE_INTEGRATION=require .ci/gotest -race -count=1 ./...

## test-short: unit tests only, for a quick loop while editing.
test-short:
	@$(GO) test -short ./...

## bench: the performance targets (see the closing notes of each issue for figures).
bench: tools
	@$(GO) test -run '^$$' -bench . -benchmem ./...

## demo: the bulletin scenario end to end on local defaults (see deploy/demo/demo.sh).
demo: $(INFLUXD) build
	@deploy/demo/demo.sh

clean:
	@rm -rf bin .demo

## report: the directors' report from the InfluxDB of REPORT_CONFIG, then a
## headless Chromium screenshot of it (REPORT_DIR/screenshot.png) to look at.
## After `make demo` (which stops its influxd) the demo's influxd is started
## for the duration of the report (deploy/demo/with-influxd.sh).
REPORT_CONFIG ?= .demo/sim/entpipe.yaml
REPORT_DIR    ?= .demo/report
REPORT_FLAGS  ?= -from 2019-09-02 -to 2020-04-30 -day 2020-03-30 -ent ent92
CHROMIUM      ?= $(shell command -v chromium || command -v chromium-browser)
.PHONY: report
report: build
	@echo ">> writing the report of $(REPORT_CONFIG) into $(REPORT_DIR)"
	@deploy/demo/with-influxd.sh bin/entpipe report -config $(REPORT_CONFIG) -out $(REPORT_DIR) $(REPORT_FLAGS)
	@if [ -z "$(CHROMIUM)" ]; then echo "chromium not found: apt-get install -y chromium"; exit 1; fi
	@echo ">> screenshot $(REPORT_DIR)/screenshot.png (headless Chromium)"
	@profile=$$(mktemp -d); \
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir=$$profile --hide-scrollbars --window-size=1100,5600 \
		--screenshot=$(abspath $(REPORT_DIR))/screenshot.png file://$(abspath $(REPORT_DIR))/index.html 2>/dev/null; \
	rc=$$?; rm -rf $$profile; exit $$rc
	@echo "report: $(REPORT_DIR)/index.html, screenshot: $(REPORT_DIR)/screenshot.png"
