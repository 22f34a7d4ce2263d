/*
 * Between storage/driver.c and the files of the drivers (driver-overlay.c, driver-fuse.c,
 * driver-vfs.c); not for other modules, which use storage/driver.h. The unit test calls the
 * overlay driver directly to try both ways of passing the layers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct rctr_error;

/* How the overlay driver hands the kernel its lower layers. */
enum storage_overlay_api {
        STORAGE_OVERLAY_API_AUTO,     /* fsconfig on Linux >= 6.8, else legacy */
        STORAGE_OVERLAY_API_FSCONFIG, /* fsopen + one fsconfig("lowerdir+") per layer */
        STORAGE_OVERLAY_API_LEGACY,   /* mount(2) with short links l/<n>, in a page */
};

/*
 * The drivers' part of storage_driver_mount: lowers are n >= 1 absolute paths of existing
 * directories (bottom first), container_dir is absolute and container_fd an O_RDONLY fd of it.
 * Each returns 0 when the rootfs is ready (made now or before), or -errno with err set.
 */
int storage_driver_overlay_mount(const char *const *lowers, size_t n, const char *container_dir,
                                 int container_fd, bool rootless, bool throwaway,
                                 enum storage_overlay_api api, struct rctr_error *err);
int storage_driver_overlay_unmount(const char *container_dir, int container_fd,
                                   struct rctr_error *err);
int storage_driver_fuse_mount(const char *const *lowers, size_t n, const char *container_dir,
                              int container_fd, struct rctr_error *err);
int storage_driver_fuse_unmount(const char *container_dir, int container_fd,
                                struct rctr_error *err);
int storage_driver_vfs_mount(const char *const *lowers, size_t n, int container_fd,
                             struct rctr_error *err);

/*
 * For overlay and fuse-overlayfs: make upper/ (on first use with the owner, mode and times of
 * the top layer's root: the merged root shows upper's), work/ and merged/ in container_fd.
 * Returns 0 or -errno with err set.
 */
int storage_driver_make_dirs(int container_fd, const char *top_lower, struct rctr_error *err);

/*
 * Whether merged/ in container_fd (of container_dir) is a mount of a file system with the statfs
 * magic: 1 (mounted before: use it), 0 (not a mount point; a dead FUSE mount, whose daemon is gone,
 * is detached first so that it can be mounted again), or -errno with err set (-EBUSY: something
 * else is mounted there).
 */
int storage_driver_check_mounted(const char *container_dir, int container_fd, long magic,
                                 struct rctr_error *err);

/*
 * umount2(MNT_DETACH) of <container_dir>/merged. Returns 0 (also when nothing was mounted), or
 * -errno with err set; callers may branch on -EPERM (not allowed here: no CAP_SYS_ADMIN over this
 * mount namespace).
 */
int storage_driver_detach(const char *container_dir, struct rctr_error *err);
