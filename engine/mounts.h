/* The container's filesystem view: run in the container's init, in its new mount namespace. */
#pragma once

#include <stdbool.h>

struct engine_spec;
struct rctr_error;

/*
 * Make rootfs (an absolute path) the root: stop propagation to the parent namespace, bind it onto
 * itself, mount spec->mounts inside it (targets resolved and created without leaving it), fill
 * /dev, and pivot_root into it (no_pivot: move it onto / and chroot). Returns 0 or -errno.
 */
int engine_mounts_setup(const struct engine_spec *spec, const char *rootfs, bool no_pivot,
                        struct rctr_error *err);

/* After the root is in place: apply maskedPaths, readonlyPaths and root.readonly. */
int engine_mounts_finish(const struct engine_spec *spec, struct rctr_error *err);
