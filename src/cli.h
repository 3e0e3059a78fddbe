/* The command line of microrun itself. */
#ifndef MR_CLI_H
#define MR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MR_MAX_DISKS 8
#define MR_MAX_ENV 64

/* -d FILE[,ro][,serial=ID] */
struct mr_disk {
	char path[4096];
	bool read_only;
	char serial[21];        /* what GET_ID returns; "" for none */
};

/* --9p HOSTDIR[,tag=TAG][,ro]: checked when opened (share.c), not here. */
struct mr_share {
	char path[4096];
	const char *tag;        /* in the argument; NULL: the default, "hostN" */
	size_t tag_len;
	bool read_only;
};

#define MR_MAX_PROFILES 16

/* -p NAME|PATH, as found on the search path (src/profile.c). Its parts are
 * optional: DIR/options, DIR/host (run on the host), DIR/guest (run in the
 * guest before the program), DIR/files/ (placed into the guest's root). */
struct mr_profile {
	char name[64];          /* the directory's base name */
	char dir[4096];         /* absolute */
};

struct mr_config {
	const char *kernel;
	const char *initrd;     /* NULL: none */
	const char *append;     /* user's kernel command line, "" if none: every -a,
				 * in order, joined by spaces (in append_text) */
	char append_text[4096];
	uint64_t mem_bytes;
	unsigned ncpus;
	uint64_t timeout_ms;    /* 0: no timeout */
	int verbose;
	bool timing;            /* --timing */
	bool no_seccomp;        /* --no-seccomp: debugging only */
	unsigned ndisks;              /* in disks[] */
	unsigned nshares;             /* in shares[] */
	char **program;         /* program and its arguments, NULL-terminated */
	int program_argc;
	/* For the program: */
	const char *env[MR_MAX_ENV];  /* -e NAME=VALUE */
	unsigned nenv;
	const char *rw[MR_MAX_DISKS]; /* --rw DIR: absolute */
	unsigned nrw;
	const char *modules_dir;      /* --modules DIR; NULL: /lib/modules/RELEASE */
	bool kernel_log;              /* --kernel-log */
	bool no_shell;                /* --no-shell: no program, no shell either */
	unsigned nprofiles;           /* in profiles[] */
	/* Last: the defaults zero what comes before, not these tables (130 KB:
	 * zeroing them cost 34 page faults and, as a command line is parsed
	 * twice, 270 K instructions, 8% of a run's on the host). Only the
	 * first n entries of each are read, and each is written whole when
	 * added. */
	struct mr_disk disks[MR_MAX_DISKS];
	struct mr_share shares[MR_MAX_DISKS];  /* -d and --9p share the slots */
	struct mr_profile profiles[MR_MAX_PROFILES];  /* in the order given */
};

#define MR_DEFAULT_MEM   (1024ULL << 20)
#define MR_DEFAULT_CPUS  1
#define MR_MIN_MEM       (32ULL << 20)
#define MR_MAX_MEM       (1ULL << 40)
#define MR_MAX_CPUS      255

enum cli_outcome {
	CLI_RUN,        /* config filled in: go */
	CLI_DONE,       /* --help or --version printed */
	CLI_BAD_USAGE,  /* message printed on stderr */
	/* Only from profile_merge_parse(), messages printed: */
	CLI_PROFILE_FAILED,  /* a profile's host step failed */
	CLI_ERROR,           /* microrun could not run a host step */
};

/* The whole command line, a kernel required. */
enum cli_outcome cli_parse(int argc, char **argv, struct mr_config *cfg);
/* The same without requiring a kernel: for the first look at a command
 * line whose profiles may name one (src/profile_merge.c). */
enum cli_outcome cli_parse_partial(int argc, char **argv, struct mr_config *cfg);
/* One line of a profile's options, as words argv[1..argc-1] (argv[0] any
 * name): exactly one option, with its value if it takes one, valid, and
 * not one that belongs on the command line only (-p, --list-profiles, -h,
 * -V). 0, or -EINVAL with a message on stderr starting "WHERE: ". */
int cli_check_line(int argc, char **argv, const char *where) __attribute__((warn_unused_result));

/* "512M", "2G", "1048576K", "1T"; a bare number means MiB, as in QEMU's -m. */
int cli_parse_size(const char *text, uint64_t *bytes) __attribute__((warn_unused_result));
/* "FILE[,ro][,serial=ID]": a comma ends the file name (write ",," for a
 * comma in it, as QEMU does); ID is at most 20 characters. */
int cli_parse_disk(const char *text, struct mr_disk *disk) __attribute__((warn_unused_result));
/* "HOSTDIR[,tag=TAG][,ro]", with ",," for a comma in HOSTDIR as for -d. */
int cli_parse_share(const char *text, struct mr_share *share) __attribute__((warn_unused_result));
/* Seconds, with an optional fraction: "30", "0.5". */
int cli_parse_seconds(const char *text, uint64_t *ms) __attribute__((warn_unused_result));

#endif
