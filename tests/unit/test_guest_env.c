/* Unit tests for the program's environment in the guest: which host
 * variables pass, -e assignments and their validation, replacement. */
#include <errno.h>
#include <stdlib.h>

#include "src/guest_env.h"
#include "tests/unit/suites.h"

static char *host[] = {
	"SHELL=/bin/bash", "PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", "TERM=xterm",
	"HOME=/home/u", "USER=u", "SSH_AUTH_SOCK=/tmp/agent", "PATHX=no", "LD_PRELOAD=x.so", NULL,
};
static const char **env;
static unsigned n;

static void teardown(void)
{
	free(env);
	env = NULL;
}

static void assert_env(const char *const *want, unsigned count)
{
	ck_assert_uint_eq(n, count);
	for (unsigned i = 0; i < count; i++)
		ck_assert_str_eq(env[i], want[i]);
	ck_assert_ptr_null(env[count]);
}

START_TEST(test_passed_host_variables_only)
{
	const char *want[] = { "PATH=/usr/local/bin:/usr/bin", "HOME=/home/u", "TERM=xterm",
			       "LANG=C.UTF-8", "USER=u" };
	ck_assert_int_eq(guest_env_build(host, NULL, 0, &env, &n), 0);
	assert_env(want, 5);
}
END_TEST

START_TEST(test_unset_host_variables_absent)
{
	char *sparse[] = { "TERM=dumb", "OTHER=1", NULL };
	const char *want[] = { "TERM=dumb" };
	ck_assert_int_eq(guest_env_build(sparse, NULL, 0, &env, &n), 0);
	assert_env(want, 1);
	teardown();
	ck_assert_int_eq(guest_env_build(NULL, NULL, 0, &env, &n), 0);
	assert_env(want, 0);
}
END_TEST

START_TEST(test_assignments_added_and_replacing)
{
	const char *assign[] = { "FOO=bar baz", "TERM=vt100", "EMPTY=", "FOO=last", "A_1=x=y" };
	const char *want[] = { "PATH=/usr/local/bin:/usr/bin", "HOME=/home/u", "TERM=vt100",
			       "LANG=C.UTF-8", "USER=u", "FOO=last", "EMPTY=", "A_1=x=y" };
	ck_assert_int_eq(guest_env_build(host, assign, 5, &env, &n), 0);
	assert_env(want, 8);
}
END_TEST

START_TEST(test_bad_assignments_refused)
{
	const char *bad[] = { "NOEQUALS", "=value", "1ABC=x", "A-B=x", "A B=x", "" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(guest_env_check(bad[i]), -EINVAL);
		ck_assert_int_eq(guest_env_build(host, &bad[i], 1, &env, &n), -EINVAL);
		ck_assert_ptr_null(env);
	}
	ck_assert_int_eq(guest_env_check("_=x"), 0);
	ck_assert_int_eq(guest_env_check("a9="), 0);
}
END_TEST

Suite *guest_env_suite(void)
{
	Suite *s = suite_create("guest_env");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_passed_host_variables_only);
	tcase_add_test(tc, test_unset_host_variables_absent);
	tcase_add_test(tc, test_assignments_added_and_replacing);
	tcase_add_test(tc, test_bad_assignments_refused);
	suite_add_tcase(s, tc);
	return s;
}
