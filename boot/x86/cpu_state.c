#include "boot/x86/cpu_state.h"

#include <asm/processor-flags.h>
#include <errno.h>
#include <string.h>

#include "src/x86/layout.h"

#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

/* Index = selector / 8. The TSS is there only because VM entry needs a
 * valid task register; Linux loads its own before it could use it. In long
 * mode a TSS descriptor takes two slots; the second (base bits 63:32) is 0. */
static const uint64_t boot_gdt[] = {
	[0] = 0,
	[1] = 0,
	[BOOT_CS / 8] = 0x00af9b000000ffffULL,  /* code: P, S, exec/read, L, G */
	[BOOT_DS / 8] = 0x00cf93000000ffffULL,  /* data: P, S, read/write, D/B, G */
	[BOOT_TSS / 8] = 0x00808b0000000000ULL, /* busy 64-bit TSS, P */
	[BOOT_TSS / 8 + 1] = 0,
};

int gdt_write(struct guest_mem *m)
{
	void *dst = gmem_ptr(m, GDT_ADDR, sizeof(boot_gdt));

	if (!dst)
		return -ERANGE;
	memcpy(dst, boot_gdt, sizeof(boot_gdt));
	return 0;
}

/* Decodes the descriptor rather than restating it, so the hidden segment
 * state KVM loads always matches what the guest would read from the GDT. */
struct kvm_segment gdt_segment(uint16_t selector)
{
	uint64_t d = boot_gdt[selector / 8];
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	uint8_t g = (d >> 55) & 1;

	return (struct kvm_segment){
		.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24),
		.limit = g ? (limit << 12) | 0xfff : limit,
		.selector = selector,
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = g,
	};
}

void boot_cpu_sregs(struct kvm_sregs *s, uint64_t cr3)
{
	s->cs = gdt_segment(BOOT_CS);
	s->ds = s->es = s->fs = s->gs = s->ss = gdt_segment(BOOT_DS);
	s->tr = gdt_segment(BOOT_TSS);
	s->gdt = (struct kvm_dtable){ .base = GDT_ADDR, .limit = sizeof(boot_gdt) - 1 };
	s->idt = (struct kvm_dtable){ .base = 0, .limit = 0 };
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = cr3;
	s->cr4 = X86_CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

void boot_cpu_regs(struct kvm_regs *r, uint64_t entry, uint64_t zero_page)
{
	*r = (struct kvm_regs){
		.rflags = X86_EFLAGS_FIXED, /* IF clear: interrupts off */
		.rip = entry,
		.rsi = zero_page,
		.rsp = BOOT_STACK_TOP,
	};
}
