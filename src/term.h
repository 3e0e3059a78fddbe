/* The user's terminal while the guest owns the console: keystrokes go to
 * the guest as typed (no line editing, no local echo); Ctrl-C still ends
 * microrun. Restored on every way out. */
#ifndef MR_TERM_H
#define MR_TERM_H

void term_enter(void);
void term_restore(void);

#endif
