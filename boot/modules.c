#include "boot/modules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/modules_private.h"
#include "src/log.h"

#define DEFAULT_ROOT "/lib/modules"

static int read_all(int fd, char *s, size_t want)
{
	for (size_t len = 0; len < want;) {
		ssize_t n = read(fd, s + len, want - len);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -EIO; /* shrank under us */
		if (n > 0)
			len += (size_t)n;
	}
	return 0;
}

/* The whole of DIR/NAME, NUL-terminated. -ENOENT, unreported, if it does
 * not exist. */
static int slurp(const char *dir, const char *name, char **text)
{
	char path[PATH_MAX];
	struct stat st;
	char *s = NULL;

	*text = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	int r = fd < 0 || fstat(fd, &st) ? -errno : 0;
	if (!r && !(s = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	if (!r)
		r = read_all(fd, s, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	if (r) {
		free(s);
		mr_err("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	s[st.st_size] = 0;
	*text = s;
	return 0;
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) &&
	       access(path, F_OK) == 0;
}

static bool is_tree(const char *dir)
{
	return exists(dir, "modules.dep") || exists(dir, "modules.order");
}

/* Where in `path` its module name is (*base, n characters, '-' still to
 * become '_'). */
static int name_span(const char *path, const char **base, size_t *n)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	const char *ko = strstr(b, ".ko");
	size_t len = strlen(b);

	/* name.ko, name.ko.xz (.zst, .gz); a build tree's modules.order says
	 * name.o since Linux 6.2. */
	if (ko && (ko[3] == 0 || ko[3] == '.'))
		len = (size_t)(ko - b);
	else if (len > 2 && strcmp(b + len - 2, ".o") == 0)
		len -= 2;
	else
		return -EINVAL;
	if (len == 0 || len >= MOD_NAME_MAX)
		return -EINVAL;
	*base = b;
	*n = len;
	return 0;
}

static char name_char(char c)
{
	return c == '-' ? '_' : c;
}

int mod_name_of(const char *path, char name[MOD_NAME_MAX])
{
	const char *base;
	size_t n;
	int r = name_span(path, &base, &n);

	if (r)
		return r;
	for (size_t i = 0; i < n; i++)
		name[i] = name_char(base[i]);
	name[n] = 0;
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FNV-1a: the index is a hash table of the names, as a tree lists some
 * 4000 modules and a run looks up a dozen of them (sorting them all took
 * most of a run's set-up for Debian's kernel). Names are hashed and
 * compared where their lines have them, '-' as '_': the index copies no
 * name. */
static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)name_char(s[i])) * 16777619u;
	return h;
}

static bool same_name(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (name_char(a[i]) != name_char(b[i]))
			return false;
	return true;
}

static const char *line_path(const struct modtree *t, uint32_t line)
{
	return t->dep_text + line - 1;
}

/* The slot holding the name (n characters at `name`, of hash h), or the
 * empty slot where it would go. */
static struct mod_slot *slot_of(const struct modtree *t, const char *name, size_t n, uint32_t h)
{
	size_t mask = t->nslots - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct mod_slot *s = &t->slots[i];
		const char *listed;
		size_t len;
		if (s->line == 0)
			return s;
		if (s->hash == h && name_span(line_path(t, s->line), &listed, &len) == 0 &&
		    same_name(listed, len, name, n))
			return s;
	}
}

/* One line of modules.dep ("path: dep dep ...") or modules.order ("path").
 * The first line naming a module counts. Only its place is kept: the
 * entries of the dozen modules a run needs are made when looked up. */
static int add_line(struct modtree *t, char *line)
{
	char *colon = t->has_dep ? strchr(line, ':') : NULL;
	const char *name;
	size_t n;

	if (t->has_dep && !colon)
		return -EINVAL;
	if (colon)
		*colon = 0;
	if (name_span(line, &name, &n))
		return -EINVAL;
	uint32_t h = name_hash(name, n);
	struct mod_slot *s = slot_of(t, name, n, h);
	if (s->line == 0) {
		*s = (struct mod_slot){ .line = (uint32_t)(line - t->dep_text) + 1, .hash = h };
		t->nmods++;
	}
	return 0;
}

/* Room for every line of `text`, the table at most half full. */
static int alloc_index(struct modtree *t, const char *text)
{
	size_t lines = 1;

	for (const char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	if (lines > UINT32_MAX / 4 || strlen(text) >= UINT32_MAX)
		return -ENOMEM;
	for (t->nslots = 16; t->nslots < 2 * lines;)
		t->nslots *= 2;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

static int index_modules(struct modtree *t, char *text, const char *file)
{
	size_t lineno = 0;
	int r = alloc_index(t, text);

	if (r)
		mr_err("%s/%s: out of memory for its index", t->dir, file);
	for (char *line = text, *next; !r && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (*line && *line != '#' && (r = add_line(t, line)))
			mr_err("%s/%s, line %zu: not a module path", t->dir, file, lineno);
	}
	return r;
}

/* modules.builtin: one path a line, e.g. kernel/fs/ext4/ext4.ko. */
static int index_builtin(struct modtree *t)
{
	size_t n = 0;
	char name[MOD_NAME_MAX];

	for (const char *p = t->builtin_text; *p; p++)
		n += *p == '\n';
	t->builtin = calloc(n + 1, sizeof(*t->builtin));
	if (!t->builtin)
		return -ENOMEM;
	for (char *line = t->builtin_text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (mod_name_of(line, name) == 0) {
			strcpy(line, name); /* a name is never longer than its path */
			t->builtin[t->nbuiltin++] = line;
		}
	}
	qsort(t->builtin, t->nbuiltin, sizeof(*t->builtin), by_string);
	return 0;
}

static int load_tree(struct modtree *t)
{
	const char *file = "modules.dep";
	int r = slurp(t->dir, file, &t->dep_text);

	t->has_dep = r == 0;
	if (r == -ENOENT)
		r = slurp(t->dir, file = "modules.order", &t->dep_text);
	if (!r)
		r = index_modules(t, t->dep_text, file);
	if (r)
		return r;
	r = slurp(t->dir, "modules.builtin", &t->builtin_text);
	if (r == -ENOENT) /* an old tree, or one that lists nothing */
		return 0;
	return r ? r : index_builtin(t);
}

/* A build tree says which release it built; modules for another would not
 * load ("disagrees about version of symbol"). */
static int check_build_release(const struct modtree *t)
{
	char *built;

	if (!exists(t->dir, "include/config/kernel.release"))
		return 0;
	int r = slurp(t->dir, "include/config/kernel.release", &built);
	if (r)
		return r;
	built[strcspn(built, "\n")] = 0;
	if (strcmp(built, t->release) != 0) {
		mr_err("%s is the build tree of kernel %s, but the kernel to boot is %s: "
		       "point --modules at the tree that built it", t->dir, built, t->release);
		r = -EINVAL;
	}
	free(built);
	return r;
}

static int find_tree(struct modtree *t, const char *dir)
{
	const char *const forms[] = { "%s", "%s/lib/modules/%s", "%s/usr/lib/modules/%s" };

	if (!dir) {
		snprintf(t->dir, sizeof(t->dir), "%s/%s", DEFAULT_ROOT, t->release);
		return is_tree(t->dir) ? 0 : -ENOENT;
	}
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (snprintf(t->dir, sizeof(t->dir), forms[i], dir, t->release) >= (int)sizeof(t->dir))
			return -ENAMETOOLONG;
		if (is_tree(t->dir))
			return i == 0 ? check_build_release(t) : 0;
	}
	mr_err("no modules for kernel %s in %s: neither it, %s/lib/modules/%s nor "
	       "%s/usr/lib/modules/%s holds modules.dep or modules.order", t->release, dir,
	       dir, t->release, dir, t->release);
	return -ENOENT;
}

int modtree_open(struct modtree *t, const char *dir, const char *release)
{
	memset(t, 0, sizeof(*t));
	if (!kver_valid(release, strlen(release)))
		return -EINVAL;
	strcpy(t->release, release);
	int r = find_tree(t, dir);
	if (!r)
		r = load_tree(t);
	if (r)
		modtree_close(t);
	return r;
}

void modtree_close(struct modtree *t)
{
	for (size_t i = 0; i < t->nentries; i++) {
		if (t->entries[i]->path_owned)
			free(t->entries[i]->path);
		free(t->entries[i]->deps);
		modfile_close(&t->entries[i]->file);
		free(t->entries[i]);
	}
	free(t->entries);
	free(t->slots);
	free(t->builtin);
	free(t->dep_text);
	free(t->builtin_text);
	memset(t, 0, sizeof(*t));
}

static bool room_for_entry(struct modtree *t)
{
	if (t->nentries < t->entries_cap)
		return true;
	size_t cap = t->entries_cap ? 2 * t->entries_cap : 16;
	struct mod_entry **v = realloc(t->entries, cap * sizeof(*v));
	if (v) {
		t->entries = v;
		t->entries_cap = cap;
	}
	return v != NULL;
}

static struct mod_entry *make_entry(struct modtree *t, const struct mod_slot *s, const char *name)
{
	struct mod_entry *e = room_for_entry(t) ? calloc(1, sizeof(*e)) : NULL;

	if (!e) {
		mr_err("%s: out of memory for module %s", t->dir, name);
		return NULL;
	}
	strcpy(e->name, name);
	e->file.fd = -1;
	e->line = s->line;
	e->path = (char *)line_path(t, s->line);
	if (t->has_dep)
		e->deps_text = e->path + strlen(e->path) + 1; /* after the colon */
	t->entries[t->nentries++] = e;
	return e;
}

struct mod_entry *modtree_find(struct modtree *t, const char *name)
{
	if (!t->nslots)
		return NULL;
	size_t n = strlen(name);
	const struct mod_slot *s = slot_of(t, name, n, name_hash(name, n));
	if (!s->line)
		return NULL;
	for (size_t i = 0; i < t->nentries; i++)
		if (t->entries[i]->line == s->line)
			return t->entries[i];
	return make_entry(t, s, name);
}

bool modtree_builtin(const struct modtree *t, const char *name)
{
	return t->nbuiltin && bsearch(&name, t->builtin, t->nbuiltin, sizeof(*t->builtin), by_string);
}
