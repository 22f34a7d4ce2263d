/*
 * The image store under --root (DESIGN.md, "Persistent layout"): blobs by digest, layers by chain
 * id with their unpacked diff/, images.json, and tmp/ where new layers are staged. Many rctr
 * processes (CI jobs on one host) use one store at once: metadata changes take an exclusive
 * flock on storage.lock, readers a shared one; staging directories hold an flock of their own
 * while in use, so that a later process can tell a crashed pull's leftovers from a running one's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct rctr_error;

struct storage_store {
        int rootfd;   /* --root */
        int lockfd;   /* storage.lock */
        int lockmode; /* 0, LOCK_SH or LOCK_EX: what we hold */
        char *path;   /* owned */
};

/*
 * Open (creating) the store at path and remove what crashed processes left in tmp/. Returns 0
 * with *ret owned by the caller, or -errno with err set.
 */
int storage_store_open(const char *path, struct storage_store **ret, struct rctr_error *err);
void storage_store_free(struct storage_store *s);
static inline void storage_store_freep(struct storage_store **s)
{
        storage_store_free(*s);
}

/* Take (exclusive or shared) or drop the store lock. Waits; never deadlocks with itself. */
int storage_store_lock(struct storage_store *s, bool exclusive, struct rctr_error *err);
void storage_store_unlock(struct storage_store *s);

/* "sha256:<64 hex>" only: everything else is refused before it names a path. */
bool storage_digest_valid(const char *digest);

/* blobs/sha256/<hex>: manifests and configs, written atomically. */
int storage_blob_put(struct storage_store *s, const char *digest, const void *data, size_t len,
                     struct rctr_error *err);
int storage_blob_get(struct storage_store *s, const char *digest, struct buf *out,
                     struct rctr_error *err);

/*
 * A staging directory tmp/<random>/, locked while its fd is open. *ret_name is its name under
 * tmp/ (owned). Returns the directory fd (owned) or -errno.
 */
int storage_stage_new(struct storage_store *s, char **ret_name, struct rctr_error *err);

/* Remove tmp/NAME (a failed stage). */
void storage_stage_discard(struct storage_store *s, const char *name);

/* Whether layers/<hex of chain_id>/ is committed. */
bool storage_layer_exists(struct storage_store *s, const char *chain_id);

/*
 * Move the stage tmp/NAME (holding diff/ and layer.json) to layers/<hex of chain_id>, under the
 * exclusive lock (taken and dropped again unless the caller holds a lock). When another process
 * committed the same layer first, ours is discarded: the result is the same. Returns 0 or -errno.
 */
int storage_layer_commit(struct storage_store *s, const char *stage, const char *chain_id,
                         struct rctr_error *err);

/* An fd of layers/<hex>/diff (O_PATH|O_DIRECTORY), or -errno. */
int storage_layer_open_diff(struct storage_store *s, const char *chain_id, struct rctr_error *err);

/* "<root>/layers/<hex>/diff": for mount options. Owned. */
char *storage_layer_diff_path(const struct storage_store *s, const char *chain_id);

/* Remove layers/<hex of chain_id> (renamed away first: readers never see half of it). */
int storage_layer_remove(struct storage_store *s, const char *chain_id, struct rctr_error *err);

/* Remove every layer not in keep (a strv of chain ids). The caller holds the exclusive lock. */
int storage_layers_prune(struct storage_store *s, char **keep, struct rctr_error *err);

/* The unpacked size of a layer as its layer.json records it; 0 when unknown. */
uint64_t storage_layer_size(struct storage_store *s, const char *chain_id);
