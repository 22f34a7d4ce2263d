#include <config.h>
#include "archive-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"

DEFINE_FREEP(struct archive *, archive_read_free)

#define READ_BLOCK (64u * 1024)
#define LINK_HOPS  16

struct member {
        char *name;     /* owned, clean */
        char *link;     /* owned: the clean name it links to, or NULL for a regular member */
        uint64_t size;  /* regular members */
        struct buf doc; /* a JSON document, when held */
        bool held;
};

struct image_archive_reader {
        int fd;       /* borrowed, or spool_fd */
        int spool_fd; /* owned, -1 */
        off_t start;
        struct member *v;
        size_t n;
        size_t *slots; /* hash index of v by name: index + 1, 0 = free */
        size_t n_slots;
        size_t held_total;
};

/* libarchive reads through us, so that a read errno is kept and a file can be skipped over. */
struct source {
        int fd;
        int read_errno;
        char buf[READ_BLOCK];
};

struct image_archive_member {
        struct archive *a;
        struct source *src;
};

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

static struct member *find(const struct image_archive_reader *r, const char *name)
{
        if (!r->n_slots)
                return NULL;
        for (size_t i = hash_str(name) & (r->n_slots - 1); r->slots[i];
             i = (i + 1) & (r->n_slots - 1))
                if (streq(r->v[r->slots[i] - 1].name, name))
                        return &r->v[r->slots[i] - 1];
        return NULL;
}

static void index_put(struct image_archive_reader *r, size_t idx)
{
        size_t i = hash_str(r->v[idx].name) & (r->n_slots - 1);

        while (r->slots[i])
                i = (i + 1) & (r->n_slots - 1);
        r->slots[i] = idx + 1;
}

/* A new member (name taken), or NULL with err set when the name is there already. */
static struct member *add(struct image_archive_reader *r, char *name, struct rctr_error *err)
{
        cleanup_free char *owned = name, *shown = NULL;

        if (find(r, name)) {
                shown = storage_layer_path_escape(name);
                (void)rctr_error_set(err, EBADMSG, "read the archive: member %s appears twice",
                                     shown);
                return NULL;
        }
        if (r->n >= IMAGE_ARCHIVE_MEMBERS_MAX) {
                (void)rctr_error_set(err, EFBIG, "read the archive: more than %d members",
                                     IMAGE_ARCHIVE_MEMBERS_MAX);
                return NULL;
        }
        if ((r->n + 1) * 2 > r->n_slots) {
                r->n_slots = r->n_slots ? r->n_slots * 2 : 256;
                free(r->slots);
                r->slots = xzalloc(r->n_slots * sizeof(size_t));
                for (size_t i = 0; i < r->n; i++)
                        index_put(r, i);
        }
        r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
        r->v[r->n] = (struct member){.name = TAKE_PTR(owned)};
        buf_init(&r->v[r->n].doc, IMAGE_ARCHIVE_JSON_MAX);
        index_put(r, r->n);
        return &r->v[r->n++];
}

/* "a/../b/./c" → "b/c" lexically; NULL when it leaves the archive or names nothing. */
static char *join_clean(const char *dir, const char *rel)
{
        cleanup_free char *text = xasprintf("%s/%s", rel[0] == '/' ? "" : dir, rel);
        char **parts = xzalloc((strlen(text) / 2 + 2) * sizeof(char *));
        struct buf out;
        size_t n = 0;

        for (char *save = NULL, *c = strtok_r(text, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (streq(c, "..")) {
                        if (n == 0) {
                                free(parts);
                                return NULL;
                        }
                        n--;
                } else if (!streq(c, ".")) {
                        parts[n++] = c;
                }
        buf_init(&out, 0);
        for (size_t i = 0; i < n; i++)
                buf_appendf(&out, "%s%s", i ? "/" : "", parts[i]);
        free(parts);
        if (out.len == 0) {
                buf_free(&out);
                return NULL;
        }
        return buf_detach(&out);
}

static int archive_failure(struct archive *a, const struct source *src, struct rctr_error *err)
{
        cleanup_free char *shown = NULL;

        if (src->read_errno)
                return rctr_error_sys(err, src->read_errno, "read the archive");
        shown = storage_layer_path_escape(archive_error_string(a) ? archive_error_string(a)
                                                                  : "unknown error");
        return rctr_error_set(err, EBADMSG, "read the archive: %s", shown);
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **ret_buf)
{
        struct source *src = data;
        ssize_t n = RETRY_EINTR(read(src->fd, src->buf, sizeof(src->buf)));

        if (n < 0) {
                src->read_errno = errno;
                archive_set_error(a, errno, "read the archive");
                return -1;
        }
        *ret_buf = src->buf;
        return n;
}

/*
 * Layers need not be read through in the first pass: seek over them (files only), but never
 * past the end, so that a truncated archive is found truncated here already.
 */
static la_int64_t skip_cb(struct archive *a, void *data, la_int64_t request)
{
        struct source *src = data;
        off_t cur = lseek(src->fd, 0, SEEK_CUR);
        struct stat st;

        (void)a;
        if (cur < 0 || request <= 0 || fstat(src->fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0; /* libarchive reads through instead */
        if (request > st.st_size - cur)
                request = st.st_size > cur ? st.st_size - cur : 0;
        return lseek(src->fd, (off_t)request, SEEK_CUR) < 0 ? 0 : request;
}

static int open_archive(struct image_archive_reader *r, struct source *src, struct archive **ret,
                        struct rctr_error *err)
{
        struct archive *a;

        if (lseek(r->fd, r->start, SEEK_SET) < 0)
                return rctr_error_sys(err, errno, "read the archive");
        a = archive_read_new();
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
        src->fd = r->fd;
        src->read_errno = 0;
        if (archive_read_open2(a, src, NULL, read_cb, skip_cb, NULL) != ARCHIVE_OK) {
                int k = archive_failure(a, src, err);

                archive_read_free(a);
                return k;
        }
        *ret = a;
        return 0;
}

typedef int (*entry_fn)(struct image_archive_reader *r, struct archive *a, struct source *src,
                        struct archive_entry *ae, const char *name, void *ctx,
                        struct rctr_error *err);

/* Every member with a name we accept, in order. */
static int iterate(struct image_archive_reader *r, entry_fn fn, void *ctx, struct rctr_error *err)
{
        CLEANUP(archive_read_freep) struct archive *a = NULL;
        cleanup_free struct source *src = xzalloc(sizeof(*src));
        int k = open_archive(r, src, &a, err);

        while (k >= 0) {
                cleanup_error struct rctr_error ignored = {0};
                cleanup_free char *name = NULL;
                struct archive_entry *ae;
                int h = archive_read_next_header(a, &ae);

                if (h == ARCHIVE_EOF)
                        return 0;
                if (h != ARCHIVE_OK && h != ARCHIVE_WARN)
                        return archive_failure(a, src, err);
                /* a name we could never be asked for is not looked at */
                if (!archive_entry_pathname(ae) ||
                    storage_layer_path_clean(archive_entry_pathname(ae), &name, &ignored) < 0 ||
                    !name[0])
                        continue;
                k = fn(r, a, src, ae, name, ctx, err);
        }
        return k;
}

/* The first bytes say whether it is JSON; keep it only then, within the caps. */
static int hold_json(struct image_archive_reader *r, struct archive *a, struct source *src,
                     struct member *m, struct rctr_error *err)
{
        cleanup_free char *chunk = xmalloc(READ_BLOCK);

        for (;;) {
                la_ssize_t n = archive_read_data(a, chunk, READ_BLOCK);
                size_t ws;

                if (n < 0)
                        return archive_failure(a, src, err);
                if (n == 0)
                        break;
                if (m->doc.len == 0) {
                        for (ws = 0; ws < (size_t)n && strchr(" \t\r\n", chunk[ws]) && chunk[ws];
                             ws++)
                                ;
                        if (ws == (size_t)n || (chunk[ws] != '{' && chunk[ws] != '['))
                                return 0;
                }
                if (buf_append(&m->doc, chunk, (size_t)n) < 0)
                        return 0; /* more than its header said: not held */
        }
        if (r->held_total + m->doc.len > IMAGE_ARCHIVE_JSON_TOTAL)
                return rctr_error_set(err, EFBIG,
                                      "read the archive: more than %u MiB of JSON documents",
                                      IMAGE_ARCHIVE_JSON_TOTAL >> 20);
        r->held_total += m->doc.len;
        m->held = true;
        return 0;
}

static int index_entry(struct image_archive_reader *r, struct archive *a, struct source *src,
                       struct archive_entry *ae, const char *name, void *ctx,
                       struct rctr_error *err)
{
        const char *hard = archive_entry_hardlink(ae);
        cleanup_free char *dir = NULL, *target = NULL;
        const char *base;
        struct member *m;

        (void)ctx;
        if (hard) {
                target = join_clean("", hard);
        } else if (archive_entry_filetype(ae) == AE_IFLNK && archive_entry_symlink(ae)) {
                dir = storage_layer_path_split(name, &base);
                target = join_clean(dir, archive_entry_symlink(ae));
        } else if (archive_entry_filetype(ae) != AE_IFREG) {
                return 0; /* directories and the like: nothing we read */
        }
        if ((hard || archive_entry_filetype(ae) == AE_IFLNK) && !target)
                return 0; /* leads out of the archive: never followed */
        m = add(r, xstrdup(name), err);
        if (!m)
                return -err->code;
        if (target) {
                m->link = TAKE_PTR(target);
                return 0;
        }
        m->size = archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0
                          ? (uint64_t)archive_entry_size(ae)
                          : 0;
        if (m->size > IMAGE_ARCHIVE_JSON_MAX)
                return 0;
        return hold_json(r, a, src, m, err);
}

/* A pipe can be read once only: keep it in an unnamed file of spool_dirfd. */
static int spool(int fd, int spool_dirfd, struct rctr_error *err)
{
        cleanup_close int out = openat(spool_dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        cleanup_free char *buf = xmalloc(READ_BLOCK * 2);

        if (out < 0)
                return rctr_error_sys(err, errno, "create a temporary file for the archive");
        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, buf, READ_BLOCK * 2));

                if (n < 0)
                        return rctr_error_sys(err, errno, "read the archive");
                if (n == 0)
                        break;
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return rctr_error_sys(err, errno, "copy the archive to a temporary file");
        }
        return TAKE_FD(out);
}

int image_archive_reader_open(int fd, int spool_dirfd, struct image_archive_reader **ret,
                              struct rctr_error *err)
{
        struct image_archive_reader *r = xzalloc(sizeof(*r));
        int k = 0;

        r->fd = fd;
        r->spool_fd = -1;
        r->start = lseek(fd, 0, SEEK_CUR);
        if (r->start < 0 && errno == ESPIPE) {
                k = r->spool_fd = spool(fd, spool_dirfd, err);
                r->fd = r->spool_fd;
                r->start = 0;
        } else if (r->start < 0) {
                k = rctr_error_sys(err, errno, "read the archive");
        }
        if (k >= 0)
                k = iterate(r, index_entry, NULL, err);
        if (k < 0) {
                image_archive_reader_free(r);
                return k;
        }
        *ret = r;
        return 0;
}

void image_archive_reader_free(struct image_archive_reader *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].name);
                free(r->v[i].link);
                buf_free(&r->v[i].doc);
        }
        free(r->v);
        free(r->slots);
        if (r->spool_fd >= 0)
                close_nointr(r->spool_fd);
        free(r);
}

static const struct member *resolve(const struct image_archive_reader *r, const char *name)
{
        const struct member *m = find(r, name);

        for (int hops = 0; m && m->link; hops++)
                m = hops < LINK_HOPS ? find(r, m->link) : NULL;
        return m;
}

const char *image_archive_reader_resolve(const struct image_archive_reader *r, const char *name,
                                         uint64_t *ret_size)
{
        const struct member *m = resolve(r, name);

        if (m && ret_size)
                *ret_size = m->size;
        return m ? m->name : NULL;
}

const struct buf *image_archive_reader_json(const struct image_archive_reader *r, const char *name)
{
        const struct member *m = resolve(r, name);

        return m && m->held ? &m->doc : NULL;
}

struct scan {
        image_archive_scan_fn fn;
        void *ctx;
};

static int scan_entry(struct image_archive_reader *r, struct archive *a, struct source *src,
                      struct archive_entry *ae, const char *name, void *ctx, struct rctr_error *err)
{
        struct scan *sc = ctx;
        struct image_archive_member m = {.a = a, .src = src};
        const struct member *known = find(r, name);

        if (archive_entry_hardlink(ae) || archive_entry_filetype(ae) != AE_IFREG || !known)
                return 0;
        return sc->fn(sc->ctx, name, known->size, &m, err);
}

int image_archive_reader_scan(struct image_archive_reader *r, image_archive_scan_fn fn, void *ctx,
                              struct rctr_error *err)
{
        struct scan sc = {.fn = fn, .ctx = ctx};

        return iterate(r, scan_entry, &sc, err);
}

ssize_t image_archive_member_read(struct image_archive_member *m, void *buf, size_t len,
                                  struct rctr_error *err)
{
        la_ssize_t n = archive_read_data(m->a, buf, len);

        return n < 0 ? archive_failure(m->a, m->src, err) : (ssize_t)n;
}
