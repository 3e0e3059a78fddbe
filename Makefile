# microrun: `make` builds build/microrun; `make check` runs every test;
# `make demo` boots Debian's kernel. See README.md.

CC      ?= gcc
BUILD   ?= build
VERSION := 0.1.0
PREFIX  ?= /usr/local

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. -DMR_VERSION='"$(VERSION)"' \
	     $(WARN) $(CFLAGS) $(SAN_CFLAGS) -MMD -MP
# libcap-ng: the sandbox (src/sandbox.c; libseccomp builds its filter at
# build time, src/seccomp_gen.c, and the tests); liblzma, libzstd,
# zlib: compressed kernel modules (boot/module_file.c). microrun is linked
# as a static PIE (still placed at random) unless STATIC_LIBS is empty or
# a sanitizer is on: no dynamic loader, no library to map and relocate at
# each start (`microrun --version` 0.7 ms against 1.1 ms with shared glibc
# and 1.3-1.7 ms with every library shared, hyperfine here; more where
# start-up is slow, as in the nested machine of the benchmarks). glibc's
# NSS calls that libcap-ng makes but microrun never reaches are wrapped
# (src/static_nss.c).
STATIC_LIBS ?= yes
DEP_LIBS := -lcap-ng -llzma -lzstd -lz
LDLIBS  := -lpthread $(DEP_LIBS)
ifeq ($(STATIC_LIBS)$(SAN_CFLAGS),yes)
MICRORUN_LDFLAGS := -static-pie -Wl,--wrap=getpwuid,--wrap=initgroups
STATIC_OBJS := $(BUILD)/src/static_nss.o
endif

# The VMM: generic core in src/, x86 specifics in src/x86/ and boot/x86/.
LIB_SRCS := $(filter-out src/main.c src/static_nss.c src/seccomp_gen.c, \
	$(wildcard src/*.c src/x86/*.c boot/*.c boot/x86/*.c devices/*.c)) \
	boot/init/runcfg_decode.c
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/boot/init_image.o
# The guest init's child management and tree copy are built for the host
# too, and tested.
UNIT_SRCS := $(wildcard tests/unit/*.c) boot/init/child.c boot/init/tree_copy.c
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)

# `make V=1` shows the full commands.
Q    = $(if $(V),,@)
say  = $(if $(V),,@echo "  $(1)	$(2)")

all: $(BUILD)/microrun guests

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The guest's init (boot/init/): static, and small with musl (about 50 KB;
# glibc's static start-up and stdio make it 690 KB). Never sanitized: it
# runs in the guest. Embedded into microrun by boot/init_image.S.
INIT_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo $(CC))
INIT_SRCS := $(wildcard boot/init/*.c) devices/status_port.c
INIT_DEPS := $(INIT_SRCS) $(wildcard boot/init/*.h) devices/status_port.h src/x86/layout.h
INIT_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. $(WARN) -Os -static \
	-ffunction-sections -fdata-sections -Wl,--gc-sections -s

$(BUILD)/init/microrun-init: $(INIT_DEPS)
	@mkdir -p $(dir $@)
	$(call say,INIT,$@)
	$(Q)$(INIT_CC) $(INIT_CFLAGS) -o $@ $(INIT_SRCS)

$(BUILD)/boot/init_image.o: boot/init_image.S $(BUILD)/init/microrun-init
	@mkdir -p $(dir $@)
	$(call say,AS,$<)
	$(Q)$(CC) -c -DINIT_BINARY='"$(BUILD)/init/microrun-init"' -o $@ $<

# Where profiles are found (src/profile.h): the installed built-ins, and
# this checkout's profiles/ for a binary run from inside it. The stamp
# rebuilds profile.o when PREFIX changes.
PROFILE_DIR := $(PREFIX)/share/microrun/profiles
$(BUILD)/src/profile.o: ALL_CFLAGS += -DMR_PROFILE_DIR='"$(PROFILE_DIR)"' -DMR_SOURCE_DIR='"$(CURDIR)"'
$(BUILD)/src/profile.o: $(BUILD)/prefix.stamp
$(BUILD)/prefix.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PROFILE_DIR) $(CURDIR)' | cmp -s - $@ || echo '$(PROFILE_DIR) $(CURDIR)' > $@

# The system calls' names for the sandbox's SIGSYS message, from the
# kernel's <asm/unistd.h> (src/sandbox.c): a table made here, not at each
# start-up.
$(BUILD)/gen/syscall_names.h: Makefile
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -dM -E -x c - | \
		awk '$$1 == "#define" && $$2 ~ /^__NR_[a-z0-9_]+$$/ && $$3 ~ /^[0-9]+$$/ \
		     { printf "\t[%s] = \"%s\",\n", $$3, substr($$2, 6) }' | sort -t'[' -k2 -n > $@.tmp
	$(Q)test -s $@.tmp && mv $@.tmp $@
$(BUILD)/src/sandbox.o: ALL_CFLAGS += -I$(BUILD)/gen
$(BUILD)/src/sandbox.o: $(BUILD)/gen/syscall_names.h $(BUILD)/gen/seccomp_filters.h

# The seccomp filter, compiled from src/sandbox_rules.c by libseccomp here
# rather than at each start-up (see src/sandbox_rules.h).
$(BUILD)/seccomp_gen: $(BUILD)/src/seccomp_gen.o $(BUILD)/src/sandbox_rules.o $(BUILD)/src/log.o
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ -lseccomp
$(BUILD)/gen/seccomp_filters.h: $(BUILD)/seccomp_gen
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)$< > $@.tmp && mv $@.tmp $@

$(BUILD)/libmicrorun.a: $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/microrun: $(BUILD)/src/main.o $(STATIC_OBJS) $(BUILD)/libmicrorun.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) $(MICRORUN_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_unit: $(UNIT_OBJS) $(BUILD)/libmicrorun.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS) -lseccomp $(shell pkg-config --libs check)

# Writes a run configuration for the guest init: for tests/init/run.sh.
$(BUILD)/mkconfig: $(BUILD)/tests/init/mkconfig.o $(BUILD)/libmicrorun.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^

# Run in the guest by tests/init/run.sh: has the process I/O port access?
$(BUILD)/port_probe: $(BUILD)/tests/init/port_probe.o
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^

$(BUILD)/p9_bench: $(BUILD)/tests/bench/p9_bench.o $(BUILD)/libmicrorun.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

include tests/guests/guests.mk
include tests/fuzz/fuzz.mk

# --- tests ------------------------------------------------------------
# check: unit tests, the fuzz targets' corpus replay, tiny guests on
# /dev/kvm (as root, then as a user in a kvm group), the real-kernel early boot, then the unit, corpus and
# tiny-guest tests again under ASan+UBSan, then the
# end-to-end suite (full boots of Debian's kernel on a real KVM: the host's,
# or a nested QEMU-TCG machine's), and the guest init booted by QEMU-TCG.
check: check-plain check-asan e2e check-init

check-plain: $(BUILD)/microrun $(BUILD)/test_unit $(FUZZ_REPLAYS) guests
	groff -man -ww -z man/microrun.1
	$(BUILD)/test_unit
	$(call fuzz_replay,$(BUILD))
	tests/guests/run.sh $(BUILD)/microrun $(BUILD)/guests
	tests/guests/as-user.sh $(BUILD)/microrun $(BUILD)/guests
	tests/realkernel/run.sh $(BUILD)/microrun

ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check-asan:
	$(MAKE) BUILD=build/asan SAN_CFLAGS='$(ASAN_FLAGS)' CFLAGS='-O1 -g' \
		build/asan/microrun build/asan/test_unit $(FUZZ_TARGETS:%=build/asan/fuzz-replay/%) guests
	build/asan/test_unit
	$(call fuzz_replay,build/asan)
	tests/guests/run.sh build/asan/microrun build/asan/guests

e2e: $(BUILD)/microrun
	tests/e2e/run.sh $(BUILD)/microrun

check-init: $(BUILD)/mkconfig $(BUILD)/port_probe $(BUILD)/init/microrun-init
	tests/init/run.sh $(BUILD)

bench: $(BUILD)/microrun $(BUILD)/p9_bench guests
	tests/bench/run.sh $(BUILD)/microrun $(BUILD)/guests
	$(BUILD)/p9_bench

# Debian's kernel under microrun and under QEMU -M microvm, side by side.
bench-e2e: $(BUILD)/microrun
	tests/bench/e2e-compare.sh $(BUILD)/microrun

# Where a run of `true` spends its time, on Debian's kernel and on one
# built with boot/microrun.config (built once and cached: long the first time).
bench-phases: $(BUILD)/microrun
	tests/bench/phases.sh $(BUILD)/microrun

# The device models' request paths beside the plain system calls.
BENCH_DEVICE_OBJS := $(BUILD)/tests/unit/virtio_driver.o $(BUILD)/tests/unit/virtio_mmio_driver.o
$(BUILD)/blk_bench: $(BUILD)/tests/bench/blk_bench.o $(BENCH_DEVICE_OBJS) $(BUILD)/libmicrorun.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

bench-devices: $(BUILD)/blk_bench
	$(BUILD)/blk_bench

demo: $(BUILD)/microrun
	tests/realkernel/demo.sh $(BUILD)/microrun

# Debian packages for building and testing, as listed in .ci/packages.
deps:
	@pkgs="$$(grep -v '^#' .ci/packages)"; \
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$pkgs

install: $(BUILD)/microrun
	install -D -m 755 $(BUILD)/microrun $(DESTDIR)$(PREFIX)/bin/microrun
	install -D -m 644 man/microrun.1 $(DESTDIR)$(PREFIX)/share/man/man1/microrun.1
	for f in $$(cd profiles && find . -type f); do \
		mode=644; [ -x "profiles/$$f" ] && mode=755; \
		install -D -m $$mode "profiles/$$f" "$(DESTDIR)$(PROFILE_DIR)/$$f" || exit 1; \
	done

clean:
	rm -rf build

FORCE:

.PHONY: FORCE all check check-plain check-asan e2e check-init bench bench-e2e bench-phases bench-devices demo deps install clean guests

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
