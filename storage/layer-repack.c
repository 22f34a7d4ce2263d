#include <config.h>
#include "layer-repack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"
#include "storage/unpack.h"
#include "storage/whiteout.h"

DEFINE_FREEP(struct archive *, archive_write_free)
DEFINE_FREEP(struct archive_entry *, archive_entry_free)

#define COPY_BUF  (128u * 1024)
#define XATTR_MAX (64u * 1024) /* the kernel's own limit on a value and on a list */

/* A file with more than one link: later paths to it become hard link entries. */
struct link {
        dev_t dev;
        ino_t ino;
        char *path; /* owned: the first one written */
};

struct repack {
        struct archive *a;
        storage_layer_repack_out_fn out;
        void *ctx;
        struct rctr_error *err;
        int out_r; /* what out failed with (its err is set) */
        struct link *links;
        size_t n_links;
        char *buf;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
        struct repack *rp = data;
        int r = rp->out(rp->ctx, buf, len, rp->err);

        if (r < 0) {
                rp->out_r = r;
                archive_set_error(a, -r, "output failed");
                return -1;
        }
        return (la_ssize_t)len;
}

/* An error from libarchive, unless out failed first (its own error is set then). */
static int archive_failed(struct repack *rp, const char *path)
{
        cleanup_free char *shown = storage_layer_path_escape(path);

        if (rp->out_r < 0)
                return rp->out_r;
        return rctr_error_set(rp->err, EIO, "layer file %s: write the tar: %s", shown,
                              archive_error_string(rp->a) ? archive_error_string(rp->a) : "?");
}

/* The xattrs the unpacker would set again, sorted by name (fd: a file or directory). */
static void add_xattrs(struct archive_entry *ae, int fd)
{
        cleanup_free char *names = xmalloc(XATTR_MAX), *value = xmalloc(XATTR_MAX);
        cleanup_free const char **v = NULL;
        ssize_t len = flistxattr(fd, names, XATTR_MAX);
        size_t n = 0;

        if (len <= 0)
                return; /* none, or a file system without them */
        v = xreallocarray(NULL, (size_t)len, sizeof(char *));
        for (char *p = names; p < names + len; p += strlen(p) + 1)
                if (storage_unpack_xattr_allowed(p, false))
                        v[n++] = p;
        fs_sort_names(v, n);
        for (size_t i = 0; i < n; i++) {
                ssize_t vlen = fgetxattr(fd, v[i], value, XATTR_MAX);

                if (vlen >= 0)
                        archive_entry_xattr_add_entry(ae, v[i], value, (size_t)vlen);
        }
}

static struct archive_entry *entry_of(const char *path, const struct stat *st)
{
        struct archive_entry *ae = archive_entry_new();

        if (!ae)
                xalloc_die();
        archive_entry_copy_pathname(ae, path);
        archive_entry_set_mode(ae, st->st_mode);
        archive_entry_set_uid(ae, st->st_uid);
        archive_entry_set_gid(ae, st->st_gid);
        archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        archive_entry_set_size(ae, 0);
        return ae;
}

static int write_header(struct repack *rp, struct archive_entry *ae)
{
        if (archive_write_header(rp->a, ae) < ARCHIVE_WARN)
                return archive_failed(rp, archive_entry_pathname(ae));
        return 0;
}

/* An empty regular file entry: a whiteout or an opaque marker. */
static int write_marker(struct repack *rp, const char *path, const struct stat *st)
{
        CLEANUP(archive_entry_freep) struct archive_entry *ae = entry_of(path, st);

        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        return write_header(rp, ae);
}

static struct link *find_link(struct repack *rp, const struct stat *st)
{
        for (size_t i = 0; i < rp->n_links; i++)
                if (rp->links[i].dev == st->st_dev && rp->links[i].ino == st->st_ino)
                        return &rp->links[i];
        return NULL;
}

static int copy_content(struct repack *rp, int fd, const char *path, uint64_t size)
{
        while (size > 0) {
                ssize_t n = RETRY_EINTR(read(fd, rp->buf, size < COPY_BUF ? size : COPY_BUF));

                if (n <= 0)
                        return rctr_error_sys(rp->err, n < 0 ? errno : EIO, "layer file %s: read",
                                              path);
                if (archive_write_data(rp->a, rp->buf, (size_t)n) != n)
                        return archive_failed(rp, path);
                size -= (uint64_t)n;
        }
        return 0;
}

static int write_file(struct repack *rp, int dirfd, const char *name, const char *path,
                      const struct stat *st)
{
        CLEANUP(archive_entry_freep) struct archive_entry *ae = entry_of(path, st);
        cleanup_close int fd = -1;
        struct link *l = st->st_nlink > 1 ? find_link(rp, st) : NULL;
        struct stat again;
        int r;

        if (l) {
                archive_entry_copy_hardlink(ae, l->path);
                return write_header(rp, ae);
        }
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &again) < 0)
                return rctr_error_sys(rp->err, errno, "layer file %s: open", path);
        if (again.st_ino != st->st_ino || again.st_size != st->st_size)
                return rctr_error_set(rp->err, EBADMSG, "layer file %s: changed while read", path);
        if (st->st_nlink > 1) {
                rp->links = xreallocarray(rp->links, rp->n_links + 1, sizeof(*rp->links));
                rp->links[rp->n_links++] = (struct link){st->st_dev, st->st_ino, xstrdup(path)};
        }
        archive_entry_set_size(ae, st->st_size);
        add_xattrs(ae, fd);
        r = write_header(rp, ae);
        if (r < 0)
                return r;
        return copy_content(rp, fd, path, (uint64_t)st->st_size);
}

static int write_symlink(struct repack *rp, int dirfd, const char *name, const char *path,
                         const struct stat *st)
{
        CLEANUP(archive_entry_freep) struct archive_entry *ae = entry_of(path, st);
        cleanup_free char *target = xmalloc(PATH_MAX);
        ssize_t n = readlinkat(dirfd, name, target, PATH_MAX - 1);

        if (n < 0)
                return rctr_error_sys(rp->err, errno, "layer file %s: read the link", path);
        target[n] = '\0';
        archive_entry_copy_symlink(ae, target);
        return write_header(rp, ae);
}

static bool is_opaque(int fd)
{
        char v[2];

        /* root's stores use trusted.*, rootless ones user.* (storage/whiteout.h) */
        return fgetxattr(fd, storage_whiteout_opaque_xattr(true), v, sizeof(v)) == 1 ? v[0] == 'y'
               : fgetxattr(fd, storage_whiteout_opaque_xattr(false), v, sizeof(v)) == 1
                       ? v[0] == 'y'
                       : false;
}

static int walk(struct repack *rp, int dirfd, const char *prefix, int depth);

static int write_dir(struct repack *rp, int dirfd, const char *name, const char *path,
                     const struct stat *st, int depth)
{
        CLEANUP(archive_entry_freep) struct archive_entry *ae = NULL;
        cleanup_free char *slash = xasprintf("%s/", path), *opq = NULL;
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (fd < 0)
                return rctr_error_sys(rp->err, errno, "layer directory %s: open", path);
        if (depth >= STORAGE_LAYER_PATH_MAX_DEPTH)
                return rctr_error_set(rp->err, EFBIG, "layer directory %s: nested too deep", path);
        ae = entry_of(slash, st);
        add_xattrs(ae, fd);
        r = write_header(rp, ae);
        if (r >= 0 && is_opaque(fd)) {
                opq = xasprintf("%s%s", slash, STORAGE_WHITEOUT_OPAQUE_NAME);
                r = write_marker(rp, opq, st);
        }
        if (r < 0)
                return r;
        return walk(rp, fd, slash, depth + 1);
}

static int write_one(struct repack *rp, int dirfd, const char *name, const char *prefix, int depth)
{
        cleanup_free char *path = xasprintf("%s%s", prefix, name), *wh = NULL;
        CLEANUP(archive_entry_freep) struct archive_entry *ae = NULL;
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rctr_error_sys(rp->err, errno, "layer file %s: inspect", path);
        if (storage_whiteout_is_device(&st)) {
                wh = xasprintf("%s%s%s", prefix, STORAGE_WHITEOUT_PREFIX, name);
                return write_marker(rp, wh, &st);
        }
        if (S_ISDIR(st.st_mode))
                return write_dir(rp, dirfd, name, path, &st, depth);
        if (S_ISREG(st.st_mode))
                return write_file(rp, dirfd, name, path, &st);
        if (S_ISLNK(st.st_mode))
                return write_symlink(rp, dirfd, name, path, &st);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISFIFO(st.st_mode))
                return 0; /* a socket: tar has no entry for it */
        ae = entry_of(path, &st);
        archive_entry_set_rdev(ae, st.st_rdev);
        return write_header(rp, ae);
}

static int walk(struct repack *rp, int dirfd, const char *prefix, int depth)
{
        cleanup_strv char **names = NULL;
        int r = fs_list_dir_sorted(dirfd, &names, rp->err);

        if (r < 0)
                return rctr_error_prefix(rp->err, "layer directory %s", prefix[0] ? prefix : "/");
        for (char **n = names; *n; n++) {
                r = write_one(rp, dirfd, *n, prefix, depth);
                if (r < 0)
                        return r;
        }
        return 0;
}

int storage_layer_repack(int diff_fd, storage_layer_repack_out_fn out, void *ctx,
                         struct rctr_error *err)
{
        CLEANUP(archive_write_freep) struct archive *a = archive_write_new();
        cleanup_close int fd = openat(diff_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_free char *buf = xmalloc(COPY_BUF);
        struct repack rp = {.a = a, .out = out, .ctx = ctx, .err = err, .buf = buf};
        int r;

        if (!a)
                xalloc_die();
        if (fd < 0)
                return rctr_error_sys(err, errno, "open the layer directory");
        /* pax where ustar can't say it (long names, big files, nanoseconds, xattrs) */
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        if (archive_write_open(a, &rp, NULL, write_cb, NULL) != ARCHIVE_OK)
                return archive_failed(&rp, "");
        r = walk(&rp, fd, "", 0);
        if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
                r = archive_failed(&rp, "");
        /* a failed archive must not flush through out again when it is freed */
        if (r < 0)
                archive_write_fail(a);
        for (size_t i = 0; i < rp.n_links; i++)
                free(rp.links[i].path);
        free(rp.links);
        return r;
}
