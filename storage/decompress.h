/*
 * Streaming decompression of layer blobs (gzip, zstd or none) with a fixed-size output buffer:
 * the input arrives in chunks of any size, the output leaves through a callback in chunks of at
 * most STORAGE_DECOMPRESS_CHUNK bytes, and nothing ever holds a whole blob. The input is
 * untrusted: corrupt or truncated data is -EBADMSG; capping the output (zip bombs) is the
 * callback's business.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rctr_error;

enum storage_compression {
        STORAGE_COMPRESSION_NONE,
        STORAGE_COMPRESSION_GZIP,
        STORAGE_COMPRESSION_ZSTD,
        /* Tell by the first bytes (gzip or zstd magic, else none): `rctr load` and `import`. */
        STORAGE_COMPRESSION_AUTO,
};

/* The largest chunk handed to the output callback. */
#define STORAGE_DECOMPRESS_CHUNK (128u * 1024)

/* "none", "gzip", "zstd" or "auto" (static). */
const char *storage_compression_name(enum storage_compression c);

/*
 * What the first bytes of a blob say: GZIP or ZSTD by their magic numbers, NONE otherwise
 * (also when len is too short to tell).
 */
enum storage_compression storage_compression_detect(const void *data, size_t len);

/*
 * Receives the decompressed bytes in order. Returns >= 0 to go on, or -errno with err set to
 * stop: storage_decompress_feed() then returns that value and err unchanged.
 */
typedef int (*storage_decompress_out_fn)(void *ctx, const void *data, size_t len,
                                         struct rctr_error *err);

struct storage_decompress;

/* A decompressor for c passing its output to out(ctx, ...). Owned; never NULL (aborts on OOM). */
struct storage_decompress *storage_decompress_new(enum storage_compression c,
                                                  storage_decompress_out_fn out, void *ctx);
void storage_decompress_free(struct storage_decompress *d);
static inline void storage_decompress_freep(struct storage_decompress **d)
{
        storage_decompress_free(*d);
}

/*
 * Decompress the next len bytes of the stream. gzip may hold several members and zstd several
 * frames (skippable ones included), as pigz and `zstd -T` write them. Returns 0, -EBADMSG with
 * err "gzip data corrupt: <why>" or "zstd data corrupt: <why>", or what out returned. After a
 * failure the decompressor is unusable.
 */
int storage_decompress_feed(struct storage_decompress *d, const void *data, size_t len,
                            struct rctr_error *err);

/*
 * The input is complete: returns 0, or -EBADMSG with err "gzip data truncated" (or zstd) when
 * the last member or frame is incomplete or there was none at all.
 */
int storage_decompress_end(struct storage_decompress *d, struct rctr_error *err);

/* The format being decoded: for AUTO what the magic said once known, AUTO before. */
enum storage_compression storage_decompress_format(const struct storage_decompress *d);
