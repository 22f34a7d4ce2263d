#include <config.h>
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <dirent.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "xalloc.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int fs_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = RETRY_EINTR(write(fd, p, len));

                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -(errno = EIO);
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int fs_read_fd(int fd, struct buf *out, const char *what, struct rctr_error *err)
{
        char chunk[4096];

        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, chunk, sizeof(chunk)));

                if (n < 0)
                        return rctr_error_sys(err, errno, "read %s", what);
                if (n == 0)
                        return 0;
                if (buf_append(out, chunk, (size_t)n) < 0)
                        return rctr_error_set(err, EFBIG, "read %s: larger than %zu bytes", what,
                                              out->max);
        }
}

int fs_read_at(int dirfd, const char *name, struct buf *out, struct rctr_error *err)
{
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", name);
        return fs_read_fd(fd, out, name, err);
}

static bool fs_is_tmpfs(int fd)
{
        struct statfs sfs;

        return fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

static int write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                        bool nosync, struct rctr_error *err)
{
        cleanup_free char *tmp = NULL;
        cleanup_close int fd = -1;

        /* A unique temporary name beside the target, created exclusively: never a symlink. */
        for (int attempt = 0; fd < 0; attempt++) {
                free(tmp);
                tmp = xasprintf(".%s.%d.%d.tmp", name, (int)getpid(), attempt);
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd < 0 && (errno != EEXIST || attempt > 100))
                        return rctr_error_sys(err, errno, "create %s", tmp);
        }
        if (fs_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || (!nosync && fsync(fd) < 0)) {
                int code = errno;

                (void)unlinkat(dirfd, tmp, 0);
                return rctr_error_sys(err, code, "write %s", name);
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int code = errno;

                (void)unlinkat(dirfd, tmp, 0);
                return rctr_error_sys(err, code, "rename %s to %s", tmp, name);
        }
        if (!nosync && fsync(dirfd) < 0)
                return rctr_error_sys(err, errno, "sync directory of %s", name);
        return 0;
}

int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       struct rctr_error *err)
{
        /* tmpfs has nothing to flush: skip the fsyncs */
        return write_atomic(dirfd, name, data, len, mode, fs_is_tmpfs(dirfd), err);
}

int fs_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                  struct rctr_error *err)
{
        return write_atomic(dirfd, name, data, len, mode, true, err);
}

int fs_write_string_at(int dirfd, const char *name, const char *text, struct rctr_error *err)
{
        cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", name);
        if (fs_write_all(fd, text, strlen(text)) < 0)
                return rctr_error_sys(err, errno, "write %s", name);
        return 0;
}

int fs_mkdir_open_at(int dirfd, const char *name, mode_t mode, struct rctr_error *err)
{
        int fd;

        if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create directory %s", name);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open directory %s", name);
        return fd;
}

static int open_dir_for_removal(int parentfd, const char *name)
{
        int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == EACCES && fchmodat(parentfd, name, 0700, 0) == 0)
                fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd;
}

int fs_remove_tree_at(int parentfd, const char *name, struct rctr_error *err)
{
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        int fd;

        if (unlinkat(parentfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return rctr_error_sys(err, errno, "remove %s", name);
        fd = open_dir_for_removal(parentfd, name);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", name);
        d = fdopendir(fd);
        if (!d) {
                close_nointr(fd);
                return rctr_error_sys(err, errno, "read %s", name);
        }
        while ((errno = 0, de = readdir(d))) {
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = fs_remove_tree_at(dirfd(d), de->d_name, err);
                if (r < 0)
                        return rctr_error_prefix(err, "%s", name);
        }
        if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return rctr_error_sys(err, errno, "remove %s", name);
        return 0;
}

int fs_open_in_root(int rootfd, const char *path, int flags, struct rctr_error *err)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s in the container root", path);
        return fd;
}

/* Create the last component of prefix (which does not exist yet) inside its parent. */
static int create_last(int rootfd, char *prefix, bool dir, struct rctr_error *err)
{
        cleanup_close int parent = -1, fd = -1;
        char *slash = strrchr(prefix, '/');
        const char *name = slash ? slash + 1 : prefix;

        if (slash) {
                *slash = '\0';
                parent = fs_open_in_root(rootfd, prefix[0] ? prefix : "/", O_PATH | O_DIRECTORY,
                                         err);
                *slash = '/';
        } else {
                parent = fs_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, err);
        }
        if (parent < 0)
                return parent;
        /* A name alone, in a parent resolved inside the root: cannot land outside it. */
        if (dir) {
                if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create directory %s", prefix);
                return 0;
        }
        fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create file %s", prefix);
        return 0;
}

/*
 * prefix does not resolve: if its last component is a symlink whose target is missing, return the
 * path to create instead (the target, then what followed prefix in path), else NULL.
 */
static char *dangling_target(int rootfd, char *prefix, const char *rest)
{
        cleanup_close int parent = -1;
        char *slash = strrchr(prefix, '/');
        char target[4096];
        cleanup_error struct rctr_error ignored = {0};
        ssize_t n;

        if (!slash)
                return NULL;
        *slash = '\0';
        parent = fs_open_in_root(rootfd, prefix[0] ? prefix : "/", O_PATH | O_DIRECTORY, &ignored);
        if (parent >= 0)
                n = readlinkat(parent, slash + 1, target, sizeof(target) - 1);
        else
                n = -1;
        if (n <= 0) {
                *slash = '/';
                return NULL;
        }
        target[n] = '\0';
        /* absolute targets are taken inside the root, relative ones beside the link */
        return target[0] == '/' ? xasprintf("%s%s%s", target, rest[0] ? "/" : "", rest)
                                : xasprintf("%s/%s%s%s", prefix, target, rest[0] ? "/" : "", rest);
}

static int mkpath(int rootfd, const char *path, bool dir, int depth, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(path);
        cleanup_error struct rctr_error ignored = {0};
        char *p = copy;
        int fd, r;

        if (depth > 40)
                return rctr_error_set(err, ELOOP, "create %s: too many symlinks", path);
        /* Each prefix in turn: open it if it exists, else create it; then go one deeper. */
        for (;;) {
                char *next = strchr(p + (*p == '/'), '/');
                bool last = !next || next[strspn(next, "/")] == '\0';

                if (next)
                        *next = '\0';
                if (copy[0]) {
                        fd = fs_open_in_root(rootfd, copy, O_PATH, &ignored);
                        rctr_error_clear(&ignored);
                        if (fd >= 0) {
                                close_nointr(fd);
                        } else if (fd == -ENOENT) {
                                cleanup_free char *redirect =
                                        dangling_target(rootfd, copy, next ? next + 1 : "");

                                /* a dangling symlink: make what it points to, inside the root */
                                if (redirect)
                                        return mkpath(rootfd, redirect, dir, depth + 1, err);
                                r = create_last(rootfd, copy, !last || dir, err);
                                if (r < 0)
                                        return r;
                        } else {
                                return fs_open_in_root(rootfd, copy, O_PATH, err);
                        }
                }
                if (last)
                        return 0;
                *next = '/';
                p = next + 1;
        }
}

int fs_mkpath_in_root(int rootfd, const char *path, bool dir, struct rctr_error *err)
{
        int r = mkpath(rootfd, path, dir, 0, err);

        return r < 0 ? r : fs_open_in_root(rootfd, path, O_PATH, err);
}

int fs_mkdir_p(const char *path, mode_t mode, struct rctr_error *err)
{
        cleanup_free char *copy = xstrdup(path);

        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s", copy);
                *p = '/';
        }
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
                return rctr_error_sys(err, errno, "create %s", copy);
        return 0;
}

static int cmp_names(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

void fs_sort_names(const char **names, size_t n)
{
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_names);
}

int fs_list_dir_sorted(int dirfd, char ***ret, struct rctr_error *err)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        cleanup_strv char **v = xzalloc(sizeof(char *));
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                if (fd >= 0)
                        close_nointr(fd);
                return rctr_error_sys(err, errno, "read the directory");
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                v = xreallocarray(v, n + 2, sizeof(char *));
                v[n++] = xstrdup(de->d_name);
                v[n] = NULL;
        }
        if (errno)
                return rctr_error_sys(err, errno, "read the directory");
        fs_sort_names((const char **)v, n);
        *ret = TAKE_PTR(v);
        return 0;
}
