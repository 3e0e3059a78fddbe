/* Encoding the run's configuration for the guest's init (format and the
 * rules: boot/init/runcfg.h). The result is decoded again, so microrun
 * refuses at start-up what the init would refuse inside the guest. */
#include "boot/init/runcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct writer {
	uint8_t *buf;
	size_t len, cap;
	bool too_big;
};

static void put(struct writer *w, const void *p, size_t n)
{
	if (w->too_big || n > RUNCFG_MAX_SIZE - w->len) {
		w->too_big = true;
		return;
	}
	if (w->buf)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_count(struct writer *w, uint32_t n)
{
	const uint8_t b[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
	put(w, b, 4);
}

static void put_string(struct writer *w, const char *s)
{
	put(w, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static void put_list(struct writer *w, const char *const *s, unsigned n)
{
	put_count(w, n);
	for (unsigned i = 0; i < n; i++)
		put_string(w, s[i]);
}

static void put_one(struct writer *w, const char *s)
{
	put_list(w, &s, 1);
}

static void put_mounts(struct writer *w, const struct runcfg_mount *m, unsigned n)
{
	put_count(w, 3 * n);
	for (unsigned i = 0; i < n; i++) {
		put_string(w, m[i].tag);
		put_string(w, m[i].path);
		put_string(w, m[i].read_only ? "ro" : "rw");
	}
}

static void put_profiles(struct writer *w, const struct runcfg_profile *p, unsigned n)
{
	put_count(w, RUNCFG_PROFILE_STRINGS * n);
	for (unsigned i = 0; i < n; i++) {
		put_string(w, p[i].name);
		put_string(w, p[i].dir);
		put_string(w, p[i].guest ? "guest" : "");
		put_string(w, p[i].files ? "files" : "");
	}
}

/* Once to measure (buf NULL), once to fill. */
static void put_all(struct writer *w, const struct runcfg *c)
{
	put(w, RUNCFG_MAGIC, RUNCFG_MAGIC_LEN);
	put_list(w, c->argv, c->argc);
	put_list(w, c->env, c->nenv);
	put_one(w, c->cwd);
	put_one(w, c->hostname);
	put_one(w, c->root_tag);
	put_mounts(w, c->mounts, c->nmounts);
	put_list(w, c->modules, c->nmodules);
	put_list(w, c->console, RUNCFG_CONSOLES);
	put_profiles(w, c->profiles, c->nprofiles);
}

int runcfg_encode(const struct runcfg *c, uint8_t **buf, size_t *len, const char **why)
{
	struct writer w = { 0 };
	struct runcfg_view v;

	*why = NULL;
	put_all(&w, c);
	if (w.too_big) {
		*why = "the configuration is larger than RUNCFG_MAX_SIZE";
		return -E2BIG;
	}
	w.cap = w.len;
	w.len = 0;
	w.buf = malloc(w.cap);
	if (!w.buf)
		return -ENOMEM;
	put_all(&w, c);
	int r = runcfg_decode(w.buf, w.len, &v, why);
	if (r) {
		free(w.buf);
		return r;
	}
	*buf = w.buf;
	*len = w.len;
	return 0;
}
