# selfheal. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
GO ?= go
export PATH := $(CURDIR)/bin:$(PATH)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- build and test (lead) -----------------------------------------------------
.PHONY: build test bench
build: ## build bin/selfheal
	$(GO) build -o bin/selfheal ./cmd/selfheal

test: ## unit and ground-truth tests (what CI runs)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

bench: ## benchmarks: analysis, recorder memory, load CPU
	$(GO) test -run '^$$' -bench . -benchmem ./chaos/...

# --- host and images (fixtures) --------------------------------------------------
.PHONY: docker base-image
docker: ## make sure a Docker engine answers (installs and starts one if root on Debian)
	fixtures/host/ensure-docker.sh

base-image: docker ## the Debian base every local image starts FROM
	fixtures/images/build-base.sh

# --- cluster (fixtures) ----------------------------------------------------------

# --- scenario suite (e2e) ---------------------------------------------------------
