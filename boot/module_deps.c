/* The load order of a set of modules: a depth-first walk that puts every
 * module after what it depends on. modules.dep lists all of a module's
 * dependencies, and modprobe loads them last to first (depmod orders them
 * so); a walk that visits them in that order gives modprobe's order. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/modinfo.h"
#include "boot/module_file.h"
#include "boot/modules_private.h"
#include "src/log.h"

enum { UNSEEN, ON_PATH, LOADED };

/* The modules microrun needs, and what they depend on in Debian's 6.1. */
static const struct { const char *name, *option; } config_options[] = {
	{ "virtio", "CONFIG_VIRTIO" },
	{ "virtio_ring", "CONFIG_VIRTIO" },
	{ "virtio_mmio", "CONFIG_VIRTIO_MMIO" },
	{ "virtio_blk", "CONFIG_VIRTIO_BLK" },
	{ "virtio_console", "CONFIG_VIRTIO_CONSOLE" },
	{ "9pnet", "CONFIG_NET_9P" },
	{ "9pnet_virtio", "CONFIG_NET_9P_VIRTIO" },
	{ "9p", "CONFIG_9P_FS" },
	{ "netfs", "CONFIG_NETFS_SUPPORT" },
	{ "fscache", "CONFIG_FSCACHE" },
	{ "overlay", "CONFIG_OVERLAY_FS" },
};

const char *mod_config_option(const char *name)
{
	for (size_t i = 0; i < sizeof(config_options) / sizeof(config_options[0]); i++)
		if (strcmp(config_options[i].name, name) == 0)
			return config_options[i].option;
	return NULL;
}

struct walk {
	struct modtree *t;
	struct mod_list *out;
	struct mod_entry **path;   /* the modules being visited, outermost first */
	size_t depth;
};

static void normalize(const char *s, size_t len, char name[MOD_NAME_MAX])
{
	for (size_t i = 0; i < len; i++)
		name[i] = s[i] == '-' ? '_' : s[i];
	name[len] = 0;
}

/* The file a modules.order line means: a build tree's names a module's
 * object (.o) for its .ko, an unpacked package's a compressed module by
 * its .ko name. e->path becomes the name of the file there is. */
static int locate(const struct modtree *t, struct mod_entry *e, char path[PATH_MAX])
{
	static const char *const suffixes[] = { "", ".xz", ".zst", ".gz" };
	size_t n = strlen(e->path);
	bool object = n > 2 && strcmp(e->path + n - 2, ".o") == 0;
	int stem = (int)(object ? n - 2 : n);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (snprintf(path, PATH_MAX, "%s/%.*s%s%s", t->dir, stem, e->path,
			     object ? ".ko" : "", suffixes[i]) >= PATH_MAX)
			return -ENAMETOOLONG;
		if (access(path, F_OK) != 0)
			continue;
		if (object || *suffixes[i]) {
			char *p = strdup(path + strlen(t->dir) + 1);
			if (!p)
				return -ENOMEM;
			if (e->path_owned)
				free(e->path);
			e->path = p;
			e->path_owned = true;
		}
		return 0;
	}
	mr_err("%s/modules.order lists %s, but there is no such file (nor a compressed one)",
	       t->dir, e->path);
	return -ENOENT;
}

/* vermagic starts with the release the module was built for (VERMAGIC_STRING
 * in include/linux/vermagic.h); the kernel refuses any other. Caught here,
 * the mistake is named on the host instead of failing inside the guest. */
static int check_vermagic(const struct modtree *t, const char *path, const uint8_t *ko,
			  size_t size)
{
	const char *v;
	size_t len;
	int r = modinfo_get(ko, size, "vermagic", &v, &len);

	if (r == -ENOENT) {
		mr_err("%s has no vermagic: the kernel would refuse it", path);
		return -ENOEXEC;
	}
	if (r)
		return r;
	size_t rel = strcspn(v, " "); /* v ends with a NUL at v[len] */
	if (rel != strlen(t->release) || memcmp(v, t->release, rel) != 0) {
		mr_err("%s was built for kernel %.*s, not %s: point --modules at the modules "
		       "of the kernel you boot", path, (int)rel, v, t->release);
		return -ENOEXEC;
	}
	return 0;
}

/* A module's "depends=", read from the module itself, in a fresh string,
 * once its vermagic is checked. The file stays open in e->file, for
 * whoever packs the module next (opening it twice cost 4 ms a module in
 * the benchmarks' nested machine). */
static int modinfo_depends(const struct modtree *t, struct mod_entry *e, char **deps)
{
	char path[PATH_MAX];
	struct mod_file *f = &e->file;
	uint8_t *buf = NULL;
	const char *v = "";
	size_t len = 0;
	int r = locate(t, e, path);

	if (!r)
		r = modfile_open(f, path);
	if (r)
		return r; /* reported */
	const uint8_t *ko = f->map;
	if (f->comp != MOD_COMP_NONE) {
		ko = buf = malloc(f->size);
		r = buf ? modfile_read(f, buf) : -ENOMEM;
	}
	if (!r && (r = check_vermagic(t, path, ko, f->size)) == -ENOEXEC)
		goto out; /* reported */
	if (!r)
		r = modinfo_get(ko, f->size, "depends", &v, &len);
	if (r == -ENOENT) /* modpost always writes one; none means none */
		r = 0;
	if (!r && !(*deps = strndup(v, len)))
		r = -ENOMEM;
	if (r)
		mr_err("%s: cannot read the module's dependencies (.modinfo): %s", path,
		       r == -EINVAL ? "not a well-formed ELF module" :
		       r == -EIO ? "corrupt compressed data" : strerror(-r));
out:
	free(buf);
	if (r)
		modfile_close(f);
	return r;
}

static int missing_dep(const struct modtree *t, const struct mod_entry *e, const char *dep)
{
	if (t->has_dep)
		mr_err("%s/modules.dep: %s depends on %s, which has no entry of its own: "
		       "run depmod %s", t->dir, e->name, dep, t->release);
	else
		mr_err("module %s depends on %s, which is not in %s/modules.order", e->name,
		       dep, t->dir);
	return -ENOENT;
}

/* Turns the listed dependencies into entries, once per module. */
static int add_deps(struct modtree *t, struct mod_entry *e, char *list, const char *seps)
{
	size_t n = 1;
	char name[MOD_NAME_MAX];

	for (const char *p = list; *p; p++)
		n += strchr(seps, *p) != NULL;
	e->deps = calloc(n, sizeof(*e->deps));
	if (!e->deps)
		return -ENOMEM;
	for (char *tok = list, *end; *tok; tok = end) {
		end = tok + strcspn(tok, seps);
		size_t len = (size_t)(end - tok);
		if (*end)
			*end++ = 0;
		if (len == 0)
			continue;
		int r = t->has_dep ? mod_name_of(tok, name) : (len < MOD_NAME_MAX ? 0 : -EINVAL);
		if (!t->has_dep && !r)
			normalize(tok, len, name);
		if (r)
			return missing_dep(t, e, tok);
		if (modtree_builtin(t, name))
			continue;
		struct mod_entry *d = modtree_find(t, name);
		if (!d)
			return missing_dep(t, e, name);
		e->deps[e->ndeps++] = d;
	}
	return 0;
}

static int load_deps(struct modtree *t, struct mod_entry *e)
{
	char *owned = NULL;
	int r;

	if (e->deps_loaded)
		return 0;
	/* add_deps cuts the list up: it gets a copy, so that a failed
	 * attempt leaves the tree as it was. */
	if (t->has_dep)
		r = (owned = strdup(e->deps_text)) ? add_deps(t, e, owned, " \t") : -ENOMEM;
	else if (!(r = modinfo_depends(t, e, &owned)))
		r = add_deps(t, e, owned, ",");
	free(owned);
	if (r) {
		free(e->deps);
		e->deps = NULL;
		e->ndeps = 0;
		modfile_close(&e->file);
	}
	e->deps_loaded = r == 0;
	return r;
}

static int report_cycle(const struct walk *w, const struct mod_entry *e)
{
	char chain[1024];
	size_t i = 0, len = 0;

	while (w->path[i] != e)
		i++;
	for (; i < w->depth && len < sizeof(chain); i++)
		len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s -> ", w->path[i]->name);
	if (len < sizeof(chain))
		snprintf(chain + len, sizeof(chain) - len, "%s", e->name);
	mr_err("modules in %s depend on each other in a cycle: %s", w->t->dir, chain);
	return -ELOOP;
}

static int append(struct mod_list *out, struct mod_entry *e)
{
	struct mod_load *v = realloc(out->v, (out->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	out->v = v;
	strcpy(v[out->n].name, e->name);
	v[out->n].path = e->path;
	v[out->n++].file = e->file.map ? &e->file : NULL;
	return 0;
}

static int visit(struct walk *w, struct mod_entry *e)
{
	if (e->mark == LOADED)
		return 0;
	if (e->mark == ON_PATH)
		return report_cycle(w, e);
	int r = load_deps(w->t, e);
	if (r)
		return r;
	e->mark = ON_PATH;
	w->path[w->depth++] = e;
	for (size_t i = e->ndeps; i-- > 0 && !r;)
		r = visit(w, e->deps[i]);
	w->depth--;
	e->mark = LOADED;
	return r ? r : append(w->out, e);
}

static int missing(const struct modtree *t, const char *name)
{
	const char *option = mod_config_option(name);

	if (option)
		mr_err("module %s is neither built into kernel %s nor in %s: build the "
		       "kernel with %s=y (or =m)", name, t->release, t->dir, option);
	else
		mr_err("module %s is neither built into kernel %s nor in %s", name,
		       t->release, t->dir);
	return -ENOENT;
}

int modtree_resolve(struct modtree *t, const char *const *wanted, size_t n, struct mod_list *out)
{
	struct walk w = { .t = t, .out = out, .path = calloc(t->nmods + 1, sizeof(*w.path)) };
	char name[MOD_NAME_MAX];
	int r = w.path ? 0 : -ENOMEM;

	*out = (struct mod_list){ 0 };
	for (size_t i = 0; i < t->nentries; i++)
		t->entries[i]->mark = UNSEEN;
	for (size_t i = 0; i < n && !r; i++) {
		size_t len = strlen(wanted[i]);
		if (len == 0 || len >= MOD_NAME_MAX) {
			r = -EINVAL;
			break;
		}
		normalize(wanted[i], len, name);
		if (modtree_builtin(t, name))
			continue;
		struct mod_entry *e = modtree_find(t, name);
		r = e ? visit(&w, e) : missing(t, name);
	}
	free(w.path);
	if (r)
		mod_list_free(out);
	return r;
}

void mod_list_free(struct mod_list *l)
{
	free(l->v);
	*l = (struct mod_list){ 0 };
}
