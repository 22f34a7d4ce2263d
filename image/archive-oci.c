#include <config.h>
#include "archive-oci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/archive-docker.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h"

#define OCI_INDEX_MAX (8u * 1024 * 1024)

/* docker and buildkit name images here (containers/podman#12560) */
#define CONTAINERD_NAME "io.containerd.image.name"

void image_oci_index_clear(struct image_oci_index *idx)
{
        for (size_t i = 0; i < idx->n; i++) {
                free(idx->v[i].media_type);
                free(idx->v[i].digest);
                free(idx->v[i].name);
        }
        free(idx->v);
        *idx = (struct image_oci_index){0};
}

static int parse_entry(json_t *obj, struct image_oci_entry *e, struct rctr_error *err)
{
        const char *mt = NULL, *digest = NULL, *name = NULL;
        json_t *ann = NULL;
        json_int_t size = 0;
        int r;

        if (!json_is_object(obj))
                return rctr_error_set(err, EBADMSG, "expected an object");
        r = jsonutil_get_string(obj, "mediaType", true, &mt, err);
        if (r >= 0)
                r = jsonutil_get_string(obj, "digest", true, &digest, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "size", true, 0, INT64_MAX, &size, err);
        if (r >= 0)
                r = jsonutil_get_object(obj, "annotations", false, &ann, err);
        if (r >= 0 && ann)
                r = jsonutil_get_string(ann, CONTAINERD_NAME, false, &name, err);
        if (r >= 0 && ann && !name)
                r = jsonutil_get_string(ann, IMAGE_OCI_REF_NAME, false, &name, err);
        if (r < 0)
                return r;
        if (!storage_digest_valid(digest))
                return rctr_error_set(err, EBADMSG, "digest: not a sha256 digest");
        e->media_type = xstrdup(mt);
        e->digest = xstrdup(digest);
        e->size = (uint64_t)size;
        e->name = name && name[0] ? xstrdup(name) : NULL;
        return 0;
}

int image_oci_index_parse(const char *buf, size_t len, struct image_oci_index *ret,
                          struct rctr_error *err)
{
        CLEANUP(image_oci_index_clear) struct image_oci_index idx = {0};
        json_auto_t *doc = NULL;
        json_t *arr = NULL, *v;
        size_t i;
        int r = jsonutil_parse(buf, len, OCI_INDEX_MAX, &doc, err);

        if (r >= 0 && !json_is_object(doc))
                r = rctr_error_set(err, EBADMSG, "expected an object");
        if (r >= 0)
                r = jsonutil_get_array(doc, "manifests", true, &arr, err);
        if (r >= 0 && json_array_size(arr) == 0)
                r = rctr_error_set(err, EBADMSG, "manifests: no images");
        if (r >= 0 && json_array_size(arr) > IMAGE_ARCHIVE_IMAGES_MAX)
                r = rctr_error_set(err, EFBIG, "manifests: more than %d images",
                                   IMAGE_ARCHIVE_IMAGES_MAX);
        if (r < 0)
                return rctr_error_prefix(err, IMAGE_OCI_INDEX);
        idx.v = xzalloc(json_array_size(arr) * sizeof(*idx.v));
        json_array_foreach(arr, i, v) {
                idx.n = i + 1;
                r = parse_entry(v, &idx.v[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "%s: manifests[%zu]", IMAGE_OCI_INDEX, i);
        }
        *ret = idx;
        idx = (struct image_oci_index){0};
        return 0;
}

int image_oci_ref_normalize(const char *name, char **ret, struct rctr_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        int r = image_ref_parse(name, &ref, err);

        if (r >= 0 && !ref.registry)
                r = image_ref_qualify(&ref, "localhost");
        if (r < 0)
                return r;
        *ret = image_ref_string(&ref);
        return 0;
}

char *image_oci_blob_name(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest + 7);
}

static json_t *descriptor(const char *mt, const char *digest, uint64_t size)
{
        return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size",
                         (json_int_t)size);
}

json_t *image_oci_manifest_new(const char *config_digest, uint64_t config_size, size_t n,
                               const char *const *media_types, char *const *digests,
                               const uint64_t *sizes)
{
        json_t *layers = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(layers, descriptor(media_types[i], digests[i], sizes[i]));
        return json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
                         IMAGE_MT_OCI_MANIFEST, "config",
                         descriptor(IMAGE_MT_OCI_CONFIG, config_digest, config_size), "layers",
                         layers);
}

json_t *image_oci_index_new(void)
{
        return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", IMAGE_MT_OCI_INDEX,
                         "manifests");
}

void image_oci_index_add(json_t *index, const char *digest, uint64_t size, const char *name)
{
        json_t *d = descriptor(IMAGE_MT_OCI_MANIFEST, digest, size);

        if (name)
                json_object_set_new(d, "annotations", json_pack("{s:s}", IMAGE_OCI_REF_NAME, name));
        json_array_append_new(json_object_get(index, "manifests"), d);
}
