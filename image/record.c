#include <config.h>
#include "record.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/images.h"
#include "storage/store.h"

static char **strv_copy(char **v)
{
        size_t n = 0;
        char **copy;

        while (v && v[n])
                n++;
        copy = xzalloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
                copy[i] = xstrdup(v[i]);
        return copy;
}

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static int check_layers(struct storage_store *s, const struct image_record *rec,
                        struct rctr_error *err)
{
        for (char **c = rec->chain_ids; c && *c; c++)
                if (!storage_layer_exists(s, *c))
                        return rctr_error_set(err, EAGAIN,
                                              "layer %s was removed meanwhile (rmi or prune): try "
                                              "again",
                                              *c);
        return 0;
}

int image_record_add(struct storage_store *s, const struct image_record *recs, size_t n,
                     struct rctr_error *err)
{
        struct storage_images imgs = {0};
        int r = storage_store_lock(s, true, err);

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = check_layers(s, &recs[i], err);
        if (r >= 0)
                r = storage_images_load(s, &imgs, err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct storage_image img = {
                        .id = xstrdup(recs[i].id),
                        .names = strv_copy(recs[i].names),
                        .digest = dup_or_null(recs[i].digest),
                        .manifest = dup_or_null(recs[i].manifest),
                        .created = dup_or_null(recs[i].created),
                        .layers = strv_copy(recs[i].chain_ids),
                };

                for (char **c = recs[i].chain_ids; c && *c; c++)
                        img.size += storage_layer_size(s, *c);

                storage_images_add(&imgs, &img);
                storage_image_clear(&img);
        }
        if (r >= 0)
                r = storage_images_save(s, &imgs, err);
        storage_images_clear(&imgs);
        storage_store_unlock(s);
        return r;
}
