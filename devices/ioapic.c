#include "devices/ioapic.h"

#include <string.h>

#define REG_ID      0x00
#define REG_VERSION 0x01
#define REG_ARB     0x02
#define REG_REDIR   0x10  /* two registers per pin: low, high */

#define OFF_REGSEL  0x00
#define OFF_WINDOW  0x10

#define VERSION     0x11
#define RTE_VECTOR        0xffULL
#define RTE_DELIVERY      (7ULL << 8)
#define RTE_DEST_LOGICAL  (1ULL << 11)
#define RTE_REMOTE_IRR    (1ULL << 14)  /* read-only: level interrupt awaits EOI */
#define RTE_LEVEL         (1ULL << 15)
#define RTE_MASKED        (1ULL << 16)
/* Bits the guest may write: vector, delivery mode, destination mode,
 * polarity, trigger mode, mask (low); destination (high). Delivery status
 * and remote IRR are read-only. */
#define RTE_WRITABLE      (0xffULL | (7ULL << 8) | (1ULL << 11) | (1ULL << 13) | \
			   RTE_LEVEL | RTE_MASKED | (0xffULL << 56))

#define MSI_ADDR_BASE     0xfee00000ULL
#define MSI_DATA_ASSERT   (1u << 14)

void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops)
{
	memset(io, 0, sizeof(*io));
	io->ops = *ops;
	io->id = id;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = RTE_MASKED; /* 82093AA reset state */
}

bool ioapic_masked(const struct ioapic *io, unsigned pin)
{
	return io->redir[pin] & RTE_MASKED;
}

/* SDM 11.11.1-2: destination in address bits 19:12, destination mode in
 * bit 2; vector, delivery mode and trigger mode in the data word. */
void ioapic_msi(const struct ioapic *io, unsigned pin, uint64_t *addr, uint32_t *data)
{
	uint64_t e = io->redir[pin];

	*addr = MSI_ADDR_BASE | ((e >> 56) << 12) | ((e & RTE_DEST_LOGICAL) ? 1u << 2 : 0);
	*data = (uint32_t)(e & (RTE_VECTOR | RTE_DELIVERY | RTE_LEVEL)) | MSI_DATA_ASSERT;
}

static void deliver(struct ioapic *io, unsigned pin)
{
	uint64_t addr;
	uint32_t data;

	if (ioapic_masked(io, pin))
		return;
	if (io->redir[pin] & RTE_LEVEL) {
		if (io->redir[pin] & RTE_REMOTE_IRR)
			return;
		io->redir[pin] |= RTE_REMOTE_IRR;
	}
	ioapic_msi(io, pin, &addr, &data);
	io->ops.send_msi(io->ops.ctx, addr, data);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	if (pin >= IOAPIC_PINS)
		return;
	uint32_t bit = 1u << pin;
	bool rising = level && !(io->line & bit);

	io->line = level ? io->line | bit : io->line & ~bit;
	if (level && (rising || (io->redir[pin] & RTE_LEVEL)))
		deliver(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];
		if (!(*e & RTE_REMOTE_IRR) || (*e & RTE_VECTOR) != vector)
			continue;
		*e &= ~RTE_REMOTE_IRR;
		if (io->line & (1u << pin)) /* still asserted: fires again */
			deliver(io, pin);
	}
}

static uint32_t read_register(const struct ioapic *io, uint8_t reg)
{
	unsigned pin = (reg - REG_REDIR) / 2;

	switch (reg) {
	case REG_ID: return (uint32_t)io->id << 24;
	case REG_VERSION: return VERSION | ((IOAPIC_PINS - 1) << 16);
	case REG_ARB: return (uint32_t)io->id << 24;
	}
	if (reg < REG_REDIR || pin >= IOAPIC_PINS)
		return 0xffffffff;
	return (uint32_t)(io->redir[pin] >> (reg & 1 ? 32 : 0));
}

static void write_entry(struct ioapic *io, unsigned pin, bool high, uint32_t value)
{
	uint64_t e = io->redir[pin];
	uint64_t half = high ? 0xffffffff00000000ULL : 0xffffffffULL;
	uint64_t v = high ? (uint64_t)value << 32 : value;

	e = (e & ~(half & RTE_WRITABLE)) | (v & half & RTE_WRITABLE);
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redir[pin] = e;
	io->ops.entry_changed(io->ops.ctx, pin);
	/* A level-triggered input held while masked fires once unmasked. */
	if ((e & RTE_LEVEL) && (io->line & (1u << pin)))
		deliver(io, pin);
}

static void write_register(struct ioapic *io, uint8_t reg, uint32_t value)
{
	unsigned pin = (reg - REG_REDIR) / 2;

	if (reg == REG_ID)
		io->id = (uint8_t)(value >> 24);
	else if (reg >= REG_REDIR && pin < IOAPIC_PINS)
		write_entry(io, pin, reg & 1, value);
}

uint32_t ioapic_read(struct ioapic *io, uint64_t offset)
{
	if (offset == OFF_REGSEL)
		return io->regsel;
	if (offset == OFF_WINDOW)
		return read_register(io, io->regsel);
	return 0xffffffff;
}

void ioapic_write(struct ioapic *io, uint64_t offset, uint32_t value)
{
	if (offset == OFF_REGSEL)
		io->regsel = (uint8_t)value;
	else if (offset == OFF_WINDOW)
		write_register(io, io->regsel, value);
}
