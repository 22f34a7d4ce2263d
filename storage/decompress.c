#include <config.h>
#include "decompress.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

enum gzip_state {
        GZIP_START,     /* no byte seen yet */
        GZIP_IN_MEMBER, /* inside a member: its end (trailer included) is still to come */
        GZIP_BETWEEN,   /* a member ended; another may follow */
};

struct storage_decompress {
        enum storage_compression format; /* AUTO until the magic was seen */
        storage_decompress_out_fn out;
        void *ctx;
        bool failed;

        /* AUTO: the first bytes, held back until they tell the format */
        unsigned char magic[4];
        size_t n_magic;

        z_stream z;
        bool z_ready;
        enum gzip_state gz;

        ZSTD_DStream *zs;
        size_t zstd_hint; /* ZSTD_decompressStream's last answer: 0 = a frame just ended */

        unsigned char obuf[STORAGE_DECOMPRESS_CHUNK];
};

static const unsigned char gzip_magic[] = {0x1f, 0x8b};
static const unsigned char zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

const char *storage_compression_name(enum storage_compression c)
{
        switch (c) {
        case STORAGE_COMPRESSION_NONE:
                return "none";
        case STORAGE_COMPRESSION_GZIP:
                return "gzip";
        case STORAGE_COMPRESSION_ZSTD:
                return "zstd";
        case STORAGE_COMPRESSION_AUTO:
                return "auto";
        }
        return "unknown";
}

enum storage_compression storage_compression_detect(const void *data, size_t len)
{
        if (len >= sizeof(gzip_magic) && memcmp(data, gzip_magic, sizeof(gzip_magic)) == 0)
                return STORAGE_COMPRESSION_GZIP;
        if (len >= sizeof(zstd_magic) && memcmp(data, zstd_magic, sizeof(zstd_magic)) == 0)
                return STORAGE_COMPRESSION_ZSTD;
        return STORAGE_COMPRESSION_NONE;
}

/* Set up the decoder once the format is known. */
static void decoder_init(struct storage_decompress *d)
{
        if (d->format == STORAGE_COMPRESSION_GZIP) {
                /* 16 + 15: gzip framing only (no zlib or raw deflate), the largest window */
                if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
                        xalloc_die(); /* only allocation fails for valid arguments */
                d->z_ready = true;
        } else if (d->format == STORAGE_COMPRESSION_ZSTD) {
                /*
                 * zstd's default ZSTD_d_windowLogMax (27) stays: a frame asking for a window
                 * over 128 MiB is refused, which bounds what a hostile blob makes us allocate.
                 */
                d->zs = ZSTD_createDStream();
                if (!d->zs)
                        xalloc_die();
                d->zstd_hint = 1; /* no frame yet: ending now would be truncation */
        }
}

struct storage_decompress *storage_decompress_new(enum storage_compression c,
                                                  storage_decompress_out_fn out, void *ctx)
{
        struct storage_decompress *d = xzalloc(sizeof(*d));

        d->format = c;
        d->out = out;
        d->ctx = ctx;
        decoder_init(d);
        return d;
}

void storage_decompress_free(struct storage_decompress *d)
{
        if (!d)
                return;
        if (d->z_ready)
                inflateEnd(&d->z);
        ZSTD_freeDStream(d->zs);
        free(d);
}

enum storage_compression storage_decompress_format(const struct storage_decompress *d)
{
        return d->format;
}

static int gzip_feed(struct storage_decompress *d, const void *data, size_t len,
                     struct rctr_error *err)
{
        int zr = Z_OK;

        d->z.next_in = (Bytef *)data;
        d->z.avail_in = (uInt)len;
        /* inflate may keep output back when obuf fills: go on until it has none */
        while (d->z.avail_in > 0 || (zr == Z_OK && d->z.avail_out == 0)) {
                size_t n;
                int r;

                if (d->gz == GZIP_BETWEEN) {
                        if (d->z.avail_in == 0)
                                break;
                        /* the next member of a multi-member stream (pigz, concatenated) */
                        (void)inflateReset(&d->z);
                }
                d->gz = GZIP_IN_MEMBER;
                d->z.next_out = d->obuf;
                d->z.avail_out = sizeof(d->obuf);
                zr = inflate(&d->z, Z_NO_FLUSH);
                if (zr == Z_MEM_ERROR)
                        xalloc_die();
                if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                        return rctr_error_set(err, EBADMSG, "gzip data corrupt: %s",
                                              zr == Z_NEED_DICT ? "needs a preset dictionary"
                                              : d->z.msg        ? d->z.msg
                                                                : "invalid data");
                n = sizeof(d->obuf) - d->z.avail_out;
                if (n > 0) {
                        r = d->out(d->ctx, d->obuf, n, err);
                        if (r < 0)
                                return r;
                }
                if (zr == Z_STREAM_END)
                        d->gz = GZIP_BETWEEN;
                else if (zr == Z_BUF_ERROR)
                        break; /* no progress possible: all input taken, no output pending */
        }
        return 0;
}

static int zstd_feed(struct storage_decompress *d, const void *data, size_t len,
                     struct rctr_error *err)
{
        ZSTD_inBuffer in = {.src = data, .size = len, .pos = 0};
        ZSTD_outBuffer o;

        do {
                size_t hint;
                int r;

                o = (ZSTD_outBuffer){.dst = d->obuf, .size = sizeof(d->obuf), .pos = 0};
                /* one frame after another: the stream decoder starts the next one itself */
                hint = ZSTD_decompressStream(d->zs, &o, &in);
                if (ZSTD_isError(hint))
                        return rctr_error_set(err, EBADMSG, "zstd data corrupt: %s",
                                              ZSTD_getErrorName(hint));
                d->zstd_hint = hint;
                if (o.pos > 0) {
                        r = d->out(d->ctx, d->obuf, o.pos, err);
                        if (r < 0)
                                return r;
                }
                /* a full obuf may mean more output is buffered inside the decoder */
        } while (in.pos < in.size || o.pos == o.size);
        return 0;
}

static int decode(struct storage_decompress *d, const void *data, size_t len,
                  struct rctr_error *err)
{
        switch (d->format) {
        case STORAGE_COMPRESSION_GZIP:
                /* zlib counts in uInt: hand it at most 1 GiB at a time */
                for (size_t off = 0; off < len; off += 1u << 30) {
                        size_t n = len - off < (1u << 30) ? len - off : (1u << 30);
                        int r = gzip_feed(d, (const unsigned char *)data + off, n, err);

                        if (r < 0)
                                return r;
                }
                return 0;
        case STORAGE_COMPRESSION_ZSTD:
                return zstd_feed(d, data, len, err);
        case STORAGE_COMPRESSION_NONE:
                /* chunks of at most obuf's size, as promised, without copying */
                for (size_t off = 0; off < len; off += STORAGE_DECOMPRESS_CHUNK) {
                        size_t n = len - off < STORAGE_DECOMPRESS_CHUNK ? len - off
                                                                        : STORAGE_DECOMPRESS_CHUNK;
                        int r = d->out(d->ctx, (const unsigned char *)data + off, n, err);

                        if (r < 0)
                                return r;
                }
                return 0;
        case STORAGE_COMPRESSION_AUTO:
                break;
        }
        return rctr_error_set(err, EINVAL, "decompress: unknown format %d", (int)d->format);
}

/* AUTO: collect the magic, then decode what was held back and go on with the rest. */
static int auto_feed(struct storage_decompress *d, const unsigned char *data, size_t len,
                     bool at_end, struct rctr_error *err)
{
        size_t take = sizeof(d->magic) - d->n_magic;
        int r;

        if (take > len)
                take = len;
        if (take > 0)
                memcpy(d->magic + d->n_magic, data, take);
        d->n_magic += take;
        if (d->n_magic < sizeof(d->magic) && !at_end)
                return 0;
        d->format = storage_compression_detect(d->magic, d->n_magic);
        decoder_init(d);
        r = decode(d, d->magic, d->n_magic, err);
        if (r < 0 || len == take)
                return r;
        return decode(d, data + take, len - take, err);
}

int storage_decompress_feed(struct storage_decompress *d, const void *data, size_t len,
                            struct rctr_error *err)
{
        int r;

        if (d->failed)
                return rctr_error_set(err, EINVAL, "decompress: used after a failure");
        if (len == 0)
                return 0;
        if (d->format == STORAGE_COMPRESSION_AUTO)
                r = auto_feed(d, data, len, false, err);
        else
                r = decode(d, data, len, err);
        if (r < 0)
                d->failed = true;
        return r;
}

int storage_decompress_end(struct storage_decompress *d, struct rctr_error *err)
{
        int r;

        if (d->failed)
                return rctr_error_set(err, EINVAL, "decompress: used after a failure");
        if (d->format == STORAGE_COMPRESSION_AUTO) {
                /* fewer bytes than a magic number: whatever they are, they are not compressed */
                r = auto_feed(d, NULL, 0, true, err);
                if (r < 0) {
                        d->failed = true;
                        return r;
                }
        }
        if (d->format == STORAGE_COMPRESSION_GZIP && d->gz != GZIP_BETWEEN)
                return rctr_error_set(err, EBADMSG, "gzip data truncated");
        if (d->format == STORAGE_COMPRESSION_ZSTD && d->zstd_hint != 0)
                return rctr_error_set(err, EBADMSG, "zstd data truncated");
        return 0;
}
