/* ACPI tables: found from the RSDP as a guest would and parsed here from
 * the offsets in ACPI 6.3, not through the writer's structs; then handed
 * to ACPICA's own tools (iasl disassembles and recompiles them, acpiexec
 * loads them and runs its S5 sleep code, the same code Linux runs). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/x86/acpi.h"
#include "src/guest_mem.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

/* The machine's choices (src/x86/layout.h holds microrun's), spelled out
 * here so that the expected bytes below do not depend on them. */
#define REGION_ADDR 0xe0000ULL
#define REGION_SIZE 0x20000ULL
#define SLEEP_CONTROL_PORT 0x600
#define SLEEP_STATUS_PORT 0x601

#define RAM_SIZE 0x100000ULL /* 1 MiB: ends where the region ends */
#define CANARY 0xa5
#define HDR 36               /* ACPI 6.3, 5.2.6 */

static uint8_t ram[RAM_SIZE];
static struct guest_mem mem;

static const unsigned cpu_counts[] = { 1, 2, ACPI_MAX_CPUS };
#define NCOUNTS ((int)(sizeof(cpu_counts) / sizeof(cpu_counts[0])))

/* The PC devices microrun has, as layout.h places them. */
static const struct acpi_isa_device pc_isa[] = {
	{ .name = "COM1", .hid = "PNP0501", .io = { { UART_COM1_PORT, 8 } }, .irq = UART_COM1_IRQ },
	{ .name = "PS2K", .hid = "PNP0303", .io = { { I8042_PORT_DATA, 1 }, { I8042_PORT_CMD, 1 } },
	  .irq = 1 },
	{ .name = "RTC", .hid = "PNP0B00", .io = { { CMOS_PORT, 2 } }, .irq = 8 },
};
static const struct acpi_virtio_mmio virtio3[] = {
	{ 0xd0000000, 0x200, 5 },
	{ 0xd0001000, 0x200, 6 },
	{ 0xd0002000, 0x1000, 23 },
};
#define NISA (sizeof(pc_isa) / sizeof(pc_isa[0]))
#define NVIRTIO (sizeof(virtio3) / sizeof(virtio3[0]))

static struct acpi_machine machine(unsigned ncpus)
{
	return (struct acpi_machine){
		.ncpus = ncpus,
		.lapic_addr = LAPIC_ADDR,
		.ioapic = { .id = (uint8_t)ncpus, .addr = IOAPIC_ADDR, .gsi_base = 0 },
		.isa = pc_isa,
		.nisa = NISA,
		.virtio = virtio3,
		.nvirtio = NVIRTIO,
		.sleep_control_port = SLEEP_CONTROL_PORT,
		.sleep_status_port = SLEEP_STATUS_PORT,
		.region_addr = REGION_ADDR,
		.region_size = REGION_SIZE,
	};
}

static void setup(void)
{
	memset(ram, CANARY, sizeof(ram));
	gmem_wrap(&mem, ram, sizeof(ram));
}

struct tables {
	uint64_t xsdt, fadt, madt, dsdt; /* guest-physical */
	size_t used;                     /* what acpi_write_tables returned */
};

/* A table at `gpa` inside what was written, with signature `sig` and a
 * length that stays inside too; returns its length. */
static uint32_t table_at(const struct tables *t, uint64_t gpa, const char *sig)
{
	ck_assert_uint_ge(gpa, REGION_ADDR);
	ck_assert_uint_le(gpa + HDR, REGION_ADDR + t->used);
	ck_assert_mem_eq(ram + gpa, sig, 4);
	uint32_t len = test_le32(ram + gpa + 4);
	ck_assert_uint_ge(len, HDR);
	ck_assert_uint_le(gpa + len, REGION_ADDR + t->used);
	return len;
}

/* Follows RSDP -> XSDT -> FADT, MADT, and FADT -> DSDT (5.2.5 - 5.2.9). */
static void find_tables(struct tables *t)
{
	const uint8_t *rsdp = ram + REGION_ADDR;

	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	t->xsdt = test_le64(rsdp + 24);
	ck_assert_uint_eq(table_at(t, t->xsdt, "XSDT"), HDR + 2 * 8);
	t->fadt = test_le64(ram + t->xsdt + HDR);
	t->madt = test_le64(ram + t->xsdt + HDR + 8);
	table_at(t, t->fadt, "FACP");
	table_at(t, t->madt, "APIC");
	t->dsdt = test_le64(ram + t->fadt + 140);
	table_at(t, t->dsdt, "DSDT");
}

/* Writes the tables for `mach`, checks that nothing outside the region's
 * used part changed, and finds them. */
static void write_and_find(struct tables *t, const struct acpi_machine *mach)
{
	setup();
	int n = acpi_write_tables(&mem, mach);
	ck_assert_int_gt(n, 0);
	t->used = (size_t)n;
	ck_assert(test_all_bytes(ram, REGION_ADDR, CANARY));
	ck_assert(test_all_bytes(ram + REGION_ADDR + t->used, RAM_SIZE - REGION_ADDR - t->used, CANARY));
	find_tables(t);
}

/* 5.2.5.3. */
START_TEST(rsdp)
{
	struct acpi_machine mach = machine(2);
	struct tables t;

	write_and_find(&t, &mach);
	const uint8_t *r = ram + REGION_ADDR;
	ck_assert_uint_eq(test_byte_sum(r, 20), 0);
	ck_assert_uint_eq(test_byte_sum(r, 36), 0);
	ck_assert_mem_eq(r + 9, "MICRO ", 6);
	ck_assert_uint_eq(r[15], 2);
	ck_assert_uint_eq(test_le32(r + 16), 0);  /* no RSDT */
	ck_assert_uint_eq(test_le32(r + 20), 36);
	ck_assert_uint_eq(t.xsdt, REGION_ADDR + 0x30);
	ck_assert_uint_eq(REGION_ADDR % 16, 0);
}
END_TEST

/* 5.2.6 and 5.2.8: the XSDT lists the FADT and the MADT, nothing else
 * (the DSDT is reached through the FADT). */
START_TEST(xsdt_lists_fadt_and_madt)
{
	struct acpi_machine mach = machine(2);
	struct tables t;

	write_and_find(&t, &mach);
	const uint8_t *x = ram + t.xsdt;
	ck_assert_uint_eq(x[8], 1);
	ck_assert_mem_eq(x + 10, "MICRO ", 6);
	ck_assert_mem_eq(x + 16, "MICRORUN", 8);
	ck_assert_mem_eq(x + 28, "MRUN", 4);
	ck_assert_uint_eq(t.fadt, REGION_ADDR + 0x70);
	ck_assert_uint_eq(t.madt, REGION_ADDR + 0x190);
	ck_assert_uint_eq(t.dsdt % 16, 0);
	ck_assert_uint_eq(t.dsdt, (t.madt + 62 + 8 * 2 + 15) & ~15ULL);
	ck_assert_uint_eq(t.used, t.dsdt - REGION_ADDR + test_le32(ram + t.dsdt + 4));
}
END_TEST

static void check_gas_io_byte(const uint8_t *g, uint16_t port)
{
	ck_assert_uint_eq(g[0], 1); /* SystemIO */
	ck_assert_uint_eq(g[1], 8);
	ck_assert_uint_eq(g[2], 0);
	ck_assert_uint_eq(g[3], 1); /* byte access */
	ck_assert_uint_eq(test_le64(g + 4), port);
}

/* 5.2.9, Table 5.34: hardware-reduced, DSDT through X_DSDT only, the
 * sleep registers as byte-wide I/O ports, everything legacy zero. */
START_TEST(fadt)
{
	struct acpi_machine mach = machine(2);
	struct tables t;

	write_and_find(&t, &mach);
	const uint8_t *f = ram + t.fadt;
	ck_assert_uint_eq(test_le32(f + 4), 276);
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(f[131], 3);
	ck_assert_uint_eq(test_le32(f + 36), 0);         /* FIRMWARE_CTRL: no FACS */
	ck_assert_uint_eq(test_le32(f + 40), 0);         /* DSDT: X_DSDT instead */
	ck_assert_uint_eq(test_le64(f + 132), 0);        /* X_FIRMWARE_CTRL */
	ck_assert_uint_eq(test_le64(f + 140), t.dsdt);
	ck_assert_uint_eq(test_le32(f + 112), (1u << 20) | (1u << 5) | (1u << 4));
	ck_assert_uint_eq(test_le16(f + 109), 0x0007);   /* legacy, 8042, no VGA */
	for (size_t i = 44; i < 109; i++)           /* SCI, PM blocks, ... */
		ck_assert_uint_eq(f[i], 0);
	for (size_t i = 148; i < 244; i++)          /* X_PM1a_EVT .. X_GPE1 */
		ck_assert_uint_eq(f[i], 0);
	check_gas_io_byte(f + 244, SLEEP_CONTROL_PORT);
	check_gas_io_byte(f + 256, SLEEP_STATUS_PORT);
}
END_TEST

/* 5.2.9.3: the boot flags follow the ISA devices listed. */
START_TEST(fadt_boot_flags_follow_devices)
{
	struct acpi_machine mach = machine(1);
	struct tables t;

	mach.nisa = 0;
	write_and_find(&t, &mach);
	ck_assert_uint_eq(test_le16(ram + t.fadt + 109), 0x0024); /* no VGA, no RTC */
	mach.nisa = 1; /* COM1 only */
	write_and_find(&t, &mach);
	ck_assert_uint_eq(test_le16(ram + t.fadt + 109), 0x0025);
}
END_TEST

/* 5.2.12: one enabled Processor Local APIC per CPU (IDs and UIDs 0..n-1,
 * the boot CPU first), one I/O APIC, NMI on LINT1 of all; no PCAT_COMPAT.
 * The entries must exactly fill the table. */
START_TEST(madt)
{
	unsigned ncpus = cpu_counts[_i];
	struct acpi_machine mach = machine(ncpus);
	struct tables t;
	unsigned nlapic = 0, nioapic = 0, nnmi = 0;

	write_and_find(&t, &mach);
	const uint8_t *m = ram + t.madt;
	uint32_t len = test_le32(m + 4);
	ck_assert_uint_eq(len, 44 + 8 * ncpus + 12 + 6);
	ck_assert_uint_eq(m[8], 5);
	ck_assert_uint_eq(test_le32(m + 36), LAPIC_ADDR);
	ck_assert_uint_eq(test_le32(m + 40), 0);
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = m + off;

		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		switch (e[0]) {
		case 0:
			ck_assert_uint_eq(e[1], 8);
			ck_assert_uint_eq(nioapic + nnmi, 0);
			ck_assert_uint_eq(e[2], nlapic);
			ck_assert_uint_eq(e[3], nlapic);
			ck_assert_uint_eq(test_le32(e + 4), 1);
			nlapic++;
			break;
		case 1:
			ck_assert_uint_eq(e[1], 12);
			ck_assert_uint_eq(e[2], ncpus);
			ck_assert_uint_eq(test_le32(e + 4), IOAPIC_ADDR);
			ck_assert_uint_eq(test_le32(e + 8), 0);
			nioapic++;
			break;
		case 4:
			ck_assert_uint_eq(e[1], 6);
			ck_assert_uint_eq(e[2], 0xff);
			ck_assert_uint_eq(test_le16(e + 3), 0);
			ck_assert_uint_eq(e[5], 1);
			nnmi++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	ck_assert_uint_eq(nlapic, ncpus);
	ck_assert_uint_eq(nioapic, 1);
	ck_assert_uint_eq(nnmi, 1);
}
END_TEST

/* Every table sums to 0 (the RSDP twice), and changing any one byte of
 * any of them breaks that: the checksum test above is not vacuous. */
START_TEST(checksums_and_corruption)
{
	struct acpi_machine mach = machine(cpu_counts[_i]);
	struct tables t;

	write_and_find(&t, &mach);
	const uint64_t gpas[] = { t.xsdt, t.fadt, t.madt, t.dsdt };
	for (size_t k = 0; k < sizeof(gpas) / sizeof(gpas[0]); k++) {
		uint8_t *p = ram + gpas[k];
		uint32_t len = test_le32(p + 4);

		ck_assert_uint_eq(test_byte_sum(p, len), 0);
		for (uint32_t i = 0; i < len; i++) {
			p[i] ^= 0x10;
			ck_assert_uint_ne(test_byte_sum(p, len), 0);
			p[i] ^= 0x10;
		}
	}
	uint8_t *r = ram + REGION_ADDR;
	for (size_t i = 0; i < 36; i++) {
		r[i] ^= 0x01;
		ck_assert_uint_ne(test_byte_sum(r, i < 20 ? 20 : 36), 0);
		r[i] ^= 0x01;
	}
}
END_TEST

/* The smallest machine's DSDT, byte for byte, encoded by hand from ACPI
 * 6.3 chapter 20: Scope(\_SB) { Device(VR00) {...} }, Name(_S5, ...). */
START_TEST(dsdt_bytes)
{
	static const uint8_t want[] = {
		0x10, 0x42, 0x04, '_', 'S', 'B', '_',
		0x5b, 0x82, 0x3a, 'V', 'R', '0', '0',
		0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
		0x79, 0x00,
		0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00,
	};
	struct acpi_machine mach = machine(1);
	struct tables t;

	mach.nisa = 0;
	mach.nvirtio = 1;
	write_and_find(&t, &mach);
	const uint8_t *d = ram + t.dsdt;
	ck_assert_uint_eq(test_le32(d + 4), HDR + sizeof(want));
	ck_assert_uint_eq(d[8], 2);
	ck_assert_mem_eq(d + 10, "MICRO ", 6);
	ck_assert_mem_eq(d + HDR, want, sizeof(want));
}
END_TEST

static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* One Device per virtio-mmio device, VR00..VRnn in order, each with its
 * window and GSI; ISA devices with their EISA IDs; \_S5 at the end. */
START_TEST(dsdt_devices)
{
	struct acpi_machine mach = machine(2);
	struct tables t;

	write_and_find(&t, &mach);
	const uint8_t *d = ram + t.dsdt;
	size_t len = test_le32(d + 4);
	const uint8_t *prev = d;
	for (unsigned i = 0; i < NVIRTIO; i++) {
		char name[5];
		uint8_t crs[] = { 0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
				  0x89, 0x06, 0x00, 0x03, 0x01, 0, 0, 0, 0 };

		snprintf(name, sizeof(name), "VR%02u", i);
		const uint8_t *dev = find_bytes(d, len, name, 4);
		ck_assert_msg(dev != NULL && dev > prev, "%s missing or out of order", name);
		ck_assert_uint_eq(dev[-2], 0x82);
		memcpy(crs + 4, &virtio3[i].base, 4);
		memcpy(crs + 8, &virtio3[i].size, 4);
		memcpy(crs + 17, &virtio3[i].gsi, 4);
		ck_assert(find_bytes(dev, len - (size_t)(dev - d), crs, sizeof(crs)));
		prev = dev;
	}
	ck_assert(find_bytes(d, len, "\x0c\x41\xd0\x05\x01", 5)); /* PNP0501 */
	ck_assert(find_bytes(d, len, "\x0c\x41\xd0\x03\x03", 5)); /* PNP0303 */
	ck_assert(find_bytes(d, len, "\x0c\x41\xd0\x0b\x00", 5)); /* PNP0B00 */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0, 0, 0 };
	ck_assert_mem_eq(d + len - sizeof(s5), s5, sizeof(s5));
}
END_TEST

/* The largest machine fits the suggested region. */
START_TEST(max_machine_fits)
{
	static struct acpi_virtio_mmio v[ACPI_MAX_VIRTIO];
	static struct acpi_isa_device isa[ACPI_MAX_ISA];
	static char names[ACPI_MAX_ISA][5];
	struct acpi_machine mach = machine(ACPI_MAX_CPUS);
	struct tables t;

	for (unsigned i = 0; i < ACPI_MAX_VIRTIO; i++)
		v[i] = (struct acpi_virtio_mmio){ 0xd0000000 + i * 0x1000, 0x1000, 5 + i % 19 };
	for (unsigned i = 0; i < ACPI_MAX_ISA; i++) {
		snprintf(names[i], sizeof(names[i]), "ISA%u", i);
		isa[i] = (struct acpi_isa_device){ .name = names[i], .hid = "PNP0501",
			.io = { { (uint16_t)(0x100 + 8 * i), 8 }, { (uint16_t)(0x200 + i), 1 } },
			.irq = (int)i };
	}
	mach.virtio = v;
	mach.nvirtio = ACPI_MAX_VIRTIO;
	mach.isa = isa;
	mach.nisa = ACPI_MAX_ISA;
	write_and_find(&t, &mach);
	ck_assert_uint_le(t.used, 10 * 1024); /* as acpi.h says */
	ck_assert(find_bytes(ram + t.dsdt, test_le32(ram + t.dsdt + 4), "VR99", 4));
}
END_TEST

/* Each malformed machine is refused with -EINVAL and nothing written. */
START_TEST(rejects_bad_machines)
{
	static const struct acpi_virtio_mmio high = { 0xfffff000, 0x2000, 5 };
	static const struct acpi_virtio_mmio empty = { 0xd0000000, 0, 5 };
	static const struct acpi_isa_device bad_isa[] = {
		{ .name = "com1", .hid = "PNP0501", .irq = 4 },
		{ .name = "COM1X", .hid = "PNP0501", .irq = 4 },
		{ .name = NULL, .hid = "PNP0501", .irq = 4 },
		{ .name = "COM1", .hid = "pnp0501", .irq = 4 },
		{ .name = "COM1", .hid = NULL, .irq = 4 },
		{ .name = "COM1", .hid = "PNP0501", .irq = 16 },
		{ .name = "COM1", .hid = "PNP0501", .irq = -2 },
		{ .name = "VR07", .hid = "PNP0501", .irq = 4 },
	};
	static const struct acpi_isa_device dup[] = {
		{ .name = "RTC", .hid = "PNP0B00", .irq = 8 },
		{ .name = "RTC_", .hid = "PNP0B00", .irq = 8 },
	};
	struct acpi_machine bad[32];
	unsigned n = 0;

	for (unsigned i = 0; i < 12; i++)
		bad[i] = machine(2);
	bad[n++].ncpus = 0;
	bad[n++].ncpus = ACPI_MAX_CPUS + 1;
	bad[n++].nvirtio = ACPI_MAX_VIRTIO + 1;
	bad[n++].nisa = ACPI_MAX_ISA + 1;
	bad[n++].sleep_control_port = 0;
	bad[n++].sleep_status_port = 0;
	bad[n++].region_addr = REGION_ADDR + 8;
	bad[n].virtio = &high;
	bad[n++].nvirtio = 1;
	bad[n].virtio = &empty;
	bad[n++].nvirtio = 1;
	bad[n].isa = dup;
	bad[n++].nisa = 2;
	bad[n].virtio = NULL;
	bad[n++].nvirtio = 1;
	bad[n].isa = NULL;
	bad[n++].nisa = 1;
	for (unsigned i = 0; i < sizeof(bad_isa) / sizeof(bad_isa[0]); i++) {
		bad[n] = machine(2);
		bad[n].isa = &bad_isa[i];
		bad[n++].nisa = 1;
	}
	for (unsigned i = 0; i < n; i++) {
		setup();
		ck_assert_msg(acpi_write_tables(&mem, &bad[i]) == -EINVAL, "machine %u accepted", i);
		ck_assert(test_all_bytes(ram, RAM_SIZE, CANARY));
	}
}
END_TEST

/* Every region size short of the need fails with -ENOSPC and writes
 * nothing; the exact need succeeds. */
START_TEST(rejects_small_region)
{
	struct acpi_machine mach = machine(cpu_counts[_i]);

	setup();
	int need = acpi_write_tables(&mem, &mach);
	ck_assert_int_gt(need, 0);
	setup();
	for (int room = 0; room < need; room++) {
		mach.region_size = (uint64_t)room;
		ck_assert_int_eq(acpi_write_tables(&mem, &mach), -ENOSPC);
		ck_assert(test_all_bytes(ram + REGION_ADDR, (size_t)need, CANARY));
	}
	ck_assert(test_all_bytes(ram, RAM_SIZE, CANARY));
	setup();
	mach.region_size = (uint64_t)need;
	ck_assert_int_eq(acpi_write_tables(&mem, &mach), need);
	ck_assert(test_all_bytes(ram + REGION_ADDR + need, RAM_SIZE - REGION_ADDR - (size_t)need, CANARY));
}
END_TEST

/* A region that is not (wholly) guest RAM: -EFAULT, nothing written. */
START_TEST(rejects_region_outside_ram)
{
	static const uint64_t where[] = { RAM_SIZE - 0x100, RAM_SIZE, 0xfee00000, UINT64_MAX & ~15ULL };
	struct acpi_machine mach = machine(2);

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		setup();
		mach.region_addr = where[i];
		mach.region_size = 0x1000;
		int r = acpi_write_tables(&mem, &mach);
		ck_assert_msg(r == -EFAULT || (where[i] > UINT64_MAX - 0x1000 && r == -EINVAL),
			      "region 0x%llx: %d", (unsigned long long)where[i], r);
		ck_assert(test_all_bytes(ram, RAM_SIZE, CANARY));
	}
}
END_TEST

/* 4.8.3.7: SLP_EN (bit 5) with SLP_TYP (bits 4:2) 5, whatever the
 * reserved bits; every byte value checked. */
START_TEST(sleep_control_value)
{
	ck_assert_uint_eq(ACPI_SLEEP_CONTROL_S5, 0x34);
	ck_assert(acpi_sleep_control_is_s5(0x34));
	ck_assert(acpi_sleep_control_is_s5(0x34 | 0xc3));
	ck_assert(!acpi_sleep_control_is_s5(0x14)); /* SLP_EN clear */
	ck_assert(!acpi_sleep_control_is_s5(0x30)); /* S4's type */
	ck_assert(!acpi_sleep_control_is_s5(0x80)); /* WAK_STS, as written to status */
	for (unsigned v = 0; v < 256; v++)
		ck_assert_int_eq(acpi_sleep_control_is_s5((uint8_t)v), (v & 0x20) && ((v >> 2) & 7) == 5);
}
END_TEST

/* --- ACPICA's tools -------------------------------------------------- */

struct toolrun {
	char dir[64];
	char *dsdt, *facp, *apic, *xsdt; /* iasl -d output */
	char *disasm_log, *compile_log, *exec_log;
	int recompiled_same;             /* 1 if iasl recompiled our AML byte for byte */
};

static int have_tool(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) == 0)
		return 1;
	fprintf(stderr, "SKIP acpi: %s not found, tables not checked with ACPICA "
		"(apt-get install acpica-tools)\n", tool);
	return 0;
}

static char *slurp(const char *dir, const char *name, size_t *len_out)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *s = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		cap = cap ? cap * 2 : 65536;
		char *bigger = realloc(s, cap + 1);
		ck_assert_ptr_nonnull(bigger);
		s = bigger;
		len += fread(s + len, 1, cap - len, f);
		if (len < cap)
			break;
	}
	fclose(f);
	s[len] = 0;
	if (len_out)
		*len_out = len;
	return s;
}

static void dump(const char *dir, const char *name, const void *p, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void run_in(const char *dir, const char *cmd, const char *log)
{
	char line[1024];

	snprintf(line, sizeof(line), "cd '%s' && %s >%s 2>&1", dir, cmd, log);
	ck_assert_int_ne(system(line), -1);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Disassembles every table, recompiles the DSDT, loads all in acpiexec
 * and enters S5; keeps the outputs, removes the files. */
static void run_acpica(struct toolrun *r, const struct tables *t)
{
	const char *tmp = getenv("TMPDIR");
	size_t aml_len;

	snprintf(r->dir, sizeof(r->dir), "%s/mr-acpi-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	dump(r->dir, "dsdt.dat", ram + t->dsdt, test_le32(ram + t->dsdt + 4));
	dump(r->dir, "facp.dat", ram + t->fadt, test_le32(ram + t->fadt + 4));
	dump(r->dir, "apic.dat", ram + t->madt, test_le32(ram + t->madt + 4));
	dump(r->dir, "xsdt.dat", ram + t->xsdt, test_le32(ram + t->xsdt + 4));
	run_in(r->dir, "iasl -d dsdt.dat facp.dat apic.dat xsdt.dat", "disasm.log");
	run_in(r->dir, "iasl -p again dsdt.dsl", "compile.log");
	run_in(r->dir, "acpiexec -x 0x04000001 -b 'evaluate \\_S5; sleep 5' "
		       "facp.dat dsdt.dat apic.dat", "exec.log");
	r->dsdt = slurp(r->dir, "dsdt.dsl", NULL);
	r->facp = slurp(r->dir, "facp.dsl", NULL);
	r->apic = slurp(r->dir, "apic.dsl", NULL);
	r->xsdt = slurp(r->dir, "xsdt.dsl", NULL);
	r->disasm_log = slurp(r->dir, "disasm.log", NULL);
	r->compile_log = slurp(r->dir, "compile.log", NULL);
	r->exec_log = slurp(r->dir, "exec.log", NULL);
	char *again = slurp(r->dir, "again.aml", &aml_len);
	uint32_t len = test_le32(ram + t->dsdt + 4);
	r->recompiled_same = again && aml_len == len &&
			     memcmp(again + HDR, ram + t->dsdt + HDR, len - HDR) == 0;
	free(again);
	remove_dir(r->dir);
}

/* Turns every run of blanks and newlines into one space, so matches do
 * not depend on the tools' alignment or line breaks. */
static void squeeze(char *s)
{
	char *o = s;

	for (char *p = s; p && *p; p++) {
		char c = (*p == '\t' || *p == '\n' || *p == '\r') ? ' ' : *p;

		if (!(c == ' ' && o > s && o[-1] == ' '))
			*o++ = c;
	}
	if (s)
		*o = 0;
}

static int has(char *text, const char *what)
{
	squeeze(text);
	return text && strstr(text, what) != NULL;
}

static int has_problem(const char *text)
{
	return !text || strstr(text, "Error") || strstr(text, "Warning") ||
	       strstr(text, "Exception") || strstr(text, "ERROR") || strstr(text, "WARNING");
}

#define CHECK_HAS(text, what) ck_assert_msg(has((text), (what)), "missing: %s", (what))

START_TEST(acpica_disassembles_and_recompiles)
{
	struct acpi_machine mach = machine(2);
	struct toolrun r = { 0 };
	struct tables t;

	if (!have_tool("iasl") || !have_tool("acpiexec"))
		return;
	write_and_find(&t, &mach);
	run_acpica(&r, &t);
	ck_assert_ptr_nonnull(r.dsdt);
	ck_assert_ptr_nonnull(r.facp);
	ck_assert_ptr_nonnull(r.apic);
	ck_assert_ptr_nonnull(r.xsdt);
	ck_assert_msg(!has_problem(r.disasm_log), "iasl -d: %s", r.disasm_log);
	CHECK_HAS(r.dsdt, "Scope (_SB)");
	CHECK_HAS(r.dsdt, "Device (VR00)");
	CHECK_HAS(r.dsdt, "Device (VR02)");
	CHECK_HAS(r.dsdt, "Name (_HID, \"LNRO0005\")");
	CHECK_HAS(r.dsdt, "Memory32Fixed (ReadWrite, 0xD0002000, // Address Base 0x00001000, // Address Length");
	CHECK_HAS(r.dsdt, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 0x00000017, }");
	CHECK_HAS(r.dsdt, "Device (COM1)");
	CHECK_HAS(r.dsdt, "EisaId (\"PNP0501\")");
	CHECK_HAS(r.dsdt, "IO (Decode16, 0x03F8, // Range Minimum 0x03F8, // Range Maximum 0x01, // Alignment 0x08, // Length");
	CHECK_HAS(r.dsdt, "IRQNoFlags () {4}");
	CHECK_HAS(r.dsdt, "Device (RTC)");
	CHECK_HAS(r.dsdt, "Name (_S5, Package (0x04) // _S5_: S5 System State { 0x05, Zero, Zero, Zero })");
	CHECK_HAS(r.facp, "Hardware Reduced (V5) : 1");
	CHECK_HAS(r.facp, "FADT Minor Revision : 03");
	CHECK_HAS(r.facp, "Sleep Control Register : [Generic Address Structure]");
	CHECK_HAS(r.facp, "Encoded Access Width : 01 [Byte Access:8] [0F8h 0248 8] Address : 0000000000000600");
	CHECK_HAS(r.facp, "Encoded Access Width : 01 [Byte Access:8] [104h 0260 8] Address : 0000000000000601");
	CHECK_HAS(r.apic, "PC-AT Compatibility : 0");
	CHECK_HAS(r.apic, "Subtable Type : 01 [I/O APIC]");
	CHECK_HAS(r.apic, "Local Apic ID : 01");
	CHECK_HAS(r.apic, "Subtable Type : 04 [Local APIC NMI]");
	CHECK_HAS(r.xsdt, "ACPI Table Address 1 : 00000000000E0190");
	CHECK_HAS(r.compile_log, "Compilation successful. 0 Errors, 0 Warnings, 0 Remarks");
	ck_assert_msg(r.recompiled_same, "iasl's AML for our DSDT differs from ours");
	/* ACPICA's S5 path, as in Linux's acpi_hw_extended_sleep(). */
	ck_assert_msg(!has_problem(r.exec_log), "acpiexec: %s", r.exec_log);
	CHECK_HAS(r.exec_log, "Table [DSDT: MICRORUN] (id 01) - 25 Objects with 6 Devices");
	CHECK_HAS(r.exec_log, "Register values for sleep state S5: Sleep-A: 05");
	char *sts = strstr(r.exec_log, "Wrote: 0000000000000080 width 8 to 0000000000000601 (SystemIO)");
	char *ctl = strstr(r.exec_log, "Wrote: 0000000000000034 width 8 to 0000000000000600 (SystemIO)");
	ck_assert_msg(sts && ctl && sts < ctl, "no WAK_STS clear then 0x34 to the control port: %s",
		      r.exec_log);
	free(r.dsdt), free(r.facp), free(r.apic), free(r.xsdt);
	free(r.disasm_log), free(r.compile_log), free(r.exec_log);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("acpi");

	tcase_add_test(tc, rsdp);
	tcase_add_test(tc, xsdt_lists_fadt_and_madt);
	tcase_add_test(tc, fadt);
	tcase_add_test(tc, fadt_boot_flags_follow_devices);
	tcase_add_loop_test(tc, madt, 0, NCOUNTS);
	tcase_add_loop_test(tc, checksums_and_corruption, 0, NCOUNTS);
	tcase_add_test(tc, dsdt_bytes);
	tcase_add_test(tc, dsdt_devices);
	tcase_add_test(tc, max_machine_fits);
	tcase_add_test(tc, rejects_bad_machines);
	tcase_add_loop_test(tc, rejects_small_region, 0, NCOUNTS);
	tcase_add_test(tc, rejects_region_outside_ram);
	tcase_add_test(tc, sleep_control_value);
	tcase_add_test(tc, acpica_disassembles_and_recompiles);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
