/*
 * The vfs driver: no mount at all, the rootfs is a copy. Each layer's diff is copied over the
 * previous ones, bottom first, doing what overlayfs would show: a 0/0 character device removes
 * the entry below and is not copied; an opaque directory (any of the markers overlayfs and
 * fuse-overlayfs read) drops what the layers below had in it; a directory over a directory
 * merges, anything else replaces. Overlay's own xattrs stay behind; hard links within a layer
 * stay links. Slow and large, but it works everywhere, which is why it is the last choice.
 */
#include <config.h>
#include "storage/driver-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/whiteout.h"

/* Deeper than any layer may be (STORAGE_LAYER_PATH_MAX_DEPTH); it bounds the recursion. */
#define VFS_MAX_DEPTH 256
/* XATTR_LIST_MAX and XATTR_SIZE_MAX: the kernel's own limits. */
#define VFS_XATTR_MAX 65536

/* Whoever unpacked the layer (root, rootless, fuse-overlayfs itself) used one of these. */
static const char *const opaque_xattrs[] = {
        "trusted.overlay.opaque",
        "user.overlay.opaque",
        "user.fuseoverlayfs.opaque",
};

/* Overlay bookkeeping, which means nothing in a plain directory. */
static const char *const private_xattr_prefixes[] = {
        "trusted.overlay.",
        "user.overlay.",
        "user.fuseoverlayfs.",
};

/* A file of the layer being copied with more than one link, and where its copy went. */
struct hardlink {
        dev_t dev;
        ino_t ino;
        char *path; /* owned; relative to the rootfs */
};

struct vfs_copy {
        int rootfd;      /* borrowed: the rootfs being made */
        struct buf path; /* the directory being copied, relative to the rootfs ("" at the top) */
        void *links;     /* tsearch tree of struct hardlink, for the current layer */
};

static int hardlink_cmp(const void *a, const void *b)
{
        const struct hardlink *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return 0;
}

static void hardlink_free(void *p)
{
        struct hardlink *h = p;

        free(h->path);
        free(h);
}

static char *rel_path(const struct vfs_copy *c, const char *name)
{
        return xasprintf("%s%s%s", c->path.data, c->path.len ? "/" : "", name);
}

/* Set err for a failure on name in the directory being copied, naming its path in the rootfs. */
static int fail(const struct vfs_copy *c, int code, const char *what, const char *name,
                struct rctr_error *err)
{
        cleanup_free char *path = rel_path(c, name);

        return rctr_error_sys(err, code, "%s /%s", what, path);
}

static bool is_opaque(int dirfd)
{
        char value[16];

        for (size_t i = 0; i < ARRAY_SIZE(opaque_xattrs); i++) {
                ssize_t n = fgetxattr(dirfd, opaque_xattrs[i], value, sizeof(value));

                if (n >= 1 && value[0] == 'y')
                        return true;
        }
        return false;
}

static bool is_private_xattr(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(private_xattr_prefixes); i++)
                if (strncmp(name, private_xattr_prefixes[i], strlen(private_xattr_prefixes[i])) ==
                    0)
                        return true;
        return false;
}

/* user.*, security.capability and, for root, trusted.* xattrs of a file or directory. */
static int copy_xattrs(const struct vfs_copy *c, int src, int dst, const char *name,
                       struct rctr_error *err)
{
        cleanup_free char *list = NULL;
        cleanup_free char *value = NULL;
        ssize_t len = flistxattr(src, NULL, 0);

        if (len == 0 || (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)))
                return 0;
        list = xmalloc(VFS_XATTR_MAX);
        value = xmalloc(VFS_XATTR_MAX);
        len = flistxattr(src, list, VFS_XATTR_MAX);
        if (len < 0)
                return fail(c, errno, "list the xattrs of", name, err);
        for (const char *k = list; k < list + len; k += strlen(k) + 1) {
                ssize_t n;

                if (is_private_xattr(k))
                        continue;
                n = fgetxattr(src, k, value, VFS_XATTR_MAX);
                if (n < 0 && errno == ENODATA)
                        continue; /* removed meanwhile */
                if (n < 0)
                        return fail(c, errno, "read an xattr of", name, err);
                if (fsetxattr(dst, k, value, (size_t)n, 0) == 0)
                        continue;
                /* EPERM: trusted.* in a user namespace; EOPNOTSUPP: the file system has none */
                if (errno != EPERM && errno != EOPNOTSUPP)
                        return fail(c, errno, "set an xattr of", name, err);
                log_debug("xattr %s of %s not copied: %s", k, name, strerror(errno));
        }
        return 0;
}

/* Owner before mode (chown clears setuid bits), xattrs after owner (it clears file caps). */
static int set_meta(const struct vfs_copy *c, int src, int dst, const char *name,
                    const struct stat *st, struct rctr_error *err)
{
        struct timespec times[2] = {st->st_atim, st->st_mtim};
        int r;

        /* EPERM/EINVAL: an id this user namespace cannot map; the copy stays ours */
        if (fchown(dst, st->st_uid, st->st_gid) < 0 && errno != EPERM && errno != EINVAL)
                return fail(c, errno, "set the owner of", name, err);
        if (fchmod(dst, st->st_mode & 07777) < 0)
                return fail(c, errno, "set the mode of", name, err);
        r = copy_xattrs(c, src, dst, name, err);
        if (r < 0)
                return r;
        if (futimens(dst, times) < 0)
                return fail(c, errno, "set the times of", name, err);
        return 0;
}

/* Symlinks and special files: no fd to open safely, so by name without following. */
static int set_meta_at(const struct vfs_copy *c, int dstdir, const char *name,
                       const struct stat *st, struct rctr_error *err)
{
        struct timespec times[2] = {st->st_atim, st->st_mtim};

        if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EPERM && errno != EINVAL)
                return fail(c, errno, "set the owner of", name, err);
        if (!S_ISLNK(st->st_mode) && fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
                return fail(c, errno, "set the mode of", name, err);
        if (utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(c, errno, "set the times of", name, err);
        return 0;
}

/* copy_file_range (a reflink on file systems that can) where possible, else read and write. */
static int copy_data(int in, int out)
{
        char buf[65536];
        ssize_t n;

        for (;;) {
                n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0 || errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return -errno;
                break; /* not between these files: go on from the same offsets by hand */
        }
        while ((n = RETRY_EINTR(read(in, buf, sizeof(buf)))) > 0)
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return -errno;
        return n < 0 ? -errno : 0;
}

static int copy_regular(const struct vfs_copy *c, int srcdir, int dstdir, const char *name,
                        const struct stat *st, struct rctr_error *err)
{
        cleanup_close int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = -1;
        int r;

        if (in < 0)
                return fail(c, errno, "open", name, err);
        out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return fail(c, errno, "create", name, err);
        r = copy_data(in, out);
        if (r < 0)
                return fail(c, -r, "copy", name, err);
        return set_meta(c, in, out, name, st, err);
}

/* A second name of a file this layer copied already: link to the copy. */
static int link_copy(const struct vfs_copy *c, const char *target, int dstdir, const char *name,
                     struct rctr_error *err)
{
        const char *slash = strrchr(target, '/');
        cleanup_free char *parent = slash ? xstrndup(target, (size_t)(slash - target)) : NULL;
        /* resolved inside the rootfs: a symlink there cannot send the link elsewhere */
        cleanup_close int pfd =
                fs_open_in_root(c->rootfd, parent ? parent : ".", O_PATH | O_DIRECTORY, err);

        if (pfd < 0)
                return pfd;
        if (linkat(pfd, slash ? slash + 1 : target, dstdir, name, 0) < 0)
                return fail(c, errno, "link", name, err);
        return 0;
}

static int copy_file(struct vfs_copy *c, int srcdir, int dstdir, const char *name,
                     const struct stat *st, struct rctr_error *err)
{
        struct hardlink key = {.dev = st->st_dev, .ino = st->st_ino};
        struct hardlink *h;
        int r;

        if (st->st_nlink > 1) {
                struct hardlink **found = tfind(&key, &c->links, hardlink_cmp);

                if (found)
                        return link_copy(c, (*found)->path, dstdir, name, err);
        }
        r = copy_regular(c, srcdir, dstdir, name, st, err);
        if (r < 0 || st->st_nlink <= 1)
                return r;
        h = xmalloc(sizeof(*h));
        *h = key;
        h->path = rel_path(c, name);
        if (!tsearch(h, &c->links, hardlink_cmp))
                xalloc_die();
        return 0;
}

static int copy_symlink(const struct vfs_copy *c, int srcdir, int dstdir, const char *name,
                        const struct stat *st, struct rctr_error *err)
{
        cleanup_free char *target = xmalloc(PATH_MAX);
        ssize_t n = readlinkat(srcdir, name, target, PATH_MAX - 1);

        if (n < 0)
                return fail(c, errno, "read the link", name, err);
        target[n] = '\0';
        if (symlinkat(target, dstdir, name) < 0)
                return fail(c, errno, "create the link", name, err);
        return set_meta_at(c, dstdir, name, st, err);
}

static int copy_special(const struct vfs_copy *c, int dstdir, const char *name,
                        const struct stat *st, struct rctr_error *err)
{
        if (mknodat(dstdir, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) {
                /* a device node in a user namespace: the unpacker skipped those already */
                if (errno == EPERM) {
                        log_debug("device node %s not copied: %s", name, strerror(errno));
                        return 0;
                }
                return fail(c, errno, "create", name, err);
        }
        return set_meta_at(c, dstdir, name, st, err);
}

static int copy_dir(struct vfs_copy *c, int srcfd, int dstfd, int depth, struct rctr_error *err);

/* Remove what the layers below have under name in dstdir (missing is fine). */
static int remove_lower(const struct vfs_copy *c, int dstdir, const char *name,
                        struct rctr_error *err)
{
        int r = fs_remove_tree_at(dstdir, name, err);

        if (r < 0 && c->path.len)
                return rctr_error_prefix(err, "in /%s", c->path.data);
        return r;
}

/* A directory of the layer: merged into the one below, unless opaque or not a directory. */
static int apply_dir(struct vfs_copy *c, int srcdir, int dstdir, const char *name,
                     const struct stat *st, const struct stat *below, int depth,
                     struct rctr_error *err)
{
        cleanup_close int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int d = -1;
        size_t saved = c->path.len;
        int r;

        if (s < 0)
                return fail(c, errno, "open", name, err);
        if (below && (!S_ISDIR(below->st_mode) || is_opaque(s))) {
                r = remove_lower(c, dstdir, name, err);
                if (r < 0)
                        return r;
        }
        if (mkdirat(dstdir, name, 0700) < 0 && errno != EEXIST)
                return fail(c, errno, "create", name, err);
        d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
                return fail(c, errno, "open", name, err);
        (void)buf_appendf(&c->path, "%s%s", saved ? "/" : "", name);
        r = copy_dir(c, s, d, depth + 1, err);
        c->path.len = saved;
        c->path.data[saved] = '\0';
        if (r < 0)
                return r;
        return set_meta(c, s, d, name, st, err);
}

static int apply_entry(struct vfs_copy *c, int srcdir, int dstdir, const char *name, int depth,
                       struct rctr_error *err)
{
        struct stat st, below;
        bool exists;
        int r;

        if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(c, errno, "inspect", name, err);
        exists = fstatat(dstdir, name, &below, AT_SYMLINK_NOFOLLOW) == 0;
        if (!exists && errno != ENOENT)
                return fail(c, errno, "inspect", name, err);
        if (storage_whiteout_is_device(&st))
                return exists ? remove_lower(c, dstdir, name, err) : 0;
        if (S_ISDIR(st.st_mode))
                return apply_dir(c, srcdir, dstdir, name, &st, exists ? &below : NULL, depth, err);
        if (exists) {
                r = remove_lower(c, dstdir, name, err);
                if (r < 0)
                        return r;
        }
        if (S_ISREG(st.st_mode))
                return copy_file(c, srcdir, dstdir, name, &st, err);
        if (S_ISLNK(st.st_mode))
                return copy_symlink(c, srcdir, dstdir, name, &st, err);
        return copy_special(c, dstdir, name, &st, err);
}

static int copy_dir(struct vfs_copy *c, int srcfd, int dstfd, int depth, struct rctr_error *err)
{
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        int dupfd;

        if (depth > VFS_MAX_DEPTH)
                return rctr_error_set(err, ELOOP, "/%s: deeper than %d directories", c->path.data,
                                      VFS_MAX_DEPTH);
        dupfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0 || !(d = fdopendir(dupfd))) {
                int code = errno;

                if (dupfd >= 0)
                        close_nointr(dupfd);
                return fail(c, code, "read the directory", "", err);
        }
        while ((errno = 0, de = readdir(d))) {
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = apply_entry(c, srcfd, dstfd, de->d_name, depth, err);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return fail(c, errno, "read the directory", "", err);
        return 0;
}

/* An opaque layer root (".wh..wh..opq" at the top of the tar): nothing below shows. */
static int clear_dir(int dirfd, struct rctr_error *err)
{
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

        if (dupfd < 0 || !(d = fdopendir(dupfd))) {
                int code = errno;

                if (dupfd >= 0)
                        close_nointr(dupfd);
                return rctr_error_sys(err, code, "read the rootfs");
        }
        while ((de = readdir(d))) {
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = fs_remove_tree_at(dirfd, de->d_name, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply_layer(struct vfs_copy *c, const char *lower, struct rctr_error *err)
{
        cleanup_close int fd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return rctr_error_sys(err, errno, "open");
        if (is_opaque(fd)) {
                r = clear_dir(c->rootfd, err);
                if (r < 0)
                        return r;
        }
        r = copy_dir(c, fd, c->rootfd, 0, err);
        tdestroy(c->links, hardlink_free);
        c->links = NULL;
        if (r < 0)
                return r;
        /* the top layer's root directory decides the rootfs's owner and mode, as in overlay */
        return set_meta(c, fd, c->rootfd, "", &st, err);
}

static int copy_layers(const char *const *lowers, size_t n, int tmpfd, struct rctr_error *err)
{
        struct vfs_copy c = {.rootfd = tmpfd};
        int r = 0;

        buf_init(&c.path, 0);
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = apply_layer(&c, lowers[i], err);
                if (r < 0)
                        (void)rctr_error_prefix(err, "copy layer %zu/%zu (%s)", i + 1, n,
                                                lowers[i]);
        }
        buf_free(&c.path);
        if (r < 0)
                return r;
        /* Renamed into place only when complete and on disk: a crash never leaves half a rootfs. */
        if (syncfs(tmpfd) < 0)
                return rctr_error_sys(err, errno, "sync the rootfs");
        return 0;
}

int storage_driver_vfs_mount(const char *const *lowers, size_t n, int container_fd,
                             struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_close int tmpfd = -1;
        struct stat st;
        int r;

        if (fstatat(container_fd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0; /* copied before: the container's files, changes included */
        if (errno != ENOENT)
                return rctr_error_sys(err, errno, "inspect rootfs");
        r = fs_remove_tree_at(container_fd, "rootfs.tmp", err); /* a crashed copy */
        if (r < 0)
                return r;
        tmpfd = fs_mkdir_open_at(container_fd, "rootfs.tmp", 0700, err);
        if (tmpfd < 0)
                return tmpfd;
        r = copy_layers(lowers, n, tmpfd, err);
        if (r >= 0 && renameat(container_fd, "rootfs.tmp", container_fd, "rootfs") < 0)
                r = rctr_error_sys(err, errno, "rename rootfs.tmp to rootfs");
        if (r < 0) {
                (void)fs_remove_tree_at(container_fd, "rootfs.tmp", &ignored);
                return r;
        }
        if (fsync(container_fd) < 0)
                return rctr_error_sys(err, errno, "sync the container directory");
        return 0;
}
