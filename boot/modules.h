/* Kernel modules for the guest: where a kernel's modules are on the host,
 * which ones a set of wanted modules needs, and the order in which the guest
 * must load them (dependencies first, as modprobe does).
 *
 * A module tree is a directory holding modules.dep (written by depmod, as in
 * an installed /lib/modules/RELEASE) or, failing that, modules.order (an
 * unpacked Debian package: depmod only runs in its postinst; or a kernel
 * build tree), where each module's own .modinfo "depends=" names what it
 * needs. modules.builtin, when present, lists what needs no loading. */
#ifndef MR_MODULES_H
#define MR_MODULES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/kernel_version.h"

/* MODULE_NAME_LEN in include/linux/module.h: 64 - sizeof(unsigned long). */
#define MOD_NAME_MAX 56

struct mod_entry;
struct mod_file;

/* A module the index lists: where its line is, and its name's hash. */
struct mod_slot {
	uint32_t line;               /* offset + 1 of its line in dep_text; 0: empty */
	uint32_t hash;
};

struct modtree {
	char dir[PATH_MAX];          /* module paths are relative to this */
	char release[KVER_MAX];
	bool has_dep;                /* modules.dep; else .modinfo of each module */
	size_t nmods;                /* modules listed (the first line of each) */
	struct mod_slot *slots;      /* by name */
	size_t nslots;               /* a power of two */
	struct mod_entry **entries;  /* the modules looked up, made on first use */
	size_t nentries, entries_cap;
	char **builtin;              /* names of built-in modules, sorted */
	size_t nbuiltin;
	char *dep_text, *builtin_text; /* file contents the entries point into */
};

struct mod_load {
	char name[MOD_NAME_MAX];     /* "9pnet_virtio" */
	const char *path;            /* "kernel/net/9p/9pnet_virtio.ko", in the tree */
	struct mod_file *file;       /* the file, open, if resolving read it (a tree
				     * without modules.dep): the caller may take
				     * it with modfile_move(); else NULL */
};

struct mod_list {
	struct mod_load *v;          /* in load order */
	size_t n;
};

/* Finds the modules of kernel `release`. With dir NULL, /lib/modules/RELEASE;
 * otherwise the first of DIR, DIR/lib/modules/RELEASE (an unpacked package
 * or a `make modules_install INSTALL_MOD_PATH=DIR`) and
 * DIR/usr/lib/modules/RELEASE that is a module tree. A build tree built for
 * another release is refused. -ENOENT, reported on stderr only when `dir`
 * was given, if there is no tree: a kernel with everything built in needs
 * none. */
int modtree_open(struct modtree *t, const char *dir, const char *release)
	__attribute__((warn_unused_result));
void modtree_close(struct modtree *t);

/* The modules that loading `wanted` (names; '-' and '_' alike) takes, each
 * after its dependencies and once; built-in ones are left out. Errors name
 * the module and, for the ones microrun needs, the config option that
 * provides it: -ENOENT for a module that is neither built in nor in the
 * tree, -ELOOP for a dependency cycle. The list points into `t`. */
int modtree_resolve(struct modtree *t, const char *const *wanted, size_t n, struct mod_list *out)
	__attribute__((warn_unused_result));
void mod_list_free(struct mod_list *l);

/* The module name of a path in a tree ("kernel/fs/9p/9p.ko.xz" -> "9p",
 * "fs/fuse/virtiofs.o" -> "virtiofs", '-' becoming '_' as in the kernel).
 * -EINVAL if the path names no module. */
int mod_name_of(const char *path, char name[MOD_NAME_MAX]) __attribute__((warn_unused_result));

/* The Kconfig option that builds module `name` ("CONFIG_9P_FS"), for the
 * modules microrun asks for and their dependencies; NULL for others. */
const char *mod_config_option(const char *name);

#endif
