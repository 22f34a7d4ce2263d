#include <config.h>
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "xalloc.h"

static char empty_data[1];

void buf_init(struct buf *b, size_t max)
{
        b->data = empty_data;
        b->len = 0;
        b->cap = 0;
        b->max = max;
}

void buf_free(struct buf *b)
{
        if (b->cap)
                free(b->data);
        buf_init(b, b->max);
}

static void buf_reserve(struct buf *b, size_t extra)
{
        size_t need;

        if (__builtin_add_overflow(b->len, extra + 1, &need))
                xalloc_die();
        if (need <= b->cap)
                return;
        if (need < 64)
                need = 64;
        if (need < b->cap * 2)
                need = b->cap * 2;
        b->data = b->cap ? xrealloc(b->data, need) : memcpy(xmalloc(need), "", 1);
        b->cap = need;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
        if (b->max && (len > b->max || b->len > b->max - len))
                return -EFBIG;
        buf_reserve(b, len);
        memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
        cleanup_free char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                xalloc_die();
        return buf_append(b, text, (size_t)n);
}

char *buf_detach(struct buf *b)
{
        char *p = b->cap ? b->data : xstrdup("");

        buf_init(b, b->max);
        return p;
}
