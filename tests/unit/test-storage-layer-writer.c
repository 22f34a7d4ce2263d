/*
 * The layer writer: blobs in odd chunk sizes through gzip, zstd and none into committed layers;
 * every way a blob can be bad leaves nothing behind; parallel commits; abort mid-stream.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <zlib.h>
#include <zstd.h>

#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-writer.h"
#include "storage/store.h"
#include "storage/unpack.h"
#include "tap.h"

#define ZEROS_SIZE (4u * 1024 * 1024) /* compresses ~1000:1: output far beyond one buffer */
#define NOISE_SIZE (300u * 1024)      /* barely compresses */

static const char *tmp_root;
static bool as_root;
static char *zeros, *noise;

struct blob {
        unsigned char *data; /* owned */
        size_t len;
};

static void blob_free(struct blob *b)
{
        free(b->data);
        *b = (struct blob){0};
}

static void bail(const char *what)
{
        printf("Bail out! %s: %s\n", what, strerror(errno));
        exit(1);
}

/* ---- tar, gzip and zstd made here ---- */

struct ent {
        const char *name;
        unsigned type; /* AE_IFREG (default), AE_IFDIR, AE_IFLNK, AE_IFCHR */
        const char *data;
        size_t size; /* 0: strlen(data) */
        const char *link;
        int64_t uid, gid;
};

static struct blob tar_of(const struct ent *list)
{
        int fd = memfd_create("layer.tar", MFD_CLOEXEC);
        struct archive *a = archive_write_new();
        struct blob b = {0};
        struct stat st;

        if (fd < 0 || !a)
                bail("memfd_create");
        archive_write_set_format_pax_restricted(a);
        archive_write_open_fd(a, fd);
        for (const struct ent *e = list; e->name; e++) {
                struct archive_entry *ae = archive_entry_new();
                unsigned type = e->type ? e->type : AE_IFREG;
                size_t size = e->size ? e->size : e->data ? strlen(e->data) : 0;

                archive_entry_copy_pathname(ae, e->name);
                archive_entry_set_filetype(ae, type);
                archive_entry_set_perm(ae, type == AE_IFDIR ? 0755 : 0640);
                archive_entry_set_uid(ae, e->uid);
                archive_entry_set_gid(ae, e->gid);
                archive_entry_set_mtime(ae, 1000000000, 0);
                archive_entry_set_size(ae, type == AE_IFREG ? (la_int64_t)size : 0);
                if (e->link)
                        archive_entry_copy_symlink(ae, e->link);
                if (type == AE_IFCHR)
                        archive_entry_set_rdev(ae, makedev(1, 3));
                archive_write_header(a, ae);
                if (size)
                        archive_write_data(a, e->data, size);
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        if (fstat(fd, &st) < 0)
                bail("fstat");
        b.len = (size_t)st.st_size;
        b.data = xmalloc(b.len);
        if (pread(fd, b.data, b.len, 0) != (ssize_t)b.len)
                bail("pread");
        close(fd);
        return b;
}

/* gzip (zlib's deflate with a gzip header) in `members` members, as pigz writes them. */
static struct blob gzip_of(const struct blob *in, size_t members)
{
        struct blob out = {.data = xmalloc(compressBound(in->len) + 64 * members)};
        size_t per = in->len / members + 1;

        for (size_t off = 0; off < in->len; off += per) {
                z_stream z = {0};

                if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                        bail("deflateInit2");
                z.next_in = in->data + off;
                z.avail_in = (uInt)(in->len - off < per ? in->len - off : per);
                z.next_out = out.data + out.len;
                z.avail_out = (uInt)(compressBound(in->len) + 64 * members - out.len);
                if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                        bail("deflate");
                out.len += z.total_out;
                deflateEnd(&z);
        }
        return out;
}

/* zstd in `frames` frames, each with its checksum (so corruption is always caught). */
static struct blob zstd_of(const struct blob *in, size_t frames)
{
        size_t cap = ZSTD_compressBound(in->len) + 64 * frames;
        struct blob out = {.data = xmalloc(cap)};
        size_t per = in->len / frames + 1;
        ZSTD_CCtx *c = ZSTD_createCCtx();

        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        for (size_t off = 0; off < in->len; off += per) {
                size_t n = ZSTD_compress2(c, out.data + out.len, cap - out.len, in->data + off,
                                          in->len - off < per ? in->len - off : per);

                if (ZSTD_isError(n))
                        bail("ZSTD_compress2");
                out.len += n;
        }
        ZSTD_freeCCtx(c);
        return out;
}

/* ---- the store and what is in it ---- */

static struct storage_store *store_new(const char *name)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_free char *path = xasprintf("%s/%s", tmp_root, name);
        struct storage_store *s = NULL;

        if (storage_store_open(path, &s, &err) < 0) {
                printf("Bail out! %s\n", err.msg);
                exit(1);
        }
        return s;
}

static size_t count_entries(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return (size_t)-1;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* Nothing committed, nothing left in tmp/. */
static bool store_empty(struct storage_store *s)
{
        size_t layers = count_entries(s->rootfd, "layers"), tmp = count_entries(s->rootfd, "tmp");

        if (layers || tmp)
                printf("#   layers/: %zu entries, tmp/: %zu entries\n", layers, tmp);
        return layers == 0 && tmp == 0;
}

static size_t thread_count(void)
{
        return count_entries(AT_FDCWD, "/proc/self/task");
}

static char *read_at(int dirfd, const char *path)
{
        cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char *data = xzalloc(65536);

        if (fd < 0 || read(fd, data, 65535) < 0) {
                free(data);
                return NULL;
        }
        return data;
}

/* ---- feeding ---- */

static int feed(struct storage_layer_writer *w, const struct blob *b, size_t chunk,
                struct rctr_error *err)
{
        for (size_t off = 0; off < b->len; off += chunk) {
                int r = storage_layer_writer_write(
                        w, b->data + off, b->len - off < chunk ? b->len - off : chunk, err);

                if (r < 0)
                        return r;
        }
        return 0;
}

struct layer {
        struct blob tar, blob;
        char *digest, *diff_id; /* owned */
};

static void layer_make(struct layer *l, const struct ent *list, enum storage_compression c,
                       size_t parts)
{
        l->tar = tar_of(list);
        if (c == STORAGE_COMPRESSION_GZIP) {
                l->blob = gzip_of(&l->tar, parts);
        } else if (c == STORAGE_COMPRESSION_ZSTD) {
                l->blob = zstd_of(&l->tar, parts);
        } else {
                l->blob.data = xmalloc(l->tar.len);
                memcpy(l->blob.data, l->tar.data, l->tar.len);
                l->blob.len = l->tar.len;
        }
        l->digest = digest_sha256_of(l->blob.data, l->blob.len);
        l->diff_id = digest_sha256_of(l->tar.data, l->tar.len);
}

static void layer_free(struct layer *l)
{
        blob_free(&l->tar);
        blob_free(&l->blob);
        free(l->digest);
        free(l->diff_id);
}

static const struct ent std_layer[] = {
        {.name = "etc", .type = AE_IFDIR},
        {.name = "etc/hello", .data = "hello world\n", .uid = 1234, .gid = 5678},
        {.name = "etc/link", .type = AE_IFLNK, .link = "hello"},
        {.name = "zeros", .size = ZEROS_SIZE},
        {.name = "noise", .size = NOISE_SIZE},
        {0},
};

static struct ent *std_ents(void)
{
        struct ent *v = xmalloc(sizeof(std_layer));

        memcpy(v, std_layer, sizeof(std_layer));
        v[3].data = zeros;
        v[4].data = noise;
        return v;
}

static struct storage_unpack_opts unpack_opts(bool rootless)
{
        return (struct storage_unpack_opts){.rootless = rootless,
                                            .ignore_chown_errors = rootless || !as_root};
}

/* The committed layer holds std_layer, and layer.json says what it was made of. */
static void check_layer(struct storage_store *s, const struct layer *l, const char *comp,
                        const char *what)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_close int diff = storage_layer_open_diff(s, l->diff_id, &err);
        cleanup_free char *hello = diff >= 0 ? read_at(diff, "etc/hello") : NULL;
        cleanup_free char *json_path = xasprintf("layers/%s/layer.json", l->diff_id + 7);
        cleanup_free char *text = read_at(s->rootfd, json_path);
        json_auto_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        char link[16] = "";
        struct stat st = {0}, zst = {0};

        ok(diff >= 0, "%s: committed", what);
        is_str(hello, "hello world\n", "%s: file content", what);
        ok(readlinkat(diff, "etc/link", link, sizeof(link) - 1) == 5 && streq(link, "hello"),
           "%s: symlink", what);
        ok(fstatat(diff, "zeros", &zst, AT_SYMLINK_NOFOLLOW) == 0 && zst.st_size == ZEROS_SIZE,
           "%s: the big file is whole", what);
        if (as_root)
                ok(fstatat(diff, "etc/hello", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == 1234 &&
                           st.st_gid == 5678 && (st.st_mode & 07777) == 0640,
                   "%s: owner and mode", what);
        is_str(json_string_value(json_object_get(doc, "digest")), l->digest, "%s: json digest",
               what);
        is_str(json_string_value(json_object_get(doc, "diff_id")), l->diff_id, "%s: json diff_id",
               what);
        ok(json_integer_value(json_object_get(doc, "size")) == (json_int_t)l->blob.len &&
                   json_integer_value(json_object_get(doc, "unpacked_size")) ==
                           (json_int_t)l->tar.len,
           "%s: json sizes", what);
        is_str(json_string_value(json_object_get(doc, "compression")), comp, "%s: json compression",
               what);
        ok(count_entries(s->rootfd, "tmp") == 0, "%s: tmp/ is empty", what);
}

/* One layer through a writer fed in chunks of `chunk` bytes, committed and checked. */
static void test_good(const char *name, enum storage_compression c, size_t parts, size_t chunk,
                      bool rootless)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new(name);
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free struct ent *ents = std_ents();
        struct storage_unpack_opts uo = unpack_opts(rootless);
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = c};

        layer_make(&l, ents, c, parts);
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id, e.size = l.blob.len;
        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0, "%s: new", name);
        ok(feed(w, &l.blob, chunk, &err) == 0, "%s: %zu-byte chunks taken", name, chunk);
        ok(storage_layer_writer_received(w) == l.blob.len, "%s: bytes received", name);
        ok(storage_layer_writer_finish(w, &err) == 0, "%s: finish", name);
        if (err.msg)
                printf("#   %s\n", err.msg);
        is_str(storage_layer_writer_diff_id(w), l.diff_id, "%s: diff_id reported", name);
        check_layer(s, &l, storage_compression_name(c), name);
        layer_free(&l);
}

/* A rootless unpack skips device nodes (and would keep files ours). */
static void test_rootless_device(void)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new("rootless-dev");
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0};
        struct storage_unpack_opts uo = unpack_opts(true);
        const struct ent ents[] = {{.name = "null", .type = AE_IFCHR},
                                   {.name = "f", .data = "x", .uid = 4000000000},
                                   {0}};
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_GZIP};
        struct stat st;
        cleanup_close int diff = -1;

        layer_make(&l, ents, STORAGE_COMPRESSION_GZIP, 1);
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id;
        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0 && feed(w, &l.blob, 3, &err) == 0 &&
                   storage_layer_writer_finish(w, &err) == 0,
           "rootless: a layer with a device node and an unmappable owner commits");
        diff = storage_layer_open_diff(s, l.diff_id, &err);
        ok(diff >= 0 && fstatat(diff, "null", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
                   fstatat(diff, "f", &st, AT_SYMLINK_NOFOLLOW) == 0,
           "rootless: the device node was skipped, the file is there");
        layer_free(&l);
}

/*
 * Bytes after the tar's end-of-archive blocks (more than a socket holds) are covered by the
 * diff_id and read, not left for the writer to block on.
 */
static void test_trailing(void)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new("trailing");
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0};
        struct storage_unpack_opts uo = unpack_opts(false);
        const struct ent ents[] = {{.name = "f", .data = "x"}, {0}};
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_GZIP};
        size_t pad = 2 * 1024 * 1024;

        l.tar = tar_of(ents);
        l.tar.data = xrealloc(l.tar.data, l.tar.len + pad);
        memset(l.tar.data + l.tar.len, 0, pad);
        l.tar.len += pad;
        l.blob = gzip_of(&l.tar, 1);
        l.digest = digest_sha256_of(l.blob.data, l.blob.len);
        l.diff_id = digest_sha256_of(l.tar.data, l.tar.len);
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id;
        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0 &&
                   feed(w, &l.blob, 4096, &err) == 0 && storage_layer_writer_finish(w, &err) == 0,
           "trailing: data after the end of the tar is read and hashed");
        if (err.msg)
                printf("#   %s\n", err.msg);
        ok(storage_layer_exists(s, l.diff_id), "trailing: committed");
        layer_free(&l);
}

/* import: nothing known in advance, compression by magic, chain id given at commit. */
static void test_import(void)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new("import");
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0};
        cleanup_free struct ent *ents = std_ents();
        struct storage_unpack_opts uo = unpack_opts(false);
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_AUTO};
        struct layer l = {0};
        cleanup_close int fd = memfd_create("blob", MFD_CLOEXEC);

        layer_make(&l, ents, STORAGE_COMPRESSION_ZSTD, 2);
        if (fd < 0 || write(fd, l.blob.data, l.blob.len) != (ssize_t)l.blob.len ||
            lseek(fd, 0, SEEK_SET) != 0)
                bail("memfd");
        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0, "import: new without digests");
        ok(storage_layer_writer_copy_fd(w, fd, &err) == 0, "import: copied from an fd");
        ok(storage_layer_writer_diff_id(w) == NULL, "import: no diff_id before the end");
        ok(storage_layer_writer_commit(w, NULL, &err) == -EINVAL, "import: no commit before end");
        rctr_error_clear(&err);
        ok(storage_layer_writer_end(w, &err) == 0, "import: end");
        is_str(storage_layer_writer_digest(w), l.digest, "import: the digest is computed");
        is_str(storage_layer_writer_diff_id(w), l.diff_id, "import: the diff_id is computed");
        ok(storage_layer_writer_unpacked_size(w) == l.tar.len, "import: unpacked size");
        ok(storage_layer_writer_compression(w) == STORAGE_COMPRESSION_ZSTD, "import: zstd found");
        ok(storage_layer_writer_commit(w, NULL, &err) == -EINVAL,
           "import: commit needs a chain id");
        rctr_error_clear(&err);
        ok(storage_layer_writer_commit(w, storage_layer_writer_diff_id(w), &err) == 0,
           "import: committed under the chain id known only now");
        check_layer(s, &l, "zstd", "import");
        layer_free(&l);
}

/*
 * A blob that must fail: the error is what it should be, the writer refuses more, and once it
 * is freed nothing is left in the store, no thread either.
 */
struct bad {
        const char *name;
        enum storage_compression c;
        size_t chunk;
        void (*spoil)(struct layer *l, struct storage_layer_expect *e);
        int code;
        const char *msg; /* expected message after "layer <digest>: " (prefix match) */
        bool at_write;   /* fails while written, not only at the end */
};

static void spoil_digest(struct layer *l, struct storage_layer_expect *e)
{
        e->digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
}

static void spoil_diff_id(struct layer *l, struct storage_layer_expect *e)
{
        e->diff_id = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
}

/* the digest matches what is sent, so the truncation itself must be noticed */
static void spoil_truncate(struct layer *l, struct storage_layer_expect *e)
{
        l->blob.len -= 9;
        free(l->digest);
        l->digest = digest_sha256_of(l->blob.data, l->blob.len);
        e->digest = l->digest, e->size = 0;
}

static void spoil_corrupt(struct layer *l, struct storage_layer_expect *e)
{
        for (size_t i = l->blob.len / 2; i < l->blob.len / 2 + 16; i++)
                l->blob.data[i] ^= 0x5a;
        free(l->digest);
        l->digest = digest_sha256_of(l->blob.data, l->blob.len);
        e->digest = l->digest, e->size = 0;
}

static void spoil_size_short(struct layer *l, struct storage_layer_expect *e)
{
        e->size = l->blob.len - 1;
}

static void spoil_size_long(struct layer *l, struct storage_layer_expect *e)
{
        e->size = l->blob.len + 10;
}

static void spoil_cap(struct layer *l, struct storage_layer_expect *e)
{
        e->max_unpacked = 1024 * 1024;
}

static void run_bad(const struct bad *b)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new(b->name);
        struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0}, again = {0};
        cleanup_free struct ent *ents = std_ents();
        cleanup_free char *want = NULL;
        struct storage_unpack_opts uo = unpack_opts(false);
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = b->c};
        size_t threads = thread_count();
        int r;

        layer_make(&l, ents, b->c, 1);
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id, e.size = l.blob.len;
        b->spoil(&l, &e);
        want = xasprintf("layer %s: %s", e.digest, b->msg);
        if (storage_layer_writer_new(s, &e, &uo, &w, &err) < 0)
                bail(err.msg);
        r = feed(w, &l.blob, b->chunk, &err);
        ok(b->at_write ? r < 0 : r == 0, "%s: %s while written", b->name,
           b->at_write ? "fails" : "taken");
        if (r == 0)
                r = storage_layer_writer_finish(w, &err);
        ok(r == -b->code, "%s: fails with %s", b->name, strerror(b->code));
        ok(err.msg && strncmp(err.msg, want, strlen(want)) == 0, "%s: error names the blob",
           b->name);
        printf("#   %s\n", err.msg ? err.msg : "(no message)");
        ok(storage_layer_writer_write(w, "x", 1, &again) == r && again.msg &&
                   streq(again.msg, err.msg),
           "%s: a later write returns the same error", b->name);
        ok(store_empty(s), "%s: nothing committed, tmp/ empty", b->name);
        ok(thread_count() == threads, "%s: the unpack thread is gone", b->name);
        storage_layer_writer_free(w);
        ok(store_empty(s), "%s: still nothing after free", b->name);
        layer_free(&l);
}

static void test_bad(void)
{
        const struct bad cases[] = {
                {"bad-digest", STORAGE_COMPRESSION_GZIP, 7, spoil_digest, EBADMSG,
                 "digest mismatch: got sha256:", false},
                {"bad-diff-id", STORAGE_COMPRESSION_ZSTD, 65536, spoil_diff_id, EBADMSG,
                 "diff_id mismatch: got sha256:", false},
                {"truncated-gzip", STORAGE_COMPRESSION_GZIP, 4096, spoil_truncate, EBADMSG,
                 "gzip data truncated", false},
                {"truncated-zstd", STORAGE_COMPRESSION_ZSTD, 4096, spoil_truncate, EBADMSG,
                 "zstd data truncated", false},
                {"corrupt-gzip", STORAGE_COMPRESSION_GZIP, 1000, spoil_corrupt, EBADMSG,
                 "gzip data corrupt", true},
                {"corrupt-zstd", STORAGE_COMPRESSION_ZSTD, 1000, spoil_corrupt, EBADMSG,
                 "zstd data corrupt", true},
                {"size-over", STORAGE_COMPRESSION_GZIP, 7, spoil_size_short, EBADMSG,
                 "size mismatch: more than", true},
                {"size-under", STORAGE_COMPRESSION_ZSTD, 7, spoil_size_long, EBADMSG,
                 "size mismatch: got", false},
                {"over-cap", STORAGE_COMPRESSION_GZIP, 65536, spoil_cap, EFBIG,
                 "uncompressed size over the limit of 1048576 bytes", true},
                {"over-cap-none", STORAGE_COMPRESSION_NONE, 65536, spoil_cap, EFBIG,
                 "uncompressed size over the limit", true},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                run_bad(&cases[i]);
}

/* A hostile entry: the unpacker stops, the download is stopped with its error. */
static void test_hostile(void)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new("hostile");
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_error struct rctr_error err = {0};
        struct storage_unpack_opts uo = unpack_opts(false);
        struct ent ents[] = {{.name = "../escape", .data = "x"},
                             {.name = "zeros", .data = zeros, .size = ZEROS_SIZE},
                             {0}};
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_NONE};
        size_t threads = thread_count();
        int r;

        layer_make(&l, ents, STORAGE_COMPRESSION_NONE, 1);
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id;
        if (storage_layer_writer_new(s, &e, &uo, &w, &err) < 0)
                bail(err.msg);
        r = feed(w, &l.blob, 4096, &err);
        ok(r == -EBADMSG, "hostile: stopped while written (the tar is larger than the socket)");
        ok(err.msg && strstr(err.msg, "layer entry ../escape") &&
                   strncmp(err.msg, "layer sha256:", 13) == 0,
           "hostile: the unpacker's error, naming the blob");
        printf("#   %s\n", err.msg ? err.msg : "(none)");
        ok(store_empty(s) && thread_count() == threads, "hostile: nothing left, thread joined");
        ok(faccessat(s->rootfd, "escape", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
                   faccessat(s->rootfd, "tmp/escape", F_OK, AT_SYMLINK_NOFOLLOW) < 0,
           "hostile: nothing escaped");
        layer_free(&l);
}

/* Abort: mid-stream, right after new, after end before commit. */
static void test_abort(void)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new("abort");
        cleanup_error struct rctr_error err = {0};
        cleanup_free struct ent *ents = std_ents();
        struct storage_unpack_opts uo = unpack_opts(false);
        struct layer l = {0};
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_GZIP};
        struct blob half;
        struct storage_layer_writer *w = NULL;
        size_t threads = thread_count();

        layer_make(&l, ents, STORAGE_COMPRESSION_GZIP, 1);
        half = (struct blob){.data = l.blob.data, .len = l.blob.len / 2};
        e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id, e.size = l.blob.len;
        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0 && feed(w, &half, 1000, &err) == 0,
           "abort: half a blob taken");
        ok(thread_count() == threads + 1 && count_entries(s->rootfd, "tmp") == 1,
           "abort: an unpack thread and a stage");
        storage_layer_writer_free(w);
        ok(thread_count() == threads && store_empty(s), "abort: thread joined, stage removed");

        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0, "abort: new");
        storage_layer_writer_free(w);
        ok(thread_count() == threads && store_empty(s), "abort: right after new");

        ok(storage_layer_writer_new(s, &e, &uo, &w, &err) == 0 &&
                   feed(w, &l.blob, 65536, &err) == 0 && storage_layer_writer_end(w, &err) == 0,
           "abort: ended");
        ok(storage_layer_writer_write(w, "x", 1, &err) == -EINVAL, "abort: no write after end");
        rctr_error_clear(&err);
        storage_layer_writer_free(w);
        ok(thread_count() == threads && store_empty(s), "abort: an ended stage is removed too");
        layer_free(&l);
}

/* Parallel pulls of one layer: by threads of one store, and through two stores (processes). */
struct racer {
        struct storage_store *s;
        const struct layer *l;
        int r;
        struct rctr_error err;
};

static void *race(void *arg)
{
        struct racer *rc = arg;
        struct storage_unpack_opts uo = unpack_opts(false);
        struct storage_layer_expect e = {.digest = rc->l->digest,
                                         .diff_id = rc->l->diff_id,
                                         .chain_id = rc->l->diff_id,
                                         .size = rc->l->blob.len,
                                         .compression = STORAGE_COMPRESSION_ZSTD};
        struct storage_layer_writer *w = NULL;

        rc->r = storage_layer_writer_new(rc->s, &e, &uo, &w, &rc->err);
        if (rc->r >= 0)
                rc->r = feed(w, &rc->l->blob, 4096, &rc->err);
        if (rc->r >= 0)
                rc->r = storage_layer_writer_finish(w, &rc->err);
        storage_layer_writer_free(w);
        return NULL;
}

static void test_race(const char *name, bool two_stores)
{
        CLEANUP(storage_store_freep) struct storage_store *s = store_new(name);
        CLEANUP(storage_store_freep) struct storage_store *s2 = two_stores ? store_new(name) : NULL;
        cleanup_free struct ent *ents = std_ents();
        struct layer l = {0};
        struct racer rc[4];
        pthread_t t[4];

        layer_make(&l, ents, STORAGE_COMPRESSION_ZSTD, 3);
        for (size_t i = 0; i < ARRAY_SIZE(rc); i++) {
                rc[i] = (struct racer){.s = two_stores && i % 2 ? s2 : s, .l = &l};
                if (pthread_create(&t[i], NULL, race, &rc[i]) != 0)
                        bail("pthread_create");
        }
        for (size_t i = 0; i < ARRAY_SIZE(rc); i++) {
                pthread_join(t[i], NULL);
                ok(rc[i].r == 0, "%s: writer %zu committed", name, i);
                if (rc[i].err.msg)
                        printf("#   %s\n", rc[i].err.msg);
                rctr_error_clear(&rc[i].err);
        }
        ok(count_entries(s->rootfd, "layers") == 1, "%s: one layer", name);
        check_layer(s, &l, "zstd", name);
        layer_free(&l);
}

/* A full file system: the write error is reported and the partial layer removed. */
static void test_enospc(void)
{
        int pfd[2];
        pid_t pid;
        int status = 0;
        char msg[512] = "";
        ssize_t n;

        if (!as_root || pipe2(pfd, O_CLOEXEC) < 0) {
                printf("ok %d - enospc # SKIP needs root for a small tmpfs\n", ++tap_n);
                return;
        }
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                struct rctr_error err = {0};
                struct storage_store *s = NULL;
                struct storage_layer_writer *w = NULL;
                struct storage_unpack_opts uo = unpack_opts(false);
                struct ent *ents = std_ents();
                struct layer l = {0};
                struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_GZIP};
                char *path = xasprintf("%s/small", tmp_root);
                int r;

                /* a private mount namespace of this child only, so the tmpfs goes with it */
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mkdir(path, 0700) < 0 || mount("tmpfs", path, "tmpfs", 0, "size=256k") < 0)
                        _exit(77);
                if (storage_store_open(path, &s, &err) < 0)
                        _exit(1);
                layer_make(&l, ents, STORAGE_COMPRESSION_GZIP, 1);
                e.digest = l.digest, e.diff_id = l.diff_id, e.chain_id = l.diff_id;
                r = storage_layer_writer_new(s, &e, &uo, &w, &err);
                if (r >= 0)
                        r = feed(w, &l.blob, 65536, &err);
                if (r >= 0)
                        r = storage_layer_writer_finish(w, &err);
                storage_layer_writer_free(w);
                dprintf(pfd[1], "%d %zu %s", r,
                        count_entries(s->rootfd, "tmp") + count_entries(s->rootfd, "layers"),
                        err.msg ? err.msg : "");
                _exit(0);
        }
        close(pfd[1]);
        n = read(pfd[0], msg, sizeof(msg) - 1);
        close(pfd[0]);
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
                printf("ok %d - enospc # SKIP cannot mount a tmpfs here\n", ++tap_n);
                return;
        }
        msg[n > 0 ? n : 0] = '\0';
        printf("#   %s\n", msg);
        ok(strncmp(msg, "-28 0 layer sha256:", 19) == 0 && strstr(msg, "No space left on device"),
           "enospc: the layer fails with ENOSPC and leaves nothing");
}

int main(void)
{
        char dir[] = "/tmp/test-layer-writer-XXXXXX";
        cleanup_error struct rctr_error err = {0};
        uint32_t x = 12345;

        if (!mkdtemp(dir))
                bail("mkdtemp");
        tmp_root = dir;
        as_root = geteuid() == 0;
        zeros = xzalloc(ZEROS_SIZE);
        noise = xmalloc(NOISE_SIZE);
        for (size_t i = 0; i < NOISE_SIZE; i++) {
                x = x * 1103515245 + 12345;
                noise[i] = (char)(x >> 16);
        }

        test_good("gzip-1", STORAGE_COMPRESSION_GZIP, 1, 1, false);
        test_good("gzip-multi-7", STORAGE_COMPRESSION_GZIP, 3, 7, false);
        test_good("zstd-frames-64k", STORAGE_COMPRESSION_ZSTD, 4, 65536, false);
        test_good("zstd-1", STORAGE_COMPRESSION_ZSTD, 1, 1, false);
        test_good("none-7-rootless", STORAGE_COMPRESSION_NONE, 1, 7, true);
        test_good("gzip-whole", STORAGE_COMPRESSION_GZIP, 2, 1 << 30, true);
        test_rootless_device();
        test_import();
        test_trailing();
        test_bad();
        test_hostile();
        test_abort();
        test_race("race-threads", false);
        test_race("race-stores", true);
        test_enospc();

        free(zeros);
        free(noise);
        (void)fs_remove_tree_at(AT_FDCWD, dir, &err);
        return tap_done();
}
