# gVisor runtime for containerd and Kubernetes, in Swift.
# `make help` lists the targets. Everything runs as root on Debian 12 (the node's world).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SWIFT ?= swift
RELEASE_BIN := .build/release-static
# Debian packages the project needs on a fresh Debian 12 machine.
DEB_PACKAGES := containerd runc runsc busybox-static libseccomp-dev libcap-dev libstdc++-12-dev python3-venv
# Extra packages only `make protos` needs (CI never regenerates).
PROTO_PACKAGES := protobuf-compiler golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev \
	golang-github-containerd-ttrpc-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev
# PyPI packages, in a virtual environment that `make deps` creates (manifest schema validation, issue 8).
VALIDATE_VENV := .venv-validate
PYPI_PACKAGES := kubernetes-validate==1.37.0
# make fuzz: each target (ttrpc, runsc-toml, gvisor-config, containerd-config) runs FUZZ_RUNS inputs or FUZZ_SECONDS,
# whichever ends first; the YAML decoder is ~8x slower per input, so it gets fewer, and containerd-config 50,000
# (TOMLKit's leaks). With the defaults the total must reach 1,100,000 >= 1,000,000 (a shorter FUZZ_SECONDS drops
# that check).
FUZZ_SECONDS ?= 600
FUZZ_RUNS ?= 450000
FUZZ_RUNS_GVISOR_CONFIG ?= 150000
FUZZ_MIN_TOTAL ?= $(if $(filter file,$(origin FUZZ_SECONDS)),1000000,0)
BENCH_FLAGS ?=

.PHONY: help deps versions build release check-static test unit-test integration-test verify lint format \
	protos fuzz bench bench-phases-test bench-ttrpc bench-shim bench-cri bench-controller demo start clean validate-manifests release-controller

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## Install the Debian packages the project needs (idempotent, quiet when done), then `make versions`.
	@scripts/install-deps.sh $(DEB_PACKAGES)
	@scripts/install-venv.sh $(VALIDATE_VENV) $(PYPI_PACKAGES)
	@scripts/fetch-versions.sh

versions: ## Fetch the pinned containerd 1.7/2.x and runsc builds of the version matrix into .cache/versions (never installed system-wide).
	@scripts/fetch-versions.sh

build: ## Debug build of every target (warnings are errors).
	$(SWIFT) build

RELEASE_PRODUCTS := containerd-shim-runsc-v1 gvisor-node

# The shim runs once per pod: linked as a position-dependent executable, its 95,000 start-up
# relocations no longer dirty ~1 MB per process (USS 2.1 -> 1.2 MB measured). The cost is a fixed
# load address for the shim's own code (libraries, heap and stacks stay randomised); SHIM_PIE=1
# keeps PIE. gvisor-node runs once per node and stays PIE.
SHIM_PIE ?=
# Size (issue 19): the Swift toolchain's static link exports every symbol of our own objects (-export-dynamic,
# 2.2 MB of .dynsym/.dynstr nothing looks up in a shim), and gold folds identical functions whose address is never
# taken (--icf=safe, 0.4 MB).
SHIM_LINK_FLAGS := $(if $(SHIM_PIE),,-Xlinker -no-pie) -Xlinker --no-export-dynamic -Xlinker --icf=safe
SHIM := containerd-shim-runsc-v1
# Size over speed (none of these binaries is CPU-bound), and every Swift function in its own section so that
# --gc-sections drops the ones nothing calls (SwiftPM's objects otherwise keep whole files). Every release build
# in RELEASE_BIN passes the same flags, or each would recompile what the other built.
RELEASE_SWIFT_FLAGS := -Xswiftc -Osize -Xswiftc -Xfrontend -Xswiftc -function-sections

# libstdc++ (which the Swift runtime needs) is linked in statically too: as a shared library its relocated
# tables cost every shim process ~70 KB of private memory (issue 19). SwiftPM has no per-product search path,
# but the product directory is the first -L on the link line, ahead of GCC's, so libstdc++.a is linked in there.
TOOLCHAIN_CLANG = $(dir $(realpath $(shell command -v $(SWIFT))))clang

release: ## Release binaries with the Swift runtime linked in statically, checked with ldd; the shim ships stripped, its symbols in out/bin/containerd-shim-runsc-v1.debug.
	bin=$$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) \
	  --show-bin-path) && cxx=$$($(TOOLCHAIN_CLANG) -print-file-name=libstdc++.a) && \
	  case $$cxx in /*) ;; *) echo "release: libstdc++.a not found (Debian: libstdc++-12-dev)" >&2; exit 1;; esac && \
	  mkdir -p $$bin && ln -sfn "$$cxx" $$bin/libstdc++.a
	for p in $(RELEASE_PRODUCTS); do \
	  flags=; [ $$p = $(SHIM) ] && flags="$(SHIM_LINK_FLAGS)"; \
	  $(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --product $$p \
	    $$flags; done
	mkdir -p out/bin
	bin=$$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) \
	  --show-bin-path); for p in $(RELEASE_PRODUCTS); do install -m 0755 $$bin/$$p out/bin/$$p; done
	# Symbols and DWARF beside the shipped shim: gdb, lldb and Swift's backtracer find them by its debuglink.
	cd out/bin && objcopy --only-keep-debug $(SHIM) $(SHIM).debug && chmod 0644 $(SHIM).debug && \
	  objcopy --strip-all $(SHIM) && objcopy --add-gnu-debuglink=$(SHIM).debug $(SHIM)
	scripts/check-static.sh $(addprefix out/bin/,$(RELEASE_PRODUCTS))
	scripts/check-shim-size.sh out/bin/$(SHIM) out/bin/$(SHIM).debug

unit-test: ## Library tests (swift-testing).
	$(SWIFT) test

integration-test: cri-venv ## End-to-end tests against a private containerd and the real runsc.
	integration/matrix.sh

# Reliability (issue 11): `make test` runs the fault and load tests at the issue's figures (3 rounds of 50
# concurrent containers, 1,000 execs and Stats); soak runs integration/tests/8*.sh with SOAK=1: 10 rounds of 100,
# 3,000 execs and Stats (16 minutes here). Figures go to out/reliability.txt.
.PHONY: soak
soak: release cri-venv ## Long reliability run (SOAK=1): faults, 10 rounds of 100 concurrent containers, 3,000 execs/Stats; figures in out/reliability.txt.
	mkdir -p out
	rm -f out/reliability.txt
	SOAK=1 RELIABILITY_LOG=$(CURDIR)/out/reliability.txt TEST_FILTER='^test_8' integration/run.sh
	cat out/reliability.txt

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
# One registry for both images (the chart's `registry` value); the tag follows the chart's appVersion.
IMAGE_TAG ?= 0.1.0
REGISTRY ?= ghcr.io/gardener-extension-runtime-gvisor-swift
.PHONY: images
# The controller's static release build is separate from `release` (async-http-client and BoringSSL take
# long to build in release mode, and neither the shim nor CI needs them).
release-controller: ## Static release build of the Gardener extension controller into out/bin.
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --product gardener-extension-runtime-gvisor
	mkdir -p out/bin
	install -m 0755 $$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --show-bin-path)/gardener-extension-runtime-gvisor out/bin/
	# zlib (async-http-client's compression) ships inside the controller image (oci-image.py --with-libraries).
	CHECK_STATIC_ALLOW='libz\.so' scripts/check-static.sh out/bin/gardener-extension-runtime-gvisor

images: release release-controller ## OCI archives in out/images: the node installation image and the controller image.
	REGISTRY=$(REGISTRY) scripts/build-images.sh out/images $(IMAGE_TAG)

test: deps build unit-test validate-manifests release integration-test ## deps + build + all tests (what CI runs).

SWIFT_SOURCES = Package.swift $$(find Sources Tests Benchmarks Fuzz integration -name '*.swift' -not -path '*/Generated/*')

lint: ## Static checks: swift format in lint mode (generated code excluded), the shim core's file and function sizes.
	$(SWIFT) format lint --strict --parallel $(SWIFT_SOURCES)
	scripts/check-shape.py Sources/Shim

format: ## Rewrite sources with swift format.
	$(SWIFT) format --in-place --parallel $(SWIFT_SOURCES)

verify: lint test ## Static checks + tests.

protos: ## Regenerate the committed Swift protobuf code and the tools' descriptor set.
	@scripts/install-deps.sh $(PROTO_PACKAGES)
	scripts/gen-protos.sh

fuzz: ## libFuzzer over the ttrpc frame decoder, runsc.toml and GVisorConfiguration parsers, containerd config editor (>= 1,000,000 inputs).
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_RUNS_GVISOR_CONFIG=$(FUZZ_RUNS_GVISOR_CONFIG) FUZZ_MIN_TOTAL=$(FUZZ_MIN_TOTAL) scripts/fuzz.sh $(FUZZ_SECONDS)

# The shim and CRI benchmarks append their ratios per pair to BENCH_SUMMARY; `make bench` prints them at the end.
BENCH_SUMMARY ?=
bench: ## Benchmarks (reports, not gates): ttrpc, the shim and CRI pods against their peers per pair, phases, the controller.
	mkdir -p out
	rm -f out/bench-summary.txt
	$(MAKE) --no-print-directory bench-phases-test bench-ttrpc bench-shim bench-cri bench-controller \
	  BENCH_SUMMARY=$(CURDIR)/out/bench-summary.txt
	@echo; echo "== summary (ratios; load $$(cut -d' ' -f1-3 /proc/loadavg))"; cat out/bench-summary.txt

bench-phases-test: ## Tests of the phase-breakdown parser (scripts/bench_phases.py).
	cd scripts && python3 -B -m unittest -q bench_phases_test

bench-ttrpc: ## ttrpc round trips in one process.
	$(SWIFT) build -c release --product ttrpc-bench
	$$($(SWIFT) build -c release --show-bin-path)/ttrpc-bench $(BENCH_FLAGS)

# Shim and CRI benchmarks run once per containerd/runsc pair (integration/versions.sh).
BENCH_PAIRS ?= newest debian12

bench-cri: release cri-venv ## CRI pods: handler runsc vs runc, start time and shim memory for 20 pods (per pair in BENCH_PAIRS).
	for pair in $(BENCH_PAIRS); do BENCH_VERSIONS=$$pair BENCH_SUMMARY=$(BENCH_SUMMARY) scripts/bench-cri.sh; done

# In the release scratch path too, so it reuses what `make release-controller` compiled.
bench-controller: ## 500 ContainerRuntimes in 100 namespaces reconciled over the in-memory API (its share measured apart).
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --product controller-bench
	$$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --show-bin-path)/controller-bench

# Built in the release scratch path, so it reuses what `make release` compiled.
bench-shim: release ## The release shim vs bare runsc and the runc-v2 shim: run time, memory, State latency (per pair in BENCH_PAIRS).
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --product shim-state-bench
	for pair in $(BENCH_PAIRS); do BENCH_VERSIONS=$$pair BENCH_SUMMARY=$(BENCH_SUMMARY) scripts/bench-shim.sh \
	  $$($(SWIFT) build -c release --static-swift-stdlib --scratch-path $(RELEASE_BIN) $(RELEASE_SWIFT_FLAGS) --show-bin-path)/shim-state-bench; done

demo: deps ## The main job: a gVisor container started by a private containerd through our shim (DEMO_VERSIONS=debian12 for the other pair).
	scripts/demo.sh

START_FLAGS ?=

start: ## Run the Gardener extension controller locally against ./dev/kubeconfig (START_FLAGS adds options).
	@test -f dev/kubeconfig || { echo "start: dev/kubeconfig missing: copy a seed cluster's kubeconfig there (see README, Controller)" >&2; exit 1; }
	$(SWIFT) build --product gardener-extension-runtime-gvisor
	$$($(SWIFT) build --show-bin-path)/gardener-extension-runtime-gvisor run --kubeconfig dev/kubeconfig \
	  --leader-election=false --metrics-bind-address 127.0.0.1:8080 --health-bind-address 127.0.0.1:8081 $(START_FLAGS)

validate-manifests: ## Every rendered and shipped manifest against the official Kubernetes schemas (strict).
	VALIDATE_VENV=$(VALIDATE_VENV) scripts/validate-manifests.sh

clean: ## Remove build outputs.
	rm -rf .build .build-* out
