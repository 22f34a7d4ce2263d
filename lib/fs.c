#include <config.h>
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <dirent.h>
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

int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       struct rctr_error *err)
{
        cleanup_free char *tmp = NULL;
        cleanup_close int fd = -1;
        bool nosync = fs_is_tmpfs(dirfd); /* tmpfs has nothing to flush: skip the fsyncs */

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
