/*
 * Layer unpacking: an uncompressed OCI layer tar (untrusted) into an empty directory of the
 * store, as an overlay-style diff. libarchive only parses; every file is created by us, relative
 * to directory fds, without following any symlink (STYLE.md §6).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "storage/whiteout.h"

struct rctr_error;

struct storage_unpack_opts {
        /*
         * We run inside a user namespace: device nodes other than 0/0 whiteouts are skipped
         * (one warning per layer, naming the first), trusted.* xattrs are not set.
         */
        bool rootless;
        /*
         * Single-id mapping (no subuid/subgid range): an owner the namespace cannot represent
         * is not an error, the file simply stays ours.
         */
        bool ignore_chown_errors;
        /* Xattr that marks opaque directories; NULL = storage_whiteout_opaque_xattr(rootless). */
        const char *opaque_xattr;
        enum storage_whiteout_format whiteout_format; /* only STORAGE_WHITEOUT_OVERLAY so far */
};

struct storage_unpack_stats {
        uint64_t entries; /* tar entries read */
        uint64_t bytes;   /* file content written */
        uint64_t skipped; /* entries not created: device nodes when rootless, sockets, AUFS files */
};

/*
 * Unpack the uncompressed tar stream read from fd (read sequentially, never seeked) into the
 * empty directory layer_dirfd (any fd of it, O_PATH included). OCI whiteouts become overlay
 * whiteouts (see storage/whiteout.h). Entry names are taken relative to the layer and refused
 * when storage_layer_path_clean() refuses them (empty, absolute, "..", too long or deep) or when
 * they lead through a symlink; so are hard links whose target does, or is a directory.
 * Nothing is ever created or changed outside the layer directory.
 *
 * Nothing is fsynced: the caller syncs the layer once before renaming it into place. On failure
 * the directory holds a partial layer which the caller removes. Returns 0 (and *ret_stats, if
 * not NULL) or -errno with err set as "layer entry NAME: what: why": -EBADMSG for a malformed or
 * hostile archive, -EFBIG for an over-long name, -EINVAL for an owner the user namespace cannot
 * represent, other errnos from the file system.
 */
int storage_unpack_fd(int layer_dirfd, int fd, const struct storage_unpack_opts *opts,
                      struct storage_unpack_stats *ret_stats, struct rctr_error *err);

/*
 * Whether an xattr from a layer is set on disk: user.* and security.capability always,
 * trusted.* only when !rootless, never the overlay's own user.overlay.* / trusted.overlay.*
 * (a layer must not forge overlay metadata such as redirects or opaque markers), never other
 * security.* (host labels) or system.* (ACLs hold host-side ids).
 */
bool storage_unpack_xattr_allowed(const char *name, bool rootless);
