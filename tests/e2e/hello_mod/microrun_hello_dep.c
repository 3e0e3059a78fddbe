// SPDX-License-Identifier: GPL-2.0
/* Needs microrun_hello_base (a symbol of it), so it loads only after it.
 * Publishes what the base's function returned as a read-only parameter:
 * /sys/module/microrun_hello_dep/parameters/answer reads 42. */
#include <linux/init.h>
#include <linux/module.h>

int microrun_hello_answer(void);

static int answer;
module_param(answer, int, 0444);
MODULE_PARM_DESC(answer, "what microrun_hello_base answered (read-only)");

static int __init hello_dep_init(void)
{
	answer = microrun_hello_answer();
	pr_info("microrun_hello_dep: microrun_hello_base answered %d\n", answer);
	return 0;
}

static void __exit hello_dep_exit(void)
{
}

module_init(hello_dep_init);
module_exit(hello_dep_exit);
MODULE_DESCRIPTION("microrun e2e test module: depends on microrun_hello_base");
MODULE_LICENSE("GPL");
