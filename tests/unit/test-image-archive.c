/*
 * Image archives: docker-archive manifest.json and oci-archive index.json parsing (hostile
 * input included), the names they give, the documents save writes, the imported image's config,
 * and the archive reader's first pass (links, duplicates, JSON members, caps).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image/archive-docker.h"
#include "image/archive-oci.h"
#include "image/archive-reader.h"
#include "image/import.h"
#include "image/manifest.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "tap.h"

#define A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int docker_parse(const char *text, struct image_docker_manifest *m, struct rctr_error *err)
{
        return image_docker_manifest_parse(text, strlen(text), m, err);
}

static void test_docker_manifest(void)
{
        cleanup_error struct rctr_error err = {0};
        struct image_docker_manifest m = {0};
        const char *podman = "[{\"Config\":\"abc.json\",\"RepoTags\":[\"busybox:latest\","
                             "\"quay.io/a/b:1\"],\"Layers\":[\"./l1/layer.tar\",\"l2.tar\"]},"
                             "{\"Config\":\"def.json\",\"RepoTags\":null,\"Layers\":[]}]";
        struct {
                const char *text, *msg;
        } bad[] = {
                {"{}", "manifest.json: expected a list of images"},
                {"[]", "manifest.json: expected a list of images"},
                {"[1]", "manifest.json: [0]: expected an object"},
                {"[{\"Layers\":[]}]", "manifest.json: [0]: Config: missing"},
                {"[{\"Config\":\"a.json\"}]", "manifest.json: [0]: Layers: missing"},
                {"[{\"Config\":\"../a.json\",\"Layers\":[]}]",
                 "manifest.json: [0]: Config: member ../a.json: path leaves the layer"},
                {"[{\"Config\":\"a.json\",\"Layers\":[\"/etc/passwd\"]}]",
                 "manifest.json: [0]: Layers[0]: member /etc/passwd: absolute path"},
                {"[{\"Config\":\"./\",\"Layers\":[]}]",
                 "manifest.json: [0]: Config: member ./: empty name"},
                {"[{\"Config\":\"a.json\",\"Layers\":[7]}]",
                 "manifest.json: [0]: Layers[0]: expected a string"},
                {"[{\"Config\":\"a.json\",\"Layers\":[],\"RepoTags\":[1]}]", NULL},
                {"[", NULL},
        };

        ok(docker_parse(podman, &m, &err) == 0 && m.n == 2, "podman's manifest.json: two images");
        is_str(m.v[0].config, "abc.json", "config member");
        is_str(m.v[0].layers[0], "l1/layer.tar", "layer member names are cleaned");
        is_str(m.v[0].repo_tags[1], "quay.io/a/b:1", "tags as written");
        ok(m.v[1].repo_tags && !m.v[1].repo_tags[0] && !m.v[1].layers[0],
           "RepoTags null: no names; no layers");
        image_docker_manifest_clear(&m);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = docker_parse(bad[i].text, &m, &err);

                ok(r == -EBADMSG && m.n == 0, "refused: %s", bad[i].text);
                if (bad[i].msg)
                        is_str(err.msg, bad[i].msg, "message for %s", bad[i].text);
                rctr_error_clear(&err);
        }
}

static void test_docker_caps(void)
{
        cleanup_error struct rctr_error err = {0};
        struct image_docker_manifest m = {0};
        struct buf text;

        buf_init(&text, 0);
        buf_appendf(&text, "[");
        for (int i = 0; i <= IMAGE_ARCHIVE_IMAGES_MAX; i++)
                buf_appendf(&text, "%s{\"Config\":\"a.json\",\"Layers\":[]}", i ? "," : "");
        buf_appendf(&text, "]");
        ok(image_docker_manifest_parse(text.data, text.len, &m, &err) == -EFBIG,
           "more than %d images: EFBIG", IMAGE_ARCHIVE_IMAGES_MAX);
        buf_free(&text);
}

static void test_names(void)
{
        cleanup_error struct rctr_error err = {0};
        struct {
                const char *in, *docker, *oci;
        } cases[] = {
                {"busybox", "docker.io/library/busybox:latest", "localhost/busybox:latest"},
                {"busybox:1", "docker.io/library/busybox:1", "localhost/busybox:1"},
                {"quay.io/a/b:2", "quay.io/a/b:2", "quay.io/a/b:2"},
                {"127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest"},
                {"latest", "docker.io/library/latest:latest", "localhost/latest:latest"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_free char *d = NULL, *o = NULL;

                ok(image_docker_tag_normalize(cases[i].in, &d, &err) == 0 &&
                           image_oci_ref_normalize(cases[i].in, &o, &err) == 0,
                   "name %s", cases[i].in);
                is_str(d, cases[i].docker, "docker-archive reads %s", cases[i].in);
                is_str(o, cases[i].oci, "oci-archive reads %s", cases[i].in);
        }
        ok(image_docker_tag_normalize("UPPER", &(char *){NULL}, &err) == -EINVAL,
           "a bad name is refused");
}

static int oci_parse(const char *text, struct image_oci_index *idx, struct rctr_error *err)
{
        return image_oci_index_parse(text, strlen(text), idx, err);
}

static void test_oci_index(void)
{
        cleanup_error struct rctr_error err = {0};
        struct image_oci_index idx = {0};
        const char *good =
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST
                "\",\"digest\":\"" A "\",\"size\":12,\"annotations\":{\"" IMAGE_OCI_REF_NAME
                "\":\"latest\"}},{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"" B
                "\",\"size\":3,\"annotations\":{\"" IMAGE_OCI_REF_NAME
                "\":\"1\",\"io.containerd.image.name\":\"docker.io/library/x:1\"}},"
                "{\"mediaType\":\"" IMAGE_MT_OCI_MANIFEST "\",\"digest\":\"" A "\",\"size\":12}]}";

        ok(oci_parse(good, &idx, &err) == 0 && idx.n == 3, "index.json: three entries");
        is_str(idx.v[0].name, "latest", "ref.name");
        is_str(idx.v[1].name, "docker.io/library/x:1", "containerd's name first");
        ok(!idx.v[2].name && idx.v[0].size == 12, "no annotation: no name; size");
        image_oci_index_clear(&idx);
        ok(oci_parse("{\"manifests\":[]}", &idx, &err) == -EBADMSG, "no manifests: refused");
        is_str(err.msg, "index.json: manifests: no images", "message");
        rctr_error_clear(&err);
        ok(oci_parse("{\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:../../etc\","
                     "\"size\":1}]}",
                     &idx, &err) == -EBADMSG,
           "a digest that is no digest is refused before it names a path");
        is_str(err.msg, "index.json: manifests[0]: digest: not a sha256 digest", "message");
        rctr_error_clear(&err);
        ok(oci_parse("{\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" A "\",\"size\":-1}]}",
                     &idx, &err) == -EBADMSG,
           "a negative size is refused");
}

static void test_documents(void)
{
        const char *mts[] = {IMAGE_MT_OCI_LAYER};
        char *digests[] = {(char *)B, NULL};
        uint64_t sizes[] = {10240};
        char *tags[] = {(char *)"docker.io/library/busybox:latest", NULL};
        char *layers[] = {(char *)"bbbb/layer.tar", NULL};
        json_auto_t *m = image_oci_manifest_new(A, 99, 1, mts, digests, sizes);
        json_auto_t *idx = image_oci_index_new();
        json_auto_t *e = image_docker_manifest_entry("aaaa.json", tags, layers);
        json_auto_t *untagged = image_docker_manifest_entry("aaaa.json", NULL, layers);
        cleanup_free char *cfg = image_import_config("2026-01-01T00:00:00Z", B);
        json_auto_t *c = json_loads(cfg, 0, NULL);
        cleanup_free char *oci_blob = image_oci_blob_name(A);
        json_t *layer0 = json_array_get(json_object_get(m, "layers"), 0);

        ok(json_integer_value(json_object_get(m, "schemaVersion")) == 2 &&
                   streq(json_string_value(json_object_get(layer0, "digest")), B) &&
                   json_integer_value(json_object_get(layer0, "size")) == 10240,
           "OCI manifest of the layers");
        image_oci_index_add(idx, A, 5, "docker.io/library/busybox:latest");
        image_oci_index_add(idx, A, 5, NULL);
        ok(json_array_size(json_object_get(idx, "manifests")) == 2 &&
                   !json_object_get(json_array_get(json_object_get(idx, "manifests"), 1),
                                    "annotations"),
           "index entries, with and without a name");
        ok(streq(json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0)), tags[0]) &&
                   json_is_null(json_object_get(untagged, "RepoTags")),
           "manifest.json entry: RepoTags, or null");
        ok(c && streq(json_string_value(json_object_get(c, "os")), "linux") &&
                   json_object_get(c, "architecture") &&
                   streq(json_string_value(json_array_get(
                                 json_object_get(json_object_get(c, "rootfs"), "diff_ids"), 0)),
                         B),
           "imported image config: os, architecture, the diff_id");
        is_str(oci_blob,
               "blobs/sha256/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
               "blob member name");
}

/* ---- the reader's first pass, on tars made here ---- */

struct mem {
        const char *name;
        unsigned type; /* AE_IFREG (default), AE_IFLNK, AE_IFDIR */
        const char *data, *link, *hardlink;
};

static int tar_fd(const struct mem *list)
{
        int fd = memfd_create("archive.tar", MFD_CLOEXEC);
        struct archive *a = archive_write_new();

        archive_write_set_format_pax_restricted(a);
        archive_write_open_fd(a, fd);
        for (const struct mem *e = list; e->name; e++) {
                struct archive_entry *ae = archive_entry_new();
                size_t len = e->data ? strlen(e->data) : 0;

                archive_entry_copy_pathname(ae, e->name);
                archive_entry_set_filetype(ae, e->type ? e->type : AE_IFREG);
                archive_entry_set_perm(ae, 0644);
                archive_entry_set_size(ae, (la_int64_t)len);
                if (e->link)
                        archive_entry_copy_symlink(ae, e->link);
                if (e->hardlink)
                        archive_entry_copy_hardlink(ae, e->hardlink);
                archive_write_header(a, ae);
                if (len)
                        archive_write_data(a, e->data, len);
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static int count_members(void *ctx, const char *name, uint64_t size, struct image_archive_member *m,
                         struct rctr_error *err)
{
        char buf[64];
        ssize_t n = image_archive_member_read(m, buf, sizeof(buf), err);

        if (n < 0)
                return (int)n;
        if (streq(name, "abc/layer.tar") && size == 9 && n == 9 && memcmp(buf, "not json!", 9) == 0)
                ++*(int *)ctx;
        return 0;
}

static void test_reader(void)
{
        const struct mem list[] = {
                {.name = "./manifest.json", .data = "  [{\"Config\": \"c.json\"}]"},
                {.name = "abc", .type = AE_IFDIR},
                {.name = "abc/layer.tar", .data = "not json!"},
                {.name = "def/layer.tar", .type = AE_IFLNK, .link = "../abc/layer.tar"},
                {.name = "hard.tar", .hardlink = "abc/layer.tar"},
                {.name = "out.tar", .type = AE_IFLNK, .link = "../../etc/passwd"},
                {.name = "../escape.json", .data = "{}"},
                {.name = "loop", .type = AE_IFLNK, .link = "loop"},
                {.name = NULL},
        };
        const struct mem twice[] = {
                {.name = "a.json", .data = "{}"},
                {.name = "./a.json", .data = "{}"},
                {.name = NULL},
        };
        cleanup_error struct rctr_error err = {0};
        struct image_archive_reader *r = NULL;
        const struct buf *doc;
        uint64_t size = 0;
        int fd = tar_fd(list), found = 0;

        ok(image_archive_reader_open(fd, -1, &r, &err) == 0, "reader: first pass (%s)",
           err.msg ? err.msg : "");
        doc = r ? image_archive_reader_json(r, "manifest.json") : NULL;
        ok(doc && doc->len == strlen(list[0].data), "a JSON member is held, by its clean name");
        ok(r && !image_archive_reader_json(r, "abc/layer.tar"), "not JSON: not held");
        is_str(r ? image_archive_reader_resolve(r, "def/layer.tar", &size) : NULL, "abc/layer.tar",
               "a symlink to a member resolves");
        ok(size == 9, "with its size");
        is_str(r ? image_archive_reader_resolve(r, "hard.tar", NULL) : NULL, "abc/layer.tar",
               "a hard link resolves");
        ok(r && !image_archive_reader_resolve(r, "out.tar", NULL) &&
                   !image_archive_reader_resolve(r, "escape.json", NULL) &&
                   !image_archive_reader_resolve(r, "loop", NULL),
           "links out of the archive, names leaving it, loops: nothing");
        ok(r && image_archive_reader_scan(r, count_members, &found, &err) == 0 && found == 1,
           "second pass: the member's bytes");
        image_archive_reader_free(r);
        close(fd);
        r = NULL;
        fd = tar_fd(twice);
        ok(image_archive_reader_open(fd, -1, &r, &err) == -EBADMSG && !r,
           "a member given twice is refused");
        is_str(err.msg, "read the archive: member a.json appears twice", "message");
        close(fd);
}

int main(void)
{
        test_docker_manifest();
        test_docker_caps();
        test_names();
        test_oci_index();
        test_documents();
        test_reader();
        return tap_done();
}
