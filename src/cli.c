#include "src/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/guest_env.h"
#include "src/log.h"

static const char usage_text[] =
	"Usage: microrun -k KERNEL [options] [--] [program [args...]]\n"
	"Boot a Linux kernel directly in 64-bit mode on /dev/kvm.\n"
	"\n"
	"  -k, --kernel FILE    bzImage or ELF vmlinux to boot (required)\n"
	"  -i, --initrd FILE    initial ramdisk\n"
	"  -a, --append TEXT    kernel command line; panic=-1 console=ttyS0 pci=off\n"
	"                       reboot=k come first unless TEXT sets them\n"
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
	"  -h, --help           show this help\n"
	"  -V, --version        show the version\n"
	"\n"
	"  With a program: it runs in the guest on the host's root (read-only,\n"
	"  writes kept in a throw-away overlay), in the current directory.\n"
	"  -e, --env NAME=VALUE an environment variable for it (repeatable)\n"
	"      --rw DIR         share host directory DIR writable at its own path\n"
	"      --modules DIR    the kernel's modules: a build tree or an unpacked\n"
	"                       package (default /lib/modules/RELEASE)\n"
	"      --kernel-log     the kernel's log on stderr (kept off stdout unless -a\n"
	"                       names a console=)\n"
	"\n"
	"Exit status: the program's own; 0 guest powered off, 1 microrun failed,\n"
	"2 bad usage, 120 the guest's init failed, 121 vCPU failed, 122 guest\n"
	"reset, 123 guest panic, 124 timeout, 125 forbidden system call\n"
	"(seccomp), 126/127 program not executable/not found, 128+N ended by\n"
	"signal N. See microrun(1).\n";

enum { OPT_TIMEOUT = 256, OPT_NO_SECCOMP, OPT_9P, OPT_RW, OPT_MODULES, OPT_KERNEL_LOG, OPT_TIMING };

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

static enum cli_outcome bad_value(const char *option, const char *value, const char *hint)
{
	mr_err("%s: invalid value '%s' (%s)", option, value, hint);
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
			mr_err("%s: at most %d variables", name, MR_MAX_ENV);
			return CLI_BAD_USAGE;
		}
		if (guest_env_check(arg))
			return bad_value(name, arg, "NAME=VALUE, NAME a shell identifier");
		cfg->env[cfg->nenv++] = arg;
		return CLI_RUN;
	case OPT_RW:
		if (cfg->nrw == MR_MAX_DISKS) {
			mr_err("%s: at most %d directories", name, MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (arg[0] != '/' || arg[1] == '\0')
			return bad_value(name, arg, "an absolute path other than /");
		cfg->rw[cfg->nrw++] = arg;
		return CLI_RUN;
	case OPT_MODULES: cfg->modules_dir = arg; return CLI_RUN;
	case OPT_KERNEL_LOG: cfg->kernel_log = true; return CLI_RUN;
	default: return CLI_BAD_USAGE;
	}
}

/* `name` is the option as the user typed it, e.g. "-m" or "--memory". */
static enum cli_outcome apply_option(int opt, const char *name, const char *arg,
				     struct mr_config *cfg)
{
	switch (opt) {
	case 'k': cfg->kernel = arg; return CLI_RUN;
	case 'i': cfg->initrd = arg; return CLI_RUN;
	case 'a': cfg->append = arg; return CLI_RUN;
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
			mr_err("%s: at most %d disks", name, MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (cli_parse_disk(arg, &cfg->disks[cfg->ndisks]))
			return bad_value(name, arg, "FILE[,ro][,serial=ID], ID up to 20 characters");
		cfg->ndisks++;
		return CLI_RUN;
	case OPT_9P:
		if (cfg->ndisks + cfg->nshares >= MR_MAX_DISKS) {
			mr_err("%s: at most %d devices, -d disks and --9p exports together", name,
			       MR_MAX_DISKS);
			return CLI_BAD_USAGE;
		}
		if (cli_parse_share(arg, &cfg->shares[cfg->nshares]))
			return bad_value(name, arg, "DIR[,tag=TAG][,ro]");
		cfg->nshares++;
		return CLI_RUN;
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
		mr_err("option '%s' needs a value (see microrun --help)", typed);
	else if (optopt && strncmp(typed, "--", 2) != 0)
		mr_err("unknown option '-%c' (see microrun --help)", optopt);
	else
		mr_err("unknown option '%s' (see microrun --help)", typed);
	return CLI_BAD_USAGE;
}

static void set_defaults(struct mr_config *cfg)
{
	*cfg = (struct mr_config){
		.append = "",
		.mem_bytes = MR_DEFAULT_MEM,
		.ncpus = MR_DEFAULT_CPUS,
	};
}

enum cli_outcome cli_parse(int argc, char **argv, struct mr_config *cfg)
{
	int opt, longindex = -1;
	char shortname[3] = "-?";

	set_defaults(cfg);
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	/* '+': stop at the first non-option; the rest belongs to the program. */
	while ((opt = getopt_long(argc, argv, "+:k:i:a:m:c:d:e:vhV", long_options, &longindex)) != -1) {
		if (opt == '?' || opt == ':')
			return report_bad_option(argv, opt);
		char longname[32];
		shortname[1] = (char)opt;
		if (longindex >= 0)
			snprintf(longname, sizeof(longname), "--%s", long_options[longindex].name);
		enum cli_outcome r = apply_option(opt, longindex >= 0 ? longname : shortname, optarg, cfg);
		if (r != CLI_RUN)
			return r;
		longindex = -1;
	}
	cfg->program = argv + optind;
	cfg->program_argc = argc - optind;
	if (!cfg->kernel) {
		mr_err("no kernel given: use -k FILE (see microrun --help)");
		return CLI_BAD_USAGE;
	}
	return CLI_RUN;
}
