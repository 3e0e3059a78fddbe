/* The kernel command line microrun passes: the user's text plus the
 * defaults it did not override. */
#ifndef MR_CMDLINE_H
#define MR_CMDLINE_H

#include <stdbool.h>

/* True if `cmdline` sets the kernel parameter `key` (e.g. "console"): a
 * word "key=..." or "key" before any " -- ", after which words go to init. */
bool cmdline_has_param(const char *cmdline, const char *key);

/* True if the last word setting `key` in `cmdline` is exactly "key=value". */
bool cmdline_param_is(const char *cmdline, const char *key, const char *value);

/* "<defaults not set by user> <user>", malloc'd; `defaults` is a
 * NULL-terminated list of "key=value" words. NULL if out of memory. */
char *cmdline_compose(const char *user, const char *const *defaults);

#endif
