/* Decoding and validating the run's configuration (format: runcfg.h).
 * Shared by microrun and the guest's init; freestanding-clean. */
#include "boot/init/runcfg.h"

#include <errno.h>
#include <string.h>

struct cursor {
	const char *p, *end;
	const char *why;
};

static int bad(struct cursor *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return -EINVAL;
}

static int read_count(struct cursor *c, uint32_t *n)
{
	const uint8_t *b = (const uint8_t *)c->p;

	if (c->end - c->p < 4)
		return bad(c, "truncated: a section's count is missing");
	*n = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	c->p += 4;
	/* every string takes at least its NUL: a count beyond the bytes left
	 * is a lie, and would make later loops run long */
	if (*n > (size_t)(c->end - c->p))
		return bad(c, "a section's count exceeds the bytes left");
	return 0;
}

/* One NUL-terminated string of at most `max` bytes. */
static int read_string(struct cursor *c, size_t max, const char **s)
{
	size_t left = (size_t)(c->end - c->p);
	const char *nul = memchr(c->p, '\0', left < max + 1 ? left : max + 1);

	if (!nul)
		return bad(c, left <= max ? "truncated: a string lacks its NUL"
					  : "a string is too long");
	*s = c->p;
	c->p = nul + 1;
	return 0;
}

static int read_list(struct cursor *c, size_t max, struct runcfg_list *l)
{
	const char *s;
	int r = read_count(c, &l->n);

	l->first = c->p;
	for (uint32_t i = 0; !r && i < l->n; i++)
		r = read_string(c, max, &s);
	return r;
}

static int read_one(struct cursor *c, size_t max, const char **s, const char *what)
{
	uint32_t n;
	int r = read_count(c, &n);

	if (r)
		return r;
	if (n != 1)
		return bad(c, what);
	return read_string(c, max, s);
}

static bool is_name_char(char ch, bool dot_dash_only)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch == '.' || ch == '-' || (!dot_dash_only && ch == '_');
}

/* Tags, port names (underscore allowed) and host names (RFC 1123: not). */
static bool valid_name(const char *s, bool hostname)
{
	size_t n = strlen(s);

	if (n == 0 || n > RUNCFG_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i], hostname))
			return false;
	return true;
}

static bool valid_path(const char *s)
{
	return s[0] == '/' && strlen(s) <= RUNCFG_MAX_PATH;
}

static int check_env(struct cursor *c, const struct runcfg_list *l)
{
	const char *s = l->first;

	for (uint32_t i = 0; i < l->n; i++, s = runcfg_next(s)) {
		const char *eq = strchr(s, '=');
		if (!eq || eq == s)
			return bad(c, "an environment entry is not NAME=VALUE");
	}
	return 0;
}

static int check_mounts(struct cursor *c, const struct runcfg_list *l)
{
	const char *s = l->first;

	if (l->n % 3)
		return bad(c, "mounts: not tag, path, mode triples");
	for (uint32_t i = 0; i < l->n; i += 3) {
		const char *tag = s, *path = runcfg_next(tag), *mode = runcfg_next(path);
		if (!valid_name(tag, false))
			return bad(c, "mounts: bad 9p tag");
		if (!valid_path(path) || strcmp(path, "/") == 0)
			return bad(c, "mounts: path not absolute, or /");
		if (strcmp(mode, "rw") && strcmp(mode, "ro"))
			return bad(c, "mounts: mode neither rw nor ro");
		s = runcfg_next(mode);
	}
	return 0;
}

static int check_paths(struct cursor *c, const struct runcfg_list *l, const char *why)
{
	const char *s = l->first;

	for (uint32_t i = 0; i < l->n; i++, s = runcfg_next(s))
		if (!valid_path(s))
			return bad(c, why);
	return 0;
}

static int read_consoles(struct cursor *c, struct runcfg_view *v)
{
	struct runcfg_list l;
	int r = read_list(c, RUNCFG_MAX_PATH, &l);

	if (r)
		return r;
	if (l.n != RUNCFG_CONSOLES)
		return bad(c, "console: not exactly stdin, stdout, stderr");
	const char *s = l.first;
	for (unsigned i = 0; i < RUNCFG_CONSOLES; i++, s = runcfg_next(s)) {
		if (s[0] && !valid_path(s) && !valid_name(s, false))
			return bad(c, "console: neither empty, a device path nor a port name");
		v->console[i] = s;
	}
	return 0;
}

static bool valid_profile_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < RUNCFG_MAX_NAME && !strchr(s, '/');
}

static int check_profiles(struct cursor *c, const struct runcfg_list *l)
{
	if (l->n % RUNCFG_PROFILE_STRINGS)
		return bad(c, "profiles: not name, directory, guest, files quadruples");
	if (l->n / RUNCFG_PROFILE_STRINGS > RUNCFG_MAX_PROFILES)
		return bad(c, "profiles: more than RUNCFG_MAX_PROFILES");
	const char *s = l->first;
	for (uint32_t i = 0; i < l->n; i += RUNCFG_PROFILE_STRINGS) {
		const char *dir = runcfg_next(s), *guest = runcfg_next(dir), *files = runcfg_next(guest);
		if (!valid_profile_name(s))
			return bad(c, "profiles: a name is empty, longer than 63 bytes or holds '/'");
		if (!valid_path(dir) || strcmp(dir, "/") == 0)
			return bad(c, "profiles: a directory is not absolute, or /");
		if ((guest[0] && strcmp(guest, "guest")) || (files[0] && strcmp(files, "files")))
			return bad(c, "profiles: a part is neither \"guest\", \"files\" nor \"\"");
		s = runcfg_next(files);
	}
	return 0;
}

static int read_sections(struct cursor *c, struct runcfg_view *v)
{
	int r;

	if ((r = read_list(c, RUNCFG_MAX_STRING, &v->argv)))
		return r;
	if (v->argv.n == 0 || !v->argv.first[0])
		return bad(c, "argv: no program");
	if ((r = read_list(c, RUNCFG_MAX_STRING, &v->env)) || (r = check_env(c, &v->env)))
		return r;
	if ((r = read_one(c, RUNCFG_MAX_PATH, &v->cwd, "cwd: not exactly one")))
		return r;
	if (!valid_path(v->cwd))
		return bad(c, "cwd: not an absolute path");
	if ((r = read_one(c, RUNCFG_MAX_NAME, &v->hostname, "hostname: not exactly one")))
		return r;
	if (!valid_name(v->hostname, true))
		return bad(c, "hostname: not 1-64 of A-Z a-z 0-9 . -");
	if ((r = read_one(c, RUNCFG_MAX_NAME, &v->root_tag, "root: not exactly one tag")))
		return r;
	if (!valid_name(v->root_tag, false))
		return bad(c, "root: bad 9p tag");
	if ((r = read_list(c, RUNCFG_MAX_PATH, &v->mounts)) || (r = check_mounts(c, &v->mounts)))
		return r;
	if ((r = read_list(c, RUNCFG_MAX_PATH, &v->modules)) ||
	    (r = check_paths(c, &v->modules, "modules: a path is not absolute")))
		return r;
	if ((r = read_consoles(c, v)))
		return r;
	if ((r = read_list(c, RUNCFG_MAX_PATH, &v->profiles)))
		return r;
	return check_profiles(c, &v->profiles);
}

int runcfg_decode(const void *buf, size_t len, struct runcfg_view *v, const char **why)
{
	struct cursor c = { .p = buf, .end = (const char *)buf + len, .why = NULL };
	int r;

	memset(v, 0, sizeof(*v));
	if (len > RUNCFG_MAX_SIZE)
		r = bad(&c, "larger than RUNCFG_MAX_SIZE");
	else if (len < RUNCFG_MAGIC_LEN || memcmp(buf, RUNCFG_MAGIC, RUNCFG_MAGIC_LEN))
		r = bad(&c, "no MRCFG2 magic: not a microrun configuration, or another version");
	else {
		c.p += RUNCFG_MAGIC_LEN;
		r = read_sections(&c, v);
		if (!r && c.p != c.end)
			r = bad(&c, "bytes after the last section");
	}
	*why = c.why;
	return r;
}

const char *runcfg_next(const char *s)
{
	return s + strlen(s) + 1;
}

void runcfg_list_array(const struct runcfg_list *l, const char **out)
{
	const char *s = l->first;

	for (uint32_t i = 0; i < l->n; i++, s = runcfg_next(s))
		out[i] = s;
	out[l->n] = NULL;
}

const char *runcfg_profile_at(const char *first, struct runcfg_profile *p)
{
	const char *dir = runcfg_next(first), *guest = runcfg_next(dir), *files = runcfg_next(guest);

	*p = (struct runcfg_profile){
		.name = first, .dir = dir, .guest = guest[0] != '\0', .files = files[0] != '\0',
	};
	return runcfg_next(files);
}
