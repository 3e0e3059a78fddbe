#include "src/guest_env.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool ident_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

int guest_env_check(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return -EINVAL;
	for (const char *p = s; p < eq; p++)
		if (!ident_char(*p, p == s))
			return -EINVAL;
	return 0;
}

/* Whether `entry` (NAME=VALUE) sets `name`, of `len` bytes. */
static bool sets(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

static const char *host_value(char *const *host_env, const char *name)
{
	size_t len = strlen(name);

	for (char *const *e = host_env; e && *e; e++)
		if (sets(*e, name, len))
			return *e;
	return NULL;
}

void guest_env_add(const char **env, unsigned *n, const char *entry)
{
	size_t len = (size_t)(strchr(entry, '=') - entry);

	for (unsigned i = 0; i < *n; i++)
		if (sets(env[i], entry, len)) {
			env[i] = entry;
			return;
		}
	env[(*n)++] = entry;
}

int guest_env_build(char *const *host_env, const char *const *assign, unsigned nassign,
		    const char ***env, unsigned *n)
{
	static const char *const passed[] = GUEST_ENV_PASSED;
	const unsigned npassed = sizeof(passed) / sizeof(passed[0]);

	for (unsigned i = 0; i < nassign; i++)
		if (guest_env_check(assign[i]))
			return -EINVAL;
	*env = calloc(npassed + nassign + 1, sizeof(**env));
	if (!*env)
		return -ENOMEM;
	*n = 0;
	for (unsigned i = 0; i < npassed; i++) {
		const char *e = host_value(host_env, passed[i]);
		if (e)
			guest_env_add(*env, n, e);
	}
	for (unsigned i = 0; i < nassign; i++)
		guest_env_add(*env, n, assign[i]);
	return 0;
}
