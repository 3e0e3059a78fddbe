/* MP spec 1.4 tables: a floating pointer followed directly by the base
 * configuration table (header, then entries sorted by type, MP spec 1.4,
 * 4.3). The layout copies Firecracker and kvmtool: one ISA bus, ISA IRQ n on
 * I/O APIC pin n for every pin, and virtual wire mode (no IMCR). Pins 16-23
 * carry the virtio-mmio devices: a kernel booted with acpi=off finds them
 * on its command line (virtio_mmio.device=...:IRQ), and Linux sets up an
 * IRQ above 15 only for a pin the MP table lists. */
#include "boot/x86/mptable.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "devices/ioapic.h"
#include "src/x86/layout.h"

#define MP_SPEC_REV 4 /* version 1.4 */
#define IO_INTERRUPTS IOAPIC_PINS

/* MP spec 1.4, 4.1, Table 4-1. */
struct mpf {
	uint8_t signature[4];
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5]; /* all 0: config table present, virtual wire */
} __attribute__((packed));

/* MP spec 1.4, 4.2, Table 4-2. */
struct mpc_header {
	uint8_t signature[4];
	uint16_t base_length;
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t oem_id[8];
	uint8_t product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* Entry types, MP spec 1.4, 4.3, Table 4-3. */
enum {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_IOINTR = 3,
	MP_LINTR = 4,
};

/* MP spec 1.4, 4.3.1, Table 4-4. */
struct mpc_cpu {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint8_t reserved[8];
} __attribute__((packed));

#define CPU_EN 0x01           /* MP spec 1.4, 4.3.1, Table 4-5 */
#define CPU_BP 0x02
#define CPU_SIGNATURE 0x600   /* family 6, model 0, stepping 0 */
#define CPU_FEATURES 0x201    /* CPUID.1:EDX FPU (bit 0) and APIC (bit 9) */
#define LAPIC_VERSION 0x14    /* what KVM's local APIC reports */

/* MP spec 1.4, 4.3.2, Table 4-7. */
struct mpc_bus {
	uint8_t type;
	uint8_t bus_id;
	uint8_t bus_type[6];
} __attribute__((packed));

/* MP spec 1.4, 4.3.3, Table 4-9. */
struct mpc_ioapic {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

#define IOAPIC_EN 0x01
#define IOAPIC_VERSION 0x11   /* what KVM's I/O APIC reports */

/* I/O (MP spec 1.4, 4.3.4, Table 4-10) and local (4.3.5, Table 4-12)
 * interrupt assignment entries share one layout. */
struct mpc_intr {
	uint8_t type;
	uint8_t int_type;
	uint16_t flags;       /* 0: polarity and trigger conform to the bus */
	uint8_t src_bus_id;
	uint8_t src_bus_irq;
	uint8_t dst_apic_id;
	uint8_t dst_pin;
} __attribute__((packed));

/* Interrupt types, MP spec 1.4, 4.3.4, Table 4-11. */
enum {
	MP_INT = 0,
	MP_NMI = 1,
	MP_EXTINT = 3,
};

#define ALL_LAPICS 0xff       /* MP spec 1.4, 4.3.5: every local APIC */

_Static_assert(sizeof(struct mpf) == 16, "MP spec 1.4, 4.1");
_Static_assert(sizeof(struct mpc_header) == 44, "MP spec 1.4, 4.2");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP spec 1.4, 4.3.1");
_Static_assert(sizeof(struct mpc_bus) == 8, "MP spec 1.4, 4.3.2");
_Static_assert(sizeof(struct mpc_ioapic) == 8, "MP spec 1.4, 4.3.3");
_Static_assert(sizeof(struct mpc_intr) == 8, "MP spec 1.4, 4.3.4/4.3.5");

/* Entries besides the processors: bus, I/O APIC, pins, LINT0 and LINT1. */
#define FIXED_ENTRIES (1 + 1 + IO_INTERRUPTS + 2)
#define FIXED_SIZE (sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) + \
		    (IO_INTERRUPTS + 2) * sizeof(struct mpc_intr))
#define TOTAL_SIZE(ncpus) (sizeof(struct mpf) + sizeof(struct mpc_header) + \
			   (ncpus) * sizeof(struct mpc_cpu) + FIXED_SIZE)

/* MPTABLE_MAX_CPUS is the largest count that fits in the KiB at MPTABLE_ADDR
 * and leaves an 8-bit APIC ID (not 0xff) for the I/O APIC. */
_Static_assert(TOTAL_SIZE(MPTABLE_MAX_CPUS) <= BASE_MEM_END - MPTABLE_ADDR,
	       "MPTABLE_MAX_CPUS does not fit below 640 KiB");
_Static_assert(TOTAL_SIZE(MPTABLE_MAX_CPUS + 1) > BASE_MEM_END - MPTABLE_ADDR,
	       "MPTABLE_MAX_CPUS is not the largest count that fits");
_Static_assert(MPTABLE_MAX_CPUS < ALL_LAPICS, "I/O APIC ID (ncpus) must be below 0xff");

/* The byte that makes `len` bytes sum to 0 (MP spec 1.4, 4.1 and 4.2), given
 * that its own slot holds 0. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static uint8_t *put(uint8_t *p, const void *entry, size_t len)
{
	memcpy(p, entry, len);
	return p + len;
}

/* MP spec 1.4, 4.3.1. */
static uint8_t *put_cpus(uint8_t *p, unsigned ncpus)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apic_id = (uint8_t)i,
			.apic_version = LAPIC_VERSION,
			.flags = CPU_EN | (i == 0 ? CPU_BP : 0),
			.signature = CPU_SIGNATURE,
			.features = CPU_FEATURES,
		};
		p = put(p, &cpu, sizeof(cpu));
	}
	return p;
}

/* MP spec 1.4, 4.3.2: bus type strings are space-padded (Table 4-8). */
static uint8_t *put_isa_bus(uint8_t *p)
{
	struct mpc_bus bus = { .type = MP_BUS, .bus_id = 0 };

	memcpy(bus.bus_type, "ISA   ", sizeof(bus.bus_type));
	return put(p, &bus, sizeof(bus));
}

/* MP spec 1.4, 4.3.3. */
static uint8_t *put_ioapic(uint8_t *p, uint8_t ioapic_id)
{
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apic_id = ioapic_id,
		.apic_version = IOAPIC_VERSION,
		.flags = IOAPIC_EN,
		.addr = IOAPIC_ADDR,
	};
	return put(p, &ioapic, sizeof(ioapic));
}

/* MP spec 1.4, 4.3.4: ISA IRQ n drives I/O APIC pin n. */
static uint8_t *put_io_interrupts(uint8_t *p, uint8_t ioapic_id)
{
	for (uint8_t irq = 0; irq < IO_INTERRUPTS; irq++) {
		struct mpc_intr intr = {
			.type = MP_IOINTR,
			.int_type = MP_INT,
			.src_bus_id = 0,
			.src_bus_irq = irq,
			.dst_apic_id = ioapic_id,
			.dst_pin = irq,
		};
		p = put(p, &intr, sizeof(intr));
	}
	return p;
}

/* MP spec 1.4, 4.3.5: ExtINT on LINT0 and NMI on LINT1 of every local APIC,
 * the virtual wire wiring of 3.6.2.2. */
static uint8_t *put_local_interrupts(uint8_t *p)
{
	struct mpc_intr extint = {
		.type = MP_LINTR,
		.int_type = MP_EXTINT,
		.dst_apic_id = ALL_LAPICS,
		.dst_pin = 0,
	};
	struct mpc_intr nmi = {
		.type = MP_LINTR,
		.int_type = MP_NMI,
		.dst_apic_id = ALL_LAPICS,
		.dst_pin = 1,
	};

	p = put(p, &extint, sizeof(extint));
	return put(p, &nmi, sizeof(nmi));
}

/* MP spec 1.4, 4.2: the header of the `len`-byte base table, checksummed
 * over all of it, so its `entries` must already be in place after it. */
static void put_header(uint8_t *table, size_t len, unsigned entries)
{
	struct mpc_header hdr = {
		.base_length = (uint16_t)len,
		.spec_rev = MP_SPEC_REV,
		.entry_count = (uint16_t)entries,
		.lapic_addr = LAPIC_ADDR,
	};

	memcpy(hdr.signature, "PCMP", sizeof(hdr.signature));
	memcpy(hdr.oem_id, "MICRORUN", sizeof(hdr.oem_id));
	memcpy(hdr.product_id, "MICRORUN VM ", sizeof(hdr.product_id));
	memcpy(table, &hdr, sizeof(hdr));
	table[offsetof(struct mpc_header, checksum)] = checksum(table, len);
}

/* MP spec 1.4, 4.1. */
static void put_floating_pointer(uint8_t *p, uint32_t table_gpa)
{
	struct mpf mpf = {
		.physptr = table_gpa,
		.length = sizeof(mpf) / 16,
		.spec_rev = MP_SPEC_REV,
	};

	memcpy(mpf.signature, "_MP_", sizeof(mpf.signature));
	mpf.checksum = checksum((const uint8_t *)&mpf, sizeof(mpf));
	memcpy(p, &mpf, sizeof(mpf));
}

int mptable_write(void *dst, size_t room, uint64_t gpa, unsigned ncpus)
{
	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	if (gpa % 16 != 0 || gpa > (1ULL << 32) - TOTAL_SIZE(ncpus))
		return -EINVAL;
	if (room < TOTAL_SIZE(ncpus))
		return -ENOSPC;

	uint8_t *table = (uint8_t *)dst + sizeof(struct mpf);
	uint8_t *p = table + sizeof(struct mpc_header);

	p = put_cpus(p, ncpus);
	p = put_isa_bus(p);
	p = put_ioapic(p, (uint8_t)ncpus);
	p = put_io_interrupts(p, (uint8_t)ncpus);
	p = put_local_interrupts(p);
	put_header(table, (size_t)(p - table), ncpus + FIXED_ENTRIES);
	put_floating_pointer(dst, (uint32_t)(gpa + sizeof(struct mpf)));
	return (int)TOTAL_SIZE(ncpus);
}
