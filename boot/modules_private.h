/* What boot/modules.c (the tree and its index) shares with
 * boot/module_deps.c (the load order); nothing else includes this. */
#ifndef MR_MODULES_PRIVATE_H
#define MR_MODULES_PRIVATE_H

#include "boot/modules.h"

struct mod_entry {
	char name[MOD_NAME_MAX];
	char *path;                 /* relative to the tree, as the index lists it
				     * (.ko[.xz|.zst|.gz], a build tree's .o) until
				     * resolved to the file there is */
	bool path_owned;            /* path is a string of its own, not the index's */
	char *deps_text;            /* modules.dep: what follows the colon */
	struct mod_entry **deps;    /* direct or all dependencies, as listed */
	size_t ndeps;
	bool deps_loaded;
	unsigned char mark;         /* during modtree_resolve */
};

struct mod_entry *modtree_find(const struct modtree *t, const char *name);
bool modtree_builtin(const struct modtree *t, const char *name);

#endif
