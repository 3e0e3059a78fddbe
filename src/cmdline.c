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

/* The next word of `*p` before any "--" (after which words go to init),
 * or NULL; its length in *len. */
static const char *next_word(const char **p, size_t *len)
{
	const char *w = *p + strspn(*p, " \t\n");

	*len = word_len(w);
	if (*len == 0 || (*len == 2 && strncmp(w, "--", 2) == 0))
		return NULL;
	*p = w + *len;
	return w;
}

/* The last word that sets `key` (the kernel acts on each in turn, so the
 * last wins) and its length; NULL if none. */
static const char *last_setting(const char *cmdline, const char *key, size_t *len)
{
	const char *p = cmdline, *w, *found = NULL;
	size_t n;

	while ((w = next_word(&p, &n)))
		if (word_sets(w, n, key)) {
			found = w;
			*len = n;
		}
	return found;
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

unsigned cmdline_value_use(const char *cmdline, const char *key, const char *prefix)
{
	size_t k = strlen(key), n = strlen(prefix);
	const char *p = cmdline, *w;
	unsigned use = 0;
	size_t len;

	while ((w = next_word(&p, &len))) {
		if (!word_sets(w, len, key) || len == k)
			continue;
		bool match = len - k - 1 >= n && strncmp(w + k + 1, prefix, n) == 0;
		use = (use & CMDLINE_VALUE_SOME) | (match ? CMDLINE_VALUE_SOME | CMDLINE_VALUE_LAST : 0);
	}
	return use;
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
