/* What boot/modules.c (the tree and its index) shares with
 * boot/module_deps.c (the load order); nothing else includes this. */
#ifndef MR_MODULES_PRIVATE_H
#define MR_MODULES_PRIVATE_H

#include "boot/module_file.h"
#include "boot/modules.h"

struct mod_entry {
	char name[MOD_NAME_MAX];
	uint32_t line;              /* its index line, as struct mod_slot's */
	char *path;                 /* relative to the tree, as the index lists it
				     * (.ko[.xz|.zst|.gz], a build tree's .o) until
				     * resolved to the file there is */
	bool path_owned;            /* path is a string of its own, not the index's */
	char *deps_text;            /* modules.dep: what follows the colon */
	struct mod_entry **deps;    /* direct or all dependencies, as listed */
	size_t ndeps;
	bool deps_loaded;
	struct mod_file file;       /* opened for its .modinfo (no modules.dep);
				     * handed on in struct mod_load */
	unsigned char mark;         /* during modtree_resolve */
};

/* The entry of `name`, made on first use; NULL if the tree lists no such
 * module (or, said on stderr, there was no memory for it). */
struct mod_entry *modtree_find(struct modtree *t, const char *name);
bool modtree_builtin(const struct modtree *t, const char *name);

#endif
