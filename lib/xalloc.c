#include <config.h>
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xalloc_die(void)
{
        static const char msg[] = "rctr: out of memory\n";

        /* write(2), not stdio: stdio itself may need memory. */
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t size)
{
        void *p = malloc(size ? size : 1);

        if (!p)
                xalloc_die();
        return p;
}

void *xzalloc(size_t size)
{
        void *p = calloc(1, size ? size : 1);

        if (!p)
                xalloc_die();
        return p;
}

void *xrealloc(void *p, size_t size)
{
        void *q = realloc(p, size ? size : 1);

        if (!q)
                xalloc_die();
        return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
        size_t total;

        if (__builtin_mul_overflow(n, size, &total))
                xalloc_die();
        return xrealloc(p, total);
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);

        if (!p)
                xalloc_die();
        return p;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);

        if (!p)
                xalloc_die();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                xalloc_die();
        return p;
}
