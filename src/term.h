/* The user's terminal while the guest owns the console: keystrokes go to
 * the guest as typed (no line editing, no local echo); Ctrl-C still ends
 * microrun. Restored on every way out. */
#ifndef MR_TERM_H
#define MR_TERM_H

#include <stdint.h>

void term_enter(void);
void term_restore(void);
/* The size of the terminal on stdout, or else on stdin, for the guest's
 * console; -ENOTTY when neither is a terminal. */
int term_size(uint16_t *cols, uint16_t *rows) __attribute__((warn_unused_result));

#endif
