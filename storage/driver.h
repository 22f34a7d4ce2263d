/*
 * Rootfs drivers (DESIGN.md, step 4): how a container's root file system is made from its
 * image's layer diffs. Every layer in the store is an overlay-style diff (storage/whiteout.h:
 * deletions are 0/0 character devices, opaque directories carry an xattr), which each driver
 * reads as it is: kernel overlay mounts the diffs, fuse-overlayfs does the same in user space,
 * and vfs copies them into a plain directory, applying the whiteouts itself.
 *
 * Everything here runs where the store is used: for a rootless user inside rctr's user and
 * mount namespace (rootless_enter), so that overlay mounts land in the namespace the pause
 * process keeps alive and outlive the command that made them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct rctr_error;

enum storage_driver_kind {
        STORAGE_DRIVER_OVERLAY,        /* kernel overlayfs (rootless: userxattr, 5.11) */
        STORAGE_DRIVER_FUSE_OVERLAYFS, /* the fuse-overlayfs program */
        STORAGE_DRIVER_VFS,            /* a full copy per container */
};

/* Kernel overlayfs stacks at most this many lower layers (OVL_MAX_STACK). */
#define STORAGE_DRIVER_MAX_LAYERS 500

/* The name of each driver as --storage-driver and `rctr info` spell it. Static string. */
const char *storage_driver_name(enum storage_driver_kind kind);

/*
 * "overlay", "fuse-overlayfs" or "vfs" to a driver. Returns 0, or -EINVAL with err naming the
 * valid choices.
 */
int storage_driver_parse(const char *name, enum storage_driver_kind *ret, struct rctr_error *err);

/*
 * The driver recorded in <store_root>/driver.json. Returns 1 with *ret set, 0 when there is no
 * record yet, or -errno with err set (-EBADMSG: the record is not ours).
 */
int storage_driver_read_cache(const char *store_root, enum storage_driver_kind *ret,
                              struct rctr_error *err);

/*
 * Which driver a command uses. forced (--storage-driver, NULL when not given) wins. Otherwise
 * the record in <store_root>/driver.json, written (atomically) the first time the store is used,
 * so that later commands neither probe again nor switch drivers when the host changes; a broken
 * record is warned about and replaced. Without a record, probe as `rctr info` does
 * (storage_probe: a test mount of kernel overlay, with userxattr when rootless; else
 * fuse-overlayfs when installed and /dev/fuse is usable; else vfs) and record the result. A
 * forced driver is recorded only when there is no record yet: the first use of a store fixes its
 * driver, as podman's database does, while a later --storage-driver affects only that command.
 * Layers are the same for every driver, so switching is safe for images; a container must be
 * unmounted with the driver that mounted it, which its own record has to remember.
 * Call from inside the user namespace. Returns 0 with *ret set, or -errno with err set (-EINVAL:
 * unknown forced name).
 */
int storage_driver_choose(const char *store_root, bool rootless, const char *forced,
                          enum storage_driver_kind *ret, struct rctr_error *err);

/*
 * Make the root file system of a container from the diff directories lower_diffs[0..n_lower)
 * (bottom layer first; n_lower may be 0 for an image without layers) in container_dir, a
 * directory of this container that the caller made and locks. The driver owns these names in
 * it: upper/ (the container's changes), work/ and merged/ (the mount point) for overlay and
 * fuse-overlayfs, l/ for overlay; rootfs/ for vfs; empty/ stands in for the lower layer of an
 * image that has none.
 *
 * overlay mounts overlayfs on merged/ (userxattr when rootless); the layers are passed one by
 * one through fsconfig("lowerdir+") on Linux >= 6.8, else as short links l/<n> in the single
 * page the mount(2) option string may take. fuse-overlayfs starts that program, which mounts
 * merged/ and daemonizes (setsid, so a closing terminal does not end it); it stays in the
 * caller's cgroup, so a caller that runs in a scope that is torn down with it (a CI job step)
 * must move it, or the rootfs goes with it (a later mount notices the dead mount and remounts).
 * vfs copies the layers into rootfs/ (through rootfs.tmp/, renamed when complete).
 *
 * Mounting again what is already mounted (or copied) returns the same rootfs: nothing is
 * stacked or copied twice. *ret_rootfs is the absolute path of the root file system (owned).
 * Returns 0, or -errno with err set: -ENOENT/-ENOTDIR for a missing lower layer, -EFBIG for more
 * than STORAGE_DRIVER_MAX_LAYERS layers on overlay, -EOPNOTSUPP when fuse-overlayfs is not
 * installed, -EIO when it failed (its message included), others from the kernel.
 */
int storage_driver_mount(enum storage_driver_kind kind, const char *const *lower_diffs,
                         size_t n_lower, const char *container_dir, bool rootless,
                         char **ret_rootfs, struct rctr_error *err);

/*
 * The same; throwaway: the container's changes die with it (run --rm), so kernel overlay mounts
 * it "volatile" (no syncing of upper/, and none at unmount: about 4 ms per container here).
 * A crash may leave upper/ inconsistent, which nobody reads again; unmounting removes the mark
 * that would stop a later mount.
 */
int storage_driver_mount_throwaway(enum storage_driver_kind kind, const char *const *lower_diffs,
                                   size_t n_lower, const char *container_dir, bool rootless,
                                   bool throwaway, char **ret_rootfs, struct rctr_error *err);

/*
 * Undo storage_driver_mount's mount: overlay and fuse-overlayfs detach merged/ (MNT_DETACH:
 * processes still inside keep their view; fusermount3 -u -z where umount2 is refused, which ends
 * the fuse-overlayfs daemon), vfs does nothing. upper/ stays. Unmounting what is not mounted
 * succeeds. Returns 0 or -errno with err set.
 */
int storage_driver_unmount(enum storage_driver_kind kind, const char *container_dir,
                           struct rctr_error *err);

/*
 * The directory that holds what a container changed, in overlay form (for `rctr diff`):
 * <container_dir>/upper for overlay and fuse-overlayfs, owned; NULL for vfs, which keeps no
 * separate record.
 */
char *storage_driver_upper_dir(enum storage_driver_kind kind, const char *container_dir);
