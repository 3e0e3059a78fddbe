# Tiny freestanding x86-64 test guests (see tests/guests/run.sh), included
# by the top Makefile. `make guests` builds, for each NAME in GUEST_NAMES,
#   $(BUILD)/guests/NAME.elf      linked at 0x1000000, entry 0x1000200
#   $(BUILD)/guests/NAME.bzImage  setup_sects 7: payload at file offset 0x1000
# and bootcheck-unaligned.bzImage (setup_sects 4: payload at 0xa00).

GUEST_DIR   := tests/guests
GUEST_OUT   := $(BUILD)/guests
GUEST_NAMES := bootcheck hello panic triplefault halt spin echo unhandled status hvc hvcflood \
	vblk vhostile v9p vcons
# Guests that drive virtio devices link the driver (virtio.c), and parts
# of their own as the rules below the link rule say.
GUEST_VIRTIO_NAMES := vblk vhostile v9p vcons hvcflood
GUEST_PARTS := virtio blk hostile_random p9client p9hostile
GUEST_PART_OBJS := $(GUEST_PARTS:%=$(GUEST_OUT)/obj/%.o)

GUEST_CFLAGS := -std=gnu11 -ffreestanding -nostdlib -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -fpie -fvisibility=hidden \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -O2 -Wall -Wextra -Werror -MMD -MP
GUEST_LDFLAGS := -static -nostdlib -no-pie -Wl,--no-dynamic-linker \
	-Wl,-T,$(GUEST_DIR)/guest.ld -Wl,--build-id=none \
	$(shell $(CC) -Wl,--no-warn-rwx-segments -Wl,--version >/dev/null 2>&1 \
		&& echo -Wl,--no-warn-rwx-segments)
GUEST_HOST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror
GUEST_OBJCOPY ?= objcopy
GUEST_READELF ?= readelf

GUEST_C_OBJS := $(GUEST_OUT)/obj/lib.o $(GUEST_PART_OBJS) \
	$(GUEST_NAMES:%=$(GUEST_OUT)/obj/%.o)
GUEST_LIB_OBJS := $(GUEST_OUT)/obj/entry.o $(GUEST_OUT)/obj/lib.o
GUEST_ELFS := $(GUEST_NAMES:%=$(GUEST_OUT)/%.elf)
GUEST_BZIMAGES := $(GUEST_NAMES:%=$(GUEST_OUT)/%.bzImage) \
	$(GUEST_OUT)/bootcheck-unaligned.bzImage
GUEST_MKBZIMAGE := $(GUEST_OUT)/mkbzimage

guests: $(GUEST_ELFS) $(GUEST_BZIMAGES)

# Position independence is checked, not hoped for: a bzImage may be loaded
# elsewhere than the link address, and nothing relocates it. Only
# PC-relative relocations are allowed in guest objects.
define GUEST_CHECK_RELOCS
	@$(GUEST_READELF) -rW $@ | awk '$$3 ~ /^R_X86_64_/ && \
	    $$3 != "R_X86_64_PC32" && $$3 != "R_X86_64_PLT32" { print; bad = 1 } \
	    END { if (bad) { print "$@: absolute relocation: guests must be" \
	    " position independent" > "/dev/stderr"; exit 1 } }' \
	    || { rm -f $@; exit 1; }
endef

$(GUEST_C_OBJS): $(GUEST_OUT)/obj/%.o: $(GUEST_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<
	$(GUEST_CHECK_RELOCS)

$(GUEST_OUT)/obj/entry.o: $(GUEST_DIR)/entry.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<
	$(GUEST_CHECK_RELOCS)

$(GUEST_ELFS): $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/%.o $(GUEST_LIB_OBJS) \
		$(GUEST_DIR)/guest.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_LIB_OBJS) $(filter $(GUEST_PART_OBJS),$^) $<

$(GUEST_VIRTIO_NAMES:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/obj/virtio.o
$(GUEST_OUT)/vblk.elf: $(GUEST_OUT)/obj/blk.o
$(GUEST_OUT)/vhostile.elf: $(GUEST_OUT)/obj/blk.o $(GUEST_OUT)/obj/hostile_random.o
$(GUEST_OUT)/v9p.elf: $(GUEST_OUT)/obj/p9client.o $(GUEST_OUT)/obj/p9hostile.o

$(GUEST_OUT)/%.bin: $(GUEST_OUT)/%.elf
	$(GUEST_OBJCOPY) -O binary $< $@

$(GUEST_MKBZIMAGE): $(GUEST_DIR)/mkbzimage.c $(GUEST_DIR)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_HOST_CFLAGS) -o $@ $<

$(GUEST_NAMES:%=$(GUEST_OUT)/%.bzImage): $(GUEST_OUT)/%.bzImage: \
		$(GUEST_OUT)/%.elf $(GUEST_OUT)/%.bin $(GUEST_MKBZIMAGE)
	$(GUEST_MKBZIMAGE) 7 $< $(GUEST_OUT)/$*.bin $@

$(GUEST_OUT)/bootcheck-unaligned.bzImage: $(GUEST_OUT)/bootcheck.elf \
		$(GUEST_OUT)/bootcheck.bin $(GUEST_MKBZIMAGE)
	$(GUEST_MKBZIMAGE) 4 $< $(GUEST_OUT)/bootcheck.bin $@

.PRECIOUS: $(GUEST_OUT)/%.bin
.PHONY: guests
