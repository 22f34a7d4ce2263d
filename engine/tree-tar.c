/* Tree entries to a tar stream and a tar stream to tree entries, through libarchive. */
#include <config.h>
#include "engine/tree-tar.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "engine/tree.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"

DEFINE_FREEP(struct archive *, archive_write_free)
DEFINE_FREEP(struct archive *, archive_read_free)
DEFINE_FREEP(struct archive_entry *, archive_entry_free)

#define COPY_BUF (128u * 1024)

struct engine_tree_tar {
        struct archive *a; /* owned */
        int fd;            /* borrowed */
        int write_errno;   /* why the last write to fd failed */
        char *buf;         /* owned: COPY_BUF bytes */
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
        struct engine_tree_tar *w = data;

        if (fs_write_all(w->fd, buf, len) < 0) {
                w->write_errno = errno;
                archive_set_error(a, errno, "write");
                return -1;
        }
        return (la_ssize_t)len;
}

static int tar_failed(struct engine_tree_tar *w, const char *path, struct rctr_error *err)
{
        if (w->write_errno)
                return rctr_error_sys(err, w->write_errno, "write the tar");
        return rctr_error_set(err, EIO, "write the tar: %s: %s", path,
                              archive_error_string(w->a) ? archive_error_string(w->a) : "?");
}

int engine_tree_tar_new(int fd, struct engine_tree_tar **ret, struct rctr_error *err)
{
        struct engine_tree_tar *w = xzalloc(sizeof(*w));

        w->fd = fd;
        w->buf = xmalloc(COPY_BUF);
        w->a = archive_write_new();
        if (!w->a)
                xalloc_die();
        /* pax only where ustar cannot say it: long names, big files, large ids */
        archive_write_set_format_pax_restricted(w->a);
        if (archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
                int r = tar_failed(w, "", err);

                engine_tree_tar_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

/* Exactly size bytes of content: a file that shrank meanwhile is padded, one that grew cut. */
static int copy_content(struct engine_tree_tar *w, const struct engine_tree_entry *e,
                        struct rctr_error *err)
{
        uint64_t left = e->size;
        bool short_read = false;

        while (left > 0) {
                size_t want = left < COPY_BUF ? (size_t)left : COPY_BUF;
                ssize_t n = short_read ? 0 : e->read(e->read_ctx, w->buf, want, err);

                if (n < 0)
                        return rctr_error_prefix(err, "%s", e->path);
                if (n == 0) {
                        if (!short_read)
                                log_warn("%s shrank while it was archived: padded with zeros",
                                         e->path);
                        short_read = true;
                        memset(w->buf, 0, want);
                        n = (ssize_t)want;
                }
                if (archive_write_data(w->a, w->buf, (size_t)n) != n)
                        return tar_failed(w, e->path, err);
                left -= (uint64_t)n;
        }
        return 0;
}

static int tar_put(void *ctx, const struct engine_tree_entry *e, struct rctr_error *err)
{
        static const mode_t types[] = {
                [ENGINE_TREE_DIR] = AE_IFDIR,     [ENGINE_TREE_FILE] = AE_IFREG,
                [ENGINE_TREE_SYMLINK] = AE_IFLNK, [ENGINE_TREE_HARDLINK] = AE_IFREG,
                [ENGINE_TREE_FIFO] = AE_IFIFO,    [ENGINE_TREE_CHAR] = AE_IFCHR,
                [ENGINE_TREE_BLOCK] = AE_IFBLK,
        };
        struct engine_tree_tar *w = ctx;
        CLEANUP(archive_entry_freep) struct archive_entry *ae = archive_entry_new();
        cleanup_free char *name = NULL;

        if (!ae)
                xalloc_die();
        /* directories end in '/', as tar(1) writes them */
        name = e->kind == ENGINE_TREE_DIR ? xasprintf("%s/", e->path) : xstrdup(e->path);
        archive_entry_copy_pathname(ae, name);
        archive_entry_set_filetype(ae, types[e->kind]);
        archive_entry_set_perm(ae, e->perm);
        archive_entry_set_uid(ae, e->uid);
        archive_entry_set_gid(ae, e->gid);
        archive_entry_set_mtime(ae, e->mtime.tv_sec, e->mtime.tv_nsec);
        archive_entry_set_size(ae, e->kind == ENGINE_TREE_FILE ? (la_int64_t)e->size : 0);
        if (e->kind == ENGINE_TREE_SYMLINK)
                archive_entry_copy_symlink(ae, e->link);
        if (e->kind == ENGINE_TREE_HARDLINK)
                archive_entry_copy_hardlink(ae, e->link);
        if (e->kind == ENGINE_TREE_CHAR || e->kind == ENGINE_TREE_BLOCK)
                archive_entry_set_rdev(ae, e->rdev);
        if (archive_write_header(w->a, ae) < ARCHIVE_WARN)
                return tar_failed(w, e->path, err);
        return e->kind == ENGINE_TREE_FILE ? copy_content(w, e, err) : 0;
}

struct engine_tree_sink engine_tree_tar_sink(struct engine_tree_tar *w)
{
        return (struct engine_tree_sink){.put = tar_put, .ctx = w};
}

int engine_tree_tar_close(struct engine_tree_tar *w, struct rctr_error *err)
{
        if (archive_write_close(w->a) != ARCHIVE_OK)
                return tar_failed(w, "", err);
        return 0;
}

void engine_tree_tar_free(struct engine_tree_tar *w)
{
        if (!w)
                return;
        /* an archive cut short must not be completed on the way out */
        archive_write_fail(w->a);
        archive_write_free(w->a);
        free(w->buf);
        free(w);
}

/* ---- reading ---- */

struct tar_in {
        struct archive *a;
};

static ssize_t read_data(void *ctx, void *buf, size_t len, struct rctr_error *err)
{
        struct tar_in *in = ctx;
        la_ssize_t n = archive_read_data(in->a, buf, len);

        if (n < 0)
                return rctr_error_set(err, EBADMSG, "read the tar: %s",
                                      archive_error_string(in->a) ? archive_error_string(in->a)
                                                                  : "?");
        return (ssize_t)n;
}

/* A name from the stream, cleaned; NULL *ret for the top directory ("./"). */
static int clean_name(const char *name, char **ret, struct rctr_error *err)
{
        cleanup_free char *clean = NULL;
        int r;

        if (!name)
                return rctr_error_set(err, EBADMSG, "an entry without a name");
        /* an absolute name is taken below the directory, as tar(1) extracts it without -P */
        while (name[0] == '/')
                name++;
        if (!name[0]) {
                *ret = NULL;
                return 0;
        }
        r = storage_layer_path_clean(name, &clean, err);
        if (r < 0)
                return r;
        *ret = clean[0] ? TAKE_PTR(clean) : NULL;
        return 0;
}

static int entry_kind(struct archive_entry *ae, enum engine_tree_kind *ret)
{
        if (archive_entry_hardlink(ae)) {
                *ret = ENGINE_TREE_HARDLINK;
                return 0;
        }
        switch (archive_entry_filetype(ae)) {
        case AE_IFDIR:
                *ret = ENGINE_TREE_DIR;
                return 0;
        case AE_IFREG:
                *ret = ENGINE_TREE_FILE;
                return 0;
        case AE_IFLNK:
                *ret = ENGINE_TREE_SYMLINK;
                return 0;
        case AE_IFIFO:
                *ret = ENGINE_TREE_FIFO;
                return 0;
        case AE_IFCHR:
                *ret = ENGINE_TREE_CHAR;
                return 0;
        case AE_IFBLK:
                *ret = ENGINE_TREE_BLOCK;
                return 0;
        default:
                return -1; /* a socket: skipped */
        }
}

/* The entry's fields, checked: an untrusted stream. */
static int parse_entry(struct archive_entry *ae, struct engine_tree_entry *e, char **ret_path,
                       char **ret_link, struct rctr_error *err)
{
        const char *target = archive_entry_symlink(ae);
        int r = clean_name(archive_entry_pathname(ae), ret_path, err);

        if (r < 0 || !*ret_path || entry_kind(ae, &e->kind) < 0)
                return r;
        if (e->kind == ENGINE_TREE_HARDLINK) {
                r = clean_name(archive_entry_hardlink(ae), ret_link, err);
                if (r >= 0 && !*ret_link)
                        r = rctr_error_set(err, EBADMSG, "a hard link to the top directory");
                if (r < 0)
                        return r;
                e->link = *ret_link;
        }
        if (e->kind == ENGINE_TREE_SYMLINK) {
                if (!target || !target[0] || strlen(target) >= PATH_MAX)
                        return rctr_error_set(err, EBADMSG, "a bad symlink target");
                e->link = target;
        }
        e->path = *ret_path;
        e->perm = archive_entry_perm(ae) & 07777;
        e->uid = (uid_t)archive_entry_uid(ae);
        e->gid = (gid_t)archive_entry_gid(ae);
        e->mtime = (struct timespec){archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)};
        e->size = archive_entry_size(ae) > 0 ? (uint64_t)archive_entry_size(ae) : 0;
        e->rdev = archive_entry_rdev(ae);
        return 1;
}

static int read_entry(struct tar_in *in, struct archive_entry *ae,
                      const struct engine_tree_sink *sink, struct rctr_error *err)
{
        cleanup_free char *path = NULL, *link = NULL;
        struct engine_tree_entry e = {.read = read_data, .read_ctx = in};
        int r = parse_entry(ae, &e, &path, &link, err);

        if (r < 0) {
                cleanup_free char *shown = storage_layer_path_escape(
                        archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "");

                return rctr_error_prefix(err, "tar entry %s", shown);
        }
        if (r == 0)
                return 0; /* the top directory, or a socket */
        return sink->put(sink->ctx, &e, err);
}

int engine_tree_tar_read(int fd, const struct engine_tree_sink *sink, struct rctr_error *err)
{
        CLEANUP(archive_read_freep) struct archive *a = archive_read_new();
        struct tar_in in = {.a = a};

        if (!a)
                xalloc_die();
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        /* libarchive's built-in decoders; never an external program */
        archive_read_support_filter_none(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_bzip2(a);
        if (archive_read_open_fd(a, fd, COPY_BUF) != ARCHIVE_OK)
                return rctr_error_set(err, EBADMSG, "read the tar: %s",
                                      archive_error_string(a) ? archive_error_string(a) : "?");
        for (;;) {
                struct archive_entry *ae;
                int h = archive_read_next_header(a, &ae), r;

                if (h == ARCHIVE_EOF)
                        return 0;
                if (h != ARCHIVE_OK && h != ARCHIVE_WARN)
                        return rctr_error_set(err, EBADMSG, "read the tar: %s",
                                              archive_error_string(a) ? archive_error_string(a)
                                                                      : "?");
                r = read_entry(&in, ae, sink, err);
                if (r < 0)
                        return r;
        }
}
