/* The fully static build (Makefile, STATIC_LIBS) links libcap-ng, whose
 * capng_change_id() looks up a user and sets its groups: glibc's NSS,
 * which a static program can only reach by loading glibc's shared NSS
 * modules at run time, as the linker warns. microrun never changes its
 * user, so the build wraps the two calls (-Wl,--wrap) to these, which
 * fail: no NSS code is linked, and nothing is ever loaded. */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

struct passwd *__wrap_getpwuid(uid_t uid);
int __wrap_initgroups(const char *user, gid_t group);

struct passwd *__wrap_getpwuid(uid_t uid)
{
	(void)uid;
	errno = ENOSYS;
	return NULL;
}

int __wrap_initgroups(const char *user, gid_t group)
{
	(void)user;
	(void)group;
	errno = ENOSYS;
	return -1;
}
