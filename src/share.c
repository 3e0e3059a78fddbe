#include "src/share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/log.h"

/* The tag export `i` is known by; false when it is too long or empty. */
static bool tag_of(const struct mr_share *s, unsigned i, char tag[VIRTIO_9P_TAG_MAX + 1])
{
	if (!s->tag) {
		snprintf(tag, VIRTIO_9P_TAG_MAX + 1, "host%u", i);
		return true;
	}
	if (s->tag_len == 0 || s->tag_len > VIRTIO_9P_TAG_MAX)
		return false;
	memcpy(tag, s->tag, s->tag_len);
	tag[s->tag_len] = '\0';
	return true;
}

static int check_tag(const struct mr_share *shares, unsigned i, char tag[VIRTIO_9P_TAG_MAX + 1])
{
	char other[VIRTIO_9P_TAG_MAX + 1];
	const struct mr_share *s = &shares[i];

	if (!tag_of(s, i, tag)) {
		mr_err("9p export %s: tag '%.*s' is %s (1 to %d bytes)", s->path, (int)s->tag_len,
		       s->tag, s->tag_len ? "too long" : "empty", VIRTIO_9P_TAG_MAX);
		return -EINVAL;
	}
	for (unsigned j = 0; j < i; j++) {
		if (tag_of(&shares[j], j, other) && strcmp(tag, other) == 0) {
			mr_err("9p export %s: tag '%s' is already used by %s (give another with ,tag=)",
			       s->path, tag, shares[j].path);
			return -EEXIST;
		}
	}
	return 0;
}

/* A guest holds a descriptor per fid (P9_MAX_FIDS per export); the
 * default soft limit of 1024 would run out long before. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			mr_warn("cannot raise the open file limit: %s", strerror(errno));
	}
}

int share_open(const struct mr_share *shares, unsigned i, int *root_fd,
	       char tag[VIRTIO_9P_TAG_MAX + 1])
{
	const struct mr_share *s = &shares[i];
	struct stat st;
	int r = check_tag(shares, i, tag);

	if (r)
		return r;
	int fd = open(s->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		bool file = errno == ENOTDIR && stat(s->path, &st) == 0;
		mr_err("9p export %s: %s", s->path, file ? "not a directory" : strerror(-r));
		return r;
	}
	raise_fd_limit();
	*root_fd = fd;
	return 0;
}
