/* Creating tree entries below an untrusted directory: parents resolved inside it, no following. */
#include <config.h>
#include "engine/tree-create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"

#define COPY_BUF (128u * 1024)

/* A directory whose mode and time are set by finish(). */
struct dir_meta {
        char *path; /* owned */
        mode_t perm;
        struct timespec mtime;
};

struct engine_tree_create {
        int rootfd; /* borrowed */
        struct engine_tree_create_opts o;
        struct dir_meta *dirs;
        size_t n_dirs;
        bool warned_devices;
        char *buf; /* owned: COPY_BUF bytes */
};

struct engine_tree_create *engine_tree_create_new(int rootfd,
                                                  const struct engine_tree_create_opts *o)
{
        struct engine_tree_create *c = xzalloc(sizeof(*c));

        c->rootfd = rootfd;
        c->o = *o;
        c->buf = xmalloc(COPY_BUF);
        return c;
}

void engine_tree_create_free(struct engine_tree_create *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_dirs; i++)
                free(c->dirs[i].path);
        free(c->dirs);
        free(c->buf);
        free(c);
}

/*
 * The directory that will hold path, resolved inside the root (made, 0755, when missing, as tar
 * does); *ret_name points at path's last component. Returns an O_PATH fd or -errno.
 */
static int open_parent(struct engine_tree_create *c, const char *path, const char **ret_name,
                       struct rctr_error *err)
{
        cleanup_free char *dir = storage_layer_path_split(path, ret_name);
        int fd = fs_open_in_root(c->rootfd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY, err);

        if (fd == -ENOENT) {
                rctr_error_clear(err);
                fd = fs_mkpath_in_root(c->rootfd, dir, true, err);
        }
        return fd;
}

/*
 * Clear the way for name in parentfd: an existing non-directory goes; an existing directory
 * stays for a directory entry (*ret_is_dir) and is refused for anything else, unless overwrite.
 */
static int make_room(struct engine_tree_create *c, int parentfd, const char *name, bool dir,
                     const char *shown, bool *ret_is_dir, struct rctr_error *err)
{
        struct stat st;

        *ret_is_dir = false;
        if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : rctr_error_sys(err, errno, "inspect %s", shown);
        if (S_ISDIR(st.st_mode) && dir) {
                *ret_is_dir = true;
                return 0;
        }
        if (S_ISDIR(st.st_mode) != dir && !c->o.overwrite)
                return rctr_error_set(err, EEXIST,
                                      dir ? "cannot overwrite non-directory %s with a directory"
                                          : "cannot overwrite directory %s with a non-directory",
                                      shown);
        if (S_ISDIR(st.st_mode))
                return fs_remove_tree_at(parentfd, name, err);
        if (unlinkat(parentfd, name, 0) < 0)
                return rctr_error_sys(err, errno, "replace %s", shown);
        return 0;
}

/* Set the owner of fd, or of parentfd/name (never followed) when name is given. */
static int set_owner(struct engine_tree_create *c, int fd, const char *name,
                     const struct engine_tree_entry *e, const char *shown, struct rctr_error *err)
{
        uid_t uid = c->o.owner == ENGINE_TREE_OWNER_SET ? c->o.uid : e->uid;
        gid_t gid = c->o.owner == ENGINE_TREE_OWNER_SET ? c->o.gid : e->gid;
        int r;

        if (c->o.owner == ENGINE_TREE_OWNER_NONE)
                return 0;
        r = name ? fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) : fchown(fd, uid, gid);
        /* EINVAL: an id our user namespace does not map (no subordinate ids): it stays ours */
        if (r < 0 && errno != EINVAL)
                return rctr_error_sys(err, errno, "set the owner of %s", shown);
        return 0;
}

static int make_file(struct engine_tree_create *c, int parentfd, const char *name,
                     const struct engine_tree_entry *e, const char *shown, struct rctr_error *err)
{
        const struct timespec times[2] = {e->mtime, e->mtime};
        cleanup_close int fd =
                openat(parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return rctr_error_sys(err, errno, "create %s", shown);
        for (;;) {
                ssize_t n = e->read(e->read_ctx, c->buf, COPY_BUF, err);

                if (n < 0)
                        return rctr_error_prefix(err, "copy %s", shown);
                if (n == 0)
                        break;
                if (fs_write_all(fd, c->buf, (size_t)n) < 0)
                        return rctr_error_sys(err, errno, "write %s", shown);
        }
        /* the owner first: chown clears setuid and setgid, which the mode then sets */
        r = set_owner(c, fd, NULL, e, shown, err);
        if (r < 0)
                return r;
        if (fchmod(fd, e->perm) < 0 || futimens(fd, times) < 0)
                return rctr_error_sys(err, errno, "set the mode and time of %s", shown);
        return 0;
}

/* A symlink, fifo or device node: made with its final mode, then changed only by name, never
 * followed (a process of a running container could swap it for a symlink meanwhile). */
static int make_node(struct engine_tree_create *c, int parentfd, const char *name,
                     const struct engine_tree_entry *e, const char *shown, struct rctr_error *err)
{
        const struct timespec times[2] = {e->mtime, e->mtime};
        mode_t type = e->kind == ENGINE_TREE_FIFO   ? S_IFIFO
                      : e->kind == ENGINE_TREE_CHAR ? S_IFCHR
                                                    : S_IFBLK;
        int r;

        if (e->kind == ENGINE_TREE_SYMLINK) {
                r = symlinkat(e->link, parentfd, name);
        } else {
                /* the mode as given: fchmodat() would follow a swapped-in symlink */
                mode_t old = umask(0);

                r = mknodat(parentfd, name, type | e->perm, e->rdev);
                umask(old);
        }
        if (r < 0)
                return rctr_error_sys(err, errno, "create %s", shown);
        r = set_owner(c, parentfd, name, e, shown, err);
        if (r < 0)
                return r;
        if (utimensat(parentfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "set the time of %s", shown);
        return 0;
}

/* Another name for an earlier entry, resolved inside the root; never a directory. */
static int make_hardlink(struct engine_tree_create *c, int parentfd, const char *name,
                         const struct engine_tree_entry *e, const char *shown,
                         struct rctr_error *err)
{
        const char *tname = NULL;
        cleanup_free char *tdir = storage_layer_path_split(e->link, &tname);
        cleanup_close int tparent =
                fs_open_in_root(c->rootfd, tdir[0] ? tdir : "/", O_PATH | O_DIRECTORY, err);
        struct stat st;

        if (tparent < 0)
                return rctr_error_prefix(err, "link %s", shown);
        if (fstatat(tparent, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(err, errno, "link %s", shown);
        if (S_ISDIR(st.st_mode))
                return rctr_error_set(err, EBADMSG, "link %s: a hard link to a directory", shown);
        if (linkat(tparent, tname, parentfd, name, 0) < 0)
                return rctr_error_sys(err, errno, "link %s", shown);
        return 0;
}

static int make_dir(struct engine_tree_create *c, int parentfd, const char *name, bool exists,
                    const struct engine_tree_entry *e, const char *shown, struct rctr_error *err)
{
        cleanup_close int fd = -1;
        int r;

        /* 0700 until finish(): its own mode might not let us fill it */
        if (!exists && mkdirat(parentfd, name, 0700) < 0)
                return rctr_error_sys(err, errno, "create directory %s", shown);
        fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open directory %s", shown);
        r = set_owner(c, fd, NULL, e, shown, err);
        if (r < 0)
                return r;
        c->dirs = xreallocarray(c->dirs, c->n_dirs + 1, sizeof(*c->dirs));
        c->dirs[c->n_dirs++] = (struct dir_meta){xstrdup(e->path), e->perm, e->mtime};
        return 0;
}

static int create_put(void *ctx, const struct engine_tree_entry *e, struct rctr_error *err)
{
        struct engine_tree_create *c = ctx;
        cleanup_free char *shown = storage_layer_path_escape(e->path);
        cleanup_close int parentfd = -1;
        const char *name = NULL;
        bool dir = e->kind == ENGINE_TREE_DIR, exists = false;
        int r;

        if ((e->kind == ENGINE_TREE_CHAR || e->kind == ENGINE_TREE_BLOCK) && !c->o.devices) {
                if (!c->warned_devices)
                        log_warn("%s is a device node: skipped, as any others (no device nodes "
                                 "are made here)",
                                 shown);
                c->warned_devices = true;
                return 0;
        }
        parentfd = open_parent(c, e->path, &name, err);
        if (parentfd < 0)
                return rctr_error_prefix(err, "create %s", shown);
        r = make_room(c, parentfd, name, dir, shown, &exists, err);
        if (r < 0)
                return r;
        switch (e->kind) {
        case ENGINE_TREE_DIR:
                return make_dir(c, parentfd, name, exists, e, shown, err);
        case ENGINE_TREE_FILE:
                return make_file(c, parentfd, name, e, shown, err);
        case ENGINE_TREE_HARDLINK:
                return make_hardlink(c, parentfd, name, e, shown, err);
        default:
                return make_node(c, parentfd, name, e, shown, err);
        }
}

struct engine_tree_sink engine_tree_create_sink(struct engine_tree_create *c)
{
        return (struct engine_tree_sink){.put = create_put, .ctx = c};
}

int engine_tree_create_finish(struct engine_tree_create *c, struct rctr_error *err)
{
        /* the deepest first: a parent made 0500 is still entered to reach its children */
        for (size_t i = c->n_dirs; i-- > 0;) {
                const struct dir_meta *d = &c->dirs[i];
                const struct timespec times[2] = {d->mtime, d->mtime};
                cleanup_free char *shown = storage_layer_path_escape(d->path);
                cleanup_close int fd = fs_open_in_root(c->rootfd, d->path,
                                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW, err);

                if (fd < 0)
                        return rctr_error_prefix(err, "set the mode of %s", shown);
                if (fchmod(fd, d->perm) < 0 || futimens(fd, times) < 0)
                        return rctr_error_sys(err, errno, "set the mode and time of %s", shown);
        }
        return 0;
}
