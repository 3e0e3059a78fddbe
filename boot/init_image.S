/* The guest init (boot/init/), built by the Makefile as a static binary
 * and embedded here, so microrun needs no file beside it at run time.
 * INIT_BINARY is the path of the built init (-DINIT_BINARY=...). */
	.section .rodata.init_image, "a"
	.balign 16
	.globl init_image_start, init_image_end
	.type init_image_start, @object
init_image_start:
	.incbin INIT_BINARY
init_image_end:
	.size init_image_start, init_image_end - init_image_start
	.section .note.GNU-stack, "", @progbits
