#include <config.h>
#include "fs-copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "macros.h"

/* Deeper than any real tree; it bounds the recursion. */
#define FS_COPY_MAX_DEPTH 256

/* chown before chmod: chown clears setuid bits. */
static int copy_owner_times(int dstfd, const char *name, const struct stat *st,
                            struct rctr_error *err)
{
        struct timespec times[2] = {st->st_atim, st->st_mtim};

        /* EPERM/EINVAL: an id we cannot map here; the copy stays ours */
        if (fchownat(dstfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EPERM && errno != EINVAL)
                return rctr_error_sys(err, errno, "set the owner of %s", name);
        if (!S_ISLNK(st->st_mode) && fchmodat(dstfd, name, st->st_mode & 07777, 0) < 0)
                return rctr_error_sys(err, errno, "set the mode of %s", name);
        if (utimensat(dstfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set the times of %s", name);
        return 0;
}

static int copy_file(int srcfd, int dstfd, const char *name, const struct stat *st,
                     struct rctr_error *err)
{
        cleanup_close int in = openat(srcfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = -1;
        char buf[65536];
        ssize_t n;

        if (in < 0)
                return rctr_error_sys(err, errno, "open %s", name);
        (void)unlinkat(dstfd, name, 0);
        out = openat(dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     st->st_mode & 0777);
        if (out < 0)
                return rctr_error_sys(err, errno, "create %s", name);
        while ((n = RETRY_EINTR(read(in, buf, sizeof(buf)))) > 0)
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return rctr_error_sys(err, errno, "write %s", name);
        if (n < 0)
                return rctr_error_sys(err, errno, "read %s", name);
        return 0;
}

static int copy_tree(int srcfd, int dstfd, int depth, struct rctr_error *err);

static int copy_entry(int srcfd, int dstfd, const char *name, int depth, struct rctr_error *err)
{
        struct stat st;
        int r = 0;

        if (fstatat(srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "stat %s", name);
        if (S_ISDIR(st.st_mode)) {
                cleanup_close int s = -1, d = -1;

                if (mkdirat(dstfd, name, 0700) < 0 && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s", name);
                s = openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                d = openat(dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || d < 0)
                        return rctr_error_sys(err, errno, "open %s", name);
                r = copy_tree(s, d, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
                r = copy_file(srcfd, dstfd, name, &st, err);
        } else if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(srcfd, name, target, sizeof(target) - 1);

                if (n < 0)
                        return rctr_error_sys(err, errno, "read link %s", name);
                target[n] = '\0';
                (void)unlinkat(dstfd, name, 0);
                if (symlinkat(target, dstfd, name) < 0)
                        return rctr_error_sys(err, errno, "create link %s", name);
        } else if (mknodat(dstfd, name, st.st_mode, st.st_rdev) < 0) {
                /* a device node where mknod is refused (user namespace) is left out */
                if (errno != EPERM && errno != EEXIST)
                        return rctr_error_sys(err, errno, "create %s", name);
                return 0;
        }
        return r < 0 ? r : copy_owner_times(dstfd, name, &st, err);
}

static int copy_tree(int srcfd, int dstfd, int depth, struct rctr_error *err)
{
        cleanup_dir DIR *d = NULL;
        struct dirent *de;
        int dupfd;

        if (depth > FS_COPY_MAX_DEPTH)
                return rctr_error_set(err, ELOOP, "directory tree deeper than %d",
                                      FS_COPY_MAX_DEPTH);
        dupfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0 || !(d = fdopendir(dupfd))) {
                if (dupfd >= 0)
                        close_nointr(dupfd);
                return rctr_error_sys(err, errno, "read directory");
        }
        while ((de = readdir(d))) {
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = copy_entry(srcfd, dstfd, de->d_name, depth, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int fs_copy_tree_at(int srcfd, int dstfd, struct rctr_error *err)
{
        return copy_tree(srcfd, dstfd, 0, err);
}
