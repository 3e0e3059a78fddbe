/* The exit-status port: how the guest's init hands the program's exit
 * status to microrun. A 32-bit register (src/x86/layout.h: STATUS_PORT,
 * next to the ACPI sleep registers); ordinary guest output cannot fake it,
 * since bytes on a console never reach it.
 *
 * Protocol (the guest's init, boot/init/, is the writer):
 *   read, 32 bits:  STATUS_PORT_SIGNATURE, so a guest can tell the port is
 *                   there (where nothing is, a read gives all ones);
 *   write, 32 bits: (KIND << 8) | VALUE, VALUE 0-255:
 *     STATUS_KIND_EXITED    the program exited with status VALUE;
 *     STATUS_KIND_SIGNALED  the program was killed by signal VALUE (1-127);
 *     STATUS_KIND_INIT_FAILED  the init could not start the program: VALUE
 *                   is the step that failed (enum status_init_step);
 *     STATUS_KIND_PROFILE_FAILED  a profile's guest step failed, and the
 *                   write also holds (HOW << 24) | (PROFILE << 16): PROFILE
 *                   is its index in the run's configuration (below
 *                   STATUS_MAX_PROFILES), HOW and VALUE as enum
 *                   status_profile_how says. Every other kind has bits
 *                   16-31 clear.
 *     STATUS_KIND_PHASE  not a report: the init reached phase VALUE (enum
 *                   status_phase), for microrun --timing to timestamp.
 * The first valid report ends the VM at once; phases before it are passed
 * on as they come; later writes, writes of another width or offset, and
 * values outside the above are ignored (and counted). No KVM here, and no
 * locking: the caller serialises accesses. */
#ifndef MR_STATUS_PORT_H
#define MR_STATUS_PORT_H

#include <stdbool.h>
#include <stdint.h>

#define STATUS_PORT_LEN        4
#define STATUS_PORT_SIGNATURE  0x5453524dU  /* "MRST", little-endian */

enum status_kind {
	STATUS_KIND_EXITED = 0,
	STATUS_KIND_SIGNALED = 1,
	STATUS_KIND_INIT_FAILED = 2,
	STATUS_KIND_PROFILE_FAILED = 3,
	STATUS_KIND_PHASE = 4,
};

#define STATUS_MAX_PROFILES 16

/* How a profile's guest step failed, and what VALUE is then. */
enum status_profile_how {
	STATUS_PROFILE_EXITED = 0,    /* DIR/guest exited with VALUE (1-255) */
	STATUS_PROFILE_SIGNALED = 1,  /* DIR/guest was killed by signal VALUE (1-127) */
	STATUS_PROFILE_START = 2,     /* DIR/guest could not be run: errno VALUE (1-255) */
	STATUS_PROFILE_FILES = 3,     /* DIR/files/ could not be placed: errno VALUE */
	STATUS_PROFILE_HOW_MAX = STATUS_PROFILE_FILES,
};

/* Where the init is, in the order it gets there. */
enum status_phase {
	STATUS_PHASE_INIT_START = 1,  /* the init's first action */
	STATUS_PHASE_ROOT_MOUNTED,    /* switched into the new root (9p + overlay) */
	STATUS_PHASE_PROGRAM_START,   /* the program's process, just before execve */
	STATUS_PHASE_PROGRAM_EXITED,  /* the init has reaped the program */
	STATUS_PHASE_MAX = STATUS_PHASE_PROGRAM_EXITED,
};

/* What the init was doing when it gave up; each has a name for microrun's
 * message (status_port_step_name). */
enum status_init_step {
	STATUS_STEP_CONFIG = 1,   /* reading or decoding /microrun/config */
	STATUS_STEP_MOUNT_EARLY,  /* proc, sysfs, devtmpfs in the initramfs */
	STATUS_STEP_MODULES,      /* finit_module of a listed module */
	STATUS_STEP_MOUNT_ROOT,   /* 9p root, tmpfs, overlayfs */
	STATUS_STEP_MOUNT_SHARES, /* a --rw host directory */
	STATUS_STEP_SWITCH_ROOT,  /* moving into the new root, its mounts */
	STATUS_STEP_CONSOLE,      /* opening the program's console ports */
	STATUS_STEP_CWD,          /* chdir to the working directory */
	STATUS_STEP_EXEC_NOT_FOUND, /* the program does not exist */
	STATUS_STEP_EXEC,         /* the program exists but cannot be run */
	STATUS_STEP_SPAWN,        /* fork, signal set-up */
	STATUS_STEP_MAX = STATUS_STEP_SPAWN,
};

struct status_report {
	enum status_kind kind;
	uint8_t value;
	uint8_t profile;          /* for STATUS_KIND_PROFILE_FAILED: */
	uint8_t how;              /* enum status_profile_how */
};

struct status_port_ops {
	void (*report)(void *ctx, const struct status_report *r);
	void (*phase)(void *ctx, enum status_phase phase);
	void *ctx;
};

struct status_port {
	struct status_port_ops ops;
	bool reported;
	uint64_t ignored;         /* writes that were neither a valid first report
				   * nor a valid phase before it */
};

void status_port_init(struct status_port *s, const struct status_port_ops *ops);
/* An access at `offset` from the port's base, as the port bus gives it:
 * `len` bytes at `data`, little-endian. */
void status_port_access(struct status_port *s, unsigned offset, uint8_t *data, unsigned len,
			bool is_write);

/* The value a writer puts on the port; -1 if kind/value are out of range. */
int64_t status_port_encode(enum status_kind kind, unsigned value);
/* The same for a failed guest step of profile `profile`. */
int64_t status_port_encode_profile(enum status_profile_how how, unsigned profile, unsigned value);
/* "mount the root file system" etc.; "?" for an unknown step. */
const char *status_port_step_name(unsigned step);

#endif
