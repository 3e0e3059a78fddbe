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

bool cmdline_has_param(const char *cmdline, const char *key)
{
	const char *p = cmdline;

	for (;;) {
		p += strspn(p, " \t\n");
		size_t len = word_len(p);
		if (len == 0 || (len == 2 && strncmp(p, "--", 2) == 0))
			return false;
		if (word_sets(p, len, key))
			return true;
		p += len;
	}
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
