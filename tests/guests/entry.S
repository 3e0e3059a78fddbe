/* Guest image head. guest.ld puts .head first, at physical 0x1000000:
 *
 *   +0x000  32-bit entry (the boot protocol's 32-bit entry point is the
 *           start of the protected-mode image): unsupported here, hlt-loops
 *   +0x100  kernel_info (boot protocol 2.15), the setup header's
 *           kernel_info_offset points here
 *   +0x200  64-bit entry: the 64-bit boot protocol enters at load address
 *           + 0x200 (bzImage) or at e_entry (ELF) with RSI = zero page
 *
 * Only RIP-relative addressing: the image may run at another address. */

	.section .head, "ax"
	.code32
	.globl	entry32
entry32:
	cli
1:	hlt
	jmp	1b

	.org	0x100
	.globl	kernel_info
kernel_info:
	.ascii	"LToP"			/* header */
	.long	kernel_info_end - kernel_info	/* size */
	.long	kernel_info_end - kernel_info	/* size_total */
	.long	0			/* setup_type_max: no setup_data used */
kernel_info_end:

	.org	0x200
	.code64
	.globl	entry64
entry64:
	/* Do not touch RFLAGS.IF or the segment registers: bootcheck
	 * reports them as the loader left them. */
	cld
	/* Clear .bss ourselves (as Linux does) rather than trusting the
	 * loader; RSI (zero page) is left alone by rep stos. */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq
	leaq	stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movq	%rsi, %rdi
	call	guest_main
2:	cli
	hlt
	jmp	2b

	/* The stack lives after .bss (see guest.ld) and is not cleared. */
	.section .stack, "aw", @nobits
	.balign	16
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
