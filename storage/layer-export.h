/*
 * A committed layer as an uncompressed tar again, for `rctr save`: its original bytes from the
 * tar-split record when it has one (storage/tar-split.h), so that the digest is the diff_id the
 * image config lists and the image keeps its id; else a deterministic repack of diff/
 * (storage/layer-repack.h), which has a digest of its own. Whatever is written is hashed on the
 * way out and checked against what prepare() promised.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rctr_error;
struct storage_store;

/* Receives the tar in order: >= 0 to go on, -errno with err set to stop. */
typedef int (*storage_layer_export_out_fn)(void *ctx, const void *data, size_t len,
                                           struct rctr_error *err);

struct storage_layer_export {
        char *diff_id; /* owned: the sha256 of the tar that write() produces */
        uint64_t size; /* its length in bytes */
        bool exact;    /* the layer's original tar; false: a repack with a new diff_id */
};

void storage_layer_export_clear(struct storage_layer_export *x);

/*
 * What layers/<chain_id> says of itself (layer.json): the diff_id it was verified against
 * (owned) and the uncompressed tar's size. Returns 0 or -errno with err set (-ENOENT: no such
 * layer, -EBADMSG: a damaged layer.json).
 */
int storage_layer_info(struct storage_store *s, const char *chain_id, char **ret_diff_id,
                       uint64_t *ret_size, struct rctr_error *err);

/*
 * How layer chain_id will be exported: exactly when it has a tar-split record, else repacked —
 * which means packing it once here to learn the new digest and size. The caller holds the
 * store lock (shared is enough) until write() is done. Returns 0 with *ret filled, or -errno.
 */
int storage_layer_export_prepare(struct storage_store *s, const char *chain_id,
                                 struct storage_layer_export *ret, struct rctr_error *err);

/*
 * Write the tar that x describes to out: exactly x->size bytes, never more. Returns 0, what out
 * returned, or -errno with err set: -EBADMSG when the layer's files no longer give x->diff_id
 * (the store was changed behind rctr's back).
 */
int storage_layer_export_write(struct storage_store *s, const char *chain_id,
                               const struct storage_layer_export *x,
                               storage_layer_export_out_fn out, void *ctx, struct rctr_error *err);
