# The two commands of README.md: `make demo` and `make test` (which
# ./omswatch-dev runs once it has installed make). Each installs what is missing
# (scripts/install-deps.sh, in layers: `make demo` only the build layer, `make
# test` the test layer too), configures and builds first. Both share $(BUILD_DIR):
# the demo builds the daemon only, the tests add their own targets to it.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps deps-build deps-test deps-dev configure build test demo clean

all: build

# Every layer; deps-build / deps-test / deps-dev install one layer and those below it.
deps: deps-dev
deps-build:
	@scripts/install-deps.sh build
deps-test:
	@scripts/install-deps.sh test
deps-dev:
	@scripts/install-deps.sh dev

# Without GoogleTest (the demo's build layer) the tests are left out; `make test`
# turns them on in the same directory.
$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DOMSWATCH_BUILD_TESTS=$(if $(wildcard /usr/include/gtest/gtest.h),ON,OFF)

configure: deps-test
	@if [ ! -f $(BUILD_DIR)/build.ninja ] || \
		! grep -qs '^OMSWATCH_BUILD_TESTS:BOOL=ON' $(BUILD_DIR)/CMakeCache.txt; then \
		echo cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DOMSWATCH_BUILD_TESTS=ON; \
		cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DOMSWATCH_BUILD_TESTS=ON; \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: deps-build
	@$(MAKE) --no-print-directory $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target omswatch
	$(BUILD_DIR)/daemon/omswatch demo

clean:
	rm -rf $(BUILD_DIR)

# `make package`: the Debian package omswatch_VERSION_ARCH.deb, from a Release
# build without tests in $(PACKAGE_DIR); scripts/check-package.sh checks it.
PACKAGE_DIR ?= build-package

.PHONY: package
package: deps-dev
	cmake -S . -B $(PACKAGE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
		-DOMSWATCH_BUILD_TESTS=OFF -DOMSWATCH_BUILD_BENCH=OFF
	cmake --build $(PACKAGE_DIR) -j $(JOBS)
	cd $(PACKAGE_DIR) && cpack -G DEB

# `make bench-history`: a week of 1,000 projects polled every 10 s, written
# through the real storage code into a database in a temporary directory; then
# the history and status queries and the retention calls are timed (figures in
# docs/schema.md, "Size and speed"). Release build in $(BENCH_DIR); about 30
# minutes on a 2-core machine (BENCH_DAYS=1 for a quick look).
BENCH_DIR ?= build-bench
BENCH_DAYS ?= 7
BENCH_PROJECTS ?= 1000

.PHONY: bench-history
bench-history: deps-build
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DOMSWATCH_BUILD_TESTS=OFF \
		-DOMSWATCH_BUILD_BENCH=ON
	cmake --build $(BENCH_DIR) -j $(JOBS) --target history_fill history_query
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		$(BENCH_DIR)/bench/history_fill --db "$$tmp/history.db" --projects $(BENCH_PROJECTS) \
			--days $(BENCH_DAYS) && \
		$(BENCH_DIR)/bench/history_query --db "$$tmp/history.db" --prune-keep 3d

# `make bench-console`: the web console in headless Chromium against the real
# daemon (Release build in $(BENCH_DIR)): the overview of 1,000 projects ready
# (budget 500 ms) and a project's 7-day chart drawn after the click (budget
# 300 ms); prints each run and the medians (docs/performance.md, "The web
# console"). About 2 minutes; needs the test layer (Chromium, node, npm packages).
CONSOLE_RUNS ?= 7

.PHONY: bench-console
bench-console: deps-test
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DOMSWATCH_BUILD_TESTS=OFF \
		-DOMSWATCH_BUILD_BENCH=ON
	cmake --build $(BENCH_DIR) -j $(JOBS) --target omswatch omswatch-sim history_fill
	OMSWATCH_BINARY=$(BENCH_DIR)/daemon/omswatch OMSWATCH_SIM_BINARY=$(BENCH_DIR)/oms/omswatch-sim \
		OMSWATCH_HISTORY_FILL=$(BENCH_DIR)/bench/history_fill \
		node bench/console/console_bench.mjs --runs $(CONSOLE_RUNS) --projects $(BENCH_PROJECTS)

# `make bench-perf`: omswatch's polling cost at 100, 1,000 and 10,000 projects
# against a floor (bare HTTP exchanges) and a plain Python poller, notification
# latency, drift and database growth; Release build in $(PERF_DIR); prints the
# tables and writes them into docs/performance.md. About 15 minutes on a
# 2-core machine; PERF_QUICK=1 for short windows (about 5 minutes).
PERF_DIR ?= build-perf
PERF_QUICK ?=

.PHONY: bench-perf
bench-perf: deps-dev
	cmake -S . -B $(PERF_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DOMSWATCH_BUILD_TESTS=OFF \
		-DOMSWATCH_BUILD_BENCH=ON
	cmake --build $(PERF_DIR) -j $(JOBS) --target omswatch omswatch-sim perf_floor perf_sim
	python3 bench/perf/run_perf.py --build $(PERF_DIR) --doc docs/performance.md \
		$(if $(PERF_QUICK),--quick)

# `make bench-oms-load`: the requests per second omswatch sends an OMS whose
# 1,000 projects, polled every 10 s, are all in a full transfer or a full
# verification (the most steps and verification reads there can be); about 3
# minutes. docs/performance.md, "Load on OMS".
.PHONY: bench-oms-load
bench-oms-load: deps-dev
	cmake -S . -B $(PERF_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DOMSWATCH_BUILD_TESTS=OFF \
		-DOMSWATCH_BUILD_BENCH=ON
	cmake --build $(PERF_DIR) -j $(JOBS) --target oms_load
	$(PERF_DIR)/bench/oms_load --projects 1000 --interval 10s --seconds 120

# `make soak`: the daemon (Release build in $(SOAK_DIR)) against a simulated OMS
# of 200 changing projects with API faults, receiver 503s and a SIGKILL every
# $(SOAK_KILL_EVERY) on average, for $(SOAK_SECONDS) s; then the notifications
# are checked against the truth (docs/reliability.md, "Soak"). SOAK_ARGS adds
# options of bench/soak (--seed N, --kills N, --keep, ...).
SOAK_DIR ?= build-soak
SOAK_SECONDS ?= 300
SOAK_KILL_EVERY ?= 30s
SOAK_ARGS ?=

.PHONY: soak
soak: deps-test
	cmake -S . -B $(SOAK_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DOMSWATCH_BUILD_BENCH=ON
	cmake --build $(SOAK_DIR) -j $(JOBS) --target soak omswatch
	$(SOAK_DIR)/bench/soak --seconds $(SOAK_SECONDS) --kill-every $(SOAK_KILL_EVERY) \
		--daemon $(SOAK_DIR)/daemon/omswatch $(SOAK_ARGS)

# `make test-sanitize`: the whole suite, the real binaries of the e2e tests too,
# built with clang, AddressSanitizer (leak checks on) and UndefinedBehaviorSanitizer,
# any finding fatal. `make fuzz`: each fuzz target of tests/fuzz/ for FUZZ_SECONDS on a
# scratch copy of its seeds; a crashing input is saved under $(SANITIZE_DIR)/fuzz-crashes/.
# One build directory serves both (docs/reliability.md, "Fuzzing and sanitizers").
SANITIZE_DIR ?= build-sanitize
FUZZ_SECONDS ?= 60
FUZZ_PARALLEL ?= 2
# Every process writes its findings to a file here, so that one in a daemon an e2e test
# ran (whose stderr the test keeps to itself) fails the run too.
SANITIZE_REPORTS = $(abspath $(SANITIZE_DIR))/sanitizer-reports
SANITIZE_ENV = \
	ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_string_checks=1:log_path=$(SANITIZE_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(SANITIZE_REPORTS)/ubsan \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizer/lsan.supp:print_suppressions=0

.PHONY: test-sanitize fuzz
$(SANITIZE_DIR)/build.ninja:
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
		"-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DOMSWATCH_FUZZ=ON -DOMSWATCH_BUILD_BENCH=OFF

test-sanitize: deps-dev $(SANITIZE_DIR)/build.ninja
	cmake --build $(SANITIZE_DIR) -j $(JOBS) --target omswatch_tests
	rm -rf $(SANITIZE_REPORTS) && mkdir -p $(SANITIZE_REPORTS)
	status=0; (cd $(SANITIZE_DIR) && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS)) || status=$$?; \
	if [ -n "$$(ls -A $(SANITIZE_REPORTS))" ]; then \
		echo "test-sanitize: what the sanitizers found (in $(SANITIZE_REPORTS)):"; \
		cat $(SANITIZE_REPORTS)/*; exit 1; \
	fi; exit $$status

fuzz: deps-dev $(SANITIZE_DIR)/build.ninja
	cmake --build $(SANITIZE_DIR) -j $(JOBS) --target omswatch_fuzz
	scripts/run-fuzz.sh $(SANITIZE_DIR) $(FUZZ_SECONDS) $(FUZZ_PARALLEL)

# `make test-minimal`: the README's two commands, as written, on a fresh minimal
# Debian 12 root (debootstrap --variant=minbase, this machine's mirror) holding
# the committed tree: the demo must print notifications and the tests pass, with
# no service left enabled. Needs root; about 25 minutes on 2 cores. Prints the
# time and download size of each layer (docs/operations.md, "Build dependencies").
.PHONY: test-minimal
test-minimal:
	scripts/test-minimal-debian.sh

# `make test-package`: make package, then the .deb installed with apt on a fresh
# minimal Debian 12 root (debootstrap, cached in $(PACKAGE_DIR)/debian-root):
# `omswatch --version` and `check-config` on the installed example run there,
# the rules and dashboard are under /usr/share/omswatch, and it prints what the
# package pulled in. Needs root; about 10 minutes on 2 cores (docs/operations.md,
# "From the Debian package"). Run by CI, not by `make test`.
.PHONY: test-package
test-package:
	PACKAGE_DIR=$(PACKAGE_DIR) scripts/test-package.sh
