/*
 * OCI whiteouts (image-spec layer.md, "Whiteouts") and their on-disk form for the storage
 * drivers. A layer tar says "NAME was deleted" with an empty entry `.wh.NAME`, and "this directory
 * hides everything the layers below have in it" with `DIR/.wh..wh..opq`. Kernel overlayfs and
 * fuse-overlayfs want a 0/0 character device NAME and an opaque xattr on DIR instead.
 */
#pragma once

#include <stdbool.h>

struct rctr_error;
struct stat;

enum storage_whiteout_format {
        STORAGE_WHITEOUT_OVERLAY, /* 0/0 character devices and an opaque xattr (overlayfs) */
};

enum storage_whiteout_kind {
        STORAGE_WHITEOUT_NONE,    /* an ordinary name */
        STORAGE_WHITEOUT_FILE,    /* ".wh.NAME": NAME is removed from the layers below */
        STORAGE_WHITEOUT_OPAQUE,  /* ".wh..wh..opq": the directory hides the layers below */
        STORAGE_WHITEOUT_META,    /* any other ".wh..wh.*": AUFS bookkeeping, not image content */
        STORAGE_WHITEOUT_INVALID, /* ".wh." followed by "", "." or "..": names nothing */
};

#define STORAGE_WHITEOUT_PREFIX      ".wh."
#define STORAGE_WHITEOUT_META_PREFIX ".wh..wh."
#define STORAGE_WHITEOUT_OPAQUE_NAME ".wh..wh..opq"

/*
 * Classify one path component (no '/'). For STORAGE_WHITEOUT_FILE, *ret_target (when not NULL)
 * points into name at the name being deleted. Pure.
 */
enum storage_whiteout_kind storage_whiteout_classify(const char *name, const char **ret_target);

/*
 * The xattr overlayfs reads to find opaque directories: "trusted.overlay.opaque" for root,
 * "user.overlay.opaque" rootless (overlay mounted with userxattr, Linux >= 5.11). Static string.
 */
const char *storage_whiteout_opaque_xattr(bool rootless);

/* True when st is an overlay whiteout: a character device with device number 0/0. */
bool storage_whiteout_is_device(const struct stat *st);

/*
 * Record in the layer being unpacked that name (a single component) inside the directory
 * parentfd was deleted. Usually that creates a 0/0 character device, which an unprivileged
 * process may do since Linux 5.8. If name already exists in this layer the whiteout only
 * applies to lower layers (OCI: "files that are present in the same layer as a whiteout file
 * can only be hidden by whiteout files in subsequent layers"), so the entry stays: a
 * non-directory already hides the lower one, and a directory is marked opaque so that only
 * what this layer put into it is visible. Returns 0 or -errno with err set.
 */
int storage_whiteout_create_at(int parentfd, const char *name, const char *opaque_xattr,
                               struct rctr_error *err);

/*
 * Mark the directory dirfd (opened for reading, not O_PATH) opaque by setting opaque_xattr to
 * "y". Unlike other xattrs this one is not optional: without it the lower layers' files would
 * show through. Returns 0 or -errno with err set (-EOPNOTSUPP: the file system lacks the xattr
 * namespace, -EPERM: trusted.* without CAP_SYS_ADMIN).
 */
int storage_whiteout_set_opaque(int dirfd, const char *opaque_xattr, struct rctr_error *err);

/*
 * Whiteout names among the directory components dir (clean) of an entry's path: returns 1 when
 * an AUFS metadata directory (".wh..wh.plnk/...") holds the entry, which is then skipped, 0 for
 * none, -EBADMSG with err set when a deleted name (".wh.x/y") would hold it.
 */
int storage_whiteout_check_parents(const char *dir, struct rctr_error *err);

/*
 * ".wh.a" then "a/b" with no "a/" entry: some tools write that for "rm -rf /a; mkdir -p /a/b"
 * in one layer. Turn every whiteout device on the way from layerfd to the directory dir (clean)
 * into an opaque directory (0755), as an explicit "a/" entry would. Returns 0 or -errno with
 * err set; anything else in the way is left for the caller's walk to report.
 */
int storage_whiteout_parents_to_dirs(int layerfd, const char *dir, const char *opaque_xattr,
                                     struct rctr_error *err);
