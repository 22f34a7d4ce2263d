/* The streaming decompressor: multi-member gzip, multi-frame zstd, AUTO, corrupt and truncated. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/decompress.h"
#include "tap.h"

#define PAYLOAD_SIZE (1024u * 1024 + 17)

static unsigned char *payload;

struct sink {
        unsigned char *data; /* owned */
        size_t len, max_chunk;
        int fail_with; /* != 0: fail the first call with -fail_with */
};

static int collect(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        struct sink *k = ctx;

        if (k->fail_with)
                return rctr_error_set(err, k->fail_with, "sink full");
        if (len > k->max_chunk)
                k->max_chunk = len;
        if (k->len + len > PAYLOAD_SIZE + 64)
                return rctr_error_set(err, EFBIG, "more output than input");
        memcpy(k->data + k->len, data, len);
        k->len += len;
        return 0;
}

/* gzip members or zstd frames of the payload, concatenated; a skippable frame between. */
static unsigned char *compress_parts(enum storage_compression c, size_t parts, size_t *ret_len)
{
        size_t cap = compressBound(PAYLOAD_SIZE) + ZSTD_compressBound(PAYLOAD_SIZE) + 1024;
        unsigned char *out = xmalloc(cap);
        size_t len = 0, per = PAYLOAD_SIZE / parts + 1;

        for (size_t off = 0; off < PAYLOAD_SIZE; off += per) {
                size_t n = PAYLOAD_SIZE - off < per ? PAYLOAD_SIZE - off : per;

                if (c == STORAGE_COMPRESSION_NONE) {
                        memcpy(out + len, payload + off, n);
                        len += n;
                } else if (c == STORAGE_COMPRESSION_GZIP) {
                        z_stream z = {0};

                        deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
                        z.next_in = payload + off;
                        z.avail_in = (uInt)n;
                        z.next_out = out + len;
                        z.avail_out = (uInt)(cap - len);
                        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                                abort();
                        len += z.total_out;
                        deflateEnd(&z);
                } else {
                        /* magic 0x184D2A50, 4 bytes of length, then that many bytes to skip */
                        static const unsigned char skippable[] = {0x50, 0x2a, 0x4d, 0x18, 3, 0,
                                                                  0,    0,    1,    2,    3};

                        n = ZSTD_compress(out + len, cap - len, payload + off, n, 3);
                        if (ZSTD_isError(n))
                                abort();
                        len += n;
                        memcpy(out + len, skippable, sizeof(skippable));
                        len += sizeof(skippable);
                }
        }
        *ret_len = len;
        return out;
}

static int feed(struct storage_decompress *d, const unsigned char *in, size_t len, size_t chunk,
                struct rctr_error *err)
{
        for (size_t off = 0; off < len; off += chunk) {
                int r = storage_decompress_feed(d, in + off, len - off < chunk ? len - off : chunk,
                                                err);

                if (r < 0)
                        return r;
        }
        return storage_decompress_end(d, err);
}

static void round_trip(enum storage_compression c, enum storage_compression as, size_t parts,
                       size_t chunk)
{
        cleanup_error struct rctr_error err = {0};
        size_t len = 0;
        cleanup_free unsigned char *in = compress_parts(c, parts, &len);
        struct sink k = {.data = xmalloc(PAYLOAD_SIZE + 64)};
        struct storage_decompress *d = storage_decompress_new(as, collect, &k);
        const char *name = storage_compression_name(c);

        ok(feed(d, in, len, chunk, &err) == 0, "%s as %s, %zu parts, %zu-byte chunks: decoded",
           name, storage_compression_name(as), parts, chunk);
        if (err.msg)
                printf("#   %s\n", err.msg);
        ok(k.len == PAYLOAD_SIZE && memcmp(k.data, payload, PAYLOAD_SIZE) == 0,
           "%s: the output is the input", name);
        ok(k.max_chunk <= STORAGE_DECOMPRESS_CHUNK, "%s: chunks of at most the buffer", name);
        ok(storage_decompress_format(d) == c, "%s: format", name);
        storage_decompress_free(d);
        free(k.data);
}

static void expect_fail(enum storage_compression c, const void *in, size_t len, int code,
                        const char *msg, const char *what)
{
        cleanup_error struct rctr_error err = {0};
        struct sink k = {.data = xmalloc(PAYLOAD_SIZE + 64)};
        struct storage_decompress *d = storage_decompress_new(c, collect, &k);
        int r = feed(d, in, len, 5, &err);

        ok(r == -code && err.msg && strncmp(err.msg, msg, strlen(msg)) == 0, "%s", what);
        printf("#   %s\n", err.msg ? err.msg : "(none)");
        storage_decompress_free(d);
        free(k.data);
}

static void test_bad(void)
{
        size_t len = 0;
        cleanup_free unsigned char *gz = compress_parts(STORAGE_COMPRESSION_GZIP, 2, &len);
        cleanup_free unsigned char *junk = xmalloc(len + 4);
        /* a frame header with its reserved bit set, and more */
        static const unsigned char zstd_junk[] = {0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff,
                                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        /* frame header: no checksum, not single-segment, window 2^(10+18) = 256 MiB */
        static const unsigned char huge_window[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00,
                                                    0x90, 0x01, 0x00, 0x00};

        expect_fail(STORAGE_COMPRESSION_GZIP, "", 0, EBADMSG, "gzip data truncated",
                    "gzip: no data is truncated data");
        expect_fail(STORAGE_COMPRESSION_GZIP, gz, len / 2, EBADMSG, "gzip data truncated",
                    "gzip: half a stream");
        expect_fail(STORAGE_COMPRESSION_GZIP, "\x1f\x8b\x08\x00garbage-garbage", 19, EBADMSG,
                    "gzip data corrupt: ", "gzip: garbage");
        memcpy(junk, gz, len);
        memcpy(junk + len, "\0\0\0\0", 4);
        expect_fail(STORAGE_COMPRESSION_GZIP, junk, len + 4, EBADMSG,
                    "gzip data corrupt: ", "gzip: no trailing garbage after the last member");
        expect_fail(STORAGE_COMPRESSION_ZSTD, "", 0, EBADMSG, "zstd data truncated",
                    "zstd: no data is truncated data");
        expect_fail(STORAGE_COMPRESSION_ZSTD, zstd_junk, sizeof(zstd_junk), EBADMSG,
                    "zstd data corrupt: ", "zstd: garbage");
        expect_fail(STORAGE_COMPRESSION_ZSTD, huge_window, sizeof(huge_window), EBADMSG,
                    "zstd data corrupt: ", "zstd: a window over 128 MiB is refused");
}

static void test_misc(void)
{
        cleanup_error struct rctr_error err = {0};
        struct sink k = {.data = xmalloc(PAYLOAD_SIZE + 64)};
        struct storage_decompress *d =
                storage_decompress_new(STORAGE_COMPRESSION_AUTO, collect, &k);

        ok(storage_decompress_feed(d, "ab", 2, &err) == 0 && k.len == 0, "auto: held back");
        ok(storage_decompress_end(d, &err) == 0 && k.len == 2 &&
                   storage_decompress_format(d) == STORAGE_COMPRESSION_NONE,
           "auto: two bytes are uncompressed data");
        storage_decompress_free(d);

        k.fail_with = ENOSPC;
        d = storage_decompress_new(STORAGE_COMPRESSION_NONE, collect, &k);
        ok(storage_decompress_feed(d, "abc", 3, &err) == -ENOSPC, "the sink's error is returned");
        is_str(err.msg, "sink full", "unchanged");
        rctr_error_clear(&err);
        ok(storage_decompress_feed(d, "abc", 3, &err) == -EINVAL, "no use after a failure");
        storage_decompress_free(d);
        free(k.data);

        ok(storage_compression_detect("\x28\xb5\x2f\xfd", 4) == STORAGE_COMPRESSION_ZSTD &&
                   storage_compression_detect("\x1f\x8b", 2) == STORAGE_COMPRESSION_GZIP &&
                   storage_compression_detect("\x28\xb5", 2) == STORAGE_COMPRESSION_NONE,
           "magic numbers");
}

int main(void)
{
        uint32_t x = 7;

        payload = xmalloc(PAYLOAD_SIZE);
        /* half noise, half zeros: both stored-like and ~1000:1 blocks */
        for (size_t i = 0; i < PAYLOAD_SIZE; i++) {
                x = x * 1103515245 + 12345;
                payload[i] = i < PAYLOAD_SIZE / 2 ? (unsigned char)(x >> 16) : 0;
        }
        round_trip(STORAGE_COMPRESSION_GZIP, STORAGE_COMPRESSION_GZIP, 1, 1);
        round_trip(STORAGE_COMPRESSION_GZIP, STORAGE_COMPRESSION_GZIP, 5, 3);
        round_trip(STORAGE_COMPRESSION_GZIP, STORAGE_COMPRESSION_AUTO, 3, 1);
        round_trip(STORAGE_COMPRESSION_GZIP, STORAGE_COMPRESSION_GZIP, 4, PAYLOAD_SIZE * 2);
        round_trip(STORAGE_COMPRESSION_ZSTD, STORAGE_COMPRESSION_ZSTD, 1, 1);
        round_trip(STORAGE_COMPRESSION_ZSTD, STORAGE_COMPRESSION_ZSTD, 5, 4096);
        round_trip(STORAGE_COMPRESSION_ZSTD, STORAGE_COMPRESSION_AUTO, 3, 7);
        round_trip(STORAGE_COMPRESSION_NONE, STORAGE_COMPRESSION_AUTO, 1, 65536);
        test_bad();
        test_misc();
        free(payload);
        return tap_done();
}
