// SPDX-License-Identifier: GPL-2.0
/* The base of the e2e suite's test modules: exports one function for
 * microrun_hello_dep and says it loaded. */
#include <linux/init.h>
#include <linux/module.h>

/* Shown at /sys/module/microrun_hello_base/parameters/greeting. */
static char *greeting = "hello from microrun_hello_base";
module_param(greeting, charp, 0444);
MODULE_PARM_DESC(greeting, "the line the module logs when loaded");

int microrun_hello_answer(void)
{
	return 42;
}
EXPORT_SYMBOL_GPL(microrun_hello_answer);

static int __init hello_base_init(void)
{
	pr_info("microrun_hello_base: %s\n", greeting);
	return 0;
}

static void __exit hello_base_exit(void)
{
}

module_init(hello_base_init);
module_exit(hello_base_exit);
MODULE_DESCRIPTION("microrun e2e test module: exports microrun_hello_answer");
MODULE_LICENSE("GPL");
