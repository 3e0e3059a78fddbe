#include "src/profile_guest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "src/log.h"

/* lstat or stat of DIR/NAME: 0, or -errno. */
static int stat_part(const struct mr_profile *p, const char *name, bool follow, struct stat *st)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", p->dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return (follow ? stat(path, st) : lstat(path, st)) ? -errno : 0;
}

int profile_guest_parts(const struct mr_profile *p, struct runcfg_profile *out)
{
	struct stat st;

	*out = (struct runcfg_profile){ .name = p->name, .dir = p->dir };
	out->guest = stat_part(p, "guest", false, &st) == 0;
	if (stat_part(p, "files", true, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		mr_err("profile '%s': %s/files is not a directory: a profile's files/ is a tree "
		       "placed into the guest's root (files/etc/foo becomes /etc/foo)",
		       p->name, p->dir);
		return -ENOTDIR;
	}
	out->files = true;
	return 0;
}

bool profile_guest_any(const struct mr_profile *p, unsigned n)
{
	struct stat st;

	for (unsigned i = 0; i < n; i++)
		if (stat_part(&p[i], "guest", false, &st) == 0 ||
		    stat_part(&p[i], "files", true, &st) == 0)
			return true;
	return false;
}
