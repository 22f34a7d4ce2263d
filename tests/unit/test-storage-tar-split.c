/*
 * tar-split records and layer repacks: a layer tar unpacked into a diff and reassembled from
 * the record and the diff's files is the same tar byte for byte, in every tar dialect, chunked
 * any way; records that can't be trusted are dropped or fail clearly; a repack is deterministic
 * and turns overlay whiteouts back into OCI ones.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-repack.h"
#include "storage/tar-split.h"
#include "storage/unpack.h"
#include "tap.h"

static const char *tmp_root;
static bool as_root;
static int n_layers;
static char *noise;
#define NOISE_SIZE (300u * 1024)

static void bail(const char *what)
{
        printf("Bail out! %s: %s\n", what, strerror(errno));
        exit(1);
}

struct ent {
        const char *name;
        unsigned type; /* AE_IFREG (default), AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
        const char *data;
        size_t size; /* 0: strlen(data) */
        const char *link, *hardlink;
        const char *xattr;
};

static const char long_dir[] = "a-directory-name-long-enough-that-the-whole-path-will-not-fit-the-"
                               "hundred-bytes-of-a-ustar-name-field";

/* A tar of list in libarchive's format fmt, and extra bytes after its end. */
static void tar_of(const struct ent *list, int fmt, const char *trailer, struct buf *out)
{
        int fd = memfd_create("layer.tar", MFD_CLOEXEC);
        struct archive *a = archive_write_new();
        struct stat st;

        if (fd < 0 || !a)
                bail("memfd_create");
        archive_write_set_format(a, fmt);
        archive_write_open_fd(a, fd);
        for (const struct ent *e = list; e->name; e++) {
                struct archive_entry *ae = archive_entry_new();
                unsigned type = e->type ? e->type : AE_IFREG;
                size_t size = e->size ? e->size : e->data ? strlen(e->data) : 0;

                archive_entry_copy_pathname(ae, e->name);
                archive_entry_set_filetype(ae, type);
                archive_entry_set_perm(ae, type == AE_IFDIR ? 0755 : 0640);
                archive_entry_set_mtime(ae, 1000000000, 0);
                archive_entry_set_size(ae, type == AE_IFREG && !e->hardlink ? (la_int64_t)size : 0);
                if (e->link)
                        archive_entry_copy_symlink(ae, e->link);
                if (e->hardlink)
                        archive_entry_copy_hardlink(ae, e->hardlink);
                if (type == AE_IFCHR)
                        archive_entry_set_rdev(ae, makedev(1, 3));
                if (e->xattr)
                        archive_entry_xattr_add_entry(ae, e->xattr, "v", 1);
                archive_write_header(a, ae);
                if (size && !e->hardlink)
                        archive_write_data(a, e->data, size);
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        if (fstat(fd, &st) < 0)
                bail("fstat");
        buf_init(out, 0);
        out->len = 0;
        for (off_t off = 0; off < st.st_size;) {
                char chunk[4096];
                ssize_t n = pread(fd, chunk, sizeof(chunk), off);

                if (n <= 0)
                        bail("pread");
                buf_append(out, chunk, (size_t)n);
                off += n;
        }
        if (trailer)
                buf_append(out, trailer, strlen(trailer));
        close(fd);
}

struct layer {
        int dirfd, difffd;
};

static void layer_new(struct layer *l)
{
        cleanup_free char *path = xasprintf("%s/l%d", tmp_root, n_layers++);

        if (mkdir(path, 0700) < 0)
                bail("mkdir");
        l->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l->dirfd < 0 || mkdirat(l->dirfd, "diff", 0755) < 0)
                bail("layer dir");
        l->difffd = openat(l->dirfd, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l->difffd < 0)
                bail("open diff");
}

static void layer_close(struct layer *l)
{
        close(l->dirfd);
        close(l->difffd);
}

static int unpack_buf(int difffd, const struct buf *tar, struct rctr_error *err)
{
        struct storage_unpack_opts uo = {.rootless = !as_root,
                                         .ignore_chown_errors = !as_root,
                                         .opaque_xattr = "user.overlay.opaque"};
        int fd = memfd_create("in.tar", MFD_CLOEXEC), r;

        if (fd < 0 || fs_write_all(fd, tar->data, tar->len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                bail("memfd");
        r = storage_unpack_fd(difffd, fd, &uo, NULL, err);
        close(fd);
        return r;
}

static int append_out(void *ctx, const void *data, size_t len, struct rctr_error *err)
{
        return buf_append(ctx, data, len) < 0 ? rctr_error_set(err, EFBIG, "too big") : 0;
}

/* Record tar in chunks of step bytes; 1: usable, 0: dropped, < 0: failed. */
static int record(struct layer *l, const struct buf *tar, size_t step, struct rctr_error *err)
{
        struct storage_tar_split_rec *rec = NULL;
        int r = storage_tar_split_rec_new(l->dirfd, "ts.gz", &rec, err);

        for (size_t off = 0; r >= 0 && off < tar->len; off += step)
                r = storage_tar_split_rec_feed(rec, tar->data + off,
                                               tar->len - off < step ? tar->len - off : step, err);
        if (r >= 0)
                r = storage_tar_split_rec_end(rec, err);
        storage_tar_split_rec_free(rec);
        return r;
}

static int assemble(struct layer *l, struct buf *out, struct rctr_error *err)
{
        int fd = openat(l->dirfd, "ts.gz", O_RDONLY | O_CLOEXEC), r;

        if (fd < 0)
                return -errno;
        buf_init(out, 0);
        r = storage_tar_split_assemble(fd, l->difffd, append_out, out, err);
        close(fd);
        return r;
}

static bool same(const struct buf *a, const struct buf *b)
{
        return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void test_roundtrip(const char *what, const struct ent *list, int fmt, const char *trailer)
{
        static const size_t steps[] = {1, 511, 4096, 1u << 30};
        cleanup_buf struct buf tar;

        tar_of(list, fmt, trailer, &tar);
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
                cleanup_error struct rctr_error err = {0};
                cleanup_buf struct buf out;
                struct layer l;
                struct stat st = {0};
                int r;

                buf_init(&out, 0);
                layer_new(&l);
                r = record(&l, &tar, steps[i], &err);
                if (r >= 0)
                        r = unpack_buf(l.difffd, &tar, &err);
                if (r >= 0)
                        r = assemble(&l, &out, &err);
                ok(r >= 0 && same(&tar, &out), "%s (chunks of %zu): reassembled byte for byte",
                   what, steps[i]);
                /* the 300 KiB of noise come from diff/, not from the record */
                if (fstatat(l.dirfd, "ts.gz", &st, 0) < 0)
                        st.st_size = -1;
                ok(st.st_size >= 0 && st.st_size < 32 * 1024,
                   "%s (chunks of %zu): the record holds no file content (%lld bytes)", what,
                   steps[i], (long long)st.st_size);
                if (err.msg)
                        printf("#   %s\n", err.msg);
                layer_close(&l);
        }
}

static void test_dialects(void)
{
        cleanup_free char *long_file = xasprintf("%s/%s/file", long_dir, long_dir);
        cleanup_free char *long_dir2 = xasprintf("%s/%s", long_dir, long_dir);
        const struct ent list[] = {
                {.name = "etc", .type = AE_IFDIR},
                {.name = "etc/passwd", .data = "root:x:0:0::/root:/bin/sh\n"},
                {.name = "etc/empty", .data = ""},
                {.name = "etc/noise", .data = noise, .size = NOISE_SIZE},
                {.name = "etc/link", .type = AE_IFLNK, .link = "passwd"},
                {.name = "etc/hard", .hardlink = "etc/passwd"},
                {.name = "etc/.wh.group"},
                {.name = "etc/fifo", .type = AE_IFIFO},
                {.name = long_dir, .type = AE_IFDIR},
                {.name = long_dir2, .type = AE_IFDIR},
                {.name = long_file, .data = "deep\n"},
                {.name = "home", .type = AE_IFDIR},
                {.name = "home/.wh..wh..opq"},
                {.name = "home/new", .data = "new\n"},
                {.name = NULL},
        };
        const struct ent xattrs[] = {
                {.name = "x", .data = "with an xattr\n", .xattr = "user.test"},
                {.name = NULL},
        };
        /* whiteouts are 0/0 devices: root only outside a user namespace */
        const struct ent *l = as_root ? list : list + 3;

        test_roundtrip("pax", l, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, NULL);
        test_roundtrip("pax-full", l, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, NULL);
        test_roundtrip("gnutar", l, ARCHIVE_FORMAT_TAR_GNUTAR, NULL);
        test_roundtrip("ustar", l, ARCHIVE_FORMAT_TAR_USTAR, NULL);
        test_roundtrip("pax-trailer", l, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                       "bytes after the end of the archive");
        test_roundtrip("pax-xattr", xattrs, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, NULL);
}

/* A name given twice: the diff has the later file, the record is dropped. */
static void test_duplicate(void)
{
        const struct ent list[] = {
                {.name = "a", .data = "one\n"}, {.name = "a", .data = "two\n"}, {.name = NULL}};
        cleanup_error struct rctr_error err = {0};
        cleanup_buf struct buf tar;
        struct layer l;
        struct stat st;
        int r;

        tar_of(list, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, NULL, &tar);
        layer_new(&l);
        r = record(&l, &tar, 100, &err);
        ok(r == 0 && fstatat(l.dirfd, "ts.gz", &st, 0) < 0 && errno == ENOENT,
           "duplicate: the record is dropped (%d)", r);
        layer_close(&l);
}

/* The diff changed after the record: reassembly fails and says which file. */
static void test_changed(void)
{
        const struct ent list[] = {{.name = "f", .data = "content\n"}, {.name = NULL}};
        cleanup_error struct rctr_error err = {0};
        cleanup_buf struct buf tar, out;
        struct layer l;
        int r, fd;

        tar_of(list, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, NULL, &tar);
        layer_new(&l);
        r = record(&l, &tar, 1000, &err);
        if (r >= 0)
                r = unpack_buf(l.difffd, &tar, &err);
        fd = openat(l.difffd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0 || write(fd, "x", 1) != 1)
                bail("append");
        close(fd);
        r = assemble(&l, &out, &err);
        ok(r == -EBADMSG && err.msg && strstr(err.msg, "layer file f:"),
           "changed file: a clear error (%s)", err.msg ? err.msg : "none");
        rctr_error_clear(&err);
        /* a damaged record */
        fd = openat(l.dirfd, "ts.gz", O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write(fd, "garbage", 7) != 7)
                bail("damage");
        close(fd);
        buf_free(&out);
        r = assemble(&l, &out, &err);
        ok(r == -EBADMSG, "damaged record: EBADMSG (%s)", err.msg ? err.msg : "none");
        layer_close(&l);
}

/* Repack: the same bytes every time, an unpack of it repacks to the same, OCI whiteouts. */
static void test_repack(void)
{
        const struct ent list[] = {
                {.name = "etc", .type = AE_IFDIR},
                {.name = "etc/passwd", .data = "root:x:0:0::/root:/bin/sh\n"},
                {.name = "etc/hard", .hardlink = "etc/passwd"},
                {.name = "etc/link", .type = AE_IFLNK, .link = "passwd"},
                {.name = "etc/.wh.group"},
                {.name = "home", .type = AE_IFDIR},
                {.name = "home/.wh..wh..opq"},
                {.name = "home/new", .data = "new\n", .xattr = "user.test"},
                {.name = NULL},
        };
        cleanup_error struct rctr_error err = {0};
        cleanup_buf struct buf tar, one, two, three;
        struct layer a, b;
        int r;

        if (!as_root) {
                printf("ok %d - repack # SKIP whiteout devices need root\n", ++tap_n);
                return;
        }
        tar_of(list, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, NULL, &tar);
        buf_init(&one, 0);
        buf_init(&two, 0);
        buf_init(&three, 0);
        layer_new(&a);
        layer_new(&b);
        r = unpack_buf(a.difffd, &tar, &err);
        if (r >= 0)
                r = storage_layer_repack(a.difffd, append_out, &one, &err);
        if (r >= 0)
                r = storage_layer_repack(a.difffd, append_out, &two, &err);
        ok(r >= 0 && same(&one, &two), "repack: deterministic (%s)", err.msg ? err.msg : "");
        ok(memmem(one.data, one.len, "etc/.wh.group", 13) &&
                   memmem(one.data, one.len, "home/.wh..wh..opq", 17) &&
                   !memmem(one.data, one.len, "overlay", 7),
           "repack: OCI whiteouts, no overlay xattrs");
        if (r >= 0)
                r = unpack_buf(b.difffd, &one, &err);
        if (r >= 0)
                r = storage_layer_repack(b.difffd, append_out, &three, &err);
        ok(r >= 0 && same(&one, &three), "repack: unpack and repack again gives the same tar");
        layer_close(&a);
        layer_close(&b);
}

int main(void)
{
        char dir[] = "/tmp/test-tar-split-XXXXXX";
        cleanup_error struct rctr_error err = {0};
        uint32_t x = 4242;

        if (!mkdtemp(dir))
                bail("mkdtemp");
        tmp_root = dir;
        as_root = geteuid() == 0;
        noise = xmalloc(NOISE_SIZE);
        for (size_t i = 0; i < NOISE_SIZE; i++) {
                x = x * 1103515245 + 12345;
                noise[i] = (char)(x >> 16);
        }
        test_dialects();
        test_duplicate();
        test_changed();
        test_repack();
        free(noise);
        (void)fs_remove_tree_at(AT_FDCWD, dir, &err);
        return tap_done();
}
