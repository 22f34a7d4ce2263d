/* The container's filesystem view: run in the container's init, in its new mount namespace. */
#pragma once

#include <stdbool.h>

struct engine_spec;
struct rctr_error;

/*
 * Prepare rootfs (an absolute path) as the root: stop propagation to the parent namespace, bind it
 * onto itself, mount spec->mounts inside it (targets resolved and created without leaving it) and
 * fill /dev. Returns 0 or -errno with err set.
 */
int engine_mounts_prepare(const struct engine_spec *spec, const char *rootfs,
                          struct rctr_error *err);

/* Make the prepared rootfs our root: pivot_root (no_pivot: move it onto / and chroot). */
int engine_mounts_enter(const char *rootfs, bool no_pivot, struct rctr_error *err);

/* After the root is in place: apply maskedPaths, readonlyPaths and root.readonly. */
int engine_mounts_finish(const struct engine_spec *spec, struct rctr_error *err);

/* Bind the host's src onto dest inside rootfd (created there: a file or directory like src). */
int engine_mounts_bind_into(int rootfd, const char *src, const char *dest, bool recursive,
                            struct rctr_error *err);
