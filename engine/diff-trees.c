/*
 * The comparison behind `rctr diff` (engine/container-diff.h): a container's upper directory or
 * full rootfs against the stack of its image's layer diffs, read as overlayfs reads them.
 */
#include <config.h>
#include "engine/container-diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/whiteout.h"

/* fuse-overlayfs's own opaque marker, besides overlayfs's trusted.* and user.* ones. */
#define FUSE_OPAQUE_XATTR "user.fuseoverlayfs.opaque"

struct diff {
        const int *lowers; /* borrowed: layer diff fds, bottom first */
        size_t n_lowers;
        bool full; /* a complete rootfs, not an upper directory */
        bool fuse; /* fuse-overlayfs's upper directory */
        const struct engine_diff_skip *skip;
        struct engine_changes *out;
};

void engine_changes_clear(struct engine_changes *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].path);
        free(c->v);
        *c = (struct engine_changes){0};
}

static bool below(const char *path, const char *top)
{
        size_t n = strlen(top);

        if (streq(top, "/"))
                return true;
        return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool skipped(const struct diff *d, const char *path, bool subtree_only)
{
        for (const char *const *p = d->skip ? d->skip->below : NULL; p && *p; p++)
                if (below(path, *p))
                        return true;
        for (const char *const *p = d->skip ? d->skip->exact : NULL; !subtree_only && p && *p; p++)
                if (streq(path, *p))
                        return true;
        return false;
}

/* Record a change at position at (the end: d->out->n). */
static void add_at(struct diff *d, size_t at, char kind, const char *path)
{
        struct engine_changes *o = d->out;

        if (skipped(d, path, false))
                return;
        o->v = xreallocarray(o->v, o->n + 1, sizeof(*o->v));
        memmove(o->v + at + 1, o->v + at, (o->n - at) * sizeof(*o->v));
        o->v[at] = (struct engine_change){kind, xstrdup(path)};
        o->n++;
}

static void add(struct diff *d, char kind, const char *path)
{
        add_at(d, d->out->n, kind, path);
}

/* The names in directory dirfd, sorted; NULL when it cannot be read. */
static char **list_dir(int dirfd)
{
        cleanup_error struct rctr_error ignored = {0};
        char **v = NULL;

        return fs_list_dir_sorted(dirfd, &v, &ignored) < 0 ? NULL : v;
}

static bool strv_has(char **v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

static bool xattr_is_y(int fd, const char *name)
{
        char v[2];

        return fgetxattr(fd, name, v, sizeof(v)) == 1 && v[0] == 'y';
}

/*
 * An opaque directory hides what lower layers have in it: overlayfs's xattrs, or
 * fuse-overlayfs's (an xattr of its own, or a marker file where it cannot set xattrs).
 */
static bool dir_is_opaque(int fd, bool fuse)
{
        struct stat st;

        return xattr_is_y(fd, storage_whiteout_opaque_xattr(true)) ||
               xattr_is_y(fd, storage_whiteout_opaque_xattr(false)) ||
               (fuse && (xattr_is_y(fd, FUSE_OPAQUE_XATTR) ||
                         fstatat(fd, STORAGE_WHITEOUT_OPAQUE_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0));
}

/* What one layer says of a directory. */
enum layer_dir {
        LAYER_GONE = -1, /* a whiteout or a non-directory hides it, and what lower layers have */
        LAYER_ABSENT,    /* not in this layer */
        LAYER_HERE,      /* a directory here */
};

/*
 * Find directory path ("" the root, else "/a/b") in layer fd: *ret_fd when LAYER_HERE; *ret_opaque
 * when this layer hides lower ones below path (an opaque directory on the way, or path itself).
 */
static enum layer_dir layer_dir(int layerfd, const char *path, int *ret_fd, bool *ret_opaque)
{
        int fd = openat(layerfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *p = path;

        *ret_opaque = false;
        while (fd >= 0 && *p == '/') {
                const char *end = strchrnul(p + 1, '/');
                cleanup_free char *c = xstrndup(p + 1, (size_t)(end - p - 1));
                struct stat st;
                int next;

                p = end;
                *ret_opaque = *ret_opaque || dir_is_opaque(fd, false);
                if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        close_nointr(fd);
                        return LAYER_ABSENT;
                }
                next = S_ISDIR(st.st_mode)
                               ? openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                               : -1;
                close_nointr(fd);
                if (next < 0)
                        return LAYER_GONE;
                fd = next;
        }
        if (fd < 0)
                return LAYER_ABSENT;
        *ret_opaque = *ret_opaque || dir_is_opaque(fd, false);
        *ret_fd = fd;
        return LAYER_HERE;
}

/* Split "/a/b" into "/a" and "b" ("" for the root's children). */
static char *parent_of(const char *path, const char **ret_name)
{
        const char *slash = strrchr(path, '/');

        *ret_name = slash + 1;
        return xstrndup(path, (size_t)(slash - path));
}

/* Whether the image shows path, and its stat in the topmost layer that has it. */
static bool lower_stat(const struct diff *d, const char *path, struct stat *ret)
{
        const char *name = NULL;
        cleanup_free char *dir = parent_of(path, &name);

        for (size_t i = d->n_lowers; i-- > 0;) {
                cleanup_close int fd = -1;
                bool opaque = false;
                enum layer_dir k = layer_dir(d->lowers[i], dir, &fd, &opaque);

                if (k == LAYER_GONE)
                        return false;
                if (k == LAYER_HERE && fstatat(fd, name, ret, AT_SYMLINK_NOFOLLOW) == 0)
                        return !storage_whiteout_is_device(ret);
                if (opaque)
                        return false;
        }
        return false;
}

/* The names the image shows in directory path, sorted. */
static char **lower_list(const struct diff *d, const char *path)
{
        cleanup_strv char **hidden = xzalloc(sizeof(char *));
        char **names = xzalloc(sizeof(char *));
        size_t n = 0, n_hidden = 0;

        for (size_t i = d->n_lowers; i-- > 0;) {
                cleanup_close int fd = -1;
                cleanup_strv char **here = NULL;
                bool opaque = false;
                enum layer_dir k = layer_dir(d->lowers[i], path, &fd, &opaque);

                if (k == LAYER_GONE)
                        break;
                here = k == LAYER_HERE ? list_dir(fd) : NULL;
                for (char **h = here; h && *h; h++) {
                        struct stat st;
                        bool wh = fstatat(fd, *h, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                  storage_whiteout_is_device(&st);

                        if (strv_has(names, *h) || strv_has(hidden, *h))
                                continue;
                        /* a whiteout hides the name in the layers below this one */
                        if (wh) {
                                hidden = xreallocarray(hidden, n_hidden + 2, sizeof(char *));
                                hidden[n_hidden++] = xstrdup(*h);
                                hidden[n_hidden] = NULL;
                        } else {
                                names = xreallocarray(names, n + 2, sizeof(char *));
                                names[n++] = xstrdup(*h);
                                names[n] = NULL;
                        }
                }
                if (opaque)
                        break;
        }
        fs_sort_names((const char **)names, n);
        return names;
}

/* Everything below dirfd (at path) is new. */
static int add_all(struct diff *d, int dirfd, const char *path, int depth, struct rctr_error *err)
{
        cleanup_strv char **names = list_dir(dirfd);

        if (depth > ENGINE_TREE_MAX_DEPTH)
                return rctr_error_set(err, EFBIG, "%s: nested too deep", path);
        for (char **n = names; n && *n; n++) {
                cleanup_free char *child = xasprintf("%s/%s", path, *n);
                cleanup_close int fd = -1;
                struct stat st;
                int r;

                if (fstatat(dirfd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (!d->full && storage_whiteout_is_device(&st)) ||
                    (d->fuse &&
                     strncmp(*n, STORAGE_WHITEOUT_PREFIX, strlen(STORAGE_WHITEOUT_PREFIX)) == 0))
                        continue;
                add(d, 'A', child);
                if (!S_ISDIR(st.st_mode))
                        continue;
                fd = openat(dirfd, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                r = fd >= 0 ? add_all(d, fd, child, depth + 1, err) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool differs(const struct stat *a, const struct stat *b, bool dir)
{
        if (a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid)
                return true;
        if (dir)
                return false; /* a directory's size and mtime change with what it holds */
        return a->st_rdev != b->st_rdev || a->st_size != b->st_size ||
               a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

static int diff_dir(struct diff *d, int dirfd, const char *path, bool opaque, int depth,
                    struct rctr_error *err);

/* One name that newfd's directory at path has. */
static int diff_entry(struct diff *d, int dirfd, const char *name, const char *path, int depth,
                      struct rctr_error *err)
{
        cleanup_free char *child = xasprintf("%s/%s", path, name);
        cleanup_close int fd = -1;
        const char *target = NULL;
        struct stat st, lst;
        size_t before = d->out->n;
        bool self = false;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "inspect %s", child);
        if (skipped(d, child, true))
                return 0;
        /* fuse-overlayfs: ".wh.NAME" files where it could not make a 0/0 device, and ".wh."
         * names of its own bookkeeping (the opaque marker and devices beside it) */
        if (d->fuse &&
            strncmp(name, STORAGE_WHITEOUT_PREFIX, strlen(STORAGE_WHITEOUT_PREFIX)) == 0) {
                if (S_ISREG(st.st_mode) &&
                    storage_whiteout_classify(name, &target) == STORAGE_WHITEOUT_FILE) {
                        free(child);
                        child = xasprintf("%s/%s", path, target);
                        add(d, 'D', child);
                }
                return 0;
        }
        if (!d->full && storage_whiteout_is_device(&st)) {
                add(d, 'D', child);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return rctr_error_sys(err, errno, "open %s", child);
        }
        if (!lower_stat(d, child, &lst)) {
                add(d, 'A', child);
                return fd >= 0 ? add_all(d, fd, child, depth + 1, err) : 0;
        }
        if (fd < 0 || !S_ISDIR(lst.st_mode)) {
                /* in an upper directory, a non-directory is there because it was written */
                if (!d->full || fd >= 0 || differs(&st, &lst, false))
                        add(d, 'C', child);
                return fd >= 0 ? add_all(d, fd, child, depth + 1, err) : 0;
        }
        if (differs(&st, &lst, true)) {
                add(d, 'C', child);
                self = true;
        }
        r = diff_dir(d, fd, child, !d->full && dir_is_opaque(fd, d->fuse), depth + 1, err);
        /* a directory whose contents changed is changed itself, listed before them */
        if (r >= 0 && !self && d->out->n > before)
                add_at(d, before, 'C', child);
        return r;
}

/*
 * The directory at path: newfd's names, and the image's that newfd lacks where that means
 * deleted (a full rootfs, or an opaque upper directory). Both in sorted order.
 */
static int diff_dir(struct diff *d, int dirfd, const char *path, bool opaque, int depth,
                    struct rctr_error *err)
{
        cleanup_strv char **names = list_dir(dirfd), **gone = NULL;
        char **a, **b;

        if (!names)
                return rctr_error_sys(err, errno, "read %s", path[0] ? path : "/");
        if (depth > ENGINE_TREE_MAX_DEPTH)
                return rctr_error_set(err, EFBIG, "%s: nested too deep", path);
        gone = d->full || opaque ? lower_list(d, path) : xzalloc(sizeof(char *));
        for (a = names, b = gone; *a || *b;) {
                int c = !*a ? 1 : !*b ? -1 : strcmp(*a, *b), r;

                if (c > 0) {
                        cleanup_free char *child = xasprintf("%s/%s", path, *b++);

                        add(d, 'D', child);
                        continue;
                }
                if (c == 0)
                        b++;
                r = diff_entry(d, dirfd, *a++, path, depth, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int engine_diff_trees(int newfd, enum engine_diff_form form, const int *lowerfds, size_t n,
                      const struct engine_diff_skip *skip, struct engine_changes *ret,
                      struct rctr_error *err)
{
        struct diff d = {.lowers = lowerfds,
                         .n_lowers = n,
                         .full = form == ENGINE_DIFF_ROOTFS,
                         .fuse = form == ENGINE_DIFF_FUSE_OVERLAYFS,
                         .skip = skip,
                         .out = ret};

        return diff_dir(&d, newfd, "", !d.full && dir_is_opaque(newfd, d.fuse), 1, err);
}
