/* microrun's own confinement, for when a device model has a bug the guest
 * can exploit: no capabilities beyond what the run needs, no_new_privs,
 * and a seccomp allow-list of the system calls (and ioctl requests) that
 * running the built VM takes, on every thread. */
#ifndef MR_SANDBOX_H
#define MR_SANDBOX_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the built VM does from now on, which decides what stays allowed. */
struct sandbox_needs {
	bool file_server;   /* 9p exports: file system calls on the exported trees */
};

/* Drops every capability but those `needs` asks for (the file server's,
 * when running as root), the bounding set too where that is allowed; sets
 * no_new_privs. Nothing to do for an ordinary user. 0 or -errno, reported. */
int sandbox_drop_privileges(const struct sandbox_needs *needs)
	__attribute__((warn_unused_result));

/* Puts every thread of the process under the allow-list: any other system
 * call ends microrun at once with MR_EXIT_SANDBOX, after one line on
 * stderr naming the call. 0 or -errno, reported. */
int sandbox_enter(const struct sandbox_needs *needs) __attribute__((warn_unused_result));

/* How many system calls the allow-list takes (for -v and the tests). */
unsigned sandbox_allowed_count(const struct sandbox_needs *needs);

/* The BPF program sandbox_enter() loads, for process `pid`, into `prog`:
 * its length (for the tests, which compare it with what libseccomp makes
 * of the rules now). */
size_t sandbox_filter(const struct sandbox_needs *needs, pid_t pid,
		      struct sock_filter prog[BPF_MAXINSNS]);

#endif
