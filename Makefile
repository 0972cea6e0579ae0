# koracle: koracle.ko (Kbuild, out of tree) and the koracle CLI.
#
#   make            module + CLI
#   make check      unit tests (Criterion, ASan/UBSan), the VM tests, then a
#                   shortened make demo (the whole pipeline, in the VM)
#   make bench      benchmarks ("bench: NAME VALUE UNIT" lines)
#   make soak       the module under load, hotplug, uploads and enabled
#                   toggles in the VM for SOAK_SECONDS (600); one "soak:"
#                   line, fails on lost accounting, warnings or a leak
#                   (scripts/soak.sh; not in check)
#   make style      checkpatch on kmod/ and shared/
#   make check-debug  the VM tests on a debug kernel built here (KASAN,
#                   lockdep, kmemleak, UBSAN; scripts/check-debug.sh)
#   make check-rt   the VM tests on Debian's PREEMPT_RT kernel
#   make check-kcsan  the VM tests on a KCSAN kernel (not in check or CI)
#   make fuzz       libFuzzer targets for every parser of untrusted input,
#                   FUZZ_SECONDS (60) each (scripts/fuzz.sh; not in check)

KVER ?= $(shell scripts/kernel-version.sh)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= build
# Where the CLI lands; tests find it through $KORACLE_BIN.
CLI_BIN ?= user/koracle

CC ?= cc
PKGS := libnl-genl-3.0 libnl-3.0 criterion json-c
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
# json-c: koracle report reads eval's JSON
JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
JSON_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -g $(WARN) $(NL_CFLAGS) $(JSON_CFLAGS) -iquote shared -iquote user
CFLAGS ?= -O2
USER_CFLAGS := $(CFLAGS_COMMON) $(CFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TEST_CFLAGS := $(CFLAGS_COMMON) -O1 $(SAN)
LDLIBS := $(NL_LIBS) $(JSON_LIBS) -lblis -lz -lm -lpthread

SHARED_SRC := $(filter-out %.mod.c,$(wildcard shared/*.c))
USER_SRC := $(wildcard user/*.c)
LIB_SRC := $(SHARED_SRC) $(filter-out user/main.c,$(USER_SRC))
TEST_SRC := $(wildcard tests/unit/test_*.c)

USER_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(SHARED_SRC) $(USER_SRC))
TEST_LIB_OBJ := $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRC))
TEST_OBJ := $(patsubst %.c,$(BUILD)/asan/%.o,$(TEST_SRC))
TEST_BIN := $(BUILD)/unit-tests

.PHONY: all module cli test-modules install uninstall check-dkms unit check check-vm check-demo check-debug check-kcsan check-rt vm-test vm-shell bench soak demo eval-holdout style clean deps fuzz fuzz-build

all: module cli

deps:
	scripts/install-deps.sh

module:
	$(if $(wildcard $(KDIR)/Makefile),,$(error no kernel headers at $(KDIR): install linux-headers-amd64 with 'make deps'))
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli: $(CLI_BIN)

$(CLI_BIN): $(USER_OBJ)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c $(wildcard shared/*.h user/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -MMD -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(wildcard shared/*.h user/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Itests/unit -c -o $@ $<

# All Criterion suites link into one binary: one verdict line. They run from
# the top of the tree (fixtures, user/koracle for the CLI tests).
$(TEST_BIN): $(TEST_OBJ) $(TEST_LIB_OBJ)
	$(CC) $(TEST_CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# --jobs 1: with --jobs 2 Criterion's own runner leaks a few bytes and
# LeakSanitizer fails the run; one job is no slower on this machine.
unit: $(TEST_BIN) $(CLI_BIN)
	KORACLE_BIN=$(CLI_BIN) ASAN_OPTIONS=detect_leaks=1 $(TEST_BIN) --jobs 1

# Test-only modules (tests/kmod/NAME/Kbuild), never part of koracle.ko: built
# against the same kernel and koracle's exported symbols, put in the VM image.
TEST_KMOD_DIRS := $(patsubst %/Kbuild,%,$(wildcard tests/kmod/*/Kbuild))

test-modules: module
	for d in $(TEST_KMOD_DIRS); do \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/$$d \
			KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules || exit 1; \
	done

check-vm: all test-modules
	scripts/vm-run-tests.sh

# DKMS builds the tree for the packaged headers (host side).
check-dkms:
	scripts/check-dkms.sh

# The module into /lib/modules/RELEASE/updates (depmod), the CLI into
# $(DESTDIR)$(PREFIX)/bin. DKMS is the other way: see dkms.conf.
PREFIX ?= /usr/local
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	install -D -m 0755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/koracle

uninstall:
	rm -f /lib/modules/$(KVER)/updates/koracle.ko*
	-depmod -a $(KVER)
	rm -f $(DESTDIR)$(PREFIX)/bin/koracle

# The whole demo pipeline, shortened, in the VM: collect, train, quantize,
# upload, live accuracy, replay (kernel == userspace), report.
check-demo: all
	KORACLE_BIN=$(CLI_BIN) scripts/demo.sh --short --vm

# The README's two commands start from a fresh machine: install what is
# missing first, then make again, so pkg-config and the kernel release are
# read with the packages present. One stage at a time: the VM needs both
# cores.
check: deps
	$(MAKE) unit
	$(MAKE) check-dkms
	$(MAKE) check-vm
	$(MAKE) check-demo

# The lanes beyond check (CI runs all three): the same VM suite on a debug
# kernel built from Debian's linux-source (cached under .cache/debug-kernel/),
# with a self-test that the lane fails on a leak and on a sleep in atomic
# context; and on Debian's PREEMPT_RT kernel. Each builds its own koracle.ko
# under build/ and leaves the normal one alone.
check-debug:
	scripts/install-deps.sh debug
	$(MAKE) cli
	scripts/check-debug.sh

# Not in CI: the debug lane with KCSAN in place of KASAN; every data race it
# reports fails the test it came in.
check-kcsan:
	scripts/install-deps.sh debug
	$(MAKE) cli
	KORACLE_LANE=check-kcsan KORACLE_LANE_DIR=kcsan \
	KORACLE_LANE_REQUIRE="KCSAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK UBSAN" \
		scripts/check-debug.sh tests/debug-kernel/debug.config \
		tests/debug-kernel/kcsan.config

check-rt:
	scripts/install-deps.sh rt
	$(MAKE) cli
	scripts/check-rt.sh

vm-test: all test-modules
	scripts/vm-run-tests.sh $(T)

vm-shell: all
	scripts/vm-run.sh --shell

# Benchmarks, never tests: "bench: NAME VALUE UNIT" lines.
bench: all
	scripts/bench.sh
	KORACLE_BIN=$(CLI_BIN) scripts/bench-step.sh
	KORACLE_BIN=$(CLI_BIN) scripts/bench-probe.sh
	KORACLE_BIN=$(CLI_BIN) scripts/bench-train.sh
	KDIR=$(KDIR) scripts/bench-stack.sh

# The soak (scripts/soak.sh, guest side tests/vm/soak/): not a test, so
# make check-vm (tests/vm/*.sh) never runs it.
SOAK_SECONDS ?= 600
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

# The main job, end to end (scripts/demo.sh): collect, train, quantize,
# upload, live accuracy, report; on this machine if its kernel takes modules,
# else in the VM.
demo: deps
	$(MAKE) all
	KORACLE_BIN=$(CLI_BIN) scripts/demo.sh

# Accuracy on real traces split by file: leave-one-fixture-out, then unseen
# workloads (tests/fixtures/heldout).
eval-holdout: cli
	KORACLE_BIN=$(CLI_BIN) scripts/eval-holdout.sh

style:
	scripts/checkpatch.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c), clang with coverage, ASan and
# UBSan, linked with every library object as the unit tests are. Not part of
# check: scripts/fuzz.sh builds them, makes seed corpora from the fixtures
# and runs each for FUZZ_SECONDS.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := $(CFLAGS_COMMON) -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRC))

fuzz-build: $(FUZZ_BIN)
.PRECIOUS: $(BUILD)/fuzz/obj/%.o

$(BUILD)/fuzz/obj/%.o: %.c $(wildcard shared/*.h user/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz:
	BUILD=$(BUILD) FUZZ_CC=$(FUZZ_CC) scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-for d in $(TEST_KMOD_DIRS); do $(MAKE) -C $(KDIR) M=$(CURDIR)/$$d clean; done
	rm -rf $(BUILD) $(CLI_BIN)
