/* mkconfig OUT [-C DIR] [-H NAME] [-r TAG] [-e NAME=VALUE]... [-s TAG:PATH[:ro]]...
 *          [-m MODULE]... [-c STDIN,STDOUT,STDERR] [-p NAME:DIR:PARTS]...
 *          -- PROGRAM [ARG...]
 *
 * Writes a run configuration (boot/init/runcfg.h) for the guest init, as
 * microrun will: a test tool for tests/init/run.sh, which boots the init
 * without microrun. Defaults: -C /, -H microrun, -r root, consoles
 * /dev/console. A profile's PARTS are "guest", "files", both ("guest+files")
 * or "". Exits 1 with the encoder's reason if it refuses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/init/runcfg.h"

#define MAX_ITEMS 64

static const char *env[MAX_ITEMS], *mods[MAX_ITEMS];
static struct runcfg_mount shares[MAX_ITEMS];
static struct runcfg_profile profiles[MAX_ITEMS];

static int add(const char **list, unsigned *n, const char *s)
{
	if (*n == MAX_ITEMS)
		return -1;
	list[(*n)++] = s;
	return 0;
}

/* TAG:PATH[:ro] */
static int add_share(struct runcfg *c, char *s)
{
	char *path = strchr(s, ':');

	if (!path || c->nmounts == MAX_ITEMS)
		return -1;
	*path++ = '\0';
	char *mode = strchr(path, ':');
	if (mode)
		*mode++ = '\0';
	shares[c->nmounts++] = (struct runcfg_mount){
		.tag = s, .path = path, .read_only = mode && strcmp(mode, "ro") == 0,
	};
	return 0;
}

/* NAME:DIR:PARTS */
static int add_profile(struct runcfg *c, char *s)
{
	char *dir = strchr(s, ':');
	char *parts = dir ? strchr(dir + 1, ':') : NULL;

	if (!parts || c->nprofiles == MAX_ITEMS)
		return -1;
	*dir++ = '\0';
	*parts++ = '\0';
	profiles[c->nprofiles++] = (struct runcfg_profile){
		.name = s, .dir = dir, .guest = strstr(parts, "guest") != NULL,
		.files = strstr(parts, "files") != NULL,
	};
	return 0;
}

static int set_consoles(struct runcfg *c, char *s)
{
	for (int i = 0; i < RUNCFG_CONSOLES; i++) {
		c->console[i] = s;
		s = s ? strchr(s, ',') : NULL;
		if (s)
			*s++ = '\0';
	}
	return 0;
}

static int parse(int argc, char **argv, struct runcfg *c)
{
	int opt, r = 0;

	while (!r && (opt = getopt(argc, argv, "C:H:r:e:s:m:c:p:")) != -1) {
		switch (opt) {
		case 'C': c->cwd = optarg; break;
		case 'H': c->hostname = optarg; break;
		case 'r': c->root_tag = optarg; break;
		case 'e': r = add(env, &c->nenv, optarg); break;
		case 's': r = add_share(c, optarg); break;
		case 'm': r = add(mods, &c->nmodules, optarg); break;
		case 'c': r = set_consoles(c, optarg); break;
		case 'p': r = add_profile(c, optarg); break;
		default: return -1;
		}
	}
	c->argv = (const char *const *)argv + optind;
	c->argc = (unsigned)(argc - optind);
	return r;
}

int main(int argc, char **argv)
{
	struct runcfg c = {
		.cwd = "/", .hostname = "microrun", .root_tag = "root",
		.env = env, .mounts = shares, .modules = mods, .profiles = profiles,
	};
	const char *why = "";
	uint8_t *buf;
	size_t len;

	if (argc < 2 || parse(argc - 1, argv + 1, &c)) {
		fprintf(stderr, "usage: mkconfig OUT [options] -- PROGRAM [ARG...] (see the source)\n");
		return 2;
	}
	int r = runcfg_encode(&c, &buf, &len, &why);
	if (r) {
		fprintf(stderr, "mkconfig: refused (%d): %s\n", r, why ? why : "");
		return 1;
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	free(buf);
	return 0;
}
