/*
 * How `rctr save` gives back a layer's exact bytes (the issue: "save → rmi → load gives back the
 * same image id"). An image's id is the digest of its config, which lists the sha256 of every
 * uncompressed layer tar (the diff_ids); a saved layer must hash to that value, so it must be the
 * original tar byte for byte. Repacking the unpacked files can't promise that: header formats,
 * entry order, padding, pax records and the bytes after the end-of-archive blocks are the
 * writer's choices. Keeping each compressed blob would cost a second copy of every image.
 *
 * So, as containers/storage does with tar-split, the layer writer records the tar as it streams
 * by: everything that is not file content (headers, pax and GNU long-name records, padding, the
 * trailer) is kept verbatim, and each file's content is only named by its path in the layer's
 * diff/. Reassembly reads the record and the diff's files in order. What the recorder cannot
 * follow with certainty (sparse files, hard links with data, a damaged header) it keeps verbatim
 * from there on, so the record stays exact and only grows. A name that a later entry of the same
 * tar replaces makes the record unusable (the file on disk is the later one): it is dropped, and
 * save falls back to a repack (storage/layer-repack.h).
 *
 * The record is a gzip stream: the magic "RCTRTS1\n", then records 'S' u32le LEN + LEN bytes
 * (verbatim), 'F' u64le SIZE + u16le LEN + a clean path (SIZE bytes of that file), and
 * 'E' u64le TOTAL (the tar's length) last.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rctr_error;

/* The record's file name in a layer directory, beside diff/ and layer.json. */
#define STORAGE_TAR_SPLIT_NAME "tar-split.gz"

struct storage_tar_split_rec;

/*
 * Start recording into dirfd/name, created 0600 (never over an existing file). Returns 0 with
 * *ret owned, or -errno with err set.
 */
int storage_tar_split_rec_new(int dirfd, const char *name, struct storage_tar_split_rec **ret,
                              struct rctr_error *err);

/*
 * The next len bytes of the uncompressed layer tar (untrusted). Content the recorder cannot make
 * sense of is kept verbatim, never an error: validating the tar is the unpacker's job. Returns
 * 0, or -errno with err set when the record cannot be written (-ENOSPC).
 */
int storage_tar_split_rec_feed(struct storage_tar_split_rec *r, const void *data, size_t len,
                               struct rctr_error *err);

/*
 * The tar is complete: write the end record and close the file (not synced: the layer writer
 * syncs the whole stage). Returns 1 when the record reproduces the tar, 0 when it cannot (a
 * name given twice: the file is removed), or -errno with err set.
 */
int storage_tar_split_rec_end(struct storage_tar_split_rec *r, struct rctr_error *err);

/* Drop the recorder; an unfinished record is closed and left for the caller's stage removal. */
void storage_tar_split_rec_free(struct storage_tar_split_rec *r);
static inline void storage_tar_split_rec_freep(struct storage_tar_split_rec **r)
{
        storage_tar_split_rec_free(*r);
}

/* Receives the reassembled tar in order: >= 0 to go on, -errno with err set to stop. */
typedef int (*storage_tar_split_out_fn)(void *ctx, const void *data, size_t len,
                                        struct rctr_error *err);

/*
 * Reassemble the tar from the record read from splitfd and the files of the layer directory
 * diff_fd (opened below it without following symlinks; each must still be a regular file of the
 * recorded size). The caller hashes the output against the diff_id. Returns 0, what out
 * returned, or -errno with err set: -EBADMSG for a damaged record or a changed file.
 */
int storage_tar_split_assemble(int splitfd, int diff_fd, storage_tar_split_out_fn out, void *ctx,
                               struct rctr_error *err);
