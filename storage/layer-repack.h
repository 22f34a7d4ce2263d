/*
 * A layer's diff/ packed into a new tar, for `save` of a layer that has no tar-split record
 * (stored by an older rctr, or a tar that names a file twice; see storage/tar-split.h). The
 * result is deterministic — entries sorted by name, directories before what they hold, owner,
 * mode, mtime (with nanoseconds), xattrs, hard links, symlinks and device nodes kept, no atime,
 * ctime or user names — but it is not the layer's original tar: its digest is a new diff_id.
 * Overlay whiteouts (0/0 character devices) become `.wh.NAME` entries and an opaque directory
 * gets a `DIR/.wh..wh..opq` entry after its own (OCI image-spec layer.md, "Whiteouts").
 */
#pragma once

#include <stddef.h>

struct rctr_error;

/* Receives the tar in order: >= 0 to go on, -errno with err set to stop. */
typedef int (*storage_layer_repack_out_fn)(void *ctx, const void *data, size_t len,
                                           struct rctr_error *err);

/*
 * Write the tar of the layer directory diff_fd (any fd of it) to out. Nothing below diff_fd is
 * followed through a symlink; only regular files are opened. Xattrs are those the unpacker
 * would set again (storage_unpack_xattr_allowed() as root), taken from regular files and
 * directories. Returns 0, what out returned, or -errno with err set (-EFBIG: nested deeper than
 * a layer may be).
 */
int storage_layer_repack(int diff_fd, storage_layer_repack_out_fn out, void *ctx,
                         struct rctr_error *err);
