#include "src/cmdline.h"

#include <stdlib.h>
#include <string.h>

/* As the kernel's next_arg(): spaces inside double quotes do not end a word. */
static size_t word_len(const char *p)
{
	size_t n = 0;
	bool quoted = false;

	for (; p[n] && (quoted || (p[n] != ' ' && p[n] != '\t' && p[n] != '\n')); n++)
		if (p[n] == '"')
			quoted = !quoted;
	return n;
}

static bool word_sets(const char *word, size_t len, const char *key)
{
	size_t k = strlen(key);

	return len >= k && strncmp(word, key, k) == 0 && (len == k || word[k] == '=');
}

/* The last word that sets `key` (the kernel acts on each in turn, so the
 * last wins) and its length; NULL if none. */
static const char *last_setting(const char *cmdline, const char *key, size_t *len)
{
	const char *p = cmdline, *found = NULL;

	for (;;) {
		p += strspn(p, " \t\n");
		size_t n = word_len(p);
		if (n == 0 || (n == 2 && strncmp(p, "--", 2) == 0))
			return found;
		if (word_sets(p, n, key)) {
			found = p;
			*len = n;
		}
		p += n;
	}
}

bool cmdline_has_param(const char *cmdline, const char *key)
{
	size_t len;

	return last_setting(cmdline, key, &len) != NULL;
}

bool cmdline_param_is(const char *cmdline, const char *key, const char *value)
{
	size_t len, k = strlen(key);
	const char *w = last_setting(cmdline, key, &len);

	return w && len > k && len - k - 1 == strlen(value) && strncmp(w + k + 1, value, len - k - 1) == 0;
}

static size_t key_len(const char *setting)
{
	const char *eq = strchr(setting, '=');

	return eq ? (size_t)(eq - setting) : strlen(setting);
}

char *cmdline_compose(const char *user, const char *const *defaults)
{
	size_t size = strlen(user) + 1;

	for (size_t i = 0; defaults[i]; i++)
		size += strlen(defaults[i]) + 1;
	char *out = malloc(size);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; defaults[i]; i++) {
		char key[64] = { 0 };
		memcpy(key, defaults[i], key_len(defaults[i]) < 63 ? key_len(defaults[i]) : 63);
		if (cmdline_has_param(user, key))
			continue;
		strcat(out, defaults[i]);
		strcat(out, " ");
	}
	strcat(out, user);
	size_t n = strlen(out);
	if (n && out[n - 1] == ' ')
		out[n - 1] = '\0';
	return out;
}
