#include <config.h>
#include "images.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "store.h"

/* Thousands of images with their names stay far below this. */
#define STORAGE_IMAGES_MAX (64u * 1024 * 1024)

void storage_image_clear(struct storage_image *img)
{
        free(img->id);
        strv_free(img->names);
        free(img->digest);
        free(img->manifest);
        free(img->created);
        strv_free(img->layers);
        memset(img, 0, sizeof(*img));
}

void storage_images_clear(struct storage_images *imgs)
{
        for (size_t i = 0; i < imgs->n; i++)
                storage_image_clear(&imgs->v[i]);
        free(imgs->v);
        imgs->v = NULL;
        imgs->n = 0;
}

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static int parse_image(json_t *obj, struct storage_image *img, struct rctr_error *err)
{
        const char *id = NULL, *digest = NULL, *created = NULL, *manifest = NULL;
        json_int_t size = 0;
        int r = jsonutil_get_string(obj, "id", true, &id, err);

        if (r >= 0)
                r = jsonutil_get_string(obj, "digest", false, &digest, err);
        if (r >= 0)
                r = jsonutil_get_string(obj, "created", false, &created, err);
        if (r >= 0)
                r = jsonutil_get_string(obj, "manifest", false, &manifest, err);
        if (r >= 0)
                r = jsonutil_get_int(obj, "size", false, 0, INT64_MAX, &size, err);
        if (r >= 0)
                r = jsonutil_get_strv(obj, "names", false, &img->names, err);
        if (r >= 0)
                r = jsonutil_get_strv(obj, "layers", false, &img->layers, err);
        if (r < 0)
                return r;
        if (!storage_digest_valid(id))
                return rctr_error_set(err, EBADMSG, "id: invalid digest %s", id);
        for (char **l = img->layers; *l; l++)
                if (!storage_digest_valid(*l))
                        return rctr_error_set(err, EBADMSG, "layers: invalid chain id %s", *l);
        img->id = xstrdup(id);
        img->digest = dup_or_null(digest);
        img->manifest = manifest && storage_digest_valid(manifest) ? xstrdup(manifest) : NULL;
        img->created = dup_or_null(created);
        img->size = (uint64_t)size;
        return 0;
}

int storage_images_parse(const char *text, size_t len, struct storage_images *ret,
                         struct rctr_error *err)
{
        json_auto_t *doc = NULL;
        json_t *arr = NULL, *obj;
        struct storage_images imgs = {0};
        size_t i;
        int r = jsonutil_parse(text, len, STORAGE_IMAGES_MAX, &doc, err);

        if (r >= 0)
                r = jsonutil_get_array(doc, "images", false, &arr, err);
        if (r < 0)
                return rctr_error_prefix(err, "images.json");
        imgs.v = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(*imgs.v));
        json_array_foreach(arr, i, obj) {
                memset(&imgs.v[i], 0, sizeof(imgs.v[i]));
                imgs.n = i + 1;
                r = json_is_object(obj) ? parse_image(obj, &imgs.v[i], err)
                                        : rctr_error_set(err, EBADMSG, "expected an object");
                if (r < 0) {
                        storage_images_clear(&imgs);
                        return rctr_error_prefix(err, "images.json: images[%zu]", i);
                }
        }
        *ret = imgs;
        return 0;
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();

        for (char **p = v; p && *p; p++)
                json_array_append_new(a, json_string(*p));
        return a;
}

json_t *storage_images_json(const struct storage_images *imgs)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < imgs->n; i++) {
                const struct storage_image *img = &imgs->v[i];
                json_t *o = json_pack("{s:s, s:o}", "id", img->id, "names", strv_json(img->names));

                if (img->digest)
                        json_object_set_new(o, "digest", json_string(img->digest));
                if (img->manifest)
                        json_object_set_new(o, "manifest", json_string(img->manifest));
                if (img->created)
                        json_object_set_new(o, "created", json_string(img->created));
                json_object_set_new(o, "size", json_integer((json_int_t)img->size));
                json_object_set_new(o, "layers", strv_json(img->layers));
                json_array_append_new(arr, o);
        }
        return json_pack("{s:o}", "images", arr);
}

int storage_images_load(struct storage_store *s, struct storage_images *ret, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
        int r;

        buf_init(&text, STORAGE_IMAGES_MAX);
        r = fs_read_at(s->rootfd, "images.json", &text, err);
        if (r == -ENOENT) {
                rctr_error_clear(err);
                *ret = (struct storage_images){0};
                return 0;
        }
        if (r < 0)
                return r;
        return storage_images_parse(text.data, text.len, ret, err);
}

int storage_images_save(struct storage_store *s, const struct storage_images *imgs,
                        struct rctr_error *err)
{
        json_auto_t *doc = storage_images_json(imgs);
        cleanup_free char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

        if (!text)
                xalloc_die();
        return fs_write_atomic_at(s->rootfd, "images.json", text, strlen(text), 0600, err);
}

static bool strv_contains(char **v, const char *s)
{
        for (char **p = v; p && *p; p++)
                if (streq(*p, s))
                        return true;
        return false;
}

/* "repo@sha256:..." matches an image whose manifest digest it is and that has a name in repo. */
static bool matches_digest_ref(const struct storage_image *img, const char *name)
{
        const char *at = strchr(name, '@');
        size_t repolen;

        if (!at || !img->digest || !streq(at + 1, img->digest))
                return false;
        repolen = (size_t)(at - name);
        for (char **n = img->names; n && *n; n++)
                if (strncmp(*n, name, repolen) == 0 && ((*n)[repolen] == ':' || !(*n)[repolen]))
                        return true;
        return false;
}

struct storage_image *storage_images_find(const struct storage_images *imgs, const char *name,
                                          bool *ret_ambiguous)
{
        const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
        size_t len = strlen(hex);
        struct storage_image *found = NULL;

        *ret_ambiguous = false;
        for (size_t i = 0; i < imgs->n; i++)
                if (strv_contains(imgs->v[i].names, name) || streq(imgs->v[i].id, name) ||
                    matches_digest_ref(&imgs->v[i], name))
                        return &imgs->v[i];
        if (len < 3 || len > 64 || strspn(hex, "0123456789abcdef") != len)
                return NULL;
        for (size_t i = 0; i < imgs->n; i++) {
                if (strncmp(imgs->v[i].id + 7, hex, len) != 0)
                        continue;
                if (found && found != &imgs->v[i]) {
                        *ret_ambiguous = true;
                        return NULL;
                }
                found = &imgs->v[i];
        }
        return found;
}

static void strv_remove(char **v, const char *s)
{
        size_t j = 0;

        for (size_t i = 0; v && v[i]; i++) {
                if (streq(v[i], s))
                        free(v[i]);
                else
                        v[j++] = v[i];
        }
        if (v)
                v[j] = NULL;
}

static void strv_append(char ***v, const char *s)
{
        size_t n = 0;

        while (*v && (*v)[n])
                n++;
        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

bool storage_images_untag(struct storage_images *imgs, const char *name)
{
        bool had = false;

        for (size_t i = 0; i < imgs->n; i++) {
                had = had || strv_contains(imgs->v[i].names, name);
                strv_remove(imgs->v[i].names, name);
        }
        return had;
}

void storage_images_add(struct storage_images *imgs, struct storage_image *img)
{
        struct storage_image *same = NULL;

        for (char **n = img->names; n && *n; n++)
                (void)storage_images_untag(imgs, *n);
        for (size_t i = 0; i < imgs->n; i++)
                if (streq(imgs->v[i].id, img->id))
                        same = &imgs->v[i];
        if (!same) {
                imgs->v = xreallocarray(imgs->v, imgs->n + 1, sizeof(*imgs->v));
                imgs->v[imgs->n++] = *img;
                memset(img, 0, sizeof(*img));
                return;
        }
        for (char **n = img->names; n && *n; n++)
                strv_append(&same->names, *n);
        if (img->digest) {
                free(same->digest);
                same->digest = TAKE_PTR(img->digest);
        }
        if (img->manifest) {
                free(same->manifest);
                same->manifest = TAKE_PTR(img->manifest);
        }
        storage_image_clear(img);
}

void storage_images_remove(struct storage_images *imgs, size_t i)
{
        storage_image_clear(&imgs->v[i]);
        memmove(&imgs->v[i], &imgs->v[i + 1], (imgs->n - i - 1) * sizeof(*imgs->v));
        imgs->n--;
}

char **storage_images_layers_in_use(const struct storage_images *imgs)
{
        size_t n = 0;
        char **all;

        for (size_t i = 0; i < imgs->n; i++)
                for (char **l = imgs->v[i].layers; l && *l; l++)
                        n++;
        all = xzalloc((n + 1) * sizeof(char *));
        n = 0;
        for (size_t i = 0; i < imgs->n; i++)
                for (char **l = imgs->v[i].layers; l && *l; l++)
                        all[n++] = xstrdup(*l);
        return all;
}
