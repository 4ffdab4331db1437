# gVisor runtime for containerd and Kubernetes, in Swift.
# `make help` lists the targets. Everything runs as root on Debian 12 (the node's world).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SWIFT ?= swift
RELEASE_BIN := .build/release-static
# Debian packages the project needs on a fresh Debian 12 machine.
DEB_PACKAGES := containerd runc runsc busybox-static libseccomp-dev libcap-dev python3-venv
# Extra packages only `make protos` needs (CI never regenerates).
PROTO_PACKAGES := protobuf-compiler golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev \
	golang-github-containerd-ttrpc-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev
FUZZ_SECONDS ?= 60
BENCH_FLAGS ?=

.PHONY: help deps build release check-static test unit-test integration-test verify lint format \
	protos fuzz bench demo start clean

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## Install the Debian packages the project needs (idempotent, quiet when done).
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: ## Debug build of every target (warnings are errors).
	$(SWIFT) build

RELEASE_PRODUCTS := containerd-shim-runsc-v1 gvisor-node

release: ## Release binaries with the Swift runtime linked in statically, checked with ldd.
	for p in $(RELEASE_PRODUCTS); do $(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) --product $$p; done
	mkdir -p out/bin
	bin=$$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) --show-bin-path); \
	  for p in $(RELEASE_PRODUCTS); do install -m 0755 $$bin/$$p out/bin/$$p; done
	scripts/check-static.sh $(addprefix out/bin/,$(RELEASE_PRODUCTS))

unit-test: ## Library tests (swift-testing).
	$(SWIFT) test

integration-test: cri-venv ## End-to-end tests against a private containerd and the real runsc.
	integration/run.sh

# CRI client for the installer's end-to-end test (Debian 12 has no crictl): PyPI, pinned, in a venv.
CRI_VENV := .venv-cri
CRI_CLIENT := container-runtime-interface-api==2.0.1
.PHONY: cri-venv
cri-venv: $(CRI_VENV)/.installed ## Python venv with the CRI client the end-to-end tests use.
$(CRI_VENV)/.installed:
	python3 -m venv $(CRI_VENV)
	$(CRI_VENV)/bin/pip install --quiet $(CRI_CLIENT)
	touch $@

# OCI image archives without a container engine (scripts/oci-image.py); `ctr images import` takes them.
IMAGE_TAG ?= dev
.PHONY: images
images: release ## OCI archives in out/images: the node installation image (runsc, shim, gvisor-node).
	scripts/build-images.sh out/images $(IMAGE_TAG)

test: deps build unit-test release integration-test ## deps + build + all tests (what CI runs).

SWIFT_SOURCES = Package.swift $$(find Sources Tests Benchmarks Fuzz integration -name '*.swift' -not -path '*/Generated/*')

lint: ## Static checks: swift format in lint mode (generated code excluded).
	$(SWIFT) format lint --strict --parallel $(SWIFT_SOURCES)

format: ## Rewrite sources with swift format.
	$(SWIFT) format --in-place --parallel $(SWIFT_SOURCES)

verify: lint test ## Static checks + tests.

protos: ## Regenerate the committed Swift protobuf code.
	@scripts/install-deps.sh $(PROTO_PACKAGES)
	scripts/gen-protos.sh

fuzz: ## Fuzz the ttrpc frame decoder and request parsing (libFuzzer), FUZZ_SECONDS long.
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench: ## Benchmarks (reports, not gates).
	$(SWIFT) build -c release --product ttrpc-bench
	$$($(SWIFT) build -c release --show-bin-path)/ttrpc-bench $(BENCH_FLAGS)

demo: deps ## The main job: a gVisor container started by a private containerd through our shim.
	scripts/demo.sh

start: ## Run the Gardener extension controller locally against ./dev/kubeconfig.
	@echo "start: arrives with the controller (see README, 'Status')"; exit 1

clean: ## Remove build outputs.
	rm -rf .build .build-* out
