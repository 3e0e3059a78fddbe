/* Diagnostics of microrun itself: always on stderr, always prefixed, so that
 * stdout carries nothing but guest output. */
#ifndef MR_LOG_H
#define MR_LOG_H

#include <stdbool.h>

extern int mr_verbose;

/* Set while the terminal is in raw mode, where a bare "\n" does not return
 * the carriage. */
void log_set_raw_terminal(bool raw);

void mr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with -v. */
void mr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed always, for reports the user asked for (--timing). */
void mr_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
