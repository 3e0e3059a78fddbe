/* ACPI 6.3 tables for a machine without firmware: RSDP, XSDT, a
 * hardware-reduced FADT, MADT and a DSDT built with aml.c. Everything is
 * checked and measured before the first byte is written, so a failure
 * leaves guest memory untouched. See acpi.h for the layout. */
#include "boot/x86/acpi.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "boot/x86/aml.h"

#define OEM_ID           "MICRO "   /* 6 bytes */
#define OEM_TABLE_ID     "MICRORUN" /* 8 bytes */
#define OEM_REVISION     1
#define CREATOR_ID       "MRUN"
#define CREATOR_REVISION 1

#define RSDP_REVISION    2 /* ACPI 2.0+: XSDT and extended checksum */
#define XSDT_REVISION    1
#define FADT_REVISION    6 /* major version, 5.2.9 */
#define FADT_MINOR       3 /* ACPI 6.3 */
#define MADT_REVISION    5 /* ACPI 6.3 */
#define DSDT_REVISION    2 /* 64-bit integers in AML, 5.2.11.1 */

#define TABLE_ALIGN      16
#define FOUR_GIB         (1ULL << 32)
#define VIRTIO_MMIO_HID  "LNRO0005" /* what Linux's virtio_mmio matches */

/* 5.2.6, Table 5.29: the header every table but the RSDP starts with. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 5.2.5.3, Table 5.27. */
struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;       /* over the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum;   /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

#define RSDP_V1_LEN 20

/* 5.2.3.2, Table 5.25: Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_SYSTEM_IO   1
#define GAS_ACCESS_BYTE 1

/* 5.2.9, Table 5.34. Fields a hardware-reduced platform leaves 0 are
 * named only as padding. */
struct acpi_fadt {
	struct acpi_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t legacy0[4];          /* reserved, profile, SCI_INT */
	uint8_t legacy1[61];         /* SMI_CMD .. CENTURY */
	uint16_t iapc_boot_arch;
	uint8_t reserved;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_legacy[8]; /* X_PM1a_EVT_BLK .. X_GPE1_BLK */
	struct acpi_gas sleep_control;
	struct acpi_gas sleep_status;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

/* IA-PC boot architecture flags, 5.2.9.3, Table 5.35. */
#define BOOT_LEGACY_DEVICES  0x0001
#define BOOT_8042            0x0002
#define BOOT_VGA_NOT_PRESENT 0x0004
#define BOOT_NO_CMOS_RTC     0x0020

/* Fixed feature flags, 5.2.9, Table 5.34: no fixed power or sleep button
 * (there are no PM1 registers to carry them) and hardware-reduced. */
#define FADT_PWR_BUTTON      (1u << 4)
#define FADT_SLP_BUTTON      (1u << 5)
#define FADT_HW_REDUCED_ACPI (1u << 20)

/* 5.2.12, Table 5.43; Flags bit 0 is PCAT_COMPAT, left clear. */
struct acpi_madt {
	struct acpi_header hdr;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

enum {
	MADT_LAPIC = 0,     /* 5.2.12.2 */
	MADT_IOAPIC = 1,    /* 5.2.12.3 */
	MADT_LAPIC_NMI = 4, /* 5.2.12.7 */
};

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t uid;        /* ACPI Processor UID */
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

#define LAPIC_ENABLED 1

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint16_t flags;     /* 0: polarity and trigger conform to the bus */
	uint8_t lint;
} __attribute__((packed));

#define ALL_PROCESSORS 0xff /* 5.2.12.7 */
#define NMI_LINT 1          /* as set up in the local APICs */

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI 6.3, 5.2.6");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 6.3, 5.2.5.3");
_Static_assert(sizeof(struct acpi_gas) == 12, "ACPI 6.3, 5.2.3.2");
_Static_assert(sizeof(struct acpi_fadt) == 276, "ACPI 6.3, 5.2.9");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "5.2.9");
_Static_assert(offsetof(struct acpi_fadt, sleep_status) == 256, "5.2.9");
_Static_assert(sizeof(struct acpi_madt) == 44, "ACPI 6.3, 5.2.12");
_Static_assert(sizeof(struct madt_lapic) == 8, "ACPI 6.3, 5.2.12.2");
_Static_assert(sizeof(struct madt_ioapic) == 12, "ACPI 6.3, 5.2.12.3");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "ACPI 6.3, 5.2.12.7");
_Static_assert(ACPI_MAX_CPUS < ALL_PROCESSORS, "processor UIDs are bytes, 0xff means all");

#define XSDT_ENTRIES 2 /* FADT, MADT */
#define XSDT_LEN (sizeof(struct acpi_header) + XSDT_ENTRIES * sizeof(uint64_t))
#define MADT_LEN(ncpus) (sizeof(struct acpi_madt) + (ncpus) * sizeof(struct madt_lapic) + \
			 sizeof(struct madt_ioapic) + sizeof(struct madt_lapic_nmi))

/* Offsets of the tables from the region's start. */
struct plan {
	uint64_t xsdt, fadt, madt, dsdt, end;
	size_t aml_len;
};

static uint64_t align_up(uint64_t v)
{
	return (v + TABLE_ALIGN - 1) & ~(uint64_t)(TABLE_ALIGN - 1);
}

/* The byte that makes `len` bytes sum to 0, given that its own slot holds
 * 0 (5.2.5.3, 5.2.6). */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

/* --- Validation ------------------------------------------------------ */

/* An ACPI name as it is stored: padded with '_' to four characters. */
static int pad_name(const char *s, char out[4])
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 4)
		return -EINVAL;
	memset(out, '_', 4);
	memcpy(out, s, n);
	return 0;
}

static bool is_virtio_name(const char n[4])
{
	return n[0] == 'V' && n[1] == 'R' && n[2] >= '0' && n[2] <= '9' &&
	       n[3] >= '0' && n[3] <= '9';
}

/* Names are otherwise checked by the encoder; here only that no two
 * devices share one. */
static int check_isa(const struct acpi_machine *mach)
{
	char names[ACPI_MAX_ISA][4];

	if (mach->nisa > ACPI_MAX_ISA || (mach->nisa && !mach->isa))
		return -EINVAL;
	for (unsigned i = 0; i < mach->nisa; i++) {
		const struct acpi_isa_device *d = &mach->isa[i];

		if (pad_name(d->name, names[i]) || !d->hid || d->irq < -1 || d->irq > 15)
			return -EINVAL;
		if (is_virtio_name(names[i]))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (memcmp(names[i], names[j], 4) == 0)
				return -EINVAL;
	}
	return 0;
}

static int check_virtio(const struct acpi_machine *mach)
{
	if (mach->nvirtio > ACPI_MAX_VIRTIO || (mach->nvirtio && !mach->virtio))
		return -EINVAL;
	for (unsigned i = 0; i < mach->nvirtio; i++) {
		const struct acpi_virtio_mmio *v = &mach->virtio[i];

		if (v->size == 0 || v->base > FOUR_GIB - v->size)
			return -EINVAL;
	}
	return 0;
}

static int check_machine(const struct acpi_machine *mach)
{
	if (mach->ncpus == 0 || mach->ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	if (!mach->sleep_control_port || !mach->sleep_status_port)
		return -EINVAL;
	if (mach->region_addr % TABLE_ALIGN || mach->region_addr > UINT64_MAX - mach->region_size)
		return -EINVAL;
	int r = check_isa(mach);
	return r ? r : check_virtio(mach);
}

/* --- DSDT ------------------------------------------------------------ */

/* Fixed ports and an ISA IRQ; IRQNoFlags is edge-triggered, active-high,
 * as ISA interrupts are. */
static void dsdt_isa_device(struct aml *a, const struct acpi_isa_device *d, unsigned uid)
{
	uint8_t rt[32];
	struct aml r;

	aml_init(&r, rt, sizeof(rt));
	for (unsigned i = 0; i < ACPI_ISA_MAX_IO; i++)
		if (d->io[i].len)
			aml_res_io(&r, d->io[i].base, d->io[i].len);
	if (d->irq >= 0)
		aml_res_irq_noflags(&r, (uint8_t)d->irq);
	aml_begin_device(a, d->name);
	aml_name(a, "_HID");
	aml_eisaid(a, d->hid);
	aml_name(a, "_UID");
	aml_integer(a, uid);
	aml_name(a, "_CRS");
	aml_resource_template(a, &r);
	aml_end(a);
}

/* What Linux's virtio_mmio driver reads through ACPI: its window and its
 * interrupt (drivers/virtio/virtio_mmio.c matches "LNRO0005"). */
static void dsdt_virtio(struct aml *a, const struct acpi_virtio_mmio *v, unsigned n)
{
	uint8_t rt[32];
	struct aml r;
	char name[8];

	aml_init(&r, rt, sizeof(rt));
	aml_res_memory32_fixed(&r, true, (uint32_t)v->base, v->size);
	aml_res_interrupt(&r, AML_IRQ_CONSUMER | AML_IRQ_EDGE, v->gsi);
	snprintf(name, sizeof(name), "VR%02u", n % 100);
	aml_begin_device(a, name);
	aml_name(a, "_HID");
	aml_string(a, VIRTIO_MMIO_HID);
	aml_name(a, "_UID");
	aml_integer(a, n);
	aml_name(a, "_CRS");
	aml_resource_template(a, &r);
	aml_end(a);
}

/* 7.4.2: SLP_TYPa, SLP_TYPb (unused without PM1b), two reserved. On a
 * hardware-reduced machine SLP_TYPa goes to the sleep control register. */
static void dsdt_s5(struct aml *a)
{
	aml_name(a, "_S5");
	aml_begin_package(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);
}

/* The DSDT's AML (its definition block after the header). */
static int build_aml(struct aml *a, const struct acpi_machine *mach, size_t *len)
{
	aml_begin_scope(a, "_SB"); /* \_SB from the root; iasl drops the \ too */
	for (unsigned i = 0; i < mach->nisa; i++)
		dsdt_isa_device(a, &mach->isa[i], i);
	for (unsigned i = 0; i < mach->nvirtio; i++)
		dsdt_virtio(a, &mach->virtio[i], i);
	aml_end(a);
	dsdt_s5(a);
	return aml_finish(a, len);
}

/* --- Fixed tables ---------------------------------------------------- */

static void put_header(void *table, const char sig[4], size_t len, uint8_t revision)
{
	struct acpi_header h = {
		.length = (uint32_t)len,
		.revision = revision,
		.oem_revision = OEM_REVISION,
		.creator_revision = CREATOR_REVISION,
	};

	memcpy(h.signature, sig, sizeof(h.signature));
	memcpy(h.oem_id, OEM_ID, sizeof(h.oem_id));
	memcpy(h.oem_table_id, OEM_TABLE_ID, sizeof(h.oem_table_id));
	memcpy(h.creator_id, CREATOR_ID, sizeof(h.creator_id));
	memcpy(table, &h, sizeof(h));
}

/* Checksums a table whose header and body are in place. */
static void seal(uint8_t *table, size_t len)
{
	table[offsetof(struct acpi_header, checksum)] = 0;
	table[offsetof(struct acpi_header, checksum)] = checksum(table, len);
}

static bool has_hid(const struct acpi_machine *mach, const char *hid)
{
	for (unsigned i = 0; i < mach->nisa; i++)
		if (strcmp(mach->isa[i].hid, hid) == 0)
			return true;
	return false;
}

/* 5.2.9.3: what a guest may assume about legacy hardware, from the list. */
static uint16_t boot_arch_flags(const struct acpi_machine *mach)
{
	uint16_t f = BOOT_VGA_NOT_PRESENT;

	if (mach->nisa)
		f |= BOOT_LEGACY_DEVICES;
	if (has_hid(mach, "PNP0303"))
		f |= BOOT_8042;
	if (!has_hid(mach, "PNP0B00"))
		f |= BOOT_NO_CMOS_RTC;
	return f;
}

static struct acpi_gas io_byte_register(uint16_t port)
{
	return (struct acpi_gas){
		.space_id = GAS_SYSTEM_IO,
		.bit_width = 8,
		.access_size = GAS_ACCESS_BYTE,
		.address = port,
	};
}

/* 5.2.9 with HW_REDUCED_ACPI: no FACS, no PM blocks, no SCI (4.1); the
 * DSDT only through X_DSDT (the 32-bit DSDT field must then be 0). */
static void write_fadt(uint8_t *p, const struct acpi_machine *mach, uint64_t dsdt_gpa)
{
	struct acpi_fadt f = {
		.iapc_boot_arch = boot_arch_flags(mach),
		.flags = FADT_HW_REDUCED_ACPI | FADT_PWR_BUTTON | FADT_SLP_BUTTON,
		.minor_version = FADT_MINOR,
		.x_dsdt = dsdt_gpa,
		.sleep_control = io_byte_register(mach->sleep_control_port),
		.sleep_status = io_byte_register(mach->sleep_status_port),
	};

	put_header(&f, "FACP", sizeof(f), FADT_REVISION);
	memcpy(p, &f, sizeof(f));
	seal(p, sizeof(f));
}

static uint8_t *put(uint8_t *p, const void *entry, size_t len)
{
	memcpy(p, entry, len);
	return p + len;
}

/* 5.2.12: the boot CPU's entry first (5.2.12.1), then the I/O APIC and
 * NMI on LINT1 of every local APIC, as the LAPICs are programmed. */
static void write_madt(uint8_t *table, const struct acpi_machine *mach)
{
	struct acpi_madt madt = { .lapic_addr = mach->lapic_addr };
	struct madt_ioapic io = {
		.type = MADT_IOAPIC,
		.length = sizeof(io),
		.id = mach->ioapic.id,
		.addr = mach->ioapic.addr,
		.gsi_base = mach->ioapic.gsi_base,
	};
	struct madt_lapic_nmi nmi = {
		.type = MADT_LAPIC_NMI,
		.length = sizeof(nmi),
		.uid = ALL_PROCESSORS,
		.lint = NMI_LINT,
	};
	uint8_t *p = table + sizeof(madt);

	for (unsigned i = 0; i < mach->ncpus; i++) {
		struct madt_lapic l = {
			.type = MADT_LAPIC,
			.length = sizeof(l),
			.uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = LAPIC_ENABLED,
		};
		p = put(p, &l, sizeof(l));
	}
	p = put(p, &io, sizeof(io));
	p = put(p, &nmi, sizeof(nmi));
	put_header(&madt, "APIC", MADT_LEN(mach->ncpus), MADT_REVISION);
	memcpy(table, &madt, sizeof(madt));
	seal(table, MADT_LEN(mach->ncpus));
}

/* 5.2.8: 64-bit pointers, unaligned (they start at offset 36). */
static void write_xsdt(uint8_t *table, uint64_t fadt_gpa, uint64_t madt_gpa)
{
	put_header(table, "XSDT", XSDT_LEN, XSDT_REVISION);
	memcpy(table + sizeof(struct acpi_header), &fadt_gpa, sizeof(fadt_gpa));
	memcpy(table + sizeof(struct acpi_header) + sizeof(uint64_t), &madt_gpa, sizeof(madt_gpa));
	seal(table, XSDT_LEN);
}

/* 5.2.5.3: no RSDT (0); the XSDT is what ACPI 2.0+ guests use. */
static void write_rsdp(uint8_t *p, uint64_t xsdt_gpa)
{
	struct acpi_rsdp r = {
		.revision = RSDP_REVISION,
		.length = sizeof(r),
		.xsdt_addr = xsdt_gpa,
	};

	memcpy(r.signature, "RSD PTR ", sizeof(r.signature));
	memcpy(r.oem_id, OEM_ID, sizeof(r.oem_id));
	r.checksum = checksum((const uint8_t *)&r, RSDP_V1_LEN);
	r.ext_checksum = checksum((const uint8_t *)&r, sizeof(r));
	memcpy(p, &r, sizeof(r));
}

/* --- Putting it together --------------------------------------------- */

/* Where each table goes; measures the DSDT by encoding it into nothing. */
static int make_plan(const struct acpi_machine *mach, struct plan *pl)
{
	struct aml a;

	aml_init(&a, NULL, SIZE_MAX);
	int r = build_aml(&a, mach, &pl->aml_len);
	if (r)
		return r;
	pl->xsdt = align_up(sizeof(struct acpi_rsdp));
	pl->fadt = align_up(pl->xsdt + XSDT_LEN);
	pl->madt = align_up(pl->fadt + sizeof(struct acpi_fadt));
	pl->dsdt = align_up(pl->madt + MADT_LEN(mach->ncpus));
	pl->end = pl->dsdt + sizeof(struct acpi_header) + pl->aml_len;
	return 0;
}

static int write_dsdt(uint8_t *table, const struct acpi_machine *mach, size_t aml_len)
{
	size_t len = sizeof(struct acpi_header) + aml_len;
	size_t written;
	struct aml a;

	aml_init(&a, table + sizeof(struct acpi_header), aml_len);
	int r = build_aml(&a, mach, &written);
	if (r)
		return r;
	if (written != aml_len)
		return -EIO;
	put_header(table, "DSDT", len, DSDT_REVISION);
	seal(table, len);
	return 0;
}

int acpi_write_tables(struct guest_mem *m, const struct acpi_machine *mach)
{
	struct plan pl;
	int r = check_machine(mach);

	if (!r)
		r = make_plan(mach, &pl);
	if (r)
		return r;
	if (pl.end > mach->region_size)
		return -ENOSPC;
	uint8_t *base = gmem_ptr(m, mach->region_addr, pl.end);
	if (!base)
		return -EFAULT;
	uint64_t gpa = mach->region_addr;

	r = write_dsdt(base + pl.dsdt, mach, pl.aml_len);
	if (r)
		return r;
	write_madt(base + pl.madt, mach);
	write_fadt(base + pl.fadt, mach, gpa + pl.dsdt);
	write_xsdt(base + pl.xsdt, gpa + pl.fadt, gpa + pl.madt);
	write_rsdp(base, gpa + pl.xsdt);
	return (int)pl.end;
}

bool acpi_sleep_control_is_s5(uint8_t value)
{
	return (value & (ACPI_SLEEP_SLP_EN | ACPI_SLEEP_SLP_TYP_MASK)) == ACPI_SLEEP_CONTROL_S5;
}
