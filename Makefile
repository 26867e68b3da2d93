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
.PHONY: kind images cluster cluster-down cluster-status cluster-test
KIND_VERSION := $(shell sed -n 's/^KIND_VERSION=//p' fixtures/images/versions.env)
CLUSTER_FLAGS ?=

kind: bin/kind ## install the pinned kind into bin/ (the cluster code refuses any other)
bin/kind: fixtures/images/versions.env
	GOBIN=$(CURDIR)/bin $(GO) install sigs.k8s.io/kind@$(KIND_VERSION)
	@touch $@

images: docker ## build every offline image (base, kube, apps, flannel, node); cached by inputs
	fixtures/images/build-all.sh

cluster: docker kind build ## create the kind cluster "selfheal" (offline: builds missing images first); CLUSTER_FLAGS=-reuse etc.
	bin/selfheal cluster up $(CLUSTER_FLAGS)

cluster-down: kind build ## delete the cluster and its kubeconfig
	bin/selfheal cluster down

cluster-status: build ## nodes, readiness and mode of the running cluster
	bin/selfheal cluster status

cluster-test: ## prove the running cluster works: nodes, kube-system, storage, pod network, NodePort, WordPress + DB
	KUBECONFIG=$(CURDIR)/_out/selfheal.kubeconfig $(GO) test -tags cluster -count=1 -timeout 20m -v ./fixtures/cluster/clustertest/


# --- scenario suite (e2e) ---------------------------------------------------------
