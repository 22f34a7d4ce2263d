/* The tar-split record's format, shared by its writer and its reader (see tar-split.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#define STORAGE_TAR_SPLIT_MAGIC     "RCTRTS1\n"
#define STORAGE_TAR_SPLIT_MAGIC_LEN 8
/* The most one verbatim record holds: the writer flushes at 64 KiB, a reader takes up to this. */
#define STORAGE_TAR_SPLIT_SEG_MAX (1024u * 1024)

static inline void storage_tar_split_put_le(unsigned char *p, uint64_t v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t storage_tar_split_get_le(const unsigned char *p, size_t n)
{
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        return v;
}

static inline void storage_tar_split_gz_closep(gzFile *gz)
{
        if (*gz)
                (void)gzclose(*gz);
}
