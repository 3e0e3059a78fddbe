#include "src/program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/guest_env.h"
#include "src/log.h"
#include "src/profile_guest.h"
#include "src/x86/machine.h"

extern char **environ;

/* What the init needs of the kernel: virtio-mmio found through ACPI, the
 * console ports, the 9p root and the overlay on it (Debian builds them all
 * as modules); and virtio-blk, last, when there are disks. */
static const char *const wanted_modules[] = {
	"virtio_mmio", "virtio_console", "9pnet_virtio", "9p", "overlay", "virtio_blk",
};

static int add_share(struct program *p, const char *path, const char *tag, bool read_only)
{
	if (p->nshares == MR_MAX_DISKS) {
		mr_err("too many virtio devices for %s: -d, --9p, --rw and the program's own "
		       "(root, console, modules) share %d slots", path, MR_MAX_DISKS);
		return -ENOSPC;
	}
	struct mr_share *s = &p->shares[p->nshares];
	char *t = p->tags[p->nshares++];
	snprintf(t, sizeof(p->tags[0]), "%s", tag);
	*s = (struct mr_share){ .tag = t, .tag_len = strlen(t), .read_only = read_only };
	if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int)sizeof(s->path))
		return -ENAMETOOLONG;
	return 0;
}

/* A share the init mounts at `at` in the guest. */
static int add_mounted_share(struct program *p, const char *path, const char *tag,
			     const char *at, bool read_only)
{
	int r = add_share(p, path, tag, read_only);

	if (r)
		return r;
	p->mounts[p->nmounts++] = (struct runcfg_mount){
		.tag = p->tags[p->nshares - 1], .path = at, .read_only = read_only,
	};
	return 0;
}

static int add_rw_shares(struct program *p, const struct mr_config *cfg)
{
	for (unsigned i = 0; i < cfg->nrw; i++) {
		char tag[24];
		snprintf(tag, sizeof(tag), "microrun-rw%u", i);
		int r = add_mounted_share(p, cfg->rw[i], tag, cfg->rw[i], false);
		if (r)
			return r;
	}
	return 0;
}

/* The module's file: the one resolving opened, or opened here. */
static int module_file(struct mod_file *f, const struct modtree *t, const struct mod_load *m)
{
	char path[PATH_MAX];

	if (m->file) {
		modfile_move(f, m->file);
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s", t->dir, m->path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return modfile_open(f, path);
}

static int open_module(struct program *p, const struct modtree *t, const struct mod_load *m)
{
	size_t i = p->nmodules;

	if (i == PROGRAM_MAX_MODULES) {
		mr_err("more than %d kernel modules to load", PROGRAM_MAX_MODULES);
		return -E2BIG;
	}
	int r = module_file(&p->files[i], t, m);
	if (!r)
		r = initramfs_module_path(i, m->name, p->module_paths[i], sizeof(p->module_paths[0]));
	if (r)
		return r;
	p->modules[i] = (struct initramfs_module){ .path = p->module_paths[i], .file = &p->files[i] };
	p->module_list[i] = p->module_paths[i];
	p->nmodules++;
	return 0;
}

static int resolve_modules(struct program *p, struct modtree *t, const struct mr_config *cfg)
{
	struct mod_list list;
	size_t n = sizeof(wanted_modules) / sizeof(wanted_modules[0]) - (cfg->ndisks ? 0 : 1);
	int r = modtree_resolve(t, wanted_modules, n, &list);

	for (size_t i = 0; !r && i < list.n; i++)
		r = open_module(p, t, &list.v[i]);
	if (!r)
		mr_info("modules for %s: %zu to load, from %s", p->release, p->nmodules, t->dir);
	mod_list_free(&list);
	return r;
}

/* The kernel's modules: packed for the init, and the whole tree shown at
 * /lib/modules/RELEASE in the guest when it is not the host's own there. */
static int prepare_modules(struct program *p, const struct mr_config *cfg)
{
	struct modtree t;
	int r = modtree_open(&t, cfg->modules_dir, p->release);

	if (r == -ENOENT && !cfg->modules_dir) {
		mr_info("no modules for %s in /lib/modules: its drivers must be built in",
			p->release);
		return 0;
	}
	if (r)
		return r;
	r = resolve_modules(p, &t, cfg);
	snprintf(p->modules_at, sizeof(p->modules_at), "/lib/modules/%s", p->release);
	if (!r && strcmp(t.dir, p->modules_at) != 0)
		r = add_mounted_share(p, t.dir, PROGRAM_MODULES_TAG, p->modules_at, true);
	modtree_close(&t);
	return r;
}

_Static_assert(MR_MAX_PROFILES <= RUNCFG_MAX_PROFILES && RUNCFG_MAX_PROFILES == STATUS_MAX_PROFILES,
	       "the guest's init reports a profile by its index in the configuration");

/* Every profile, with or without guest parts, so that a profile's index
 * in the configuration is its index in cfg->profiles. */
static int prepare_profiles(struct program *p, const struct mr_config *cfg)
{
	for (unsigned i = 0; i < cfg->nprofiles; i++) {
		const struct runcfg_profile *g = &p->profiles[i];
		int r = profile_guest_parts(&cfg->profiles[i], &p->profiles[i]);
		if (r)
			return r;
		if (g->guest || g->files)
			mr_info("profile '%s': in the guest, %s%s%s", g->name, g->files ? "files/" : "",
				g->files && g->guest ? " then " : "", g->guest ? "its guest step" : "");
	}
	return 0;
}

static int prepare_config(struct program *p, const struct mr_config *cfg,
			  const struct program_spec *spec)
{
	const struct runcfg c = {
		.argv = spec->argv, .argc = spec->argc,
		.env = p->env, .nenv = p->nenv,
		.cwd = p->cwd, .hostname = "microrun", .root_tag = PROGRAM_ROOT_TAG,
		.mounts = p->mounts, .nmounts = p->nmounts,
		.modules = p->module_list, .nmodules = (unsigned)p->nmodules,
		.console = { spec->console[0], spec->console[1], spec->console[2] },
		.profiles = p->profiles, .nprofiles = cfg->nprofiles,
	};
	const char *why = NULL;
	int r = runcfg_encode(&c, &p->config, &p->config_len, &why);

	if (r)
		mr_err("cannot run '%s' in the guest: %s", spec->argv[0],
		       why ? why : strerror(-r));
	return r;
}

static int initramfs_size(void *ctx, uint64_t *size)
{
	struct program *p = ctx;
	struct cpio_writer w;

	cpio_init(&w, NULL, 0);
	int r = initramfs_write(&w, p->config, p->config_len, p->modules, p->nmodules);
	*size = cpio_size(&w);
	return r;
}

static int initramfs_fill(void *ctx, uint8_t *dst, uint64_t size)
{
	struct program *p = ctx;
	struct cpio_writer w;

	cpio_init(&w, dst, size);
	int r = initramfs_write(&w, p->config, p->config_len, p->modules, p->nmodules);
	if (r)
		mr_err("cannot write the initramfs into guest memory: %s", strerror(-r));
	return r;
}

/* -e's assignments, then the shell's SHELL. */
static int build_env(struct program *p, const struct mr_config *cfg, const char *shell)
{
	const char *assign[MR_MAX_ENV + 1];
	unsigned n = cfg->nenv;

	memcpy(assign, cfg->env, n * sizeof(assign[0]));
	if (shell) {
		snprintf(p->shell_env, sizeof(p->shell_env), "SHELL=%s", shell);
		assign[n++] = p->shell_env;
	}
	return guest_env_build(environ, assign, n, &p->env, &p->nenv);
}

static int prepare_host_view(struct program *p, const struct mr_config *cfg, const char *shell)
{
	if (!getcwd(p->cwd, sizeof(p->cwd))) {
		mr_err("cannot tell the current directory, the program's in the guest: %s",
		       strerror(errno));
		return -errno;
	}
	int r = build_env(p, cfg, shell);
	if (!r)
		r = add_share(p, "/", PROGRAM_ROOT_TAG, true);
	return r ? r : add_rw_shares(p, cfg);
}

int program_prepare(struct program *p, const struct mr_config *cfg, const struct program_spec *spec)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->shares, cfg->shares, cfg->nshares * sizeof(cfg->shares[0]));
	p->nshares = cfg->nshares;
	int r = linux_kernel_release(cfg->kernel, p->release);

	if (r == -ENODATA)
		mr_err("kernel %s names no release (its version), so its modules cannot be found",
		       cfg->kernel);
	if (!r)
		r = prepare_host_view(p, cfg, spec->shell);
	if (!r)
		r = prepare_modules(p, cfg);
	if (!r)
		r = prepare_profiles(p, cfg);
	if (!r)
		r = prepare_config(p, cfg, spec);
	p->initrd = (struct initrd_source){
		.size = initramfs_size, .write = initramfs_fill, .ctx = p,
	};
	return r;
}

void program_release(struct program *p)
{
	for (size_t i = 0; i < p->nmodules; i++)
		modfile_close(&p->files[i]);
	free(p->env);
	free(p->config);
}
