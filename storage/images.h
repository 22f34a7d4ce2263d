/*
 * images.json: the store's image records. Read under the store's shared lock, changed under its
 * exclusive lock and written atomically, so that concurrent pulls never lose each other's names.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct storage_store;
struct rctr_error;

struct storage_image {
        char *id;       /* owned: the config digest, "sha256:..." */
        char **names;   /* owned strv: "docker.io/library/busybox:latest", ... (may be empty) */
        char *digest;   /* owned: the digest pulled by (an index's or the manifest's), or NULL */
        char *manifest; /* owned: the image manifest's digest (its blob is in the store), or NULL */
        char *created;  /* owned: RFC 3339, from the image config, or NULL */
        uint64_t size;  /* bytes of its unpacked layers */
        char **layers;  /* owned strv: chain ids, bottom first */
};

struct storage_images {
        struct storage_image *v;
        size_t n;
};

void storage_image_clear(struct storage_image *img);
void storage_images_clear(struct storage_images *imgs);

/* Parse images.json text (unit-testable). Returns 0 or -EBADMSG with err set. */
int storage_images_parse(const char *text, size_t len, struct storage_images *ret,
                         struct rctr_error *err);
/* The JSON document for imgs. A new reference. */
json_t *storage_images_json(const struct storage_images *imgs);

/* Read the store's images.json (none yet: no images). The caller holds the store lock. */
int storage_images_load(struct storage_store *s, struct storage_images *ret,
                        struct rctr_error *err);
/* Write it atomically. The caller holds the exclusive lock. */
int storage_images_save(struct storage_store *s, const struct storage_images *imgs,
                        struct rctr_error *err);

/*
 * The image that name refers to: an exact name, "name@digest" against its manifest digest, its
 * id, or a unique prefix of the id's hex of at least 3 characters. NULL when none (or ambiguous:
 * *ret_ambiguous set).
 */
struct storage_image *storage_images_find(const struct storage_images *imgs, const char *name,
                                          bool *ret_ambiguous);

/*
 * Add img (taken: left empty), merging with an image of the same id, and take each of its names
 * away from any other image: a name (a tag) points to one image, as with podman.
 */
void storage_images_add(struct storage_images *imgs, struct storage_image *img);

/* Remove name from whichever image has it. Returns whether one had it. */
bool storage_images_untag(struct storage_images *imgs, const char *name);

/* Remove the image at index i. */
void storage_images_remove(struct storage_images *imgs, size_t i);

/* Every layer some image uses (an owned strv, with repeats). */
char **storage_images_layers_in_use(const struct storage_images *imgs);
