/* Walking a directory tree into engine/tree.h entries, without following any symlink in it. */
#include <config.h>
#include "engine/tree-walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* A file with more than one link: its later names become HARDLINK entries. */
struct walk_link {
        dev_t dev;
        ino_t ino;
        char *path; /* owned: the first name given */
};

struct walk {
        const struct engine_tree_sink *sink;
        struct walk_link *links;
        size_t n_links;
};

static ssize_t read_fd(void *ctx, void *buf, size_t len, struct rctr_error *err)
{
        ssize_t n = RETRY_EINTR(read(*(int *)ctx, buf, len));

        if (n < 0)
                return rctr_error_sys(err, errno, "read");
        return n;
}

static struct engine_tree_entry entry_of(const char *path, const struct stat *st)
{
        return (struct engine_tree_entry){
                .path = path,
                .perm = st->st_mode & 07777,
                .uid = st->st_uid,
                .gid = st->st_gid,
                .mtime = st->st_mtim,
        };
}

static const char *first_name(struct walk *w, const struct stat *st, const char *path)
{
        for (size_t i = 0; i < w->n_links; i++)
                if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
                        return w->links[i].path;
        w->links = xreallocarray(w->links, w->n_links + 1, sizeof(*w->links));
        w->links[w->n_links++] = (struct walk_link){st->st_dev, st->st_ino, xstrdup(path)};
        return NULL;
}

/* A regular file; fd is opened for reading. */
static int put_file(struct walk *w, int fd, const char *path, const struct stat *st,
                    struct rctr_error *err)
{
        struct engine_tree_entry e = entry_of(path, st);
        const char *first = st->st_nlink > 1 ? first_name(w, st, path) : NULL;

        if (first) {
                e.kind = ENGINE_TREE_HARDLINK;
                e.link = first;
                return w->sink->put(w->sink->ctx, &e, err);
        }
        e.kind = ENGINE_TREE_FILE;
        e.size = (uint64_t)st->st_size;
        e.read = read_fd;
        e.read_ctx = &fd;
        return w->sink->put(w->sink->ctx, &e, err);
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth,
                    struct rctr_error *err);

/* One name in the directory dirfd, never followed. */
static int walk_one(struct walk *w, int dirfd, const char *name, const char *path, int depth,
                    struct rctr_error *err)
{
        struct engine_tree_entry e;
        struct stat st, again;
        cleanup_close int fd = -1;
        char target[PATH_MAX];
        ssize_t n;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "inspect %s", path);
        e = entry_of(path, &st);
        switch (st.st_mode & S_IFMT) {
        case S_IFDIR:
                fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return rctr_error_sys(err, errno, "open %s", path);
                e.kind = ENGINE_TREE_DIR;
                r = w->sink->put(w->sink->ctx, &e, err);
                return r < 0 ? r : walk_dir(w, fd, path, depth + 1, err);
        case S_IFREG:
                /* O_NONBLOCK: had it been swapped for a fifo, opening must not hang */
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &again) < 0)
                        return rctr_error_sys(err, errno, "open %s", path);
                if (!S_ISREG(again.st_mode) || again.st_ino != st.st_ino)
                        return rctr_error_set(err, EAGAIN, "%s changed while it was copied", path);
                return put_file(w, fd, path, &again, err);
        case S_IFLNK:
                n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return rctr_error_sys(err, errno, "read the link %s", path);
                target[n] = '\0';
                e.kind = ENGINE_TREE_SYMLINK;
                e.link = target;
                return w->sink->put(w->sink->ctx, &e, err);
        case S_IFIFO:
        case S_IFCHR:
        case S_IFBLK:
                e.kind = S_ISFIFO(st.st_mode)  ? ENGINE_TREE_FIFO
                         : S_ISCHR(st.st_mode) ? ENGINE_TREE_CHAR
                                               : ENGINE_TREE_BLOCK;
                e.rdev = st.st_rdev;
                return w->sink->put(w->sink->ctx, &e, err);
        default:
                return 0; /* a socket: nothing a copy could carry */
        }
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth,
                    struct rctr_error *err)
{
        cleanup_strv char **names = NULL;
        int r;

        if (depth > ENGINE_TREE_MAX_DEPTH)
                return rctr_error_set(err, EFBIG, "%s: nested more than %d directories deep",
                                      prefix, ENGINE_TREE_MAX_DEPTH);
        r = fs_list_dir_sorted(dirfd, &names, err);
        if (r < 0)
                return rctr_error_prefix(err, "%s", prefix[0] ? prefix : "/");
        for (char **n = names; *n; n++) {
                cleanup_free char *path = prefix[0] ? xasprintf("%s/%s", prefix, *n) : xstrdup(*n);

                r = walk_one(w, dirfd, *n, path, depth, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The top: fd may be O_PATH, so it is reopened for what is read from it. */
static int walk_top(struct walk *w, int fd, const char *as, struct rctr_error *err)
{
        struct engine_tree_entry e;
        cleanup_close int dirfd = -1, filefd = -1;
        cleanup_free char *self = NULL;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return rctr_error_sys(err, errno, "inspect %s", as ? as : "/");
        if (!as && !S_ISDIR(st.st_mode))
                return rctr_error_set(err, ENOTDIR, "not a directory");
        e = entry_of(as, &st);
        switch (st.st_mode & S_IFMT) {
        case S_IFDIR:
                dirfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0)
                        return rctr_error_sys(err, errno, "open %s", as ? as : "/");
                e.kind = ENGINE_TREE_DIR;
                r = as ? w->sink->put(w->sink->ctx, &e, err) : 0;
                return r < 0 ? r : walk_dir(w, dirfd, as ? as : "", 1, err);
        case S_IFREG:
                /* our own fd through /proc: the file it was resolved to, whatever its path is */
                self = xasprintf("/proc/self/fd/%d", fd);
                filefd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (filefd < 0)
                        return rctr_error_sys(err, errno, "open %s", as);
                return put_file(w, filefd, as, &st, err);
        case S_IFIFO:
        case S_IFCHR:
        case S_IFBLK:
                e.kind = S_ISFIFO(st.st_mode)  ? ENGINE_TREE_FIFO
                         : S_ISCHR(st.st_mode) ? ENGINE_TREE_CHAR
                                               : ENGINE_TREE_BLOCK;
                e.rdev = st.st_rdev;
                return w->sink->put(w->sink->ctx, &e, err);
        default:
                return rctr_error_set(err, EINVAL, "%s: cannot copy a socket or symlink alone", as);
        }
}

int engine_tree_walk(int fd, const char *as, const struct engine_tree_sink *sink,
                     struct rctr_error *err)
{
        struct walk w = {.sink = sink};
        int r = walk_top(&w, fd, as, err);

        for (size_t i = 0; i < w.n_links; i++)
                free(w.links[i].path);
        free(w.links);
        return r;
}
