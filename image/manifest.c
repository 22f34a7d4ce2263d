#include <config.h>
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "lib/digest.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h" /* storage_digest_valid */

/* Registries cap manifests at 4 MiB; a config is never near that either. */
#define IMAGE_MANIFEST_MAX (4u * 1024 * 1024)
#define IMAGE_CONFIG_MAX   (8u * 1024 * 1024)

const char *const image_manifest_accept[] = {
        IMAGE_MT_OCI_INDEX,
        IMAGE_MT_DOCKER_LIST,
        IMAGE_MT_OCI_MANIFEST,
        IMAGE_MT_DOCKER_V2S2,
        IMAGE_MT_DOCKER_V2S1_SIGNED,
        IMAGE_MT_DOCKER_V2S1,
        NULL,
};

static const struct {
        const char *media_type;
        enum image_compression compression;
} layer_types[] = {
        {"application/vnd.oci.image.layer.v1.tar", IMAGE_COMPRESSION_NONE},
        {"application/vnd.oci.image.layer.v1.tar+gzip", IMAGE_COMPRESSION_GZIP},
        {"application/vnd.oci.image.layer.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", IMAGE_COMPRESSION_GZIP},
        {"application/vnd.docker.image.rootfs.diff.tar", IMAGE_COMPRESSION_NONE},
        /* the "nondistributable" forms are the same bytes, served from the registry here */
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMAGE_COMPRESSION_GZIP},
        {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMAGE_COMPRESSION_GZIP},
};

void image_platform_clear(struct image_platform *p)
{
        free(p->os);
        free(p->architecture);
        free(p->variant);
        memset(p, 0, sizeof(*p));
}

static void descriptor_clear(struct image_descriptor *d)
{
        free(d->media_type);
        free(d->digest);
        image_platform_clear(&d->platform);
        memset(d, 0, sizeof(*d));
}

void image_manifest_clear(struct image_manifest *m)
{
        free(m->media_type);
        descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_entries; i++)
                descriptor_clear(&m->entries[i]);
        free(m->entries);
        memset(m, 0, sizeof(*m));
}

static int parse_descriptor(json_t *obj, struct image_descriptor *d, struct rctr_error *err)
{
        const char *mt = NULL, *digest = NULL;
        json_int_t size = 0;
        int r = jsonutil_get_string(obj, "mediaType", false, &mt, err);

        if (r >= 0)
                r = jsonutil_get_string(obj, "digest", true, &digest, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "size", true, 0, INT64_MAX, &size, err);
        if (r < 0)
                return r;
        if (!storage_digest_valid(digest))
                return rctr_error_set(err, EBADMSG, "digest: %s is not a sha256 digest", digest);
        d->media_type = xstrdup(mt ? mt : "");
        d->digest = xstrdup(digest);
        d->size = (uint64_t)size;
        return 0;
}

static int parse_platform(json_t *obj, struct image_platform *p, struct rctr_error *err)
{
        json_t *plat = NULL;
        const char *os = NULL, *arch = NULL, *variant = NULL;
        int r = jsonutil_get_object(obj, "platform", false, &plat, err);

        if (r < 0 || !plat)
                return r;
        r = jsonutil_get_string(plat, "os", true, &os, err);
        if (r >= 0)
                r = jsonutil_get_string(plat, "architecture", true, &arch, err);
        if (r >= 0)
                r = jsonutil_get_string(plat, "variant", false, &variant, err);
        if (r < 0)
                return rctr_error_prefix(err, "platform");
        p->os = xstrdup(os);
        p->architecture = xstrdup(arch);
        p->variant = variant && variant[0] ? xstrdup(variant) : NULL;
        return 0;
}

static int layer_compression(const char *mt, enum image_compression *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(layer_types); i++)
                if (streq(mt, layer_types[i].media_type)) {
                        *ret = layer_types[i].compression;
                        return 0;
                }
        return -EOPNOTSUPP;
}

static int parse_entries(json_t *doc, const char *key, struct image_manifest *m,
                         struct rctr_error *err)
{
        json_t *arr = NULL, *obj;
        size_t i;
        int r = jsonutil_get_array(doc, key, true, &arr, err);

        if (r < 0)
                return r;
        m->entries = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(*m->entries));
        json_array_foreach(arr, i, obj) {
                struct image_descriptor *d = &m->entries[i];

                memset(d, 0, sizeof(*d));
                m->n_entries = i + 1;
                r = json_is_object(obj) ? parse_descriptor(obj, d, err)
                                        : rctr_error_set(err, EBADMSG, "expected an object");
                if (r >= 0 && m->kind == IMAGE_MANIFEST_INDEX)
                        r = parse_platform(obj, &d->platform, err);
                if (r >= 0 && m->kind == IMAGE_MANIFEST_IMAGE &&
                    layer_compression(d->media_type, &d->compression) < 0)
                        r = rctr_error_set(err, EOPNOTSUPP, "unknown layer media type \"%s\"",
                                           d->media_type);
                if (r < 0)
                        return rctr_error_prefix(err, "%s[%zu]", key, i);
        }
        return 0;
}

/* The Content-Type may be missing, generic or carry parameters: decide from the body too. */
static const char *manifest_type(json_t *doc, const char *content_type)
{
        const char *own = json_string_value(json_object_get(doc, "mediaType"));
        static const char *const known[] = {IMAGE_MT_OCI_INDEX,    IMAGE_MT_DOCKER_LIST,
                                            IMAGE_MT_OCI_MANIFEST, IMAGE_MT_DOCKER_V2S2,
                                            IMAGE_MT_DOCKER_V2S1,  IMAGE_MT_DOCKER_V2S1_SIGNED};

        for (size_t i = 0; content_type && i < ARRAY_SIZE(known); i++)
                if (strncmp(content_type, known[i], strlen(known[i])) == 0)
                        return known[i];
        if (own)
                return own;
        if (json_integer_value(json_object_get(doc, "schemaVersion")) == 1)
                return IMAGE_MT_DOCKER_V2S1;
        /* OCI documents may omit mediaType: their shape tells */
        if (json_object_get(doc, "manifests"))
                return IMAGE_MT_OCI_INDEX;
        return IMAGE_MT_OCI_MANIFEST;
}

int image_manifest_parse(const char *body, size_t len, const char *content_type,
                         struct image_manifest *ret, struct rctr_error *err)
{
        struct image_manifest m = {0};
        json_auto_t *doc = NULL;
        json_t *config = NULL;
        const char *mt;
        int r = jsonutil_parse(body, len, IMAGE_MANIFEST_MAX, &doc, err);

        if (r < 0)
                return rctr_error_prefix(err, "manifest");
        if (!json_is_object(doc))
                return rctr_error_set(err, EBADMSG, "manifest: expected a JSON object");
        mt = manifest_type(doc, content_type);
        if (streq(mt, IMAGE_MT_DOCKER_V2S1) || streq(mt, IMAGE_MT_DOCKER_V2S1_SIGNED))
                return rctr_error_set(err, EOPNOTSUPP,
                                      "docker schema 1 manifests are not supported (deprecated "
                                      "since 2017): push the image again with a current tool");
        if (streq(mt, IMAGE_MT_OCI_INDEX) || streq(mt, IMAGE_MT_DOCKER_LIST))
                m.kind = IMAGE_MANIFEST_INDEX;
        else if (streq(mt, IMAGE_MT_OCI_MANIFEST) || streq(mt, IMAGE_MT_DOCKER_V2S2))
                m.kind = IMAGE_MANIFEST_IMAGE;
        else
                return rctr_error_set(err, EOPNOTSUPP, "manifest: unknown media type \"%s\"", mt);
        m.media_type = xstrdup(mt);
        r = parse_entries(doc, m.kind == IMAGE_MANIFEST_INDEX ? "manifests" : "layers", &m, err);
        if (r >= 0 && m.kind == IMAGE_MANIFEST_IMAGE) {
                r = jsonutil_get_object(doc, "config", true, &config, err);
                if (r >= 0)
                        r = parse_descriptor(config, &m.config, err);
                if (r < 0)
                        r = rctr_error_prefix(err, "config");
        }
        if (r < 0) {
                image_manifest_clear(&m);
                return rctr_error_prefix(err, "manifest");
        }
        *ret = m;
        return 0;
}

void image_platform_host(struct image_platform *ret)
{
        static const struct {
                const char *machine, *arch, *variant;
        } arches[] = {
                {"x86_64", "amd64", NULL},    {"aarch64", "arm64", "v8"},
                {"armv7l", "arm", "v7"},      {"armv6l", "arm", "v6"},
                {"i686", "386", NULL},        {"i386", "386", NULL},
                {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},
                {"riscv64", "riscv64", NULL},
        };
        struct utsname u;

        memset(ret, 0, sizeof(*ret));
        ret->os = xstrdup("linux");
        if (uname(&u) == 0)
                for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
                        if (streq(u.machine, arches[i].machine)) {
                                ret->architecture = xstrdup(arches[i].arch);
                                ret->variant =
                                        arches[i].variant ? xstrdup(arches[i].variant) : NULL;
                                return;
                        }
        ret->architecture = xstrdup(uname(&u) == 0 ? u.machine : "unknown");
}

static bool variant_fits(const struct image_platform *entry, const struct image_platform *want)
{
        /* arm64 images seldom say v8; an entry without a variant fits any */
        if (!want->variant || !entry->variant)
                return true;
        return streq(entry->variant, want->variant);
}

const struct image_descriptor *image_manifest_choose(const struct image_manifest *m,
                                                     const struct image_platform *want,
                                                     struct rctr_error *err)
{
        cleanup_free char *have = NULL;

        for (size_t i = 0; i < m->n_entries; i++) {
                const struct image_platform *p = &m->entries[i].platform;

                if (p->os && streq(p->os, want->os) && streq(p->architecture, want->architecture) &&
                    variant_fits(p, want))
                        return &m->entries[i];
        }
        for (size_t i = 0; i < m->n_entries; i++) {
                const struct image_platform *p = &m->entries[i].platform;
                char *next = xasprintf("%s%s%s/%s%s%s", have ? have : "", have ? ", " : "",
                                       p->os ? p->os : "?", p->architecture ? p->architecture : "?",
                                       p->variant ? "/" : "", p->variant ? p->variant : "");

                free(have);
                have = next;
        }
        (void)rctr_error_set(err, ENOENT, "no image for %s/%s%s%s in the index (it has: %s)",
                             want->os, want->architecture, want->variant ? "/" : "",
                             want->variant ? want->variant : "", have ? have : "nothing");
        return NULL;
}

void image_config_clear(struct image_config *c)
{
        json_decref(c->json);
        strv_free(c->diff_ids);
        image_platform_clear(&c->platform);
        free(c->created);
        memset(c, 0, sizeof(*c));
}

int image_config_parse(const char *body, size_t len, size_t n_layers, struct image_config *ret,
                       struct rctr_error *err)
{
        struct image_config c = {0};
        json_t *rootfs = NULL;
        const char *os = NULL, *arch = NULL, *variant = NULL, *created = NULL;
        size_t n = 0;
        int r = jsonutil_parse(body, len, IMAGE_CONFIG_MAX, &c.json, err);

        if (r >= 0)
                r = jsonutil_get_object(c.json, "rootfs", true, &rootfs, err);
        if (r >= 0)
                r = jsonutil_get_strv(rootfs, "diff_ids", true, &c.diff_ids, err);
        if (r >= 0)
                r = jsonutil_get_string(c.json, "os", false, &os, err);
        if (r >= 0)
                r = jsonutil_get_string(c.json, "architecture", false, &arch, err);
        if (r >= 0)
                r = jsonutil_get_string(c.json, "variant", false, &variant, err);
        if (r >= 0)
                r = jsonutil_get_string(c.json, "created", false, &created, err);
        for (char **d = c.diff_ids; r >= 0 && *d; d++, n++)
                if (!storage_digest_valid(*d))
                        r = rctr_error_set(err, EBADMSG, "rootfs.diff_ids: %s is not a digest", *d);
        if (r >= 0 && n != n_layers)
                r = rctr_error_set(err, EBADMSG,
                                   "rootfs.diff_ids: %zu, but the manifest has %zu layers", n,
                                   n_layers);
        if (r < 0) {
                image_config_clear(&c);
                return rctr_error_prefix(err, "image config");
        }
        c.platform.os = xstrdup(os ? os : "linux");
        c.platform.architecture = xstrdup(arch ? arch : "");
        c.platform.variant = variant ? xstrdup(variant) : NULL;
        c.created = created ? xstrdup(created) : NULL;
        *ret = c;
        return 0;
}

char **image_chain_ids(char **diff_ids)
{
        size_t n = 0;
        char **out;

        while (diff_ids[n])
                n++;
        out = xzalloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *text = NULL;

                if (i == 0) {
                        out[0] = xstrdup(diff_ids[0]);
                        continue;
                }
                /* ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)) */
                text = xasprintf("%s %s", out[i - 1], diff_ids[i]);
                out[i] = digest_sha256_of(text, strlen(text));
        }
        return out;
}
