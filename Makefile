# selfheal. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
GO ?= go
export PATH := $(CURDIR)/bin:$(PATH)

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- build and test (lead) -----------------------------------------------------
.PHONY: build test bench
build: ## build bin/selfheal
	$(GO) build -o bin/selfheal ./cmd/selfheal

# The e2e package is the scenario suite (it brings up a cluster): not a unit test.
UNIT_PKGS = $$($(GO) list ./... | grep -v '/e2e$$')

# The nightly workflow is read by actionlint (with shellcheck on its run:
# steps when shellcheck is installed) before any test.
ACTIONLINT = github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

test: ## unit, ground-truth and report-in-browser tests (what CI runs); installs Chromium, promtool and redis-server if missing
	hack/install-browser.sh
	hack/need.sh promtool=prometheus redis-server=redis-server
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml
	$(GO) vet ./...
	$(GO) test -race -count=1 $(UNIT_PKGS)
	$(MAKE) example-test

# The examples are modules of their own (they import selfheal as a
# dependency would): their unit tests, not their suites (e2e/, a cluster).
.PHONY: example-test example-images example-e2e
example-test: ## the guestbook example's unit tests (a real Redis: redis-server)
	cd examples/guestbook && $(GO) vet ./... && $(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/e2e$$')

example-images: docker kind ## build the guestbook example's images, check them in Docker, load them into the cluster
	examples/guestbook/images/build.sh
	examples/guestbook/images/verify.sh
	examples/guestbook/images/build.sh --load $${SELFHEAL_CLUSTER:-selfheal}

EXAMPLE_FLAGS ?=
example-e2e: ## the guestbook example's suite on the running cluster (after example-images; EXAMPLE_FLAGS='-labels set=core')
	cd examples/guestbook && SELFHEAL_REPORT_DIR=$(REPORT_DIR)/guestbook $(GO) test ./e2e -count=1 -timeout $(E2E_TIMEOUT) -v -args \
		-kubeconfig $(CURDIR)/_out/selfheal.kubeconfig $(EXAMPLE_FLAGS)

bench: ## benchmarks: analysis of 1M requests, recorder memory, load CPU, RSS of a 1-hour run, 200 runs of history, a loader's CPU and RSS, the harness merging loaders
	$(GO) test -run '^$$' -bench . -benchmem ./chaos/measure ./chaos/load ./chaos/history ./chaos/loader ./chaos/vantage

# --- host and images (fixtures) --------------------------------------------------
.PHONY: docker base-image verify-app-images
docker: ## make sure a Docker engine answers (installs and starts one if root on Debian)
	fixtures/host/ensure-docker.sh

base-image: docker ## the Debian base every local image starts FROM
	fixtures/images/build-base.sh

verify-app-images: docker ## Docker-level checks of the WordPress and MariaDB images (fault, restart, install)
	fixtures/images/apps/build.sh
	fixtures/images/apps/verify.sh

# --- cluster (fixtures) ----------------------------------------------------------
.PHONY: kind images images-key images-check images-save images-load images-push registry registry-down cluster cluster-down cluster-status cluster-test
KIND_VERSION := $(shell sed -n 's/^KIND_VERSION=//p' fixtures/images/versions.env)
CLUSTER_FLAGS ?=

kind: bin/kind ## install the pinned kind into bin/ (the cluster code refuses any other)
bin/kind: fixtures/images/versions.env
	GOBIN=$(CURDIR)/bin $(GO) install sigs.k8s.io/kind@$(KIND_VERSION)
	@touch $@

# build-all.sh starts the engine itself (fixtures/host/ensure-docker.sh), in
# the lane beside the Go builds, which need no Docker.
images: ## build every offline image (base, kube, apps, flannel, node; Go and Docker steps at once); nothing when current
	fixtures/images/build-all.sh

.PHONY: agent-image
agent-image: docker ## the node agent's image (both modes; the session builds and loads it when node faults go through the agent); cached by inputs
	fixtures/images/agent/build.sh

.PHONY: loader-image
loader-image: docker ## the loader's image (SELFHEAL_LOADERS builds and loads it when needed); cached by inputs
	fixtures/images/loader/build.sh

IMAGES_DIR ?= $(CURDIR)/_out/images
REGISTRY ?= localhost:5001

images-key: ## print the key of the image recipes' inputs (the archive's name; CI caches by it)
	@fixtures/images/key.sh

images-check: ## succeed when Docker holds the images of the current recipes
	fixtures/images/key.sh --check

images-save: build ## write the node and app images to $(IMAGES_DIR)/selfheal-images-KEY.tar
	bin/selfheal images save $(IMAGES_DIR)

images-load: build ## load $(IMAGES_DIR)/selfheal-images-KEY.tar (one of the current recipes only)
	bin/selfheal images load $(IMAGES_DIR)

images-push: build ## push the node and app images to REGISTRY (default localhost:5001, make registry)
	bin/selfheal images push --archive $(IMAGES_DIR) $(REGISTRY)

registry: docker ## a registry without TLS on localhost:5001 (Debian's docker-registry), for SELFHEAL_REGISTRY
	fixtures/registry/run.sh

registry-down: ## stop and remove that registry and its data
	fixtures/registry/run.sh down

cluster: docker kind build ## create the kind cluster "selfheal" (offline: builds the images unless current); CLUSTER_FLAGS=-reuse etc.
	bin/selfheal cluster up $(CLUSTER_FLAGS)

cluster-down: kind build ## delete the cluster and its kubeconfig
	bin/selfheal cluster down

cluster-status: build ## nodes, readiness and mode of the running cluster
	bin/selfheal cluster status

cluster-test: ## prove the running cluster works: nodes, kube-system, storage, pod network, NodePort, WordPress + DB
	KUBECONFIG=$(CURDIR)/_out/selfheal.kubeconfig $(GO) test -tags cluster -count=1 -timeout 20m -v ./fixtures/cluster/clustertest/


# --- scenario suite (e2e) ---------------------------------------------------------
.PHONY: e2e e2e-core smoke run report
E2E_FLAGS ?=
E2E_TIMEOUT ?= 120m
REPORT_DIR ?= $(CURDIR)/_out/report

# The images (Go compiles, apt, Docker), kind and the suite's own compile
# run at once: on a fresh machine each leaves the cores idle while it
# downloads.
e2e: ## the scenario suite and its report (brings up the cluster if needed): go test ./e2e
	@$(MAKE) --no-print-directory -j3 kind e2e-prepare-images e2e-prepare-suite
	SELFHEAL_REPORT_DIR=$(REPORT_DIR) $(GO) test ./e2e -count=1 -timeout $(E2E_TIMEOUT) -v -args $(E2E_FLAGS)

.PHONY: e2e-prepare-images e2e-prepare-suite
e2e-prepare-images: # what cluster up would build; nothing for an existing cluster, a registry or online mode
	@if [ -z "$(findstring -kubeconfig,$(E2E_FLAGS))" ] && [ -z "$${SELFHEAL_REGISTRY}" ] && [ "$${SELFHEAL_IMAGE_MODE}" != online ]; then \
		fixtures/images/build-all.sh; fi
e2e-prepare-suite:
	$(GO) test -c -o /dev/null ./e2e

e2e-core: ## the five core scenarios in suite order, through make e2e (what CI runs): the cluster is brought up or reused
	$(MAKE) e2e E2E_FLAGS='-labels set=core $(E2E_FLAGS)'

smoke: ## one scenario (wp-config-break) against the running cluster: the real thing, short
	SELFHEAL_REPORT_DIR=$(REPORT_DIR) $(GO) test ./e2e -count=1 -timeout 30m -v -args \
		-kubeconfig $(CURDIR)/_out/selfheal.kubeconfig -labels scenario=wp-config-break

run: build ## selfheal run against the running cluster (RUN_FLAGS=--scenario node-halt ...)
	bin/selfheal run --report-dir $(REPORT_DIR) $(RUN_FLAGS)

report: build ## re-render the report over every run in REPORT_DIR
	bin/selfheal report --out $(REPORT_DIR)/index.html $(REPORT_DIR)
