/*
 * A layer blob streamed into the store (DESIGN.md, "One invocation", step 3): the compressed
 * bytes arrive in chunks (the registry client's write callback, or a file for `load`/`import`);
 * they are hashed, decompressed with a fixed-size buffer, hashed again and unpacked by
 * storage_unpack_fd() in a thread of the writer's own, into a staging directory tmp/<name>/diff.
 * Nothing is committed before the blob's digest, its size and the uncompressed digest (diff_id)
 * matched; on any failure the stage is removed and the error names the blob ("layer sha256:…:
 * digest mismatch: got sha256:…"). Neither the blob nor the tar is ever kept whole, in memory or
 * on disk; what `save` needs to give the tar back byte for byte is recorded beside the layer's
 * files as it streams by (storage/tar-split.h).
 *
 * One writer is used by one thread at a time; writers for different layers run in parallel.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include "storage/decompress.h"

struct rctr_error;
struct storage_store;
struct storage_unpack_opts;

/* The default cap on a layer's uncompressed size: what stops a zip bomb. */
#define STORAGE_LAYER_UNPACKED_MAX (64ull * 1024 * 1024 * 1024)

/* What the manifest and the image config promise about a layer. Strings are copied. */
struct storage_layer_expect {
        const char *digest;  /* the compressed blob's digest; NULL: not known (import) */
        const char *diff_id; /* the uncompressed tar's digest; NULL: not known (import) */
        uint64_t size;       /* the blob's size from the manifest; 0: not checked */
        /* where storage_layer_writer_finish() commits; NULL: storage_layer_writer_commit() */
        const char *chain_id;
        enum storage_compression compression; /* AUTO: by the blob's magic */
        uint64_t max_unpacked;                /* 0: STORAGE_LAYER_UNPACKED_MAX */
};

struct storage_layer_writer;

/*
 * Start a layer: a staging directory in s and the unpack thread reading from a socket pair.
 * uo is copied (its opaque_xattr string is borrowed and must outlive the writer); NULL means
 * all defaults (not rootless). s is borrowed. Returns 0 with *ret owned, or -errno: -EINVAL for
 * a malformed digest, diff_id or chain id.
 */
int storage_layer_writer_new(struct storage_store *s, const struct storage_layer_expect *e,
                             const struct storage_unpack_opts *uo,
                             struct storage_layer_writer **ret, struct rctr_error *err);

/*
 * The next len bytes of the compressed blob (the registry client's image_blob_write_fn, through
 * a wrapper that passes the writer). May block while the unpacker catches up. Returns 0, or
 * -errno with err "layer <digest>: <why>": -EBADMSG for corrupt data or more bytes than the
 * manifest's size, -EFBIG past the uncompressed cap, what the unpacker failed with (it stops at
 * the first hostile entry), or a file system error (-ENOSPC). After a failure the stage is gone
 * already and every later call returns the same error at once.
 */
int storage_layer_writer_write(struct storage_layer_writer *w, const void *data, size_t len,
                               struct rctr_error *err);

/* Write everything read from fd (a blob file, a tar member of `rctr load`) until its end. */
int storage_layer_writer_copy_fd(struct storage_layer_writer *w, int fd, struct rctr_error *err);

/*
 * The blob is complete: wait for the unpacker, check the size, both digests and the unpack
 * result, write <stage>/layer.json and sync the layer to disk. The stage is then ready but not
 * committed. Returns 0 or -errno (-EBADMSG: digest or size mismatch, truncated data), and the
 * stage is removed on failure.
 */
int storage_layer_writer_end(struct storage_layer_writer *w, struct rctr_error *err);

/*
 * Commit the ended stage as layers/<hex of chain_id> (NULL: the expected one). A layer some
 * other writer committed first is as good as ours, which is dropped: that is no error. Commits
 * of writers of one process are serialized here, since a store's lock state is per process.
 */
int storage_layer_writer_commit(struct storage_layer_writer *w, const char *chain_id,
                                struct rctr_error *err);

/* end() then commit() under the expected chain id: what a pull does. */
int storage_layer_writer_finish(struct storage_layer_writer *w, struct rctr_error *err);

/*
 * Drop the writer; one not committed is aborted: the unpack thread is stopped (it sees the end
 * of its input) and joined, and the stage removed. NULL is fine.
 */
void storage_layer_writer_free(struct storage_layer_writer *w);
static inline void storage_layer_writer_freep(struct storage_layer_writer **w)
{
        storage_layer_writer_free(*w);
}

/* Compressed bytes taken so far: where a resumed download starts (HTTP Range). */
uint64_t storage_layer_writer_received(const struct storage_layer_writer *w);

/*
 * After a successful end(): the blob's digest, the diff_id (both borrowed, valid while w is),
 * the uncompressed size and the compression found (AUTO resolved). NULL / 0 before.
 */
const char *storage_layer_writer_digest(const struct storage_layer_writer *w);
const char *storage_layer_writer_diff_id(const struct storage_layer_writer *w);
uint64_t storage_layer_writer_unpacked_size(const struct storage_layer_writer *w);
enum storage_compression storage_layer_writer_compression(const struct storage_layer_writer *w);
