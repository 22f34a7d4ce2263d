/* The container's filesystem view: run in the container's init, in its new mount namespace. */
#pragma once

struct engine_spec;
struct rctr_error;

/*
 * Make rootfs (an absolute path) the root: stop propagation to the parent namespace, bind it onto
 * itself, mount spec->mounts inside it (targets resolved and created without leaving it), fill
 * /dev, pivot_root into it, then apply maskedPaths, readonlyPaths and root.readonly.
 * Returns 0 or -errno with err set.
 */
int engine_mounts_setup(const struct engine_spec *spec, const char *rootfs, struct rctr_error *err);
