/* Fuzz target: microrun's option parser (src/cli.c). The input is the
 * command line after "microrun", its arguments separated by NUL bytes;
 * cli_parse sees all of them, and each one also goes through the value
 * parsers on its own.
 *
 * Oracle: ASan/UBSan, and what cli.h promises of an accepted command
 * line: a kernel, RAM in range and in whole MiB, 1 to MR_MAX_CPUS CPUs,
 * at most MR_MAX_DISKS disks with non-empty NUL-terminated paths and
 * serials of at most 20 characters, the program argv NULL-terminated. */
#include "src/cli.h"
#include "tests/fuzz/fuzz.h"

#define MAX_ARGS 64

static void check_disk(const struct mr_disk *d)
{
	FUZZ_CHECK(memchr(d->path, 0, sizeof(d->path)) && d->path[0] != '\0');
	FUZZ_CHECK(memchr(d->serial, 0, sizeof(d->serial)));
}

static void check_config(const struct mr_config *cfg, int argc, char **argv)
{
	FUZZ_CHECK(cfg->kernel && cfg->append);
	FUZZ_CHECK(cfg->mem_bytes >= MR_MIN_MEM && cfg->mem_bytes <= MR_MAX_MEM);
	FUZZ_CHECK(cfg->mem_bytes % (1 << 20) == 0);
	FUZZ_CHECK(cfg->ncpus >= 1 && cfg->ncpus <= MR_MAX_CPUS);
	FUZZ_CHECK(cfg->ndisks <= MR_MAX_DISKS);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		check_disk(&cfg->disks[i]);
	FUZZ_CHECK(cfg->program_argc >= 0 && cfg->program_argc < argc);
	FUZZ_CHECK(cfg->program == argv + argc - cfg->program_argc);
	FUZZ_CHECK(cfg->program[cfg->program_argc] == NULL);
}

/* The value parsers on one argument, whatever option it would follow. */
static void parse_values(const char *arg)
{
	uint64_t n;
	struct mr_disk disk;

	if (cli_parse_size(arg, &n) == 0)
		FUZZ_CHECK(n % 1024 == 0);
	if (cli_parse_disk(arg, &disk) == 0) {
		check_disk(&disk);
		FUZZ_CHECK(strlen(disk.path) <= strlen(arg));
	}
	if (cli_parse_seconds(arg, &n) == 0)
		FUZZ_CHECK(strchr(arg, '.') || n % 1000 == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* NUL-terminated copies: the arguments are split in place. */
	char *text = malloc(size + 1), *argv[MAX_ARGS + 2] = { "microrun" };
	int argc = 1;
	struct mr_config cfg;

	FUZZ_CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; p <= text + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		parse_values(argv[i]);
	if (cli_parse(argc, argv, &cfg) == CLI_RUN)
		check_config(&cfg, argc, argv);
	free(text);
	return 0;
}
