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

/* How `cmdline` sets `key` to a value starting with `prefix`: some
 * "key=prefix..." word, and whether the last "key=..." word is one. For
 * console= the last one is what Linux makes /dev/console. */
enum { CMDLINE_VALUE_SOME = 1, CMDLINE_VALUE_LAST = 2 };
unsigned cmdline_value_use(const char *cmdline, const char *key, const char *prefix);

/* "<defaults not set by user> <user>", malloc'd; `defaults` is a
 * NULL-terminated list of "key=value" words. NULL if out of memory. */
char *cmdline_compose(const char *user, const char *const *defaults);

#endif
