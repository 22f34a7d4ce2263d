#include <config.h>
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver-private.h"
#include "storage/probe.h"

#define DRIVER_CACHE_NAME "driver.json"
/* {"driver": "fuse-overlayfs"} and some room: anything longer is not ours. */
#define DRIVER_CACHE_MAX 4096

static const char *const driver_names[] = {
        [STORAGE_DRIVER_OVERLAY] = "overlay",
        [STORAGE_DRIVER_FUSE_OVERLAYFS] = "fuse-overlayfs",
        [STORAGE_DRIVER_VFS] = "vfs",
};

const char *storage_driver_name(enum storage_driver_kind kind)
{
        if ((size_t)kind >= ARRAY_SIZE(driver_names))
                return "unknown";
        return driver_names[kind];
}

static bool driver_lookup(const char *name, enum storage_driver_kind *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(driver_names); i++)
                if (streq(name, driver_names[i])) {
                        *ret = (enum storage_driver_kind)i;
                        return true;
                }
        return false;
}

int storage_driver_parse(const char *name, enum storage_driver_kind *ret, struct rctr_error *err)
{
        if (driver_lookup(name, ret))
                return 0;
        return rctr_error_set(err, EINVAL,
                              "unknown storage driver \"%s\" (overlay, fuse-overlayfs or vfs)",
                              name);
}

static int open_store_root(const char *store_root, bool create, struct rctr_error *err)
{
        int fd;

        if (create) {
                int r = fs_mkdir_p(store_root, 0700, err);

                if (r < 0)
                        return r;
        }
        fd = open(store_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", store_root);
        return fd;
}

int storage_driver_read_cache(const char *store_root, enum storage_driver_kind *ret,
                              struct rctr_error *err)
{
        cleanup_close int rootfd = open_store_root(store_root, false, err);
        cleanup_buf struct buf text = {0};
        json_auto_t *doc = NULL;
        const char *name = NULL;
        int r;

        if (rootfd == -ENOENT) {
                rctr_error_clear(err);
                return 0;
        }
        if (rootfd < 0)
                return rootfd;
        buf_init(&text, DRIVER_CACHE_MAX);
        r = fs_read_at(rootfd, DRIVER_CACHE_NAME, &text, err);
        if (r == -ENOENT) {
                rctr_error_clear(err);
                return 0;
        }
        if (r >= 0)
                r = jsonutil_parse(text.data, text.len, DRIVER_CACHE_MAX, &doc, err);
        if (r >= 0)
                r = jsonutil_get_string(doc, "driver", true, &name, err);
        if (r >= 0 && !driver_lookup(name, ret))
                r = rctr_error_set(err, EBADMSG, "unknown driver \"%s\"", name);
        if (r < 0)
                return rctr_error_prefix(err, "read %s/%s", store_root, DRIVER_CACHE_NAME);
        return 1;
}

static int write_cache(const char *store_root, enum storage_driver_kind kind,
                       struct rctr_error *err)
{
        cleanup_close int rootfd = open_store_root(store_root, true, err);
        cleanup_free char *text = NULL;

        if (rootfd < 0)
                return rootfd;
        text = xasprintf("{\"driver\": \"%s\"}\n", storage_driver_name(kind));
        return fs_write_atomic_at(rootfd, DRIVER_CACHE_NAME, text, strlen(text), 0644, err);
}

/* What `rctr info` would pick, recorded for every later command. */
static int probe_and_record(const char *store_root, bool rootless, enum storage_driver_kind *ret,
                            struct rctr_error *err)
{
        json_auto_t *probe = storage_probe(store_root, rootless);
        json_t *kernel = json_object_get(probe, "kernelOverlay");
        const char *name = json_string_value(json_object_get(probe, "driver"));
        const char *why = json_string_value(json_object_get(kernel, "error"));
        enum storage_driver_kind kind = STORAGE_DRIVER_VFS;
        int r;

        if (!name)
                return rctr_error_set(err, EIO, "probe the storage drivers: no result");
        r = storage_driver_parse(name, &kind, err);
        if (r < 0)
                return r;
        if (why)
                log_info("kernel overlay is not usable here (%s): using %s", why, name);
        r = write_cache(store_root, kind, err);
        if (r < 0)
                return rctr_error_prefix(err, "record the storage driver");
        log_debug("storage driver %s recorded in %s/%s", name, store_root, DRIVER_CACHE_NAME);
        *ret = kind;
        return 0;
}

int storage_driver_choose(const char *store_root, bool rootless, const char *forced,
                          enum storage_driver_kind *ret, struct rctr_error *err)
{
        cleanup_error struct rctr_error cache_err = {0};
        enum storage_driver_kind kind = STORAGE_DRIVER_VFS;
        int cached, r;

        cached = storage_driver_read_cache(store_root, &kind, &cache_err);
        if (cached < 0)
                log_warn("%s: replacing it, ignoring", cache_err.msg);
        if (forced) {
                r = storage_driver_parse(forced, &kind, err);
                if (r < 0)
                        return r;
                /* the first use of the store fixes its driver; later ones only override it */
                if (cached <= 0) {
                        r = write_cache(store_root, kind, err);
                        if (r < 0)
                                return rctr_error_prefix(err, "record the storage driver");
                }
                *ret = kind;
                return 0;
        }
        if (cached > 0) {
                *ret = kind;
                return 0;
        }
        return probe_and_record(store_root, rootless, ret, err);
}

/* Absolute, symlink-free paths of the lower layers, each checked to be a directory. */
static int resolve_lowers(const char *const *lower_diffs, size_t n, int container_fd,
                          const char *container_dir, char ***ret, struct rctr_error *err)
{
        cleanup_strv char **lowers = xzalloc((n + 2) * sizeof(char *));
        struct stat st;

        for (size_t i = 0; i < n; i++) {
                lowers[i] = realpath(lower_diffs[i], NULL);
                if (!lowers[i])
                        return rctr_error_sys(err, errno, "lower layer %zu (%s)", i + 1,
                                              lower_diffs[i]);
                if (stat(lowers[i], &st) < 0)
                        return rctr_error_sys(err, errno, "lower layer %zu (%s)", i + 1, lowers[i]);
                if (!S_ISDIR(st.st_mode))
                        return rctr_error_set(err, ENOTDIR, "lower layer %zu (%s): not a directory",
                                              i + 1, lowers[i]);
        }
        /* An image without layers: overlay needs a lower directory, so it gets an empty one. */
        if (n == 0) {
                if (mkdirat(container_fd, "empty", 0755) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s/empty", container_dir);
                lowers[0] = xasprintf("%s/empty", container_dir);
        }
        *ret = TAKE_PTR(lowers);
        return 0;
}

static int open_container_dir(const char *container_dir, char **ret_path, struct rctr_error *err)
{
        cleanup_free char *path = realpath(container_dir, NULL);
        int fd;

        if (!path)
                return rctr_error_sys(err, errno, "open %s", container_dir);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return fd;
}

static int driver_mount(enum storage_driver_kind kind, const char *const *lower_diffs,
                        size_t n_lower, const char *dir, int dirfd, bool rootless, bool throwaway,
                        struct rctr_error *err)
{
        cleanup_strv char **lowers = NULL;
        size_t n = n_lower ? n_lower : 1;
        int r = resolve_lowers(lower_diffs, n_lower, dirfd, dir, &lowers, err);

        if (r < 0)
                return r;
        switch (kind) {
        case STORAGE_DRIVER_OVERLAY:
                return storage_driver_overlay_mount((const char *const *)lowers, n, dir, dirfd,
                                                    rootless, throwaway, STORAGE_OVERLAY_API_AUTO,
                                                    err);
        case STORAGE_DRIVER_FUSE_OVERLAYFS:
                return storage_driver_fuse_mount((const char *const *)lowers, n, dir, dirfd, err);
        case STORAGE_DRIVER_VFS:
                return storage_driver_vfs_mount((const char *const *)lowers, n, dirfd, err);
        }
        return rctr_error_set(err, EINVAL, "unknown storage driver %d", (int)kind);
}

int storage_driver_mount(enum storage_driver_kind kind, const char *const *lower_diffs,
                         size_t n_lower, const char *container_dir, bool rootless,
                         char **ret_rootfs, struct rctr_error *err)
{
        return storage_driver_mount_throwaway(kind, lower_diffs, n_lower, container_dir, rootless,
                                              false, ret_rootfs, err);
}

int storage_driver_mount_throwaway(enum storage_driver_kind kind, const char *const *lower_diffs,
                                   size_t n_lower, const char *container_dir, bool rootless,
                                   bool throwaway, char **ret_rootfs, struct rctr_error *err)
{
        cleanup_free char *dir = NULL;
        cleanup_close int dirfd = open_container_dir(container_dir, &dir, err);
        int r;

        if (dirfd < 0)
                return rctr_error_prefix(err, "%s driver", storage_driver_name(kind));
        r = driver_mount(kind, lower_diffs, n_lower, dir, dirfd, rootless, throwaway, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s driver", storage_driver_name(kind));
        *ret_rootfs = xasprintf("%s/%s", dir, kind == STORAGE_DRIVER_VFS ? "rootfs" : "merged");
        return 0;
}

int storage_driver_unmount(enum storage_driver_kind kind, const char *container_dir,
                           struct rctr_error *err)
{
        cleanup_free char *dir = NULL;
        cleanup_close int dirfd = -1;
        int r = 0;

        if (kind == STORAGE_DRIVER_VFS)
                return 0; /* a copy: nothing to undo */
        dirfd = open_container_dir(container_dir, &dir, err);
        if (dirfd == -ENOENT) {
                rctr_error_clear(err);
                return 0; /* removed already: nothing can be mounted there */
        }
        if (dirfd < 0)
                return rctr_error_prefix(err, "%s driver", storage_driver_name(kind));
        if (kind == STORAGE_DRIVER_OVERLAY)
                r = storage_driver_overlay_unmount(dir, dirfd, err);
        else if (kind == STORAGE_DRIVER_FUSE_OVERLAYFS)
                r = storage_driver_fuse_unmount(dir, dirfd, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s driver", storage_driver_name(kind));
        return 0;
}

char *storage_driver_upper_dir(enum storage_driver_kind kind, const char *container_dir)
{
        if (kind == STORAGE_DRIVER_VFS)
                return NULL;
        return xasprintf("%s/upper", container_dir);
}

/* Give upper/ the root directory's owner, mode and times: the merged root shows upper's. */
static int copy_root_attrs(int upperfd, const char *top_lower, struct rctr_error *err)
{
        struct stat st;
        struct timespec times[2];

        if (stat(top_lower, &st) < 0)
                return rctr_error_sys(err, errno, "inspect %s", top_lower);
        /* EPERM/EINVAL: an owner this user namespace cannot map; the directory stays ours */
        if (fchown(upperfd, st.st_uid, st.st_gid) < 0 && errno != EPERM && errno != EINVAL)
                return rctr_error_sys(err, errno, "set the owner of upper");
        if (fchmod(upperfd, st.st_mode & 07777) < 0)
                return rctr_error_sys(err, errno, "set the mode of upper");
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        if (futimens(upperfd, times) < 0)
                return rctr_error_sys(err, errno, "set the times of upper");
        return 0;
}

int storage_driver_make_dirs(int container_fd, const char *top_lower, struct rctr_error *err)
{
        static const char *const private_dirs[] = {"work", "merged"};

        if (mkdirat(container_fd, "upper", 0700) == 0) {
                cleanup_close int upperfd = openat(container_fd, "upper",
                                                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int r;

                if (upperfd < 0)
                        return rctr_error_sys(err, errno, "open upper");
                r = copy_root_attrs(upperfd, top_lower, err);
                if (r < 0)
                        return r;
        } else if (errno != EEXIST) {
                return rctr_error_sys(err, errno, "create upper");
        }
        for (size_t i = 0; i < ARRAY_SIZE(private_dirs); i++)
                if (mkdirat(container_fd, private_dirs[i], 0700) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s", private_dirs[i]);
        return 0;
}

int storage_driver_check_mounted(const char *container_dir, int container_fd, long magic,
                                 struct rctr_error *err)
{
        cleanup_close int fd =
                openat(container_fd, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat dir_st, st;
        struct statfs sfs;

        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return rctr_error_sys(err, errno, "open merged");
        if (fstat(container_fd, &dir_st) < 0)
                return rctr_error_sys(err, errno, "inspect the container directory");
        if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
                if (errno != ENOTCONN)
                        return rctr_error_sys(err, errno, "inspect merged");
                /* a FUSE mount whose daemon is gone (killed with its cgroup): mount again */
                return storage_driver_detach(container_dir, err);
        }
        if (st.st_dev == dir_st.st_dev)
                return 0;
        if ((long)sfs.f_type == magic)
                return 1;
        return rctr_error_set(err, EBUSY, "merged is a mount point already (file system 0x%lx)",
                              (unsigned long)sfs.f_type);
}

int storage_driver_detach(const char *container_dir, struct rctr_error *err)
{
        cleanup_free char *merged = xasprintf("%s/merged", container_dir);

        /*
         * Lazy: a process still inside (an exec session, a shell with its cwd there) keeps its
         * view until it leaves, and we never block on it. Needs CAP_SYS_ADMIN over the mount
         * namespace, which rctr has inside its own user namespace.
         */
        if (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                return 0;
        if (errno == EINVAL || errno == ENOENT)
                return 0; /* not a mount point: nothing mounted */
        return rctr_error_sys(err, errno, "unmount %s", merged);
}
