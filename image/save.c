#include <config.h>
#include "save.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "image/archive-docker.h"
#include "image/archive-oci.h"
#include "image/archive-writer.h"
#include "image/manifest.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/images.h"
#include "storage/layer-export.h"
#include "storage/store.h"

/* One image, ready to be written. */
struct prepared {
        const struct image_save_item *item; /* borrowed */
        struct buf config;                  /* what is written: the stored blob, or rewritten */
        char *config_digest;                /* owned */
        size_t n_layers;
        struct storage_layer_export *x; /* owned, n_layers */
        char *manifest;                 /* owned (oci-archive): the manifest's text */
        char *manifest_digest;          /* owned */
};

static void prepared_clear(struct prepared *p)
{
        buf_free(&p->config);
        free(p->config_digest);
        for (size_t i = 0; p->x && i < p->n_layers; i++)
                storage_layer_export_clear(&p->x[i]);
        free(p->x);
        free(p->manifest);
        free(p->manifest_digest);
}

static char *dumps(json_t *doc)
{
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

        if (!text)
                xalloc_die(); /* our own documents: only allocation fails */
        return text;
}

/* The config with the repacked layers' diff_ids: a new image id. */
static void rewrite_config(struct prepared *p, const struct image_config *cfg)
{
        json_auto_t *copy = json_deep_copy(cfg->json);
        json_t *ids = json_array(), *rootfs = json_object_get(copy, "rootfs");
        cleanup_free char *text = NULL;

        for (size_t i = 0; i < p->n_layers; i++)
                json_array_append_new(ids, json_string(p->x[i].diff_id));
        json_object_set_new(rootfs, "diff_ids", ids);
        text = dumps(copy);
        p->config.len = 0;
        (void)buf_append(&p->config, text, strlen(text));
        free(p->config_digest);
        p->config_digest = digest_sha256_of(p->config.data, p->config.len);
        log_warn("%s: layers stored by an older rctr have no record of their original tar: they "
                 "are saved as new tars, and the saved image's id is %s",
                 p->item->img->id, p->config_digest);
}

static void make_manifest(struct prepared *p)
{
        const char **mts = xzalloc((p->n_layers + 1) * sizeof(char *));
        char **digests = xzalloc((p->n_layers + 1) * sizeof(char *));
        uint64_t *sizes = xzalloc((p->n_layers + 1) * sizeof(uint64_t));
        json_auto_t *m = NULL;

        for (size_t i = 0; i < p->n_layers; i++) {
                mts[i] = IMAGE_MT_OCI_LAYER; /* uncompressed, as podman saves them */
                digests[i] = p->x[i].diff_id;
                sizes[i] = p->x[i].size;
        }
        m = image_oci_manifest_new(p->config_digest, p->config.len, p->n_layers, mts, digests,
                                   sizes);
        p->manifest = dumps(m);
        p->manifest_digest = digest_sha256_of(p->manifest, strlen(p->manifest));
        free(mts);
        free(digests);
        free(sizes);
}

static int prepare(struct storage_store *s, const struct image_save_item *item,
                   enum image_archive_format format, struct prepared *p, struct rctr_error *err)
{
        CLEANUP(image_config_clear) struct image_config cfg = {0};
        const struct storage_image *img = item->img;
        bool changed = false;
        int r;

        p->item = item;
        buf_init(&p->config, 0);
        for (char **l = img->layers; l && *l; l++)
                p->n_layers++;
        r = storage_blob_get(s, img->id, &p->config, err);
        if (r < 0)
                return rctr_error_prefix(err, "image %s: config", img->id);
        p->config_digest = digest_sha256_of(p->config.data, p->config.len);
        if (!streq(p->config_digest, img->id))
                return rctr_error_set(err, EBADMSG, "image %s: the stored config is damaged",
                                      img->id);
        r = image_config_parse(p->config.data, p->config.len, p->n_layers, &cfg, err);
        if (r < 0)
                return rctr_error_prefix(err, "image %s: config", img->id);
        p->x = xzalloc((p->n_layers + 1) * sizeof(*p->x));
        for (size_t i = 0; i < p->n_layers; i++) {
                r = storage_layer_export_prepare(s, img->layers[i], &p->x[i], err);
                if (r < 0)
                        return rctr_error_prefix(err, "image %s", img->id);
                changed = changed || !streq(p->x[i].diff_id, cfg.diff_ids[i]);
        }
        if (changed)
                rewrite_config(p, &cfg);
        if (format == IMAGE_ARCHIVE_OCI)
                make_manifest(p);
        return 0;
}

/* Member names written so far: a layer or config shared by two images goes in once. */
static bool once(char ***seen, size_t *n, const char *name)
{
        for (size_t i = 0; i < *n; i++)
                if (streq((*seen)[i], name))
                        return false;
        *seen = xreallocarray(*seen, *n + 2, sizeof(char *));
        (*seen)[(*n)++] = xstrdup(name);
        (*seen)[*n] = NULL;
        return true;
}

struct out {
        struct storage_store *s;
        struct image_archive_writer *w;
        FILE *progress;
        char **seen;
        size_t n_seen;
};

static int write_layer(struct out *o, const char *chain_id, const struct storage_layer_export *x,
                       const char *name, struct rctr_error *err)
{
        int r = image_archive_writer_begin(o->w, name, x->size, err);

        if (r >= 0)
                r = storage_layer_export_write(o->s, chain_id, x, image_archive_writer_data, o->w,
                                               err);
        if (r >= 0)
                r = image_archive_writer_end(o->w, err);
        if (r >= 0 && o->progress) {
                fprintf(o->progress, "Copying blob %.12s done\n", x->diff_id + 7);
                fflush(o->progress);
        }
        return r;
}

static int write_docker(struct out *o, struct prepared *ps, size_t n, struct rctr_error *err)
{
        json_auto_t *manifest = json_array();
        cleanup_free char *text = NULL;
        int r;

        for (size_t i = 0; i < n; i++) {
                cleanup_strv char **layers = xzalloc((ps[i].n_layers + 1) * sizeof(char *));
                cleanup_free char *config = xasprintf("%s.json", ps[i].config_digest + 7);

                for (size_t j = 0; j < ps[i].n_layers; j++)
                        layers[j] = xasprintf("%s/layer.tar", ps[i].x[j].diff_id + 7);
                json_array_append_new(
                        manifest, image_docker_manifest_entry(config, ps[i].item->names, layers));
        }
        text = dumps(manifest);
        r = image_archive_writer_file(o->w, IMAGE_DOCKER_MANIFEST, text, strlen(text), err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                cleanup_free char *config = xasprintf("%s.json", ps[i].config_digest + 7);

                if (once(&o->seen, &o->n_seen, config))
                        r = image_archive_writer_file(o->w, config, ps[i].config.data,
                                                      ps[i].config.len, err);
                for (size_t j = 0; r >= 0 && j < ps[i].n_layers; j++) {
                        const struct storage_layer_export *x = &ps[i].x[j];
                        cleanup_free char *dir = xasprintf("%s/", x->diff_id + 7);
                        cleanup_free char *name = xasprintf("%slayer.tar", dir);

                        if (!once(&o->seen, &o->n_seen, dir))
                                continue;
                        r = image_archive_writer_dir(o->w, dir, err);
                        if (r >= 0)
                                r = write_layer(o, ps[i].item->img->layers[j], x, name, err);
                }
        }
        return r;
}

static int write_blob(struct out *o, const char *digest, const void *data, size_t len,
                      struct rctr_error *err)
{
        cleanup_free char *name = image_oci_blob_name(digest);

        if (!once(&o->seen, &o->n_seen, name))
                return 0;
        return image_archive_writer_file(o->w, name, data, len, err);
}

static int write_oci(struct out *o, struct prepared *ps, size_t n, struct rctr_error *err)
{
        json_auto_t *index = image_oci_index_new();
        cleanup_free char *text = NULL;
        int r;

        for (size_t i = 0; i < n; i++) {
                char **names = ps[i].item->names;
                size_t len = strlen(ps[i].manifest);

                if (!names || !names[0])
                        image_oci_index_add(index, ps[i].manifest_digest, len, NULL);
                for (char **name = names; name && *name; name++)
                        image_oci_index_add(index, ps[i].manifest_digest, len, *name);
        }
        text = dumps(index);
        r = image_archive_writer_file(o->w, IMAGE_OCI_LAYOUT, IMAGE_OCI_LAYOUT_TEXT,
                                      strlen(IMAGE_OCI_LAYOUT_TEXT), err);
        if (r >= 0)
                r = image_archive_writer_file(o->w, IMAGE_OCI_INDEX, text, strlen(text), err);
        if (r >= 0)
                r = image_archive_writer_dir(o->w, "blobs/", err);
        if (r >= 0)
                r = image_archive_writer_dir(o->w, "blobs/sha256/", err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = write_blob(o, ps[i].manifest_digest, ps[i].manifest, strlen(ps[i].manifest),
                               err);
                if (r >= 0)
                        r = write_blob(o, ps[i].config_digest, ps[i].config.data, ps[i].config.len,
                                       err);
                for (size_t j = 0; r >= 0 && j < ps[i].n_layers; j++) {
                        cleanup_free char *name = image_oci_blob_name(ps[i].x[j].diff_id);

                        if (once(&o->seen, &o->n_seen, name))
                                r = write_layer(o, ps[i].item->img->layers[j], &ps[i].x[j], name,
                                                err);
                }
        }
        return r;
}

int image_save(struct storage_store *s, const struct image_save_item *items, size_t n,
               const struct image_save_opts *o, int fd, struct rctr_error *err)
{
        CLEANUP(image_archive_writer_freep) struct image_archive_writer *w = NULL;
        struct prepared *ps = xzalloc((n + 1) * sizeof(*ps));
        struct out out = {.s = s, .progress = o->progress};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = prepare(s, &items[i], o->format, &ps[i], err);
        if (r >= 0)
                r = image_archive_writer_new(fd, &w, err);
        out.w = w;
        if (r >= 0)
                r = o->format == IMAGE_ARCHIVE_OCI ? write_oci(&out, ps, n, err)
                                                   : write_docker(&out, ps, n, err);
        if (r >= 0)
                r = image_archive_writer_close(w, err);
        if (r >= 0 && o->progress)
                fprintf(o->progress, "Writing manifest to image destination\n");
        for (size_t i = 0; i < n; i++)
                prepared_clear(&ps[i]);
        free(ps);
        strv_free(out.seen);
        return r;
}
