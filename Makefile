# The two commands of the README: `make demo` and `make test`. Both install
# what is missing (tools/install-deps is a no-op when all is present), build,
# and run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
WERROR     := $(if $(CI),ON,OFF)
JOBS       ?= 2

.PHONY: all deps build build-asan demo test bench lint clean

all: build

deps:
	@tools/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DREEL_WERROR=$(WERROR)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) -G "$(GENERATOR)" -DREEL_WERROR=$(WERROR) \
	  -DCMAKE_BUILD_TYPE=Debug -DREEL_SANITIZE=ON -DREEL_BENCH=OFF

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	@echo "make demo: the storyboard example needs the simulator and the vidu client,"
	@echo "which have not landed yet; running the best example there is: scripts/hello.lua"
	./$(BUILD)/reel scripts/hello.lua

test: build build-asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/tests/bench/reel_bench --reel=$(BUILD)/reel --lua=lua5.4 --dir=tests/bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# clang-tidy over the project's own sources (uses build/compile_commands.json).
lint: build
	clang-tidy -p $(BUILD) --quiet bindings/*.cpp host/*/*.cpp
