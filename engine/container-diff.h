/*
 * `rctr diff`: what a container changed in its image's file system, as podman reports it:
 * "C /etc" (changed), "A /etc/new" (added), "D /bin/ls" (deleted). A directory is changed when
 * its mode or owner changed or when anything in it was added, changed or deleted (it is listed
 * before what it holds); an added directory's contents are each added; of a deleted directory
 * only the directory is listed. Paths rctr itself manages (mount points such as /proc and /dev,
 * the volumes, podman's list of init files: /etc/hosts, /etc/resolv.conf, /run/.containerenv,
 * ...) are left out, as podman does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct engine_container;
struct engine_ctx;
struct rctr_error;

struct engine_change {
        char kind;  /* 'C', 'A' or 'D' */
        char *path; /* owned: absolute in the container ("/etc/new") */
};

struct engine_changes {
        struct engine_change *v;
        size_t n;
};

void engine_changes_clear(struct engine_changes *c);

/* What to leave out: paths (absolute, clean) alone, and paths with everything below them. */
struct engine_diff_skip {
        const char *const *exact; /* NULL-terminated, or NULL */
        const char *const *below; /* NULL-terminated, or NULL */
};

/* What the tree compared with the image is. */
enum engine_diff_form {
        ENGINE_DIFF_ROOTFS,         /* a whole rootfs copy (vfs) */
        ENGINE_DIFF_OVERLAY,        /* kernel overlayfs's upper directory */
        ENGINE_DIFF_FUSE_OVERLAYFS, /* fuse-overlayfs's: ".wh." names are its own bookkeeping */
};

/*
 * Compare newfd with the image made of the layer diff directories lowerfds[0..n) (bottom first;
 * overlay form: 0/0 character device whiteouts, opaque directories by xattr). A complete rootfs
 * is compared entry by entry (mode, owner, size, mtime; for directories mode and owner). In an
 * upper directory every entry is a change, whiteouts are deletions (0/0 character devices, and
 * fuse-overlayfs's ".wh.NAME" files) and opaque directories hide what the image had in them.
 * Appends to *ret in walk order (sorted names, a directory before its contents). Returns 0 or
 * -errno with err set.
 */
int engine_diff_trees(int newfd, enum engine_diff_form form, const int *lowerfds, size_t n,
                      const struct engine_diff_skip *skip, struct engine_changes *ret,
                      struct rctr_error *err);

/*
 * The changes of container c: its overlay upper directory against its layers, or for vfs its
 * rootfs (mounted for the while if needed, engine/container-rootfs.h). Call from where the
 * store is used. Returns 0 with *ret filled, or -errno with err set.
 */
int engine_container_diff(const struct engine_ctx *ctx, const struct engine_container *c,
                          struct engine_changes *ret, struct rctr_error *err);
