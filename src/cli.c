#include "src/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/guest_env.h"
#include "src/log.h"
#include "src/profile.h"

static const char usage_text[] =
	"Usage: microrun -k KERNEL [options] [--] [program [args...]]\n"
	"Boot a Linux kernel directly in 64-bit mode on /dev/kvm, and run a program\n"
	"or, with none, a shell in it.\n"
	"\n"
	"  -k, --kernel FILE    bzImage or ELF vmlinux to boot (required)\n"
	"  -i, --initrd FILE    initial ramdisk\n"
	"  -a, --append TEXT    kernel command line (repeatable: joined with spaces);\n"
	"                       panic=-1 console=ttyS0 pci=off reboot=k come first\n"
	"                       unless TEXT sets them\n"
	"  -m, --memory SIZE    guest RAM, e.g. 512M or 2G (default 1G)\n"
	"  -d, --disk FILE[,ro][,serial=ID]\n"
	"                       a virtio-blk disk backed by FILE (repeatable)\n"
	"      --9p DIR[,tag=TAG][,ro]\n"
	"                       export host directory DIR over virtio-9p (repeatable;\n"
	"                       default tags host0, host1, ...)\n"
	"  -c, --cpus N         virtual CPUs (default 1)\n"
	"      --timeout SEC    end the VM after SEC seconds (exit status 124)\n"
	"  -v, --verbose        report the VM's set-up and exits on stderr\n"
	"      --timing         report on stderr when the run reached each phase,\n"
	"                       its exits and microrun's share of the time\n"
	"      --no-seccomp     run without the seccomp sandbox (for debugging)\n"
	"  -p, --profile NAME|DIR\n"
	"                       apply a profile: its options (before the command\n"
	"                       line's), its host step, its guest step and files\n"
	"                       (repeatable, in order; a value with '/' is a directory)\n"
	"      --list-profiles  list the profiles on the search path and exit\n"
	"  -h, --help           show this help\n"
	"  -V, --version        show the version\n"
	"\n"
	"  With a program: it runs in the guest on the host's root (read-only,\n"
	"  writes kept in a throw-away overlay), in the current directory. With\n"
	"  none: a shell ($SHELL, else /bin/sh) runs there instead, on a terminal\n"
	"  of its own when stdin is one (Ctrl-A x ends the VM, Ctrl-A Ctrl-A sends\n"
	"  Ctrl-A), else reading its commands from stdin. Not when the kernel boots\n"
	"  its own way: -i, or root=, init= or rdinit= in -a, or --no-shell.\n"
	"      --no-shell       with no program: just boot the kernel\n"
	"  -e, --env NAME=VALUE an environment variable for it (repeatable)\n"
	"      --rw DIR         share host directory DIR writable at its own path\n"
	"      --modules DIR    the kernel's modules: a build tree or an unpacked\n"
	"                       package (default /lib/modules/RELEASE)\n"
	"      --kernel-log     the kernel's log on stderr (kept off stdout unless -a\n"
	"                       names a console=)\n"
	"\n"
	"Exit status: the program's or shell's own; 0 guest powered off, 1 microrun\n"
	"failed, 2 bad usage, 118/119 a profile's host/guest step failed, 120 the\n"
	"guest's init failed, 121 vCPU failed, 122 guest reset, 123 guest panic,\n"
	"124 timeout, 125 forbidden system call (seccomp), 126/127 program not\n"
	"executable/not found, 128+N ended by signal N (130 also for Ctrl-A x).\n"
	"See microrun(1).\n";

enum {
	OPT_TIMEOUT = 256, OPT_NO_SECCOMP, OPT_9P, OPT_RW, OPT_MODULES, OPT_KERNEL_LOG,
	OPT_LIST_PROFILES, OPT_NO_SHELL, OPT_TIMING,
};

static const struct option long_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "memory", required_argument, NULL, 'm' },
	{ "disk", required_argument, NULL, 'd' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "9p", required_argument, NULL, OPT_9P },
	{ "env", required_argument, NULL, 'e' },
	{ "rw", required_argument, NULL, OPT_RW },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "kernel-log", no_argument, NULL, OPT_KERNEL_LOG },
	{ "profile", required_argument, NULL, 'p' },
	{ "list-profiles", no_argument, NULL, OPT_LIST_PROFILES },
	{ "no-shell", no_argument, NULL, OPT_NO_SHELL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int shift_for_suffix(char suffix)
{
	switch (toupper((unsigned char)suffix)) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default: return -1;
	}
}

int cli_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	int shift = 20;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		shift = shift_for_suffix(*end);
		if (shift < 0 || end[1] != '\0')
			return -EINVAL;
	}
	if (n > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)n << shift;
	return 0;
}

int cli_parse_seconds(const char *text, uint64_t *ms)
{
	uint64_t whole = 0, frac_ms = 0, scale = 100;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > (UINT64_MAX - 999) / 1000)
			return -ERANGE; /* whole * 1000 + frac_ms would overflow */
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac_ms += (uint64_t)(*p - '0') * scale;
	}
	if (*p != '\0')
		return -EINVAL;
	*ms = whole * 1000 + frac_ms;
	return 0;
}

static int parse_cpus(const char *text, unsigned *ncpus)
{
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	unsigned long n = strtoul(text, &end, 10);
	if (errno || *end || n < 1 || n > MR_MAX_CPUS)
		return -EINVAL;
	*ncpus = (unsigned)n;
	return 0;
}

/* Copies the file name up to its first lone comma; ",," stands for ",". */
static const char *disk_path(const char *text, char *path, size_t size)
{
	size_t n = 0;

	for (; *text; text++) {
		if (*text == ',' && text[1] != ',')
			break;
		if (*text == ',')
			text++;
		if (n + 1 >= size)
			return NULL;
		path[n++] = *text;
	}
	path[n] = '\0';
	return n ? text : NULL;
}

static int disk_option(const char *opt, size_t len, void *dst)
{
	struct mr_disk *disk = dst;
	static const char serial[] = "serial=";

	if (len == 2 && strncmp(opt, "ro", 2) == 0) {
		disk->read_only = true;
		return 0;
	}
	if (len > strlen(serial) && strncmp(opt, serial, strlen(serial)) == 0 &&
	    len - strlen(serial) < sizeof(disk->serial)) {
		memcpy(disk->serial, opt + strlen(serial), len - strlen(serial));
		disk->serial[len - strlen(serial)] = '\0';
		return 0;
	}
	return -EINVAL;
}

/* FILE[,OPTION]...: each option goes to `option`, which may refuse it. */
static int parse_path_options(const char *text, char *path, size_t size,
			      int (*option)(const char *opt, size_t len, void *dst), void *dst)
{
	const char *rest = disk_path(text, path, size);

	if (!rest)
		return -EINVAL;
	while (*rest == ',') {
		const char *opt = rest + 1;
		size_t len = strcspn(opt, ",");
		if (option(opt, len, dst))
			return -EINVAL;
		rest = opt + len;
	}
	return 0;
}

int cli_parse_disk(const char *text, struct mr_disk *disk)
{
	*disk = (struct mr_disk){ 0 };
	return parse_path_options(text, disk->path, sizeof(disk->path), disk_option, disk);
}

static int share_option(const char *opt, size_t len, void *dst)
{
	struct mr_share *share = dst;
	static const char tag[] = "tag=";

	if (len == 2 && strncmp(opt, "ro", 2) == 0) {
		share->read_only = true;
		return 0;
	}
	if (len >= strlen(tag) && strncmp(opt, tag, strlen(tag)) == 0) {
		share->tag = opt + strlen(tag);
		share->tag_len = len - strlen(tag);
		return 0;
	}
	return -EINVAL;
}

int cli_parse_share(const char *text, struct mr_share *share)
{
	*share = (struct mr_share){ 0 };
	return parse_path_options(text, share->path, sizeof(share->path), share_option, share);
}

/* Where the words being parsed come from, as "FILE:LINE: " for a line of
 * a profile's options; "" for the command line. */
static const char *source = "";

static void usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_err(const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mr_err("%s%s", source, msg);
}

static enum cli_outcome bad_value(const char *option, const char *value, const char *hint)
{
	usage_err("%s: invalid value '%s' (%s)", option, value, hint);
	return CLI_BAD_USAGE;
}

static enum cli_outcome check_memory(const char *name, uint64_t bytes, const char *value)
{
	if (bytes < MR_MIN_MEM || bytes > MR_MAX_MEM)
		return bad_value(name, value, "between 32M and 1T");
	if (bytes & 0xfffff)
		return bad_value(name, value, "a whole number of MiB");
	return CLI_RUN;
}

/* The options that shape the program run in the guest. */
static enum cli_outcome apply_program_option(int opt, const char *name, const char *arg,
					     struct mr_config *cfg)
{
	switch (opt) {
	case 'e':
		if (cfg->nenv == MR_MAX_ENV) {
			usage_err("%s: at most %d variables", name, MR_MAX_ENV);
			return CLI_BAD_USAGE;
		}
		if (guest_env_check(arg))
			return bad_value(name, arg, "NAME=VALUE, NAME a shell identifier");
		cfg->env[cfg->nenv++] = arg;
		return CLI_RUN;
	case OPT_RW:
		if (cfg->nrw == MR_MAX_DISKS) {
			usage_err("%s: at most %d directories", name, MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (arg[0] != '/' || arg[1] == '\0')
			return bad_value(name, arg, "an absolute path other than /");
		cfg->rw[cfg->nrw++] = arg;
		return CLI_RUN;
	case OPT_MODULES: cfg->modules_dir = arg; return CLI_RUN;
	case OPT_KERNEL_LOG: cfg->kernel_log = true; return CLI_RUN;
	case OPT_NO_SHELL: cfg->no_shell = true; return CLI_RUN;
	default: return CLI_BAD_USAGE;
	}
}

/* Each -a adds its words after the earlier ones: the kernel takes the
 * last setting of a parameter, so a later -a overrides an earlier one. */
static enum cli_outcome add_append(struct mr_config *cfg, const char *name, const char *arg)
{
	size_t used = strlen(cfg->append_text), len = strlen(arg);

	if (len == 0)
		return CLI_RUN;
	if (used + 1 + len >= sizeof(cfg->append_text)) {
		usage_err("%s: the kernel command line would exceed %zu bytes", name,
			  sizeof(cfg->append_text) - 1);
		return CLI_BAD_USAGE;
	}
	snprintf(cfg->append_text + used, sizeof(cfg->append_text) - used, "%s%s",
		 used ? " " : "", arg);
	cfg->append = cfg->append_text;
	return CLI_RUN;
}

static enum cli_outcome add_profile(struct mr_config *cfg, const char *name, const char *arg)
{
	if (cfg->nprofiles == MR_MAX_PROFILES) {
		usage_err("%s: at most %d profiles", name, MR_MAX_PROFILES);
		return CLI_BAD_USAGE;
	}
	if (profile_find(arg, &cfg->profiles[cfg->nprofiles]))
		return CLI_BAD_USAGE;
	cfg->nprofiles++;
	return CLI_RUN;
}

/* `name` is the option as the user typed it, e.g. "-m" or "--memory". */
static enum cli_outcome apply_option(int opt, const char *name, const char *arg,
				     struct mr_config *cfg)
{
	switch (opt) {
	case 'k': cfg->kernel = arg; return CLI_RUN;
	case 'i': cfg->initrd = arg; return CLI_RUN;
	case 'a': return add_append(cfg, name, arg);
	case 'v': cfg->verbose++; return CLI_RUN;
	case OPT_TIMING: cfg->timing = true; return CLI_RUN;
	case OPT_NO_SECCOMP: cfg->no_seccomp = true; return CLI_RUN;
	case 'm':
		if (cli_parse_size(arg, &cfg->mem_bytes))
			return bad_value(name, arg, "use a size such as 512M or 2G");
		return check_memory(name, cfg->mem_bytes, arg);
	case 'c':
		if (parse_cpus(arg, &cfg->ncpus))
			return bad_value(name, arg, "a number from 1 to 255");
		return CLI_RUN;
	case OPT_TIMEOUT:
		if (cli_parse_seconds(arg, &cfg->timeout_ms) || cfg->timeout_ms == 0)
			return bad_value(name, arg, "seconds greater than 0, e.g. 30 or 0.5");
		return CLI_RUN;
	case 'd':
		if (cfg->ndisks == MR_MAX_DISKS) {
			usage_err("%s: at most %d disks", name, MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (cli_parse_disk(arg, &cfg->disks[cfg->ndisks]))
			return bad_value(name, arg, "FILE[,ro][,serial=ID], ID up to 20 characters");
		cfg->ndisks++;
		return CLI_RUN;
	case OPT_9P:
		if (cfg->ndisks + cfg->nshares >= MR_MAX_DISKS) {
			usage_err("%s: at most %d devices, -d disks and --9p exports together", name,
			       MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (cli_parse_share(arg, &cfg->shares[cfg->nshares]))
			return bad_value(name, arg, "DIR[,tag=TAG][,ro]");
		cfg->nshares++;
		return CLI_RUN;
	case 'p': return add_profile(cfg, name, arg);
	case OPT_LIST_PROFILES: profile_list(stdout); return CLI_DONE;
	case 'h': fputs(usage_text, stdout); return CLI_DONE;
	case 'V': printf("microrun %s\n", MR_VERSION); return CLI_DONE;
	default: return apply_program_option(opt, name, arg, cfg);
	}
}

/* getopt's own messages carry argv[0] and no hint; ours name the option
 * exactly as typed. */
static enum cli_outcome report_bad_option(char **argv, int opt)
{
	const char *typed = argv[optind - 1];

	if (opt == ':')
		usage_err("option '%s' needs a value (see microrun --help)", typed);
	else if (optopt && strncmp(typed, "--", 2) != 0)
		usage_err("unknown option '-%c' (see microrun --help)", optopt);
	else
		usage_err("unknown option '%s' (see microrun --help)", typed);
	return CLI_BAD_USAGE;
}

static void set_defaults(struct mr_config *cfg)
{
	memset(cfg, 0, offsetof(struct mr_config, disks));
	cfg->append = "";
	cfg->mem_bytes = MR_DEFAULT_MEM;
	cfg->ncpus = MR_DEFAULT_CPUS;
}

/* Options that make sense only once, typed by the user. */
static bool command_line_only(int opt)
{
	return opt == 'p' || opt == OPT_LIST_PROFILES || opt == 'h' || opt == 'V';
}

/* Applies the options of argv[1..] to cfg, up to the first non-option,
 * whose index goes to *first; `line`: argv is one line of a profile's
 * options, where some options have no place. */
static enum cli_outcome parse(int argc, char **argv, struct mr_config *cfg, bool line, int *first)
{
	int opt, longindex = -1;
	char shortname[3] = "-?";

	set_defaults(cfg);
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	/* '+': stop at the first non-option; the rest belongs to the program. */
	while ((opt = getopt_long(argc, argv, "+:k:i:a:m:c:d:e:p:vhV", long_options, &longindex)) != -1) {
		if (opt == '?' || opt == ':')
			return report_bad_option(argv, opt);
		char longname[32];
		shortname[1] = (char)opt;
		if (longindex >= 0)
			snprintf(longname, sizeof(longname), "--%s", long_options[longindex].name);
		const char *name = longindex >= 0 ? longname : shortname;
		if (line && command_line_only(opt)) {
			usage_err("%s belongs on the command line, not in a profile", name);
			return CLI_BAD_USAGE;
		}
		enum cli_outcome r = apply_option(opt, name, optarg, cfg);
		if (r != CLI_RUN)
			return r;
		longindex = -1;
	}
	*first = optind;
	return CLI_RUN;
}

enum cli_outcome cli_parse_partial(int argc, char **argv, struct mr_config *cfg)
{
	int first = argc;
	enum cli_outcome r = parse(argc, argv, cfg, false, &first);

	cfg->program = argv + first;
	cfg->program_argc = argc - first;
	return r;
}

enum cli_outcome cli_parse(int argc, char **argv, struct mr_config *cfg)
{
	enum cli_outcome r = cli_parse_partial(argc, argv, cfg);

	if (r == CLI_RUN && !cfg->kernel) {
		mr_err("no kernel given: use -k FILE (see microrun --help)");
		return CLI_BAD_USAGE;
	}
	return r;
}

int cli_check_line(int argc, char **argv, const char *where)
{
	static struct mr_config scratch;
	char prefix[PATH_MAX + 80];
	int first = argc;

	snprintf(prefix, sizeof(prefix), "%s: ", where);
	source = prefix;
	enum cli_outcome r = parse(argc, argv, &scratch, true, &first);
	if (r == CLI_RUN && (first < argc || strcmp(argv[1], "--") == 0)) {
		if (first == 1 || strcmp(argv[1], "--") == 0)
			usage_err("'%s' is not an option (one option a line, with its value: "
				  "-m 2G)", argv[1]);
		else
			usage_err("%s takes no value", argv[1]);
		r = CLI_BAD_USAGE;
	}
	source = "";
	return r == CLI_RUN ? 0 : -EINVAL;
}
