#include "devices/p9_fid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/p9_msg.h"

static unsigned hash(const struct p9_fids *t, uint32_t id)
{
	/* Linux numbers fids from 0 upward: the low bits spread them. */
	return (id * 2654435761U) & (t->nbuckets - 1);
}

int p9_fids_init(struct p9_fids *t, unsigned max)
{
	*t = (struct p9_fids){ .max = max, .nbuckets = 64 };
	if (max == 0 || max > INT32_MAX / 2)
		return -EINVAL;
	while (t->nbuckets < max)
		t->nbuckets *= 2;
	t->slot = calloc(max, sizeof(*t->slot));
	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	if (!t->slot || !t->bucket) {
		p9_fids_destroy(t);
		return -ENOMEM;
	}
	return 0;
}

void p9_fids_clear(struct p9_fids *t)
{
	for (unsigned i = 0; i < t->fresh; i++)
		if (t->slot[i].fd >= 0)
			p9_fid_clunk(t, &t->slot[i]);
}

void p9_fids_destroy(struct p9_fids *t)
{
	if (t->slot && t->bucket)
		p9_fids_clear(t);
	free(t->slot);
	free(t->bucket);
	t->slot = NULL;
	t->bucket = NULL;
}

struct p9_fid *p9_fid_get(struct p9_fids *t, uint32_t id)
{
	for (uint32_t i = t->bucket[hash(t, id)]; i; i = t->slot[i - 1].next)
		if (t->slot[i - 1].id == id)
			return &t->slot[i - 1];
	return NULL;
}

/* A freed slot, else one never used; -1 when all are in use. */
static int32_t take_slot(struct p9_fids *t)
{
	if (t->free) {
		uint32_t i = t->free - 1;
		t->free = t->slot[i].next;
		return (int32_t)i;
	}
	return t->fresh < t->max ? (int32_t)t->fresh++ : -1;
}

static int add_fail(int fd, int err)
{
	close(fd);
	return err;
}

int p9_fid_add(struct p9_fids *t, uint32_t id, int fd, const char *path, bool is_dir,
	       struct p9_fid **fid)
{
	if (id == P9_NOFID)
		return add_fail(fd, -EBADF);
	if (p9_fid_get(t, id))
		return add_fail(fd, -EEXIST);
	if (!t->free && t->fresh == t->max)
		return add_fail(fd, -EMFILE);
	char *copy = strdup(path);
	if (!copy)
		return add_fail(fd, -ENOMEM);
	int32_t i = take_slot(t);
	struct p9_fid *f = &t->slot[i];
	unsigned b = hash(t, id);
	*f = (struct p9_fid){ .id = id, .next = t->bucket[b], .fd = fd, .open_fd = -1,
			      .is_dir = is_dir, .path = copy };
	t->bucket[b] = (uint32_t)i + 1;
	t->used++;
	*fid = f;
	return 0;
}

void p9_fid_clunk(struct p9_fids *t, struct p9_fid *fid)
{
	uint32_t i = (uint32_t)(fid - t->slot) + 1;
	uint32_t *link = &t->bucket[hash(t, fid->id)];

	while (*link != i)
		link = &t->slot[*link - 1].next;
	*link = fid->next;
	close(fid->fd);
	if (fid->open_fd >= 0)
		close(fid->open_fd);
	free(fid->path);
	*fid = (struct p9_fid){ .fd = -1, .open_fd = -1, .next = t->free };
	t->free = i;
	t->used--;
}
