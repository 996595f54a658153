# Build, test and demo entry points. `make test` is what CI runs.
SWIFT     ?= swift
PYTHON    ?= python3
PREFIX    ?= /usr/local
RELEASE   := .build/release
DEBUG     := .build/debug
DEMO_DIR  ?= .devenv/demo

.PHONY: all build build-debug test swift-test python-test chaos bench demo install uninstall deps format lint clean \
	devenv-up devenv-down

all: build

## build: release binaries kubectl-mtv, mtv-controller and mtv-block-importer in .build/release
build:
	$(SWIFT) build -c release --product kubectl-mtv
	$(SWIFT) build -c release --product mtv-controller
	$(SWIFT) build -c release --product mtv-block-importer

## build-debug: debug binaries and test bundles (what the tests run)
build-debug:
	$(SWIFT) build --build-tests

## test: Swift tests, then the local environment's Python suites (fake cluster, EC2 proxy)
test: swift-test python-test

swift-test: build-debug
	scripts/with-devenv $(SWIFT) test --skip-build

python-test: build-debug
	MTV_BIN_DIR=$(CURDIR)/$(DEBUG) $(PYTHON) -m pytest

## bench: figures for a 100-instance plan, the inventory and queries (bench/results/latest.md); never part of test
bench: build
	$(SWIFT) build -c release --product mtv-bench
	$(PYTHON) bench/run $(BENCH_ARGS)

## chaos: the long chaos runs (20-VM plans; random SIGKILLs, 30 % AWS faults, API faults), three times in a row
chaos: build-debug
	for run in 1 2 3; do echo "chaos run $$run"; MTV_CHAOS=full scripts/with-devenv $(SWIFT) test --skip-build \
		--filter ChaosTests || exit 1; done

## demo: the slides 12-17 walkthrough on the local environment (moto + fake cluster + controller)
demo: build
	scripts/demo $(DEMO_ARGS) $(DEMO_DIR)

## install: copy the binaries to $(PREFIX)/bin (kubectl finds kubectl-mtv there)
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE)/kubectl-mtv $(RELEASE)/mtv-controller $(RELEASE)/mtv-block-importer $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kubectl-mtv $(DESTDIR)$(PREFIX)/bin/mtv-controller $(DESTDIR)$(PREFIX)/bin/mtv-block-importer

## deps: the pinned Python packages of the local environment
deps:
	$(PYTHON) -m pip install -q -r requirements-dev.txt

devenv-up: build
	scripts/devenv up $(DEMO_DIR)

devenv-down:
	scripts/devenv down $(DEMO_DIR)

## format: rewrite Sources, Tests and Package.swift in the checked-in swift-format style
format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

## lint: swift format lint in strict mode (warnings fail); CI runs it before the tests
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build .devenv
