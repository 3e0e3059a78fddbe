#include "src/profile.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/log.h"

#ifndef MR_PROFILE_DIR
#define MR_PROFILE_DIR "/usr/local/share/microrun/profiles"
#endif

static void add_dir(struct profile_path *path, const char *a, const char *b)
{
	if (path->n < PROFILE_PATH_MAX &&
	    snprintf(path->dirs[path->n], PATH_MAX, "%s%s", a, b) < PATH_MAX)
		path->n++;
}

static void add_env_dirs(struct profile_path *path, const char *list)
{
	while (list && *list) {
		size_t len = strcspn(list, ":");
		char dir[PATH_MAX];
		if (len > 0 && len < sizeof(dir)) {
			memcpy(dir, list, len);
			dir[len] = '\0';
			add_dir(path, dir, "");
		}
		list += len + (list[len] == ':');
	}
}

static void add_config_dir(struct profile_path *path)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		add_dir(path, xdg, "/microrun/profiles");
	else if (home && *home)
		add_dir(path, home, "/.config/microrun/profiles");
}

/* The checkout's profiles/, for a binary run from inside that checkout. */
static void add_source_dir(struct profile_path *path)
{
#ifdef MR_SOURCE_DIR
	char exe[PATH_MAX];
	size_t len = strlen(MR_SOURCE_DIR);

	if (realpath("/proc/self/exe", exe) && strncmp(exe, MR_SOURCE_DIR, len) == 0 &&
	    exe[len] == '/')
		add_dir(path, MR_SOURCE_DIR, "/profiles");
#else
	(void)path;
#endif
}

void profile_search_path(struct profile_path *path)
{
	path->n = 0;
	add_env_dirs(path, getenv("MICRORUN_PROFILE_PATH"));
	add_config_dir(path);
	add_source_dir(path);
	add_dir(path, MR_PROFILE_DIR, "");
}

/* DIR/NAME into a PATH_MAX buffer; false if it does not fit. */
static bool join(char out[PATH_MAX], const char *dir, const char *name)
{
	return snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The profile in directory `dir`, named after its last component. */
static int fill(struct mr_profile *p, const char *dir, const char *value)
{
	char real[PATH_MAX];

	if (!realpath(dir, real)) {
		mr_err("profile %s: %s", value, strerror(errno));
		return -errno;
	}
	const char *base = strrchr(real, '/') + 1;
	if (strlen(base) >= sizeof(p->name) || strlen(real) >= sizeof(p->dir)) {
		mr_err("profile %s: name or path too long", value);
		return -ENAMETOOLONG;
	}
	snprintf(p->name, sizeof(p->name), "%s", *base ? base : "/");
	snprintf(p->dir, sizeof(p->dir), "%s", real);
	return 0;
}

static void report_not_found(const char *name, const struct profile_path *path)
{
	char tried[4096] = "";
	size_t len = 0;

	for (unsigned i = 0; i < path->n && len < sizeof(tried); i++)
		len += (size_t)snprintf(tried + len, sizeof(tried) - len, "%s%s",
					i ? ", " : "", path->dirs[i]);
	mr_err("profile '%s' not found in %s (see microrun --list-profiles; "
	       "give a directory as ./%s)", name, tried, name);
}

int profile_find(const char *value, struct mr_profile *p)
{
	struct profile_path path;
	char dir[PATH_MAX];

	if (strchr(value, '/')) {
		if (!is_dir(value)) {
			mr_err("profile %s: %s", value, access(value, F_OK) ? strerror(errno) :
			       "not a directory");
			return -ENOTDIR;
		}
		return fill(p, value, value);
	}
	profile_search_path(&path);
	for (unsigned i = 0; *value != '.' && *value && i < path.n; i++) {
		if (join(dir, path.dirs[i], value) && is_dir(dir))
			return fill(p, dir, value);
	}
	report_not_found(value, &path);
	return -ENOENT;
}

/* The first line of DIR/README, or a note that there is none. */
static void description(const char *dir, char *text, size_t size)
{
	char readme[PATH_MAX];
	FILE *f = join(readme, dir, "README") ? fopen(readme, "r") : NULL;

	if (!f || !fgets(text, (int)size, f))
		snprintf(text, size, "(no README)");
	text[strcspn(text, "\n")] = '\0';
	if (f)
		fclose(f);
}

static bool listed(const struct arglist *seen, const char *name)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->v[i], name) == 0)
			return true;
	return false;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* The profiles in `dir` not shadowed by an earlier one, by name. */
static void list_dir(FILE *out, const char *dir, struct arglist *seen)
{
	struct dirent **names;
	int n = scandir(dir, &names, visible, alphasort);
	char sub[PATH_MAX], text[256];

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (join(sub, dir, name) && is_dir(sub) && !listed(seen, name) && arglist_add(seen, name, strlen(name)) == 0) {
			description(sub, text, sizeof(text));
			fprintf(out, "%-16s %s  [%s]\n", name, text, dir);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

void profile_list(FILE *out)
{
	struct profile_path path;
	struct arglist seen = { 0 };

	profile_search_path(&path);
	for (unsigned i = 0; i < path.n; i++)
		list_dir(out, path.dirs[i], &seen);
	if (seen.n == 0)
		mr_err("no profiles found on the search path (see microrun(1), PROFILES)");
	arglist_free(&seen);
}

/* The words of one line: the option, then the rest after the first run of
 * blanks as its value; `--name=value` is one word. Trailing blanks go. */
static int line_words(const char *line, size_t len, struct arglist *words)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	size_t first = strcspn(line, " \t"); /* may run on past the line's end */
	if (first > len)
		first = len;
	bool whole = strncmp(line, "--", 2) == 0 && memchr(line, '=', first);
	if (whole || first == len)
		return arglist_add(words, line, len);
	size_t value = first + strspn(line + first, " \t");
	return arglist_add(words, line, first) ?: arglist_add(words, line + value, len - value);
}

static int parse_line(const char *line, size_t len, const char *where, unsigned lineno,
		      struct arglist *out)
{
	struct arglist words = { 0 };
	char at[PATH_MAX + 64];
	int r = arglist_add(&words, "microrun", 8) ?: line_words(line, len, &words);

	snprintf(at, sizeof(at), "%s:%u", where, lineno);
	if (!r && cli_check_line((int)words.n, words.v, at))
		r = -EINVAL;
	if (!r)
		r = arglist_add_all(out, words.v + 1, words.n - 1);
	arglist_free(&words);
	return r;
}

int profile_parse_options(const char *text, const char *where, struct arglist *out)
{
	unsigned lineno = 0;

	for (const char *line = text; *line; ) {
		size_t len = strcspn(line, "\n");
		const char *next = line + len + (line[len] == '\n');
		lineno++;
		size_t skip = strspn(line, " \t\r"); /* stops at the '\n' */
		line += skip;
		len -= skip;
		if (len && *line != '#') {
			int r = parse_line(line, len, where, lineno, out);
			if (r)
				return r;
		}
		line = next;
	}
	return 0;
}

/* The whole of a small text file, NUL-terminated, malloc'd. */
static int read_text(const char *path, char **text)
{
	FILE *f = fopen(path, "r");
	size_t size = 0;

	if (!f)
		return -errno;
	*text = NULL;
	FILE *mem = open_memstream(text, &size);
	char buf[4096];
	size_t n;
	while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	int r = !mem || ferror(f) ? -EIO : 0;
	fclose(f);
	if (mem && fclose(mem))
		r = -ENOMEM;
	if (!r && memchr(*text, '\0', size))
		r = -EINVAL;
	return r;
}

int profile_read_options(const struct mr_profile *p, struct arglist *out)
{
	char path[PATH_MAX], *text = NULL;
	int r = join(path, p->dir, "options") ? read_text(path, &text) : -ENAMETOOLONG;

	if (!r)
		r = profile_parse_options(text, path, out);
	else if (r != -ENOENT) /* no options file: nothing to add */
		mr_err("profile '%s': cannot read %s: %s", p->name, path,
		       r == -EINVAL ? "it holds a NUL byte" : strerror(-r));
	free(text);
	return r == -ENOENT ? 0 : r;
}
