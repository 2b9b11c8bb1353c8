# Targets a newcomer needs: `make demo` and `make test`. Everything else is
# for development and figures.

GO        ?= go
TOOLS_DIR ?= $(CURDIR)/.cache/tools
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT := $(CURDIR)/.cache/lint/$(GOLANGCI_LINT_VERSION)/golangci-lint
FUZZTIME  ?= 10m
export TOOLS_DIR

.PHONY: all build image demo test test-unit tools lint fuzz bench bench-fleet bench-postrender clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/vault-relay ./cmd/fake-vault

## image: the init-container image as an OCI layout and a docker tarball
## under .cache/image, built without a container daemon.
image:
	$(GO) run ./hack/build-image -out .cache/image

## demo: fake WorkOS Vault on loopback, then fetch and terraform against it.
demo:
	./scripts/demo.sh

## test: build the pinned test tools (cached under .cache/tools), lint, then
## run every test.
test: tools lint
	$(GO) test -race -count=1 ./...

## test-unit: every test without building the external tools.
test-unit:
	$(GO) test -count=1 ./...

tools:
	./hack/install-tools.sh

## lint: gofmt, go vet and golangci-lint (pinned, built into .cache/lint).
lint: $(GOLANGCI_LINT)
	@test -z "$$(gofmt -l cmd internal hack test)" || { gofmt -l cmd internal hack test; exit 1; }
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(dir $(GOLANGCI_LINT)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

## fuzz: run each fuzz target for FUZZTIME.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/credentials
	$(GO) test -run='^$$' -fuzz='^FuzzParseQuery$$' -fuzztime=$(FUZZTIME) ./internal/tfexternal
	$(GO) test -run='^$$' -fuzz='^FuzzRender$$' -fuzztime=$(FUZZTIME) ./internal/postrender

## bench: fetch end to end against curl + jq, and the Go benchmarks.
bench:
	$(GO) run ./hack/bench-fetch
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

## bench-fleet: a fleet of fetchers starting at once against a rate-limited
## fake vault, with outage, 503 and latency variants; see BENCHMARKS.md.
bench-fleet:
	$(GO) run ./hack/bench-fleet

## bench-postrender: post-render against kustomize and yq on generated
## streams of 500 and 5,000 documents, with kustomize and yq built into
## .cache/bench-tools. Takes about 25 minutes, most of it kustomize.
bench-postrender:
	./hack/bench-postrender/install-tools.sh
	$(GO) run ./hack/bench-postrender

clean:
	rm -rf bin
