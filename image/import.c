#include <config.h>
#include "import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "image/archive-oci.h"
#include "image/manifest.h"
#include "image/record.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"
#include "storage/layer-writer.h"
#include "storage/store.h"

static char *dumps(json_t *doc)
{
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

        if (!text)
                xalloc_die(); /* our own values: only allocation fails */
        return text;
}

char *image_import_config(const char *created, const char *diff_id)
{
        CLEANUP(image_platform_clear) struct image_platform host = {0};
        json_auto_t *cfg = NULL;

        image_platform_host(&host);
        cfg = json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", created,
                        "architecture", host.architecture, "os", host.os, "config", "rootfs",
                        "type", "layers", "diff_ids", diff_id, "history", "created", created,
                        "created_by", "rctr import");
        if (cfg && host.variant)
                json_object_set_new(cfg, "variant", json_string(host.variant));
        return dumps(cfg);
}

static const char *layer_media_type(enum storage_compression c)
{
        return c == STORAGE_COMPRESSION_GZIP   ? "application/vnd.oci.image.layer.v1.tar+gzip"
               : c == STORAGE_COMPRESSION_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                               : IMAGE_MT_OCI_LAYER;
}

/* The manifest of the one layer as it was received (compressed or not). Owned. */
static char *manifest_of(const char *config_digest, size_t config_len,
                         const struct storage_layer_writer *w)
{
        const char *mt = layer_media_type(storage_layer_writer_compression(w));
        char *digest = (char *)storage_layer_writer_digest(w);
        uint64_t size = storage_layer_writer_received(w);
        json_auto_t *m = image_oci_manifest_new(config_digest, config_len, 1, &mt, &digest, &size);

        return dumps(m);
}

int image_import(struct storage_store *s, int fd, const struct image_import_opts *o, char **ret_id,
                 struct rctr_error *err)
{
        CLEANUP(storage_layer_writer_freep) struct storage_layer_writer *w = NULL;
        cleanup_free char *created = rfc3339_now(), *config = NULL, *id = NULL;
        cleanup_free char *manifest = NULL, *mdigest = NULL;
        struct storage_layer_expect e = {.compression = STORAGE_COMPRESSION_AUTO};
        char *names[2] = {(char *)o->name, NULL};
        char *chain[2] = {NULL, NULL};
        struct image_record rec;
        int r = storage_layer_writer_new(s, &e, o->unpack, &w, err);

        if (r >= 0)
                r = storage_layer_writer_copy_fd(w, fd, err);
        if (r >= 0)
                r = storage_layer_writer_end(w, err);
        if (r < 0)
                return r;
        /* one layer: its chain id is its diff_id */
        chain[0] = (char *)storage_layer_writer_diff_id(w);
        r = storage_layer_writer_commit(w, chain[0], err);
        if (r < 0)
                return r;
        if (o->progress)
                fprintf(o->progress, "Copying blob %.12s done\n", chain[0] + 7);
        config = image_import_config(created, chain[0]);
        id = digest_sha256_of(config, strlen(config));
        manifest = manifest_of(id, strlen(config), w);
        mdigest = digest_sha256_of(manifest, strlen(manifest));
        r = storage_blob_put(s, id, config, strlen(config), err);
        if (r >= 0)
                r = storage_blob_put(s, mdigest, manifest, strlen(manifest), err);
        rec = (struct image_record){.id = id,
                                    .names = o->name ? names : NULL,
                                    .digest = mdigest,
                                    .manifest = mdigest,
                                    .created = created,
                                    .chain_ids = chain};
        if (r >= 0)
                r = image_record_add(s, &rec, 1, err);
        if (r < 0)
                return r;
        if (o->progress)
                fprintf(o->progress, "Writing manifest to image destination\n");
        *ret_id = TAKE_PTR(id);
        return 0;
}
