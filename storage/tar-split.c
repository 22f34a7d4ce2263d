#include <config.h>
#include "tar-split.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"
#include "storage/tar-split-private.h"

#define BLOCK     512
#define SEG_FLUSH (64u * 1024)   /* a verbatim record is written at this size */
#define META_MAX  (1024u * 1024) /* pax and GNU long-name bodies we parse */

enum rec_state {
        REC_HEADER,   /* collecting a 512-byte header */
        REC_META,     /* the body of a pax or GNU long-name entry: parsed, and kept */
        REC_INLINE,   /* an entry's data, kept */
        REC_FILE,     /* a file's data: it is in diff/, not kept */
        REC_PAD,      /* padding up to the next block, kept */
        REC_VERBATIM, /* everything from here on is kept as it comes */
};

/* The clean paths of the files whose content the record names (open addressing). */
struct path_set {
        char **v; /* owned strings; NULL = free slot */
        size_t cap, n;
};

struct storage_tar_split_rec {
        gzFile gz;
        int dirfd;  /* borrowed: where the record is, to remove it when unusable */
        char *name; /* owned */
        enum rec_state state;
        unsigned char hdr[BLOCK];
        size_t hdr_len;
        uint64_t remaining, pad; /* of the current entry's data */
        char meta_type;
        struct buf meta;
        char *long_name, *pax_path; /* owned: what the next entry is called, if set */
        bool has_pax_size;
        uint64_t pax_size;
        struct buf seg; /* kept bytes not yet written */
        uint64_t total;
        struct path_set files;
        bool unusable;
};

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

static bool set_has(const struct path_set *s, const char *p)
{
        if (!s->cap)
                return false;
        for (size_t i = hash_str(p) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
                if (streq(s->v[i], p))
                        return true;
        return false;
}

static void set_put(struct path_set *s, char *p)
{
        size_t i = hash_str(p) & (s->cap - 1);

        while (s->v[i])
                i = (i + 1) & (s->cap - 1);
        s->v[i] = p;
        s->n++;
}

/* Add p (taken) to the set. */
static void set_add(struct path_set *s, char *p)
{
        if ((s->n + 1) * 2 > s->cap) {
                struct path_set grown = {.cap = s->cap ? s->cap * 2 : 64};

                grown.v = xreallocarray(NULL, grown.cap, sizeof(char *));
                memset(grown.v, 0, grown.cap * sizeof(char *));
                for (size_t i = 0; i < s->cap; i++)
                        if (s->v[i])
                                set_put(&grown, s->v[i]);
                free(s->v);
                *s = grown;
        }
        set_put(s, p);
}

static void set_clear(struct path_set *s)
{
        for (size_t i = 0; i < s->cap; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct path_set){0};
}

static int gz_put(struct storage_tar_split_rec *r, const void *data, size_t len,
                  struct rctr_error *err)
{
        int e = 0;
        const char *msg;

        if (len == 0 || gzwrite(r->gz, data, (unsigned)len) == (int)len)
                return 0;
        msg = gzerror(r->gz, &e);
        if (e == Z_ERRNO)
                return rctr_error_sys(err, errno ? errno : EIO, "write the tar-split record");
        return rctr_error_set(err, EIO, "write the tar-split record: %s", msg);
}

static int flush_seg(struct storage_tar_split_rec *r, struct rctr_error *err)
{
        unsigned char head[5] = {'S'};
        int k;

        if (r->seg.len == 0)
                return 0;
        storage_tar_split_put_le(head + 1, r->seg.len, 4);
        k = gz_put(r, head, sizeof(head), err);
        if (k >= 0)
                k = gz_put(r, r->seg.data, r->seg.len, err);
        r->seg.len = 0;
        return k;
}

/* Keep len bytes verbatim. */
static int seg_append(struct storage_tar_split_rec *r, const void *data, size_t len,
                      struct rctr_error *err)
{
        const char *p = data;

        while (len > 0) {
                size_t n = SEG_FLUSH - r->seg.len;
                int k;

                if (n > len)
                        n = len;
                (void)buf_append(&r->seg, p, n); /* uncapped: we flush at SEG_FLUSH */
                p += n;
                len -= n;
                if (r->seg.len == SEG_FLUSH) {
                        k = flush_seg(r, err);
                        if (k < 0)
                                return k;
                }
        }
        return 0;
}

static int go_verbatim(struct storage_tar_split_rec *r)
{
        r->state = REC_VERBATIM;
        return 0;
}

/* The entry's data (size bytes, kept or not as state says), then its padding. */
static int start_data(struct storage_tar_split_rec *r, enum rec_state state, uint64_t size)
{
        r->remaining = size;
        r->pad = (BLOCK - size % BLOCK) % BLOCK;
        r->state = size ? state : REC_HEADER;
        return 0;
}

/* An octal field as tar writes it: leading spaces, digits, then a space or NUL. */
static bool parse_octal(const unsigned char *f, size_t n, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        while (i < n && f[i] == ' ')
                i++;
        for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v >> 60)
                        return false;
                v = v * 8 + (uint64_t)(f[i] - '0');
        }
        if (i < n && f[i] != ' ' && f[i] != '\0')
                return false;
        *ret = v;
        return true;
}

/* The size field: octal, or GNU's base-256 (high bit set) for sizes of 8 GiB and more. */
static bool header_size(const unsigned char *h, uint64_t *ret)
{
        const unsigned char *f = h + 124;
        uint64_t v;

        if (!(f[0] & 0x80))
                return parse_octal(f, 12, ret);
        if (f[0] == 0xff) /* negative */
                return false;
        v = f[0] & 0x7f;
        for (size_t i = 1; i < 12; i++) {
                if (v >> 55)
                        return false;
                v = (v << 8) | f[i];
        }
        *ret = v;
        return true;
}

/* The checksum, unsigned or (old tars) signed, with its own field counted as spaces. */
static bool checksum_ok(const unsigned char *h)
{
        uint64_t want, u = 0;
        int64_t s = 0;

        if (!parse_octal(h + 148, 8, &want))
                return false;
        for (size_t i = 0; i < BLOCK; i++) {
                unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

                u += c;
                s += (signed char)c;
        }
        return want == u || (int64_t)want == s;
}

static bool block_is_zero(const unsigned char *b)
{
        for (size_t i = 0; i < BLOCK; i++)
                if (b[i])
                        return false;
        return true;
}

/* name, or prefix/name in a POSIX ustar header (as libarchive reads it). Owned. */
static char *header_name(const unsigned char *h)
{
        const char *name = (const char *)h, *prefix = (const char *)h + 345;
        size_t n = strnlen(name, 100), pn = 0;

        if (memcmp(h + 257, "ustar\0", 6) == 0)
                pn = strnlen(prefix, 155);
        if (pn)
                return xasprintf("%.*s/%.*s", (int)pn, prefix, (int)n, name);
        return xstrndup(name, n);
}

/* One pax record's key and value: false when it changes what we cannot follow. */
static bool pax_apply(struct storage_tar_split_rec *r, bool global, const char *key, size_t klen,
                      const char *val, size_t vlen)
{
        uint64_t size = 0;

        if (klen == 4 && memcmp(key, "path", 4) == 0) {
                if (global || memchr(val, '\0', vlen))
                        return false;
                free(r->pax_path);
                r->pax_path = xstrndup(val, vlen);
        } else if (klen == 4 && memcmp(key, "size", 4) == 0) {
                if (global || vlen == 0 || vlen > 19)
                        return false;
                for (size_t i = 0; i < vlen; i++) {
                        if (val[i] < '0' || val[i] > '9')
                                return false;
                        size = size * 10 + (uint64_t)(val[i] - '0');
                }
                r->has_pax_size = true;
                r->pax_size = size;
        } else if (klen >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
                return false; /* a sparse file: the data is a map and fragments */
        }
        return true;
}

/* "LEN key=value\n" records (POSIX pax). false: not what we can follow. */
static bool parse_pax(struct storage_tar_split_rec *r, bool global)
{
        const char *p = r->meta.data, *end = p + r->meta.len;

        while (p < end && *p) {
                const char *q = p, *rec_end, *key, *eq;
                uint64_t len = 0;

                for (; q < end && *q >= '0' && *q <= '9'; q++) {
                        len = len * 10 + (uint64_t)(*q - '0');
                        if (len > (uint64_t)(end - p))
                                return false;
                }
                if (q == p || q >= end || *q != ' ' || len <= (uint64_t)(q - p) + 1)
                        return false;
                rec_end = p + len;
                if (rec_end[-1] != '\n')
                        return false;
                key = q + 1;
                eq = memchr(key, '=', (size_t)(rec_end - key));
                if (!eq || !pax_apply(r, global, key, (size_t)(eq - key), eq + 1,
                                      (size_t)(rec_end - 1 - (eq + 1))))
                        return false;
                p = rec_end;
        }
        return true;
}

static int end_meta(struct storage_tar_split_rec *r)
{
        bool ok = true;

        if (r->meta_type == 'x' || r->meta_type == 'g') {
                ok = parse_pax(r, r->meta_type == 'g');
        } else if (r->meta_type == 'L') {
                free(r->long_name);
                r->long_name = xstrndup(r->meta.data, strnlen(r->meta.data, r->meta.len));
        }
        r->meta.len = 0;
        r->state = r->pad ? REC_PAD : REC_HEADER;
        return ok ? 0 : go_verbatim(r);
}

static bool has_whiteout_component(const char *path)
{
        for (const char *c = path; c; c = strchr(c, '/'), c = c ? c + 1 : NULL)
                if (strncmp(c, ".wh.", 4) == 0)
                        return true;
        return false;
}

/* A file's content: name it, leave the bytes out. */
static int record_file(struct storage_tar_split_rec *r, char *path, uint64_t size,
                       struct rctr_error *err)
{
        size_t len = strlen(path);
        unsigned char head[11] = {'F'};
        int k = flush_seg(r, err);

        storage_tar_split_put_le(head + 1, size, 8);
        storage_tar_split_put_le(head + 9, len, 2);
        if (k >= 0)
                k = gz_put(r, head, sizeof(head), err);
        if (k >= 0)
                k = gz_put(r, path, len, err);
        set_add(&r->files, path);
        if (k < 0)
                return k;
        return start_data(r, REC_FILE, size);
}

/* A real entry (not pax or GNU metadata): where its data goes, and how much of it there is. */
static int on_entry(struct storage_tar_split_rec *r, char type, uint64_t size,
                    struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_free char *raw = NULL, *path = NULL;
        bool both = r->long_name && r->pax_path;

        if (r->has_pax_size)
                size = r->pax_size;
        raw = r->long_name  ? TAKE_PTR(r->long_name)
              : r->pax_path ? TAKE_PTR(r->pax_path)
                            : header_name(r->hdr);
        free(TAKE_PTR(r->long_name));
        free(TAKE_PTR(r->pax_path));
        r->has_pax_size = false;
        /* which of two names wins, or a name the unpacker refuses: not ours to guess */
        if (both || storage_layer_path_clean(raw, &path, &ignored) < 0 || !path[0])
                return go_verbatim(r);
        /* the diff holds this entry, not the file named earlier */
        if (set_has(&r->files, path))
                r->unusable = true;
        switch (type) {
        case '1': /* libarchive guesses whether a hard link with a size has data */
                return size ? go_verbatim(r) : start_data(r, REC_INLINE, 0);
        case '2':
        case '3':
        case '4':
        case '5':
        case '6': /* never data, whatever the size says */
                return start_data(r, REC_INLINE, 0);
        case 'S': /* GNU sparse: a map, then fragments */
                return go_verbatim(r);
        case '0':
        case '\0':
        case '7':
                break;
        default: /* read as a file by libarchive: keep it */
                return start_data(r, REC_INLINE, size);
        }
        /* a/ (an old tar's directory) and whiteouts are not files in diff/ */
        if (size == 0 || raw[strlen(raw) - 1] == '/' || has_whiteout_component(path))
                return start_data(r, REC_INLINE, size);
        return record_file(r, TAKE_PTR(path), size, err);
}

static int on_header(struct storage_tar_split_rec *r, struct rctr_error *err)
{
        char type = (char)r->hdr[156];
        uint64_t size;
        int k = seg_append(r, r->hdr, BLOCK, err);

        r->hdr_len = 0;
        if (k < 0)
                return k;
        /* the end of the archive: what follows (more zeros, anything) is kept as it is */
        if (block_is_zero(r->hdr))
                return go_verbatim(r);
        if (!checksum_ok(r->hdr) || !header_size(r->hdr, &size))
                return go_verbatim(r);
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                if (size > META_MAX)
                        return go_verbatim(r);
                r->meta_type = type;
                r->meta.len = 0;
                start_data(r, REC_META, size);
                return r->state == REC_HEADER ? end_meta(r) : 0;
        }
        return on_entry(r, type, size, err);
}

int storage_tar_split_rec_new(int dirfd, const char *name, struct storage_tar_split_rec **ret,
                              struct rctr_error *err)
{
        struct storage_tar_split_rec *r;
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        gzFile gz;

        if (fd < 0)
                return rctr_error_sys(err, errno, "create %s", name);
        gz = gzdopen(fd, "wb");
        if (!gz) {
                close_nointr(fd);
                return rctr_error_set(err, ENOMEM, "create %s: out of memory", name);
        }
        r = xzalloc(sizeof(*r));
        r->gz = gz;
        r->dirfd = dirfd;
        r->name = xstrdup(name);
        buf_init(&r->meta, 0);
        buf_init(&r->seg, 0);
        if (gz_put(r, STORAGE_TAR_SPLIT_MAGIC, STORAGE_TAR_SPLIT_MAGIC_LEN, err) < 0) {
                storage_tar_split_rec_free(r);
                return -err->code;
        }
        *ret = r;
        return 0;
}

static size_t min_len(size_t len, uint64_t left)
{
        return left < len ? (size_t)left : len;
}

/* Take up to len bytes in the current state; returns how many, or -errno. */
static ssize_t rec_step(struct storage_tar_split_rec *r, const unsigned char *p, size_t len,
                        struct rctr_error *err)
{
        size_t n = len;
        int k = 0;

        switch (r->state) {
        case REC_HEADER:
                n = min_len(len, BLOCK - r->hdr_len);
                memcpy(r->hdr + r->hdr_len, p, n);
                r->hdr_len += n;
                if (r->hdr_len == BLOCK)
                        k = on_header(r, err);
                break;
        case REC_META:
                n = min_len(len, r->remaining);
                (void)buf_append(&r->meta, p, n); /* bounded by META_MAX in on_header() */
                k = seg_append(r, p, n, err);
                r->remaining -= n;
                if (k >= 0 && r->remaining == 0)
                        k = end_meta(r);
                break;
        case REC_INLINE:
        case REC_FILE:
                n = min_len(len, r->remaining);
                if (r->state == REC_INLINE)
                        k = seg_append(r, p, n, err);
                r->remaining -= n;
                if (r->remaining == 0)
                        r->state = r->pad ? REC_PAD : REC_HEADER;
                break;
        case REC_PAD:
                n = min_len(len, r->pad);
                k = seg_append(r, p, n, err);
                r->pad -= n;
                if (r->pad == 0)
                        r->state = REC_HEADER;
                break;
        case REC_VERBATIM:
                k = seg_append(r, p, n, err);
                break;
        }
        return k < 0 ? k : (ssize_t)n;
}

int storage_tar_split_rec_feed(struct storage_tar_split_rec *r, const void *data, size_t len,
                               struct rctr_error *err)
{
        const unsigned char *p = data;

        r->total += len;
        while (len > 0) {
                ssize_t n = rec_step(r, p, len, err);

                if (n < 0)
                        return (int)n;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int storage_tar_split_rec_end(struct storage_tar_split_rec *r, struct rctr_error *err)
{
        unsigned char end[9] = {'E'};
        int k, e;

        /* a header cut short is kept as it came: the unpacker judges truncation */
        if (r->state == REC_HEADER && r->hdr_len > 0) {
                k = seg_append(r, r->hdr, r->hdr_len, err);
                if (k < 0)
                        return k;
        }
        storage_tar_split_put_le(end + 1, r->total, 8);
        k = flush_seg(r, err);
        if (k >= 0)
                k = gz_put(r, end, sizeof(end), err);
        e = gzclose(r->gz);
        r->gz = NULL;
        if (k < 0)
                return k;
        if (e != Z_OK)
                return rctr_error_sys(err, e == Z_ERRNO && errno ? errno : EIO,
                                      "write the tar-split record");
        if (!r->unusable)
                return 1;
        if (unlinkat(r->dirfd, r->name, 0) < 0)
                return rctr_error_sys(err, errno, "remove %s", r->name);
        return 0;
}

void storage_tar_split_rec_free(struct storage_tar_split_rec *r)
{
        if (!r)
                return;
        storage_tar_split_gz_closep(&r->gz);
        free(r->name);
        buf_free(&r->meta);
        buf_free(&r->seg);
        free(r->long_name);
        free(r->pax_path);
        set_clear(&r->files);
        free(r);
}
