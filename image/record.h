/*
 * Recording images that `load` and `import` made in images.json (image/pull.c records its own).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rctr_error;
struct storage_store;

struct image_record {
        const char *id;       /* the config digest */
        char **names;         /* strv, may be NULL: full names, each taken from other images */
        const char *digest;   /* what it is known by (a manifest or index digest), or NULL */
        const char *manifest; /* the manifest's digest (its blob is in the store), or NULL */
        const char *created;  /* from the config, or NULL */
        char **chain_ids;     /* strv: its layers, bottom first */
};

/*
 * Under the store's exclusive lock (taken and dropped here): check that every layer is there,
 * then add the n images (merged with images of the same id, sized as pull sizes them: the
 * unpacked size of their layers) in one write of images.json.
 * Returns 0 or -errno with err set (-EAGAIN: a layer was removed meanwhile).
 */
int image_record_add(struct storage_store *s, const struct image_record *recs, size_t n,
                     struct rctr_error *err);
