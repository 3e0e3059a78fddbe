/* The environment the program gets inside the guest: the host's
 * variables that make sense there (GUEST_ENV_PASSED), then the user's
 * -e NAME=VALUE, each replacing a variable of the same name. */
#ifndef MR_GUEST_ENV_H
#define MR_GUEST_ENV_H

#define GUEST_ENV_PASSED { "PATH", "HOME", "TERM", "LANG", "USER" }

/* 0 if `s` is NAME=VALUE with NAME a shell identifier ([A-Za-z_][A-Za-z0-9_]*),
 * else -EINVAL: what -e accepts. */
int guest_env_check(const char *s) __attribute__((warn_unused_result));

/* A malloc'd array of *n pointers into host_env and assign (which must
 * outlive it), in order: the passed host variables that are set, in
 * GUEST_ENV_PASSED order, then the assignments; an assignment to a name
 * already there replaces it in place. -EINVAL if an assignment fails
 * guest_env_check, -ENOMEM. */
int guest_env_build(char *const *host_env, const char *const *assign, unsigned nassign,
		    const char ***env, unsigned *n) __attribute__((warn_unused_result));

/* Appends NAME=VALUE `entry` to the *n entries of `env`, or replaces the
 * one of the same name in place; env has room for one more. Also makes the
 * environment of a profile's host step (src/profile_host.c). */
void guest_env_add(const char **env, unsigned *n, const char *entry);

#endif
