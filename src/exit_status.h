/* microrun's exit statuses; man/microrun.1 and README.md list the same.
 * A program run in the guest reports its own status (0-255) through the
 * exit-status port (devices/status_port.h), which microrun passes on. */
#ifndef MR_EXIT_STATUS_H
#define MR_EXIT_STATUS_H

enum mr_exit_status {
	MR_EXIT_OK = 0,            /* guest powered off (or the program exited 0) */
	MR_EXIT_ERROR = 1,         /* microrun failed: kernel, /dev/kvm, memory */
	MR_EXIT_USAGE = 2,         /* bad command line */
	MR_EXIT_PROFILE_FAILED = 118, /* a profile's host step failed (src/profile_host.h) */
	MR_EXIT_PROFILE_GUEST_FAILED = 119, /* a profile's guest step failed, or its files/ */
	MR_EXIT_INIT_FAILED = 120, /* the guest's init could not set up the program */
	MR_EXIT_VCPU_FAILED = 121, /* KVM could not run the guest any further */
	MR_EXIT_GUEST_RESET = 122, /* guest reset or rebooted (i8042, triple fault) */
	MR_EXIT_GUEST_PANIC = 123, /* guest kernel panicked */
	MR_EXIT_TIMEOUT = 124,     /* --timeout expired, as timeout(1) */
	MR_EXIT_SANDBOX = 125,     /* microrun made a system call its seccomp filter forbids */
	MR_EXIT_CANNOT_EXEC = 126, /* the program exists but cannot be executed, as sh */
	MR_EXIT_NOT_FOUND = 127,   /* the program does not exist, as sh */
	MR_EXIT_SIGNAL_BASE = 128, /* + signal number: microrun, or the program, ended
				    * by that signal */
};

#endif
