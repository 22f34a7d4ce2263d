/* Minimal TAP producer for the unit tests, read by automake's tap-driver.sh. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool __attribute__((format(printf, 5, 0)))
tap_vok(bool pass, const char *file, int line, const char *expr, const char *fmt, va_list ap)
{
        printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
        vprintf(fmt, ap);
        printf("\n");
        if (!pass) {
                tap_failed++;
                printf("#   failed at %s:%d: %s\n", file, line, expr);
        }
        return pass;
}

static inline bool __attribute__((format(printf, 5, 6)))
tap_ok(bool pass, const char *file, int line, const char *expr, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        pass = tap_vok(pass, file, line, expr, fmt, ap);
        va_end(ap);
        return pass;
}

static inline void __attribute__((format(printf, 5, 6)))
tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
        bool pass = got && want && strcmp(got, want) == 0;
        va_list ap;

        va_start(ap, fmt);
        if (!tap_vok(pass, file, line, "strings equal", fmt, ap))
                printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)", want);
        va_end(ap);
}

#define ok(cond, ...)          tap_ok((cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
