/* I/O APIC (82093AA, version 0x11) in user space, beside KVM's in-kernel
 * local APICs (the "split irqchip"). Pins turn into MSIs for the local
 * APICs; the model knows nothing of KVM: the caller delivers the MSIs and
 * forwards EOIs. Not thread-safe: the caller serialises access. */
#ifndef MR_IOAPIC_H
#define MR_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_PINS     24
#define IOAPIC_MMIO_LEN 0x20  /* IOREGSEL at 0x00, IOWIN at 0x10 */

struct ioapic_ops {
	/* Deliver an interrupt message (Intel SDM vol. 3, 11.11). */
	void (*send_msi)(void *ctx, uint64_t addr, uint32_t data);
	/* A redirection entry changed: routes derived from it need updating. */
	void (*entry_changed)(void *ctx, unsigned pin);
	void *ctx;
};

struct ioapic {
	struct ioapic_ops ops;
	uint8_t id;
	uint8_t regsel;
	uint64_t redir[IOAPIC_PINS];
	uint32_t line;      /* pins whose input is asserted */
};

void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops);
/* 32-bit accesses at offsets 0x00 and 0x10; anything else reads all-ones. */
uint32_t ioapic_read(struct ioapic *io, uint64_t offset);
void ioapic_write(struct ioapic *io, uint64_t offset, uint32_t value);
/* Drive input `pin`: edge-triggered pins fire on a rising edge; level-
 * triggered pins fire while asserted and not awaiting EOI. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
/* A local APIC acknowledged `vector` (KVM_EXIT_IOAPIC_EOI). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* The message `pin` sends, for the KVM GSI route of that pin. */
void ioapic_msi(const struct ioapic *io, unsigned pin, uint64_t *addr, uint32_t *data);
bool ioapic_masked(const struct ioapic *io, unsigned pin);

#endif
