/*
 * rctr load: the images of a docker-archive or an oci-archive (image/archive-reader.h) into the
 * store. Everything the archive says is checked before it is believed: each JSON document's
 * digest (oci-archive), every layer's digest, size and diff_id against the config, so an image
 * keeps the id it had when it was saved. Layers are unpacked into staging directories and only
 * committed once every layer of every image in the archive has been verified: a bad archive
 * leaves the store as it was.
 */
#pragma once

#include <stdio.h>

struct rctr_error;
struct storage_store;
struct storage_unpack_opts;

struct image_load_opts {
        const struct storage_unpack_opts *unpack; /* how layers are unpacked here; NULL: root */
        FILE *progress; /* "Copying blob ..." lines as podman prints them, or NULL */
};

/*
 * Load the archive read from fd (a file or a pipe). *ret_loaded (owned strv) is what podman
 * prints after "Loaded image: ": each name recorded, or "sha256:<id>" for an image without one.
 * Returns 0 or -errno with err set: -EBADMSG for a damaged archive or a digest mismatch.
 */
int image_load(struct storage_store *s, int fd, const struct image_load_opts *o, char ***ret_loaded,
               struct rctr_error *err);
