/* Profiles, host side: discovery on the search path (order, shadowing,
 * directories given as paths, the message for an unknown name), options
 * files and their FILE:LINE errors, the order in which profiles and the
 * command line merge, and host steps: their environment, their stdout
 * taken as options, a failing one named, the scratch directory removed.
 * Every test works in a temporary directory of its own, removed after. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/profile.h"
#include "src/profile_host.h"
#include "src/profile_scratch.h"
#include "src/profile_merge.h"
#include "src/supervisor.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define RELEASE "9.9.9-profile-test"

static char tmp[PATH_MAX];     /* this test's directory */
static struct mr_config cfg;
static struct arglist merged;

/* profile_merge_parse() on the words given, kept in `merged`. */
#define PARSE_PROFILES(...) \
	profile_merge_parse(sizeof((char *[]){ "microrun", __VA_ARGS__ }) / sizeof(char *), \
			    (char *[]){ "microrun", __VA_ARGS__, NULL }, &cfg, &merged)

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/microrun-profile-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);        /* the scratch directory goes here */
	setenv("XDG_CONFIG_HOME", tmp, 1);
	unsetenv("MICRORUN_PROFILE_PATH");
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	arglist_free(&merged);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	test_run(cmd);
}

/* TMP/REL holding `text`; executable if `exec`. */
static void put(const char *rel, const char *text, bool exec)
{
	char path[PATH_MAX * 2];

	test_put_file(tmp, rel, text, strlen(text));
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	ck_assert_int_eq(chmod(path, exec ? 0755 : 0644), 0);
}

static const char *at(const char *rel)
{
	static char path[4][PATH_MAX * 2];
	static unsigned next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmp, rel);
	return p;
}

static void search(const char *dirs)
{
	char list[PATH_MAX * 4] = "";
	size_t len = 0;

	for (const char *d = dirs; *d; d += strcspn(d, ":") + (d[strcspn(d, ":")] == ':'))
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s/%.*s", len ? ":" : "",
					tmp, (int)strcspn(d, ":"), d);
	setenv("MICRORUN_PROFILE_PATH", list, 1);
}

static void assert_found(const char *value, const char *name, const char *dir)
{
	struct mr_profile p;

	ck_assert_int_eq(profile_find(value, &p), 0);
	ck_assert_str_eq(p.name, name);
	ck_assert_str_eq(p.dir, dir);
}

START_TEST(test_search_path_order)
{
	put("a/one/README", "first one\n", false);
	put("b/one/README", "second one\n", false);
	put("b/two/README", "two\n", false);
	put("microrun/profiles/three/README", "three, from XDG_CONFIG_HOME\n", false);
	search("a:b");
	assert_found("one", "one", at("a/one"));
	assert_found("two", "two", at("b/two"));
	assert_found("three", "three", at("microrun/profiles/three"));
}
END_TEST

START_TEST(test_home_config_without_xdg)
{
	put("home/.config/microrun/profiles/mine/README", "mine\n", false);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", at("home"), 1);
	assert_found("mine", "mine", at("home/.config/microrun/profiles/mine"));
}
END_TEST

/* build/test_unit lies in the checkout: its profiles/ is on the path,
 * after the user's directories. */
START_TEST(test_checkout_profiles_last)
{
	struct mr_profile p;

	ck_assert_int_eq(profile_find("blockdev", &p), 0);
	ck_assert_str_eq(p.name, "blockdev");
	ck_assert_msg(strstr(p.dir, "/profiles/blockdev"), "%s", p.dir);
	put("a/blockdev/README", "mine\n", false);
	search("a");
	assert_found("blockdev", "blockdev", at("a/blockdev"));
}
END_TEST

START_TEST(test_directory_given_as_path)
{
	char value[PATH_MAX + 8];

	put("elsewhere/mine/options", "-m 2G\n", false);
	ck_assert_int_eq(chdir(tmp), 0);
	assert_found("./elsewhere/mine", "mine", at("elsewhere/mine"));
	snprintf(value, sizeof(value), "%s/", at("elsewhere/mine"));
	assert_found(value, "mine", at("elsewhere/mine"));
}
END_TEST

START_TEST(test_unknown_lists_the_path)
{
	struct mr_profile p;

	put("a/x/README", "x\n", false);
	search("a:b");
	test_capture_stderr();
	ck_assert_int_eq(profile_find("nosuch", &p), -ENOENT);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, "microrun: profile 'nosuch' not found in "), "%s", err);
	ck_assert_msg(strstr(err, at("a")) && strstr(err, at("b")), "%s", err);
	ck_assert_msg(strstr(err, at("microrun/profiles")), "%s", err);
	ck_assert_msg(strstr(err, "share/microrun/profiles"), "%s", err);

	test_capture_stderr();
	ck_assert_int_eq(profile_find("./nosuch", &p), -ENOTDIR);
	err = test_captured_stderr();
	ck_assert_msg(strstr(err, "profile ./nosuch: No such file"), "%s", err);
}
END_TEST

START_TEST(test_list_shows_each_name_once)
{
	char *text = NULL;
	size_t size = 0;

	put("a/one/README", "the first one\nmore\n", false);
	put("b/one/README", "the shadowed one\n", false);
	put("b/two/options", "-v\n", false);
	put("b/.hidden/README", "hidden\n", false);
	put("b/notadir", "", false);
	search("a:b");
	FILE *out = open_memstream(&text, &size);
	profile_list(out);
	fclose(out);
	char one[PATH_MAX + 64], two[PATH_MAX + 64];
	snprintf(one, sizeof(one), "one              the first one  [%s]\n", at("a"));
	snprintf(two, sizeof(two), "two              (no README)  [%s]\n", at("b"));
	ck_assert_msg(strstr(text, one), "%s", text);
	ck_assert_msg(strstr(text, two), "%s", text);
	ck_assert_msg(!strstr(text, "shadowed") && !strstr(text, "hidden") &&
		      !strstr(text, "notadir"), "%s", text);
	ck_assert_msg(strstr(text, "blockdev "), "%s", text);
	free(text);
}
END_TEST

static void assert_words(const struct arglist *a, const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++) {
		ck_assert_uint_gt(a->n, n);
		ck_assert_str_eq(a->v[n], want[n]);
	}
	ck_assert_uint_eq(a->n, n);
}

START_TEST(test_options_syntax)
{
	struct arglist words = { 0 };
	const char *const want[] = {
		"-m", "2G", "-a", "loglevel=7 quiet", "--memory=3G", "-v", "--rw", "/some dir",
		"-e", "A=b c", NULL,
	};

	ck_assert_int_eq(profile_parse_options("# a comment\n\n-m 2G\n  -a   loglevel=7 quiet  \n"
					       "--memory=3G\r\n\t# indented comment\n-v\n"
					       "--rw /some dir\n-e A=b c", "P/options", &words), 0);
	assert_words(&words, want);
	arglist_free(&words);
}
END_TEST

/* One line of options text is refused with a message naming WHERE:LINE. */
static void assert_line_refused(const char *text, const char *where, const char *why)
{
	struct arglist words = { 0 };

	test_capture_stderr();
	ck_assert_msg(profile_parse_options(text, "P/options", &words) == -EINVAL, "%s", text);
	const char *err = test_captured_stderr();
	ck_assert_msg(strncmp(err, "microrun: ", 10) == 0 && strstr(err, where) &&
		      strstr(err, why), "'%s' gave '%s'", text, err);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
	arglist_free(&words);
}

START_TEST(test_options_errors_name_file_and_line)
{
	assert_line_refused("-m 2G\nfoo\n", "P/options:2: ", "'foo' is not an option");
	assert_line_refused("# c\n\n-x\n", "P/options:3: ", "unknown option '-x'");
	assert_line_refused("--nosuch 1\n", "P/options:1: ", "unknown option '--nosuch'");
	assert_line_refused("-m\n", "P/options:1: ", "option '-m' needs a value");
	assert_line_refused("-v yes\n", "P/options:1: ", "-v takes no value");
	assert_line_refused("-m lots\n", "P/options:1: ", "-m: invalid value 'lots'");
	assert_line_refused("-p other\n", "P/options:1: ", "-p belongs on the command line");
	assert_line_refused("--list-profiles\n", "P/options:1: ", "--list-profiles belongs");
	assert_line_refused("--help\n", "P/options:1: ", "--help belongs");
	assert_line_refused("--\n", "P/options:1: ", "'--' is not an option");
	assert_line_refused("-\n", "P/options:1: ", "'-' is not an option");
}
END_TEST

START_TEST(test_options_file_read)
{
	put("a/p/options", "-c 2\n-c\n", false);
	search("a");
	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-p", "p", "-k", "k"), CLI_BAD_USAGE);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "microrun: %s:2: option '-c' needs a value", at("a/p/options"));
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, want), "%s", err);
}
END_TEST

/* A minimal ELF vmlinux naming RELEASE in its banner. */
static void put_kernel(void)
{
	uint8_t img[0x300] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	static const char banner[] = "Linux version " RELEASE " (test) #1";

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = 0x1000000;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x100, .p_paddr = 0x1000000,
			    .p_vaddr = 0x1000000, .p_filesz = 0x200, .p_memsz = 0x200 };
	memcpy(img + 0x180, banner, sizeof(banner));
	test_put_file(tmp, "vmlinux", img, sizeof(img));
}

START_TEST(test_merge_order)
{
	put("a/first/options", "-m 2G\n-d /x/a\n-a one\n-c 2\n-e V=first\n", false);
	put("a/second/options", "-m 3G\n-d /x/b,ro\n-a two\n-e V=second\n", false);
	search("a");
	char *argv[] = { "microrun", "-p", "first", "-p", "second", "-k", "vmlinux", "-m", "512M",
			 "-d", "/x/c", "-a", "three", "prog", "-m", "arg", NULL };
	ck_assert_int_eq(profile_merge_parse(16, argv, &cfg, &merged), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 512ULL << 20);
	ck_assert_uint_eq(cfg.ncpus, 2);
	ck_assert_uint_eq(cfg.ndisks, 3);
	ck_assert_str_eq(cfg.disks[0].path, "/x/a");
	ck_assert_str_eq(cfg.disks[1].path, "/x/b");
	ck_assert(cfg.disks[1].read_only);
	ck_assert_str_eq(cfg.disks[2].path, "/x/c");
	ck_assert_str_eq(cfg.append, "one two three");
	ck_assert_uint_eq(cfg.nenv, 2);
	ck_assert_str_eq(cfg.env[1], "V=second");
	ck_assert_int_eq(cfg.program_argc, 3);
	ck_assert_str_eq(cfg.program[0], "prog");
	ck_assert_str_eq(cfg.program[1], "-m");
	ck_assert_uint_eq(cfg.nprofiles, 2);
	ck_assert_str_eq(cfg.profiles[0].name, "first");
	ck_assert_str_eq(cfg.profiles[1].dir, at("a/second"));
}
END_TEST

START_TEST(test_kernel_from_a_profile)
{
	put("a/k/options", "-k /some/vmlinux\n", false);
	search("a");
	ck_assert_int_eq(PARSE_PROFILES("-p", "k"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "/some/vmlinux");
	ck_assert_int_eq(PARSE_PROFILES("-p", "k", "-k", "mine"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "mine");
	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-v"), CLI_BAD_USAGE);
	ck_assert_msg(strstr(test_captured_stderr(), "no kernel given"), "%s",
		      test_captured_stderr());
}
END_TEST

/* The host step writes its environment and whether the scratch directory
 * exists to files the test names with -e, and prints options. */
static const char host_script[] =
	"#!/bin/sh\n"
	"env > \"$RESULT\"\n"
	"pwd >> \"$RESULT\"\n"
	"test -d \"$MICRORUN_SCRATCH\" && echo scratch-exists >> \"$RESULT\"\n"
	"read line && echo stdin-not-empty >> \"$RESULT\"\n"
	"truncate -s 1M \"$MICRORUN_SCRATCH/disk\"\n"
	"echo '# made by the host step'\n"
	"echo \"-d $MICRORUN_SCRATCH/disk\"\n"
	"echo '-m 2G'\n";

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static char *slurp(const char *path)
{
	static char text[16384];
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

START_TEST(test_host_step_env_and_output)
{
	char line[PATH_MAX * 2], result[PATH_MAX + 16];

	put_kernel();
	put("a/hosted/host", host_script, true);
	put("a/hosted/options", "-d /x/first\n", false);
	put("cwd/.keep", "", false);
	search("a");
	ck_assert_int_eq(chdir(at("cwd")), 0);
	snprintf(result, sizeof(result), "RESULT=%s", at("result"));
	ck_assert_int_eq(PARSE_PROFILES("-p", "hosted", "-k", (char *)at("vmlinux"), "-e", result,
					"-e", "BLOCKDEV_COUNT=3", "-m", "1G", "-d", "/x/last", "prog"),
			 CLI_RUN);
	const char *env = slurp(at("result"));
	ck_assert_msg(has_line(env, "BLOCKDEV_COUNT=3"), "%s", env);
	snprintf(line, sizeof(line), "MICRORUN_KERNEL=%s", at("vmlinux"));
	ck_assert_msg(has_line(env, line), "%s", env);
	ck_assert_msg(has_line(env, "MICRORUN_KERNEL_RELEASE=" RELEASE), "%s", env);
	ck_assert_msg(has_line(env, "MICRORUN_PROFILE=hosted"), "%s", env);
	snprintf(line, sizeof(line), "MICRORUN_PROFILE_DIR=%s", at("a/hosted"));
	ck_assert_msg(has_line(env, line), "%s", env);
	snprintf(line, sizeof(line), "MICRORUN_SCRATCH=%s/microrun-", tmp);
	ck_assert_msg(strstr(env, line), "%s", env);
	snprintf(line, sizeof(line), "XDG_CONFIG_HOME=%s", tmp);
	ck_assert_msg(has_line(env, line), "the host's environment is passed: %s", env);
	ck_assert_msg(has_line(env, at("cwd")), "cwd: %s", env);
	ck_assert_msg(has_line(env, "scratch-exists"), "%s", env);
	ck_assert_msg(!has_line(env, "stdin-not-empty"), "%s", env);

	/* Its -d after the profile's options, before the command line's;
	 * the command line's -m wins over the step's. */
	ck_assert_uint_eq(cfg.ndisks, 3);
	ck_assert_str_eq(cfg.disks[0].path, "/x/first");
	ck_assert_msg(strstr(cfg.disks[1].path, "/microrun-") &&
		      strstr(cfg.disks[1].path, "/disk"), "%s", cfg.disks[1].path);
	ck_assert_str_eq(cfg.disks[2].path, "/x/last");
	ck_assert_uint_eq(cfg.mem_bytes, 1ULL << 30);
	ck_assert_str_eq(cfg.program[0], "prog");

	/* The scratch directory, with the disk, until removed. */
	ck_assert(profile_in_scratch(cfg.disks[1].path));
	ck_assert_int_eq(access(cfg.disks[1].path, F_OK), 0);
	profile_scratch_remove();
	ck_assert_int_ne(access(cfg.disks[1].path, F_OK), 0);
	ck_assert(!profile_in_scratch(cfg.disks[1].path));
	ck_assert_str_eq(test_run("ls -a \"$TMPDIR\" | grep -c microrun- || true"), "0\n");
	profile_scratch_remove(); /* again: nothing */
}
END_TEST

/* Each host step sees the -e pairs of the steps before it; all share one
 * scratch directory. */
START_TEST(test_host_steps_in_order)
{
	put_kernel();
	put("a/one/host", "#!/bin/sh\necho \"-e FROM_ONE=$MICRORUN_SCRATCH\"\n", true);
	put("a/two/host", "#!/bin/sh\necho \"-e SEEN=$FROM_ONE,$MICRORUN_SCRATCH\"\n", true);
	search("a");
	ck_assert_int_eq(PARSE_PROFILES("-p", "one", "-p", "two", "-k", (char *)at("vmlinux"),
					"prog"), CLI_RUN);
	ck_assert_uint_eq(cfg.nenv, 2);
	const char *scratch = cfg.env[0] + strlen("FROM_ONE=");
	char want[PATH_MAX * 3];
	snprintf(want, sizeof(want), "SEEN=%s,%s", scratch, scratch);
	ck_assert_str_eq(cfg.env[1], want);
}
END_TEST

static void assert_host_fails(const char *script, bool exec, const char *why)
{
	put_kernel();
	put("a/bad/host", script, exec);
	search("a");
	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-p", "bad", "-k", (char *)at("vmlinux")), CLI_PROFILE_FAILED);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, why), "'%s' not in '%s'", why, err);
	profile_scratch_remove();
	ck_assert_str_eq(test_run("ls \"$TMPDIR\" | grep -c microrun- || true"), "0\n");
}

START_TEST(test_host_step_failure_named)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "microrun: profile 'bad': host step %s exited with status 3",
		 at("a/bad/host"));
	assert_host_fails("#!/bin/sh\ntouch \"$MICRORUN_SCRATCH/x\"\nexit 3\n", true, want);
	assert_host_fails("#!/bin/sh\nkill -TERM $$\n", true, "was killed by signal 15");
	assert_host_fails("#!/bin/sh\n", false, "is not executable (chmod +x it)");
	snprintf(want, sizeof(want), "microrun: %s (stdout):2: 'oops' is not an option",
		 at("a/bad/host"));
	assert_host_fails("#!/bin/sh\necho -v\necho oops\n", true, want);
	assert_host_fails("#!/bin/sh\nmkdir \"$MICRORUN_SCRATCH/d\"\necho \"--9p $MICRORUN_SCRATCH/d\"\n",
			  true, "the scratch directory is removed before the guest starts");
}
END_TEST

/* The host step `script` of profile 'left', with -e ORPHAN=TMP/orphan;
 * what profile_merge_parse() made of it. */
static enum cli_outcome run_leaving(const char *script)
{
	char orphan[PATH_MAX + 16];

	put_kernel();
	put("a/left/host", script, true);
	search("a");
	snprintf(orphan, sizeof(orphan), "ORPHAN=%s", at("orphan"));
	return PARSE_PROFILES("-p", "left", "-e", orphan, "-k", (char *)at("vmlinux"), "prog");
}

/* The process whose PID the step wrote to TMP/orphan is gone: ended, and
 * reaped by microrun (a process still running, or any other's zombie, is
 * there for kill()). */
static void assert_orphan_ended(void)
{
	pid_t pid = atoi(slurp(at("orphan")));

	ck_assert_int_gt(pid, 0);
	ck_assert_msg(kill(pid, 0) < 0 && errno == ESRCH, "process %d left running", (int)pid);
}

/* A step that leaves a process holding its stdout: what it printed until
 * it exited is read, microrun does not wait for the pipe's end, and the
 * process is ended. */
START_TEST(test_host_step_leftover_holding_stdout)
{
	ck_assert_int_eq(run_leaving("#!/bin/sh\n"
				     "sleep 60 &\n"
				     "echo $! > \"$ORPHAN\"\n"
				     "echo '-m 2G'\n"), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 2ULL << 30);
	assert_orphan_ended();
}
END_TEST

/* Detached (its own session, stdout elsewhere) and a grandchild whose
 * parent exited: ended all the same. */
START_TEST(test_host_step_detached_leftover)
{
	ck_assert_int_eq(run_leaving("#!/bin/sh\n"
				     "( setsid sleep 60 < /dev/null > /dev/null 2>&1 &\n"
				     "  echo $! > \"$ORPHAN\" )\n"), CLI_RUN);
	assert_orphan_ended();
}
END_TEST

/* Signals: microrun's ending signals blocked, as main() does; the mask
 * before in `saved`. */
static sigset_t saved_mask;

static void block_signals(void)
{
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &saved_mask), 0);
	ck_assert_int_eq(supervisor_block_signals(), 0);
}

/* Takes a pending `sig`, as main() would have, and restores the mask. */
static void take_signal(int sig)
{
	sigset_t one;
	const struct timespec now = { 0 };

	sigemptyset(&one);
	sigaddset(&one, sig);
	ck_assert_int_eq(sigtimedwait(&one, NULL, &now), sig);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &saved_mask, NULL), 0);
}

/* A SIGINT sent to microrun (not by the terminal, which signals the step
 * too) is passed on to the step, which here ignores it and sends microrun
 * a SIGTERM: the second ending signal kills it. The first stays pending,
 * for main() to end with; the step's leftover is ended. */
START_TEST(test_host_step_signals_passed_on)
{
	block_signals();
	test_capture_stderr();
	ck_assert_int_eq(run_leaving("#!/bin/sh\n"
				     "trap 'kill -TERM $PPID' INT\n"
				     "sleep 60 &\n"
				     "echo $! > \"$ORPHAN\"\n"
				     "kill -INT $PPID\n"
				     "while :; do wait; done\n"), CLI_PROFILE_FAILED);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, "was killed by signal 9"), "%s", err);
	ck_assert_int_eq(supervisor_pending_signal(), SIGINT);
	take_signal(SIGINT);
	assert_orphan_ended();
}
END_TEST

/* A step that exits 0 on the signal still ends the run; and an ending
 * signal already pending runs no step. */
START_TEST(test_host_step_after_a_signal)
{
	block_signals();
	ck_assert_int_eq(run_leaving("#!/bin/sh\n"
				     "trap 'echo $$ > \"$ORPHAN\"; exit 0' TERM\n"
				     "kill -TERM $PPID\n"
				     "while :; do sleep 60 & wait $!; done\n"), CLI_PROFILE_FAILED);
	assert_orphan_ended();
	ck_assert_int_eq(supervisor_pending_signal(), SIGTERM);
	ck_assert_int_eq(unlink(at("orphan")), 0);
	ck_assert_int_eq(run_leaving("#!/bin/sh\necho $$ > \"$ORPHAN\"\n"), CLI_PROFILE_FAILED);
	ck_assert_int_ne(access(at("orphan"), F_OK), 0);
	take_signal(SIGTERM);
}
END_TEST

/* More than 64 KiB of output: refused as such, whatever the step then does
 * with its pipe gone. */
START_TEST(test_host_step_output_too_long)
{
	test_capture_stderr();
	ck_assert_int_eq(run_leaving("#!/bin/sh\nyes '# more' | head -c 70000\n"), CLI_PROFILE_FAILED);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, "printed more than 64 KiB"), "%s", err);
}
END_TEST

/* The PID of a process that has been and gone. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* TMP/microrun-scratch.PID.SPACE.SUFFIX, a directory if `dir`, else a file;
 * four at a time. */
static const char *scratch_like(pid_t pid, const char *space, const char *suffix, bool dir)
{
	static char path[4][PATH_MAX * 2];
	static unsigned next;
	char *p = path[next++ % 4];
	const size_t base = strlen(tmp) + 1;

	snprintf(p, sizeof(path[0]), "%s/microrun-scratch.%d.%s.%s", tmp, (int)pid, space, suffix);
	if (dir)
		ck_assert_int_eq(mkdir(p, 0700), 0);
	else
		test_put_file(tmp, p + base, "", 0);
	return p;
}

/* A scratch directory is named for its run, microrun-scratch.PID.SPACE.XXXXXX
 * (SPACE: which PID namespace, on which boot). Those of runs that are gone
 * (a SIGKILL leaves them) are removed when a run next makes one, with -v
 * saying so; a live run's, another PID namespace's, what is no directory,
 * and what a symlink in a removed one points to, stay. */
START_TEST(test_stale_scratch_removed)
{
	char space[64], file[PATH_MAX * 2];
	int pid, end = 0;

	put_kernel();
	put("a/s/host", "#!/bin/sh\necho \"-e S=$MICRORUN_SCRATCH\"\n", true);
	put("target", "kept\n", false);
	search("a");
	ck_assert_int_eq(PARSE_PROFILES("-p", "s", "-k", (char *)at("vmlinux"), "prog"), CLI_RUN);
	const char *name = strrchr(cfg.env[0], '/') + 1;
	ck_assert_msg(sscanf(name, "microrun-scratch.%d.%63[^.].%n", &pid, space, &end) == 2 &&
		      end && strlen(name + end) == 6, "%s", name);
	ck_assert_int_eq(pid, getpid());
	profile_scratch_remove();

	pid_t gone = gone_pid();
	const char *stale = scratch_like(gone, space, "AbCdEf", true);
	const char *live = scratch_like(getppid(), space, "AbCdEf", true);
	const char *other = scratch_like(gone, "1-0", "AbCdEf", true);
	const char *plain = scratch_like(gone, space, "FiLeXy", false);
	test_put_file(stale, "sub/file", "x", 1);
	snprintf(file, sizeof(file), "%s/link", stale);
	ck_assert_int_eq(symlink(at("target"), file), 0);

	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-v", "-p", "s", "-k", (char *)at("vmlinux"), "prog"), CLI_RUN);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, stale), "%s", err);
	ck_assert_int_ne(access(stale, F_OK), 0);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	ck_assert_int_eq(access(plain, F_OK), 0);
	ck_assert_str_eq(slurp(at("target")), "kept\n");
	profile_scratch_remove();
}
END_TEST

/* A host step needs a kernel, and one that exists. */
START_TEST(test_host_step_needs_a_kernel)
{
	put("a/h/host", "#!/bin/sh\ntouch \"$RESULT\"\n", true);
	search("a");
	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-p", "h"), CLI_BAD_USAGE);
	ck_assert_msg(strstr(test_captured_stderr(), "no kernel given"), "%s",
		      test_captured_stderr());
	test_capture_stderr();
	ck_assert_int_eq(PARSE_PROFILES("-p", "h", "-k", (char *)at("nosuch")), CLI_ERROR);
	ck_assert_msg(strstr(test_captured_stderr(), "cannot open kernel"), "%s",
		      test_captured_stderr());
}
END_TEST

Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("discovery");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_search_path_order);
	tcase_add_test(tc, test_home_config_without_xdg);
	tcase_add_test(tc, test_checkout_profiles_last);
	tcase_add_test(tc, test_directory_given_as_path);
	tcase_add_test(tc, test_unknown_lists_the_path);
	tcase_add_test(tc, test_list_shows_each_name_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_options_syntax);
	tcase_add_test(tc, test_options_errors_name_file_and_line);
	tcase_add_test(tc, test_options_file_read);
	tcase_add_test(tc, test_merge_order);
	tcase_add_test(tc, test_kernel_from_a_profile);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_step_env_and_output);
	tcase_add_test(tc, test_host_steps_in_order);
	tcase_add_test(tc, test_host_step_failure_named);
	tcase_add_test(tc, test_host_step_needs_a_kernel);
	tcase_add_test(tc, test_host_step_leftover_holding_stdout);
	tcase_add_test(tc, test_host_step_detached_leftover);
	tcase_add_test(tc, test_host_step_signals_passed_on);
	tcase_add_test(tc, test_host_step_after_a_signal);
	tcase_add_test(tc, test_host_step_output_too_long);
	tcase_add_test(tc, test_stale_scratch_removed);
	suite_add_tcase(s, tc);
	return s;
}
