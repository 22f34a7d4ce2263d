/* Manifests, indexes and image configs: parsing, platform choice, chain ids, digests. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "tap.h"

#define A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define C "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static int parse(const char *body, const char *ct, struct image_manifest *m, struct rctr_error *err)
{
        return image_manifest_parse(body, strlen(body), ct, m, err);
}

static void test_digest(void)
{
        cleanup_free char *empty = digest_sha256_of("", 0), *abc = digest_sha256_of("abc", 3);

        is_str(empty, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "sha256 of nothing");
        is_str(abc, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               "sha256 of abc");
}

static void test_image(void)
{
        const char *v2s2 = "{\"schemaVersion\": 2, \"mediaType\": "
                           "\"application/vnd.docker.distribution.manifest.v2+json\", \"config\": "
                           "{\"mediaType\": \"application/vnd.docker.container.image.v1+json\", "
                           "\"size\": 10, \"digest\": \"" A "\"}, \"layers\": [{\"mediaType\": "
                           "\"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 5, "
                           "\"digest\": \"" B "\"}, {\"mediaType\": "
                           "\"application/vnd.oci.image.layer.v1.tar+zstd\", \"size\": 6, "
                           "\"digest\": \"" C "\"}]}";
        struct image_manifest m = {0};
        cleanup_error struct rctr_error err = {0};

        ok(parse(v2s2, "application/vnd.docker.distribution.manifest.v2+json", &m, &err) == 0,
           "docker v2s2");
        ok(m.kind == IMAGE_MANIFEST_IMAGE && m.n_entries == 2, "two layers");
        is_str(m.config.digest, A, "config digest");
        ok(m.entries[0].compression == IMAGE_COMPRESSION_GZIP &&
                   m.entries[1].compression == IMAGE_COMPRESSION_ZSTD,
           "gzip and zstd layers");
        image_manifest_clear(&m);
        /* no mediaType, generic content type: an OCI manifest by its shape */
        ok(parse("{\"schemaVersion\": 2, \"config\": {\"size\": 1, \"digest\": \"" A
                 "\"}, \"layers\": []}",
                 "application/json", &m, &err) == 0 &&
                   streq(m.media_type, IMAGE_MT_OCI_MANIFEST),
           "OCI by shape");
        image_manifest_clear(&m);
        ok(parse("{\"schemaVersion\": 1, \"fsLayers\": []}", NULL, &m, &err) == -EOPNOTSUPP,
           "schema 1 refused");
        ok(strstr(err.msg, "schema 1 manifests are not supported") != NULL, "saying so");
        rctr_error_clear(&err);
        ok(parse("{\"config\": {\"size\": 1, \"digest\": \"" A "\"}, \"layers\": [{\"mediaType\": "
                 "\"application/x-foo\", \"size\": 1, \"digest\": \"" B "\"}]}",
                 IMAGE_MT_OCI_MANIFEST, &m, &err) == -EOPNOTSUPP,
           "unknown layer type refused");
        is_str(err.msg, "manifest: layers[0]: unknown layer media type \"application/x-foo\"",
               "named");
        rctr_error_clear(&err);
        ok(parse("{\"config\": {\"size\": 1, \"digest\": \"sha256:../x\"}, \"layers\": []}",
                 IMAGE_MT_OCI_MANIFEST, &m, &err) == -EBADMSG,
           "a bad digest refused");
        rctr_error_clear(&err);
        ok(parse("[1]", NULL, &m, &err) < 0, "not an object");
        rctr_error_clear(&err);
        ok(parse("{\"layers\": [", NULL, &m, &err) < 0, "malformed JSON");
}

static void test_index(void)
{
        const char *index =
                "{\"schemaVersion\": 2, \"mediaType\": \"" IMAGE_MT_OCI_INDEX "\", "
                "\"manifests\": [{\"mediaType\": \"" IMAGE_MT_OCI_MANIFEST "\", \"size\": 1, "
                "\"digest\": \"" A "\", \"platform\": {\"os\": \"linux\", \"architecture\": "
                "\"arm64\", \"variant\": \"v8\"}}, {\"mediaType\": \"" IMAGE_MT_OCI_MANIFEST "\", "
                "\"size\": 1, \"digest\": \"" B "\", \"platform\": {\"os\": \"linux\", "
                "\"architecture\": \"amd64\"}}, {\"mediaType\": \"" IMAGE_MT_OCI_MANIFEST "\", "
                "\"size\": 1, \"digest\": \"" C "\", \"platform\": {\"os\": \"linux\", "
                "\"architecture\": \"arm\", \"variant\": \"v7\"}}]}";
        struct image_manifest m = {0};
        char linux_[] = "linux", amd64[] = "amd64", arm64[] = "arm64", arm[] = "arm", v8[] = "v8",
             v6[] = "v6";
        struct image_platform want = {.os = linux_, .architecture = amd64};
        cleanup_error struct rctr_error err = {0};
        const struct image_descriptor *d;

        ok(parse(index, NULL, &m, &err) == 0 && m.kind == IMAGE_MANIFEST_INDEX, "an index");
        d = image_manifest_choose(&m, &want, &err);
        ok(d && streq(d->digest, B), "amd64 chosen");
        want.architecture = arm64;
        want.variant = v8;
        d = image_manifest_choose(&m, &want, &err);
        ok(d && streq(d->digest, A), "arm64/v8");
        want.architecture = arm;
        want.variant = v6;
        d = image_manifest_choose(&m, &want, &err);
        ok(!d, "no arm/v6");
        is_str(err.msg,
               "no image for linux/arm/v6 in the index (it has: linux/arm64/v8, linux/amd64, "
               "linux/arm/v7)",
               "the error lists what it has");
        image_manifest_clear(&m);
}

static void test_config(void)
{
        const char *cfg = "{\"architecture\": \"amd64\", \"os\": \"linux\", \"created\": "
                          "\"2026-01-01T00:00:00Z\", \"rootfs\": {\"type\": \"layers\", "
                          "\"diff_ids\": [\"" A "\", \"" B "\"]}, \"config\": {\"Cmd\": [\"sh\"]}}";
        struct image_config c = {0};
        cleanup_error struct rctr_error err = {0};
        char **chain;
        cleanup_free char *want = digest_sha256_of(A " " B, strlen(A " " B));

        ok(image_config_parse(cfg, strlen(cfg), 2, &c, &err) == 0, "a config");
        is_str(c.platform.architecture, "amd64", "its architecture");
        chain = image_chain_ids(c.diff_ids);
        is_str(chain[0], A, "the first chain id is the first diff id");
        is_str(chain[1], want, "then sha256 of \"parent child\"");
        strv_free(chain);
        image_config_clear(&c);
        ok(image_config_parse(cfg, strlen(cfg), 3, &c, &err) == -EBADMSG, "layer count checked");
        is_str(err.msg, "image config: rootfs.diff_ids: 2, but the manifest has 3 layers",
               "saying so");
}

int main(void)
{
        test_digest();
        test_image();
        test_index();
        test_config();
        return tap_done();
}
