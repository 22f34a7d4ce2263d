/*
 * rctr save: images of the store into a docker-archive or an oci-archive, streamed to an fd.
 * Each image keeps its id: its config blob is written unchanged and every layer is its original
 * uncompressed tar again (storage/layer-export.h), so the digests match the config's diff_ids.
 * A layer stored without a tar-split record (by an older rctr) can only be repacked; its new
 * digest goes into a new config, and the saved image gets a new id (with a warning).
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct rctr_error;
struct storage_image;
struct storage_store;

enum image_archive_format {
        IMAGE_ARCHIVE_DOCKER, /* docker-archive: manifest.json, <hex>.json, <hex>/layer.tar */
        IMAGE_ARCHIVE_OCI,    /* oci-archive: an OCI image layout */
};

struct image_save_item {
        const struct storage_image *img; /* borrowed */
        char **names; /* borrowed strv, may be NULL: RepoTags, or one ref.name per name */
};

struct image_save_opts {
        enum image_archive_format format;
        FILE *progress; /* "Copying blob ..." lines as podman prints them, or NULL */
};

/*
 * Write the archive of the n items to fd. The caller holds the store's lock (shared is enough)
 * so that no layer goes away meanwhile. On failure the fd holds part of an archive, which the
 * caller removes. Returns 0 or -errno with err set.
 */
int image_save(struct storage_store *s, const struct image_save_item *items, size_t n,
               const struct image_save_opts *o, int fd, struct rctr_error *err);
