# Fuzz targets, included by the top Makefile. Each NAME in FUZZ_TARGETS is
# one file, tests/fuzz/NAME.c, defining LLVMFuzzerTestOneInput, with its
# seeds in tests/fuzz/corpus/NAME/ (and a libFuzzer dictionary in
# tests/fuzz/NAME.dict if it has one). Adding a target: that file, and its
# name on the next line.
FUZZ_TARGETS := virtqueue virtio_blk bzimage elf cli p9

# Seeds the build makes, relative to the build directory (shell globs,
# expanded when the tests run): the tiny guests as bzImage and ELF.
FUZZ_SEEDS_bzimage := guests/*.bzImage
FUZZ_SEEDS_elf := guests/*.elf

FUZZ_DIR := tests/fuzz

# Corpus replay, for make check: each target linked with replay.c by this
# build's compiler and sanitizers; no libFuzzer needed.
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)

$(FUZZ_REPLAYS): $(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o \
		$(BUILD)/libmicrorun.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

# $(call fuzz_replay,BUILD-DIR): replay every target's corpus and seeds.
fuzz_replay = $(foreach t,$(FUZZ_TARGETS),$(1)/fuzz-replay/$(t) $(FUZZ_DIR)/corpus/$(t) \
	$(addprefix $(1)/,$(FUZZ_SEEDS_$(t))) &&) true

# libFuzzer binaries: the library and the targets compiled by clang into
# build/fuzz with coverage instrumentation, ASan and UBSan. clang warns
# where gcc does not about a flexible struct inside a struct (kvm_msrs in
# src/x86/msrs.c, a GNU extension both accept), and about the fields
# libseccomp's SCMP_A0..A5 macros leave to zero (src/sandbox.c), which
# gcc lets pass as coming from a system header.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-gnu-variable-sized-type-not-at-end \
	-Wno-missing-field-initializers
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/libfuzzer/%)

$(FUZZ_BINS): $(BUILD)/libfuzzer/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/libmicrorun.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) CFLAGS='-O1 -g' SAN_CFLAGS='$(FUZZ_SAN)' \
		$(FUZZ_TARGETS:%=build/fuzz/libfuzzer/%)

# make fuzz [FUZZ_SECONDS=N]: every target for N seconds, one after the
# other; all run even when one fails, and a failure fails the whole.
fuzz: fuzz-build guests
	$(Q)fail=0; $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/run.sh build/fuzz $(t) $(FUZZ_SECONDS) \
		$(FUZZ_DIR)/corpus/$(t) $(addprefix $(BUILD)/,$(FUZZ_SEEDS_$(t))) || fail=1;) \
		exit $$fail

.PHONY: fuzz fuzz-build
