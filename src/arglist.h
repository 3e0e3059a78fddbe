/* A growing, NULL-terminated list of malloc'd strings: the words of a
 * command line being put together (src/profile_merge.h). */
#ifndef MR_ARGLIST_H
#define MR_ARGLIST_H

#include <stddef.h>

struct arglist {
	char **v;       /* v[n] is NULL once anything was added */
	size_t n, cap;
};

/* A copy of the `len` bytes at `s`; -ENOMEM. */
int arglist_add(struct arglist *a, const char *s, size_t len) __attribute__((warn_unused_result));
/* Copies of the `n` strings at `v`, in order. */
int arglist_add_all(struct arglist *a, char *const *v, size_t n) __attribute__((warn_unused_result));
void arglist_free(struct arglist *a);

#endif
