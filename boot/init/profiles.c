/* The guest parts of the run's profiles (-p), before the program: each
 * profile's directory is bound read-only at its own path in the new root
 * (from the host's root, so also where the guest has a /tmp or /run of
 * its own), its files/ copied into the root, and its guest script run as
 * the program will be, in the order the profiles were given. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "boot/init/child.h"
#include "boot/init/init.h"
#include "boot/init/tree_copy.h"

/* A VALUE for the exit-status port: errno fits in its byte. */
static unsigned errno_value(int err)
{
	return err > 0 && err <= 255 ? (unsigned)err : EIO;
}

static int failure(struct init_profile_failure *f, enum status_profile_how how, unsigned value)
{
	f->how = how;
	f->value = value;
	return -1;
}

/* One step of a profile: 0, or -1 with f's how and value filled in. */
typedef int profile_step(const struct runcfg_profile *p, void *ctx, struct init_profile_failure *f);

/* `step` for each profile in order, up to the first that fails. */
static int each_profile(const struct runcfg_view *v, profile_step *step, void *ctx,
			struct init_profile_failure *f)
{
	const char *s = v->profiles.first;
	struct runcfg_profile p;

	for (unsigned i = 0; i < v->profiles.n / RUNCFG_PROFILE_STRINGS; i++) {
		s = runcfg_profile_at(s, &p);
		if (step(&p, ctx, f)) {
			f->index = i;
			return -1;
		}
	}
	return 0;
}

static int bind_dir(const struct runcfg_profile *p, void *ctx, struct init_profile_failure *f)
{
	char from[sizeof(INIT_HOST_DIR) + RUNCFG_MAX_PATH], to[sizeof(INIT_NEW_ROOT) + RUNCFG_MAX_PATH];

	(void)ctx;
	if (!p->guest && !p->files)
		return 0;
	snprintf(from, sizeof(from), INIT_HOST_DIR "%s", p->dir);
	snprintf(to, sizeof(to), INIT_NEW_ROOT "%s", p->dir);
	int r = init_make_dirs(to);
	/* the bind keeps the 9p mount's read-only flag */
	if (!r && mount(from, to, NULL, MS_BIND, NULL)) {
		r = -errno;
		init_say("profile '%s': cannot reach its directory %s in the host's root: %s",
			 p->name, p->dir, strerror(-r));
	}
	return r ? failure(f, p->files ? STATUS_PROFILE_FILES : STATUS_PROFILE_START,
			   errno_value(-r)) : 0;
}

int init_profiles_bind(const struct runcfg_view *v, struct init_profile_failure *f)
{
	return each_profile(v, bind_dir, NULL, f);
}

static int place_files(const struct runcfg_profile *p, void *ctx, struct init_profile_failure *f)
{
	const int err_fd = *(const int *)ctx;
	char dir[RUNCFG_MAX_PATH + 8];
	struct tree_copy_error e = { .why = "cannot open it", .err = 0 };
	int src, dst, r;

	if (!p->files)
		return 0;
	dst = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(dir, sizeof(dir), "%s/files", p->dir);
	src = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0 || dst < 0)
		r = -(e.err = errno);
	else
		r = tree_copy(src, dst, &e);
	if (r)
		init_say_fd(err_fd, "profile '%s': cannot place %s/%s as /%s: %s: %s", p->name, dir,
			    e.path, e.path, e.why, strerror(e.err));
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return r ? failure(f, STATUS_PROFILE_FILES, errno_value(-r)) : 0;
}

int init_profiles_place(const struct runcfg_view *v, int err_fd, struct init_profile_failure *f)
{
	return each_profile(v, place_files, &err_fd, f);
}

static bool is_profile_var(const char *entry)
{
	return strncmp(entry, "MICRORUN_PROFILE=", 17) == 0 ||
	       strncmp(entry, "MICRORUN_PROFILE_DIR=", 21) == 0;
}

/* The program's environment, with MICRORUN_PROFILE and
 * MICRORUN_PROFILE_DIR naming this profile; NULL if out of memory. */
static const char **script_env(const struct runcfg_view *v, const struct runcfg_profile *p,
			       char name[RUNCFG_MAX_NAME + 32], char dir[RUNCFG_MAX_PATH + 32])
{
	const char **env = calloc(v->env.n + 3, sizeof(*env));
	const char *s = v->env.first;
	unsigned n = 0;

	if (!env)
		return NULL;
	for (uint32_t i = 0; i < v->env.n; i++, s = runcfg_next(s))
		if (!is_profile_var(s))
			env[n++] = s;
	snprintf(name, RUNCFG_MAX_NAME + 32, "MICRORUN_PROFILE=%s", p->name);
	snprintf(dir, RUNCFG_MAX_PATH + 32, "MICRORUN_PROFILE_DIR=%s", p->dir);
	env[n++] = name;
	env[n++] = dir;
	return env;
}

struct script_ctx {
	const struct runcfg_view *v;
	struct child_supervisor *sup;
	const int *fds;
};

/* DIR/guest to its end. */
static int run_script(const struct runcfg_profile *p, void *ctx, struct init_profile_failure *f)
{
	const struct script_ctx *c = ctx;
	const int *fds = c->fds;
	char path[RUNCFG_MAX_PATH + 8], name[RUNCFG_MAX_NAME + 32], dir[RUNCFG_MAX_PATH + 32];
	const char *argv[] = { path, NULL };
	const char **env = p->guest ? script_env(c->v, p, name, dir) : NULL;
	struct child_spec spec = { .argv = argv, .envp = env, .cwd = c->v->cwd,
				   .fds = { fds[0], fds[1], fds[2] } };
	struct child_result res;
	int r = 0;

	if (!p->guest)
		return 0;
	snprintf(path, sizeof(path), "%s/guest", p->dir);
	if (!env || child_spawn(c->sup, &spec, &res)) {
		int err = env ? res.err : ENOMEM;
		init_say("profile '%s': cannot run %s: %s", p->name, path, strerror(err));
		r = failure(f, STATUS_PROFILE_START, errno_value(err));
	} else if (child_wait(c->sup, &res)) {
		r = failure(f, STATUS_PROFILE_START, EIO);
	} else if (res.kind == STATUS_KIND_SIGNALED) {
		init_say("profile '%s': %s was killed by signal %u", p->name, path, res.value);
		r = failure(f, STATUS_PROFILE_SIGNALED, res.value);
	} else if (res.value) {
		init_say("profile '%s': %s exited with status %u", p->name, path, res.value);
		r = failure(f, STATUS_PROFILE_EXITED, res.value);
	}
	free(env);
	return r;
}

int init_profiles_run(const struct runcfg_view *v, struct child_supervisor *sup, const int fds[3],
		      struct init_profile_failure *f)
{
	struct script_ctx c = { .v = v, .sup = sup, .fds = fds };

	return each_profile(v, run_script, &c, f);
}
