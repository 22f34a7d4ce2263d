/* rctr cp's rules: which directory a copy lands in and under which name (see engine/copy.h). */
#include <config.h>
#include "engine/copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/tree-create.h"
#include "engine/tree-tar.h"
#include "engine/tree-walk.h"
#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* Symlinks followed in a row before giving up, as the kernel's limit. */
#define MAX_LINKS 40

void engine_copy_path_clear(struct engine_copy_path *p)
{
        free(p->path);
        free(p->name);
        *p = (struct engine_copy_path){0};
}

void engine_copy_path_parse(const char *text, struct engine_copy_path *ret)
{
        size_t len = strlen(text);
        const char *slash;

        *ret = (struct engine_copy_path){0};
        /* "dir/." (and "." alone): what the directory holds */
        if (streq(text, ".") || (len >= 2 && streq(text + len - 2, "/."))) {
                ret->contents = true;
                ret->slash = true;
                len--;
        }
        while (len > 1 && text[len - 1] == '/') {
                ret->slash = true;
                len--;
        }
        ret->path = len ? xstrndup(text, len) : xstrdup(".");
        if (streq(ret->path, "/")) {
                ret->contents = true;
                ret->slash = true;
        }
        slash = strrchr(ret->path, '/');
        ret->name = xstrdup(streq(ret->path, "/") ? "" : slash ? slash + 1 : ret->path);
        if (streq(ret->name, ".") || streq(ret->name, ".."))
                ret->contents = true;
}

/* Open path on one side: inside the container's root, or as any host path. */
static int end_open(const struct engine_copy_end *e, const char *path, int flags,
                    struct rctr_error *err)
{
        int fd;

        if (e->rootfd >= 0)
                return fs_open_in_root(e->rootfd, path, flags, err);
        fd = open(path, flags | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        return fd;
}

/* path's directory (a new string: "/" or "." at the top) and its last component. */
static char *split(const char *path, const char **ret_name)
{
        const char *slash = strrchr(path, '/');

        *ret_name = slash ? slash + 1 : path;
        if (!slash)
                return xstrdup(".");
        return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* path with the symlinks of its last component followed (inside the root, in a container). */
static int resolve_last(const struct engine_copy_end *e, const char *path, char **ret,
                        struct rctr_error *err)
{
        cleanup_free char *cur = xstrdup(path);

        for (int i = 0; i < MAX_LINKS; i++) {
                cleanup_error struct rctr_error ignored = {0};
                const char *name = NULL;
                cleanup_free char *dir = split(cur, &name);
                cleanup_close int parent = -1;
                char target[PATH_MAX];
                ssize_t n = -1;

                if (name[0] && !streq(name, ".") && !streq(name, ".."))
                        parent = end_open(e, dir, O_PATH | O_DIRECTORY, &ignored);
                if (parent >= 0)
                        n = readlinkat(parent, name, target, sizeof(target) - 1);
                if (n <= 0) { /* not a symlink (or not there): the caller's open says */
                        *ret = TAKE_PTR(cur);
                        return 0;
                }
                target[n] = '\0';
                free(cur);
                /* absolute targets start at the (container's) root, others beside the link */
                cur = target[0] == '/'
                              ? xstrdup(target)
                              : xasprintf("%s%s%s", dir, streq(dir, "/") ? "" : "/", target);
        }
        return rctr_error_set(err, ELOOP, "%s: too many levels of symbolic links", path);
}

struct source {
        int fd; /* O_PATH, symlinks followed */
        bool dir;
        struct engine_copy_path p;
};

static int open_source(const struct engine_copy_end *src, struct source *ret,
                       struct rctr_error *err)
{
        struct stat st;

        engine_copy_path_parse(src->path, &ret->p);
        ret->fd = end_open(src, ret->p.path, O_PATH, err);
        if (ret->fd < 0)
                return ret->fd;
        if (fstat(ret->fd, &st) < 0)
                return rctr_error_sys(err, errno, "inspect %s", src->path);
        ret->dir = S_ISDIR(st.st_mode);
        if (!ret->dir && ret->p.slash)
                return rctr_error_set(err, ENOTDIR, "%s: not a directory", src->path);
        return 0;
}

/* dst names no directory: the copy becomes that name, in its (existing) directory. */
static int dest_as_name(const struct engine_copy_end *dst, const char *resolved, int *ret_dirfd,
                        char **ret_as, struct rctr_error *err)
{
        const char *name = NULL;
        cleanup_free char *dir = split(resolved, &name);
        int fd;

        if (!name[0] || streq(name, ".") || streq(name, ".."))
                return rctr_error_set(err, EINVAL, "%s: not a name to copy to", dst->path);
        fd = end_open(dst, dir, O_RDONLY | O_DIRECTORY, err);
        if (fd < 0)
                return rctr_error_prefix(err, "the directory of %s", dst->path);
        *ret_dirfd = fd;
        *ret_as = xstrdup(name);
        return 0;
}

/*
 * Where the copy of s goes (s NULL: a tar stream is unpacked): *ret_dirfd, the directory, and
 * *ret_as, the name of the top entry (NULL: the entries go straight into the directory).
 */
static int plan_dest(const struct engine_copy_end *dst, const struct source *s, int *ret_dirfd,
                     char **ret_as, struct rctr_error *err)
{
        CLEANUP(engine_copy_path_clear) struct engine_copy_path p = {0};
        cleanup_free char *resolved = NULL;
        cleanup_close int fd = -1;
        struct stat st;
        int r;

        engine_copy_path_parse(dst->path, &p);
        r = resolve_last(dst, p.path, &resolved, err);
        if (r < 0)
                return r;
        fd = end_open(dst, resolved, O_PATH, err);
        if (fd == -ENOENT && s && !p.slash) {
                rctr_error_clear(err);
                return dest_as_name(dst, resolved, ret_dirfd, ret_as, err);
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return rctr_error_sys(err, errno, "inspect %s", dst->path);
        if (S_ISDIR(st.st_mode)) {
                *ret_dirfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (*ret_dirfd < 0)
                        return rctr_error_sys(err, errno, "open %s", dst->path);
                *ret_as = s && !s->p.contents ? xstrdup(s->p.name) : NULL;
                return 0;
        }
        if (!s)
                return rctr_error_set(err, ENOTDIR,
                                      "%s: the destination of a tar stream must be "
                                      "a directory",
                                      dst->path);
        if (s->dir)
                return rctr_error_set(err, ENOTDIR, "cannot copy directory %s onto file %s",
                                      s->p.path, dst->path);
        return dest_as_name(dst, resolved, ret_dirfd, ret_as, err);
}

static int copy_to_stream(const struct engine_copy_end *src, const struct engine_copy_end *dst,
                          struct rctr_error *err)
{
        CLEANUP(engine_tree_tar_freep) struct engine_tree_tar *w = NULL;
        struct source s = {.fd = -1};
        struct engine_tree_sink sink;
        int r = open_source(src, &s, err);

        if (r >= 0)
                r = engine_tree_tar_new(dst->fd, &w, err);
        if (r >= 0) {
                sink = engine_tree_tar_sink(w);
                r = engine_tree_walk(s.fd, s.p.contents ? NULL : s.p.name, &sink, err);
        }
        if (r >= 0)
                r = engine_tree_tar_close(w, err);
        closep(&s.fd);
        engine_copy_path_clear(&s.p);
        return r;
}

int engine_copy(const struct engine_copy_end *src, const struct engine_copy_end *dst,
                const struct engine_tree_create_opts *o, struct rctr_error *err)
{
        CLEANUP(engine_tree_create_freep) struct engine_tree_create *c = NULL;
        struct source s = {.fd = -1};
        struct engine_tree_sink sink;
        cleanup_close int dirfd = -1;
        cleanup_free char *as = NULL;
        int r = 0;

        if (!dst->path)
                return copy_to_stream(src, dst, err);
        if (src->path)
                r = open_source(src, &s, err);
        if (r >= 0)
                r = plan_dest(dst, src->path ? &s : NULL, &dirfd, &as, err);
        if (r >= 0) {
                c = engine_tree_create_new(dirfd, o);
                sink = engine_tree_create_sink(c);
                r = src->path ? engine_tree_walk(s.fd, as, &sink, err)
                              : engine_tree_tar_read(src->fd, &sink, err);
        }
        if (r >= 0)
                r = engine_tree_create_finish(c, err);
        closep(&s.fd);
        engine_copy_path_clear(&s.p);
        return r;
}
