/* Unit tests for the kernel command line: which parameters the user's text
 * already sets, and the defaults added in front of it. */
#include <stdlib.h>
#include <string.h>

#include "src/cmdline.h"
#include "tests/unit/suites.h"


/* What microrun itself passes. */
static const char *const defaults[] = { "console=ttyS0", "panic=-1", NULL };

/* cmdline_compose must give exactly `expected`. */
static void assert_composed(const char *user, const char *const *defs, const char *expected)
{
	char *got = cmdline_compose(user, defs);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, expected) == 0, "user '%s': got '%s', want '%s'",
		      user, got, expected);
	free(got);
}

START_TEST(test_has_param_key_with_value)
{
	ck_assert(cmdline_has_param("console=ttyS0", "console"));
	ck_assert(cmdline_has_param("quiet console=ttyS0 root=/dev/vda", "console"));
	ck_assert(cmdline_has_param("quiet console=", "console"));
}
END_TEST

START_TEST(test_has_param_value_mentioning_key_is_not_the_key)
{
	ck_assert(!cmdline_has_param("earlyprintk=serial,ttyS0", "console"));
	ck_assert(!cmdline_has_param("earlyprintk=serial,ttyS0", "ttyS0"));
	ck_assert(!cmdline_has_param("root=console", "console"));
	ck_assert(!cmdline_has_param("init=/bin/sh", "sh"));
}
END_TEST

START_TEST(test_has_param_prefix_is_not_the_key)
{
	ck_assert(!cmdline_has_param("consoleblank=0", "console"));
	ck_assert(!cmdline_has_param("panic_on_warn=1", "panic"));
	ck_assert(!cmdline_has_param("cons=1", "console"));
}
END_TEST

START_TEST(test_has_param_bare_flag)
{
	ck_assert(cmdline_has_param("quiet", "quiet"));
	ck_assert(cmdline_has_param("ro quiet splash", "quiet"));
	ck_assert(!cmdline_has_param("quietly", "quiet"));
	ck_assert(!cmdline_has_param("ro splash", "quiet"));
}
END_TEST

START_TEST(test_has_param_ignores_words_after_double_dash)
{
	ck_assert(!cmdline_has_param("root=/dev/vda -- console=ttyS0", "console"));
	ck_assert(!cmdline_has_param("-- quiet", "quiet"));
	ck_assert(cmdline_has_param("root=/dev/vda -- console=ttyS0", "root"));
}
END_TEST

/* Only the bare word "--" ends the kernel's part. */
START_TEST(test_has_param_longer_dashes_are_words)
{
	ck_assert(cmdline_has_param("--foo console=ttyS0", "console"));
	ck_assert(cmdline_has_param("--- console=ttyS0", "console"));
}
END_TEST

START_TEST(test_has_param_whitespace_separators)
{
	ck_assert(cmdline_has_param("   console=ttyS0   ", "console"));
	ck_assert(cmdline_has_param("quiet\tconsole=ttyS0", "console"));
	ck_assert(cmdline_has_param("quiet\nconsole=ttyS0", "console"));
	ck_assert(!cmdline_has_param("quiet\t--\tconsole=ttyS0", "console"));
}
END_TEST

START_TEST(test_has_param_empty_text)
{
	ck_assert(!cmdline_has_param("", "console"));
	ck_assert(!cmdline_has_param("   ", "console"));
}
END_TEST

START_TEST(test_compose_defaults_before_user_text)
{
	assert_composed("root=/dev/vda quiet", defaults, "console=ttyS0 panic=-1 root=/dev/vda quiet");
}
END_TEST

START_TEST(test_compose_keeps_order_of_defaults)
{
	static const char *const reversed[] = { "panic=-1", "console=ttyS0", NULL };

	assert_composed("quiet", reversed, "panic=-1 console=ttyS0 quiet");
}
END_TEST

START_TEST(test_compose_empty_user_text)
{
	assert_composed("", defaults, "console=ttyS0 panic=-1");
}
END_TEST

START_TEST(test_compose_skips_default_the_user_set)
{
	assert_composed("console=hvc0 quiet", defaults, "panic=-1 console=hvc0 quiet");
	assert_composed("quiet panic=5", defaults, "console=ttyS0 quiet panic=5");
}
END_TEST

START_TEST(test_compose_user_sets_everything)
{
	assert_composed("panic=0 console=tty0", defaults, "panic=0 console=tty0");
}
END_TEST

START_TEST(test_compose_adds_default_only_set_after_double_dash)
{
	assert_composed("quiet -- console=x", defaults, "console=ttyS0 panic=-1 quiet -- console=x");
}
END_TEST

START_TEST(test_compose_prefix_does_not_count_as_set)
{
	assert_composed("consoleblank=0", defaults, "console=ttyS0 panic=-1 consoleblank=0");
}
END_TEST

START_TEST(test_compose_no_defaults)
{
	static const char *const none[] = { NULL };

	assert_composed("", none, "");
	assert_composed("quiet", none, "quiet");
}
END_TEST

START_TEST(test_param_is_exact_value)
{
	ck_assert(cmdline_param_is("quiet acpi=off", "acpi", "off"));
	ck_assert(!cmdline_param_is("acpi=offline", "acpi", "off"));
	ck_assert(!cmdline_param_is("acpi=of", "acpi", "off"));
	ck_assert(!cmdline_param_is("acpi", "acpi", "off"));
	ck_assert(!cmdline_param_is("acpi=", "acpi", "off"));
	ck_assert(!cmdline_param_is("noacpi=off", "acpi", "off"));
	ck_assert(!cmdline_param_is("", "acpi", "off"));
}
END_TEST

START_TEST(test_param_is_the_last_setting)
{
	ck_assert(!cmdline_param_is("acpi=off acpi=force", "acpi", "off"));
	ck_assert(cmdline_param_is("acpi=force acpi=off", "acpi", "off"));
	ck_assert(!cmdline_param_is("quiet -- acpi=off", "acpi", "off"));
	ck_assert(cmdline_param_is("acpi=off -- acpi=force", "acpi", "off"));
}
END_TEST

/* Which console= the kernel gets: any hvc one makes the virtio console,
 * the last one is /dev/console. */
START_TEST(test_value_use_last_console_wins)
{
	const unsigned both = CMDLINE_VALUE_SOME | CMDLINE_VALUE_LAST;

	ck_assert_uint_eq(cmdline_value_use("console=hvc0", "console", "hvc"), both);
	ck_assert_uint_eq(cmdline_value_use("quiet console=ttyS0 console=hvc0", "console", "hvc"), both);
	ck_assert_uint_eq(cmdline_value_use("console=hvc0 console=ttyS0", "console", "hvc"),
			  CMDLINE_VALUE_SOME);
	ck_assert_uint_eq(cmdline_value_use("console=ttyS0", "console", "hvc"), 0);
	ck_assert_uint_eq(cmdline_value_use("", "console", "hvc"), 0);
}
END_TEST

START_TEST(test_value_use_needs_the_key_and_the_prefix)
{
	ck_assert_uint_eq(cmdline_value_use("earlycon=hvc0 console", "console", "hvc"), 0);
	ck_assert_uint_eq(cmdline_value_use("console= consoles=hvc0", "console", "hvc"), 0);
	ck_assert_uint_eq(cmdline_value_use("console=hv", "console", "hvc"), 0);
	ck_assert_uint_eq(cmdline_value_use("console=hvc0 -- console=ttyS0", "console", "hvc"),
			  CMDLINE_VALUE_SOME | CMDLINE_VALUE_LAST);
	ck_assert_uint_eq(cmdline_value_use("root=/dev/vda -- console=hvc0", "console", "hvc"), 0);
}
END_TEST

Suite *cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("has_param");

	tcase_add_test(tc, test_has_param_key_with_value);
	tcase_add_test(tc, test_has_param_value_mentioning_key_is_not_the_key);
	tcase_add_test(tc, test_has_param_prefix_is_not_the_key);
	tcase_add_test(tc, test_has_param_bare_flag);
	tcase_add_test(tc, test_has_param_ignores_words_after_double_dash);
	tcase_add_test(tc, test_has_param_longer_dashes_are_words);
	tcase_add_test(tc, test_has_param_whitespace_separators);
	tcase_add_test(tc, test_has_param_empty_text);
	tcase_add_test(tc, test_param_is_exact_value);
	tcase_add_test(tc, test_param_is_the_last_setting);
	suite_add_tcase(s, tc);

	tc = tcase_create("compose");
	tcase_add_test(tc, test_compose_defaults_before_user_text);
	tcase_add_test(tc, test_compose_keeps_order_of_defaults);
	tcase_add_test(tc, test_compose_empty_user_text);
	tcase_add_test(tc, test_compose_skips_default_the_user_set);
	tcase_add_test(tc, test_compose_user_sets_everything);
	tcase_add_test(tc, test_compose_adds_default_only_set_after_double_dash);
	tcase_add_test(tc, test_compose_prefix_does_not_count_as_set);
	tcase_add_test(tc, test_compose_no_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("value_use");
	tcase_add_test(tc, test_value_use_last_console_wins);
	tcase_add_test(tc, test_value_use_needs_the_key_and_the_prefix);
	suite_add_tcase(s, tc);
	return s;
}
