/* Shared by the cmocka unit tests. */
#ifndef KETA_TEST_H
#define KETA_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

/*
 * assert_close(actual, expected, rtol, atol): |actual - expected| <= atol + rtol * |expected|.
 * cmocka 1.1.5 has only a float comparison, so doubles get this one.
 */
#define assert_close(actual, expected, rtol, atol) \
    keta_test_assert_close((actual), (expected), (rtol), (atol), #actual, __FILE__, __LINE__)

static inline void keta_test_assert_close(double actual, double expected, double rtol, double atol,
                                          const char *expr, const char *file, int line)
{
    double tol = atol + rtol * fabs(expected);
    if (!(fabs(actual - expected) <= tol)) {
        char msg[256];
        (void)snprintf(msg, sizeof msg, "%s = %.12g, expected %.12g within %.3g", expr, actual,
                       expected, tol);
        _assert_true(0, msg, file, line);
    }
}

#endif
