/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal checks for the unit tests: each failed check prints where and what, the test keeps
 * going, and test_exit_status() turns the count into the exit status meson reads. */

#include <stdio.h>
#include <string.h>

static unsigned test_failed_checks;

#define CHECK(cond)                                                                     \
        do {                                                                            \
                if (!(cond)) {                                                          \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        test_failed_checks++;                                           \
                }                                                                       \
        } while (0)

#define CHECK_STREQ(actual, expected)                                                   \
        do {                                                                            \
                const char *_a = (actual), *_e = (expected);                            \
                if (!_a || !_e || strcmp(_a, _e) != 0) {                                \
                        fprintf(stderr, "%s:%d: %s\n  expected: \"%s\"\n  actual:   \"%s\"\n", \
                                __FILE__, __LINE__, #actual, _e ? _e : "(null)", _a ? _a : "(null)"); \
                        test_failed_checks++;                                           \
                }                                                                       \
        } while (0)

#define CHECK_INTEQ(actual, expected)                                                   \
        do {                                                                            \
                long long _a = (actual), _e = (expected);                               \
                if (_a != _e) {                                                         \
                        fprintf(stderr, "%s:%d: %s: expected %lld, got %lld\n",         \
                                __FILE__, __LINE__, #actual, _e, _a);                   \
                        test_failed_checks++;                                           \
                }                                                                       \
        } while (0)

static inline int test_exit_status(void) {
        if (test_failed_checks > 0)
                fprintf(stderr, "%u check(s) failed\n", test_failed_checks);
        return test_failed_checks > 0 ? 1 : 0;
}
