/* The user's terminal while the guest owns it. Restored on every way out:
 * term_restore() at the end of the run, at exit, and from the sandbox's
 * SIGSYS handler (it is async-signal-safe). */
#ifndef MR_TERM_H
#define MR_TERM_H

#include <stdbool.h>
#include <stdint.h>

/* If stdin is a terminal: keystrokes go to the guest as typed (no line
 * editing, no local echo). `raw` (a shell's terminal in the guest): every
 * byte, Ctrl-C, Ctrl-Z and Ctrl-\ included, which the guest's line
 * discipline makes signals for its foreground job, and output as the
 * guest sends it; otherwise Ctrl-C still ends microrun. Returns whether
 * the terminal is raw now. */
bool term_enter(bool raw);
void term_restore(void);
/* The size of the terminal on stdout, or else on stdin, for the guest's
 * console; -ENOTTY when neither is a terminal. */
int term_size(uint16_t *cols, uint16_t *rows) __attribute__((warn_unused_result));

#endif
