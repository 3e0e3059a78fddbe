#include "src/profile_merge.h"

#include <errno.h>
#include <string.h>

#include "src/log.h"
#include "src/profile.h"
#include "src/profile_host.h"
#include "src/profile_scratch.h"

/* Each profile's words: its options file's, and its host step's output. */
struct parts {
	struct mr_profile profiles[MR_MAX_PROFILES];
	unsigned n;
	struct arglist options[MR_MAX_PROFILES];
	struct arglist output[MR_MAX_PROFILES];
};

static int assemble(struct arglist *merged, int argc, char **argv, const struct parts *p)
{
	int r = 0;

	arglist_free(merged);
	r = arglist_add_all(merged, argv, 1);
	for (unsigned i = 0; !r && i < p->n; i++)
		r = arglist_add_all(merged, p->options[i].v, p->options[i].n) ?:
		    arglist_add_all(merged, p->output[i].v, p->output[i].n);
	if (!r)
		r = arglist_add_all(merged, argv + 1, (size_t)argc - 1);
	if (r)
		mr_err("out of memory merging the profiles' options");
	return r;
}

/* cli_parse() of the words as they stand; -v reports the host steps. */
static enum cli_outcome parse_merged(struct arglist *merged, int argc, char **argv,
				     const struct parts *p, struct mr_config *cfg)
{
	if (assemble(merged, argc, argv, p))
		return CLI_ERROR;
	enum cli_outcome r = cli_parse((int)merged->n, merged->v, cfg);
	mr_verbose = cfg->verbose;
	return r;
}

static enum cli_outcome run_host_steps(struct arglist *merged, int argc, char **argv,
				       struct parts *p, struct mr_config *cfg)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (!profile_has_host(&p->profiles[i]))
			continue;
		enum cli_outcome r = parse_merged(merged, argc, argv, p, cfg);
		if (r != CLI_RUN)
			return r;
		switch (profile_run_host(&p->profiles[i], cfg, &p->output[i])) {
		case HOST_OK: break;
		case HOST_FAILED: return CLI_PROFILE_FAILED;
		case HOST_ERROR: return CLI_ERROR;
		}
	}
	return CLI_RUN;
}

static bool refuse_scratch(const char *option, const char *path)
{
	if (!path || !profile_in_scratch(path))
		return false;
	mr_err("%s %s: the scratch directory is removed before the guest starts, so a host "
	       "step may put there only files opened as the VM is made (-d, -k, -i)", option, path);
	return true;
}

static enum cli_outcome check_scratch_use(const struct mr_config *cfg)
{
	bool bad = refuse_scratch("--modules", cfg->modules_dir);

	for (unsigned i = 0; i < cfg->nshares; i++)
		bad |= refuse_scratch("--9p", cfg->shares[i].path);
	for (unsigned i = 0; i < cfg->nrw; i++)
		bad |= refuse_scratch("--rw", cfg->rw[i]);
	return bad ? CLI_PROFILE_FAILED : CLI_RUN;
}

static void report(const struct arglist *merged)
{
	char text[900];
	size_t len = 0;

	for (size_t i = 1; i < merged->n && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, " %s", merged->v[i]);
	mr_info("with the profiles:%s", text);
}

static enum cli_outcome merge(int argc, char **argv, struct mr_config *cfg,
			      struct arglist *merged, struct parts *p)
{
	p->n = cfg->nprofiles;
	memcpy(p->profiles, cfg->profiles, p->n * sizeof(p->profiles[0]));
	for (unsigned i = 0; i < p->n; i++)
		if (profile_read_options(&p->profiles[i], &p->options[i]))
			return CLI_BAD_USAGE;
	enum cli_outcome r = run_host_steps(merged, argc, argv, p, cfg);
	if (r == CLI_RUN)
		r = parse_merged(merged, argc, argv, p, cfg);
	if (r == CLI_RUN)
		r = check_scratch_use(cfg);
	if (r == CLI_RUN)
		report(merged);
	return r;
}

enum cli_outcome profile_merge_parse(int argc, char **argv, struct mr_config *cfg,
				     struct arglist *merged)
{
	static struct parts p;
	enum cli_outcome r = cli_parse_partial(argc, argv, cfg);

	if (r != CLI_RUN)
		return r;
	r = merge(argc, argv, cfg, merged, &p);
	for (unsigned i = 0; i < p.n; i++) {
		arglist_free(&p.options[i]);
		arglist_free(&p.output[i]);
	}
	return r;
}
