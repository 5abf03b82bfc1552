# The two commands of the README: `make demo` and `make test`. Both install
# what is missing (tools/install-deps is a no-op when all is present), build,
# and run.
SHELL      := /bin/bash
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 3
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
WERROR     := $(if $(CI),ON,OFF)
# CI's trees carry line tables only (-g1): backtraces and sanitizer reports
# keep their functions, files and lines, and the plain tree compiles in a
# quarter less time (the ASan tree in a tenth less).
DEBUG_LINES := $(if $(CI),ON,OFF)
JOBS       ?= 2
# The plain tree's tests mostly wait on the simulator's clock and on other
# processes: four at a time keep both cores busy (the ASan tree's, heavier in
# memory and CPU, run two at a time).
TEST_JOBS  ?= 4

.PHONY: all deps build build-e2e test-plain-all build-asan build-asan-quietly build-fuzz demo test test-plain test-asan test-long fuzz-quietly test-asan-full fuzz fuzz-long soak soak-long bench bench-sim bench-tasks lint clean

all: build

deps:
	@tools/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DREEL_WERROR=$(WERROR) \
	  -DREEL_DEBUG_LINES=$(DEBUG_LINES)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -G "$(GENERATOR)" -DREEL_WERROR=$(WERROR) \
	  -DREEL_DEBUG_LINES=$(DEBUG_LINES) \
	  -DCMAKE_BUILD_TYPE=Debug -DREEL_SANITIZE=ON -DREEL_BENCH=OFF \
	  -DREEL_TEST_MEDIA=$(abspath $(BUILD))/test-media

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The flagship storyboard on the built-in simulator (ten times faster than
# the real service would be): six shots, a film and its contact sheet. Run
# it again and every shot comes from the journal in build/demo/.
demo: build
	@echo "make demo: scripts/lighthouse.lua on the built-in simulator"
	./$(BUILD)/reel run --sim --speed 10 --out $(BUILD)/demo --journal $(BUILD)/demo/journal.db \
	  scripts/lighthouse.lua
	@echo "open $(abspath $(BUILD))/demo/lighthouse/index.html (the film: $(abspath $(BUILD))/demo/lighthouse/film.mp4)"

# Every test runs once, in the tree that shows the most. The ASan tree runs
# all but the black-box HTTP suites (label http_e2e: the optimised binary
# driven from outside, minutes more under ASan, whose C++ the gtests cover
# there too); the plain tree builds only what those suites run and runs them
# while the ASan tree builds (its output goes to a log, shown if it fails).
# `make test-plain-all` and `make test-asan-full` run every test in one tree.
E2E_TARGETS := reel journal_init

test: build-e2e
	@$(MAKE) --no-print-directory -j2 test-plain build-asan-quietly
	@$(MAKE) --no-print-directory test-asan fuzz-quietly

build-e2e: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target $(E2E_TARGETS)

test-plain: build-e2e
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) -L http_e2e

test-plain-all: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE http_e2e

# The long form of the reliability suite (docs/RELIABILITY.md): make test,
# then 60 s per fuzz target and the 10-board soak. `make soak-long` (200
# boards, ~11 min) is the run whose figures the document gives.
test-long: test
	$(MAKE) --no-print-directory fuzz-long
	$(MAKE) --no-print-directory soak

# Builds tree $(2) with its output in $(2)/build.log, shown only if the
# build fails; $(1) names it in the messages, $(3) says what it builds.
define build_quietly
	@echo "$(1): building $(3) (log: $(2)/build.log)"
	@cmake --build $(2) -j $(JOBS) > $(2)/build.log 2>&1 || \
	  { cat $(2)/build.log; echo "$(1): failed"; exit 1; }
endef

build-asan-quietly: deps $(ASAN_BUILD)/CMakeCache.txt
	$(call build_quietly,build-asan,$(ASAN_BUILD),the ASan tree beside the tests)
	@echo "build-asan: done"

fuzz-quietly: deps $(FUZZ_BUILD)/CMakeCache.txt
	$(call build_quietly,build-fuzz,$(FUZZ_BUILD),the fuzz targets)
	$(run_fuzzers)

test-asan-full: build build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

$(FUZZ_BUILD)/CMakeCache.txt: | deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G "$(GENERATOR)" -DREEL_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEL_DEBUG_LINES=$(DEBUG_LINES)

build-fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS (3 in `make test`; `make fuzz-long`,
# 60, for the long run), starting from the seed corpus. New inputs go to a
# scratch corpus in the build tree, not to the repository. The DONE line
# gives each run's coverage (cov:, ft:).
define run_fuzzers
	@for t in probe wire json signature; do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
	  echo "fuzz: $${t}_fuzz for $(FUZZ_SECONDS) s" && \
	  $(FUZZ_BUILD)/tests/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | grep -E "^(stat::|Done|==|SUMMARY|#[0-9]+[[:space:]]+DONE)" ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done
endef

fuzz: build-fuzz
	$(run_fuzzers)

fuzz-long:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60

# The soak (tests/soak/README.md): storyboards through every fault of the
# simulator with random kill -9 of reel, proved from the simulator's stats
# and the journals. ctest's soak_short (in make test): 6 boards of 8 shots;
# make soak: 10 boards of 10 shots (~40 s); soak-long: 200 (~11 min).
soak: build-e2e
	lua5.4 tests/soak/soak.lua --reel $(BUILD)/reel --boards 10 --shots 10

soak-long: build-e2e
	lua5.4 tests/soak/soak.lua --reel $(BUILD)/reel --boards 200 --shots 10

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target reel_bench media_bench
	tests/media/make_fixtures.sh $(BUILD)/test-media
	./$(BUILD)/tests/bench/reel_bench --reel=$(BUILD)/reel --lua=lua5.4 --dir=tests/bench
	./$(BUILD)/tests/bench/media_bench --reel=$(BUILD)/reel --media=$(BUILD)/test-media

# 1 000 clients polling the simulator (wrk), against busybox httpd serving the
# same JSON; fails when p99 >= 50 ms.
bench-sim: build
	tests/bench/sim_load.sh $(BUILD)/reel

# 1 000 text-to-video tasks through `reel run` against `reel sim` in another
# process: reel's wall time, CPU time, peak RSS and HTTP requests per task;
# fails when CPU >= 2 s, peak RSS >= 100 MB or requests per task >= 3.
bench-tasks: build
	tests/bench/tasks_1000.sh $(BUILD)/reel

# clang-tidy over the project's own sources (uses build/compile_commands.json,
# without the precompiled headers: clang cannot read GCC's).
lint: build
	mkdir -p $(BUILD)/lint
	sed -E 's/ -Winvalid-pch -include [^ ]*cmake_pch\.hxx//' $(BUILD)/compile_commands.json \
	  > $(BUILD)/lint/compile_commands.json
	clang-tidy -p $(BUILD)/lint --quiet bindings/*.cpp host/*/*.cpp

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
