/* Every unit-test suite, listed once; tests/unit/main.c runs them all. */
#ifndef MR_TEST_SUITES_H
#define MR_TEST_SUITES_H

#include <check.h>

Suite *uart16550_suite(void);
Suite *mptable_suite(void);

#endif
