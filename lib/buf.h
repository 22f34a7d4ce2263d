/*
 * Growable byte buffer. data is never NULL and always NUL-terminated (git's strbuf invariant);
 * every buffer filled from outside has a cap (max), and going past it is -EFBIG.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct buf {
        char *data; /* owned; never NULL after buf_init() */
        size_t len;
        size_t cap;
        size_t max; /* 0 = no cap (only for text we produce ourselves) */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Append bytes; returns 0 or -EFBIG when the cap would be exceeded (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string over to the caller and leave b empty. */
char *buf_detach(struct buf *b);

static inline void buf_freep(struct buf *b)
{
        buf_free(b);
}
#define cleanup_buf __attribute__((cleanup(buf_freep)))
