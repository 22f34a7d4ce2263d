#include <config.h>
#include "archive-docker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "lib/error.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/layer-path.h"

#define DOCKER_MANIFEST_MAX (8u * 1024 * 1024)

void image_docker_manifest_clear(struct image_docker_manifest *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].config);
                strv_free(m->v[i].repo_tags);
                strv_free(m->v[i].layers);
        }
        free(m->v);
        *m = (struct image_docker_manifest){0};
}

/* A member name from the manifest, cleaned; "" and names leaving the archive are refused. */
static int member_name(const char *raw, char **ret, struct rctr_error *err)
{
        cleanup_free char *clean = NULL, *shown = NULL;
        int r = storage_layer_path_clean(raw, &clean, err);

        if (r >= 0 && !clean[0])
                r = rctr_error_set(err, EBADMSG, "empty name");
        if (r < 0) {
                shown = storage_layer_path_escape(raw);
                return rctr_error_prefix(err, "member %s", shown);
        }
        *ret = TAKE_PTR(clean);
        return 0;
}

static int parse_layers(json_t *obj, struct image_docker_entry *e, struct rctr_error *err)
{
        json_t *arr = NULL, *v;
        size_t i, n;
        int r = jsonutil_get_array(obj, "Layers", true, &arr, err);

        if (r < 0)
                return r;
        n = json_array_size(arr);
        if (n > IMAGE_ARCHIVE_LAYERS_MAX)
                return rctr_error_set(err, EFBIG, "Layers: more than %d", IMAGE_ARCHIVE_LAYERS_MAX);
        e->layers = xzalloc((n + 1) * sizeof(char *));
        json_array_foreach(arr, i, v) {
                if (!json_is_string(v))
                        return rctr_error_set(err, EBADMSG, "Layers[%zu]: expected a string", i);
                r = member_name(json_string_value(v), &e->layers[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "Layers[%zu]", i);
        }
        return 0;
}

static int parse_entry(json_t *obj, struct image_docker_entry *e, struct rctr_error *err)
{
        const char *config = NULL;
        int r;

        if (!json_is_object(obj))
                return rctr_error_set(err, EBADMSG, "expected an object");
        r = jsonutil_get_string(obj, "Config", true, &config, err);
        if (r < 0)
                return r;
        r = member_name(config, &e->config, err);
        if (r < 0)
                return rctr_error_prefix(err, "Config");
        r = jsonutil_get_strv(obj, "RepoTags", false, &e->repo_tags, err);
        if (r < 0)
                return r;
        if (!e->repo_tags)
                e->repo_tags = xzalloc(sizeof(char *));
        for (size_t i = 0; e->repo_tags[i]; i++)
                if (i >= IMAGE_ARCHIVE_TAGS_MAX)
                        return rctr_error_set(err, EFBIG, "RepoTags: more than %d",
                                              IMAGE_ARCHIVE_TAGS_MAX);
        return parse_layers(obj, e, err);
}

int image_docker_manifest_parse(const char *buf, size_t len, struct image_docker_manifest *ret,
                                struct rctr_error *err)
{
        CLEANUP(image_docker_manifest_clear) struct image_docker_manifest m = {0};
        json_auto_t *doc = NULL;
        json_t *v;
        size_t i;
        int r = jsonutil_parse(buf, len, DOCKER_MANIFEST_MAX, &doc, err);

        if (r < 0)
                return rctr_error_prefix(err, IMAGE_DOCKER_MANIFEST);
        if (!json_is_array(doc) || json_array_size(doc) == 0)
                return rctr_error_set(err, EBADMSG, "%s: expected a list of images",
                                      IMAGE_DOCKER_MANIFEST);
        if (json_array_size(doc) > IMAGE_ARCHIVE_IMAGES_MAX)
                return rctr_error_set(err, EFBIG, "%s: more than %d images", IMAGE_DOCKER_MANIFEST,
                                      IMAGE_ARCHIVE_IMAGES_MAX);
        m.v = xzalloc(json_array_size(doc) * sizeof(*m.v));
        json_array_foreach(doc, i, v) {
                m.n = i + 1;
                r = parse_entry(v, &m.v[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "%s: [%zu]", IMAGE_DOCKER_MANIFEST, i);
        }
        *ret = m;
        m = (struct image_docker_manifest){0};
        return 0;
}

int image_docker_tag_normalize(const char *tag, char **ret, struct rctr_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        int r = image_ref_parse(tag, &ref, err);

        if (r >= 0 && !ref.registry)
                r = image_ref_qualify(&ref, "docker.io");
        if (r < 0)
                return r;
        *ret = image_ref_string(&ref);
        return 0;
}

static json_t *strv_json(char *const *v)
{
        json_t *arr = json_array();

        for (; v && *v; v++)
                json_array_append_new(arr, json_string(*v));
        return arr;
}

json_t *image_docker_manifest_entry(const char *config, char *const *tags, char *const *layers)
{
        return json_pack("{s:s, s:o, s:o}", "Config", config, "RepoTags",
                         tags && tags[0] ? strv_json(tags) : json_null(), "Layers",
                         strv_json(layers));
}
