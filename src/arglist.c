#include "src/arglist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int make_room(struct arglist *a)
{
	if (a->n + 1 < a->cap)
		return 0;
	size_t cap = a->cap ? a->cap * 2 : 16;
	char **v = realloc(a->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->v = v;
	a->cap = cap;
	return 0;
}

int arglist_add(struct arglist *a, const char *s, size_t len)
{
	char *copy = make_room(a) ? NULL : strndup(s, len);

	if (!copy)
		return -ENOMEM;
	a->v[a->n++] = copy;
	a->v[a->n] = NULL;
	return 0;
}

int arglist_add_all(struct arglist *a, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (arglist_add(a, v[i], strlen(v[i])))
			return -ENOMEM;
	return 0;
}

void arglist_free(struct arglist *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	*a = (struct arglist){ 0 };
}
