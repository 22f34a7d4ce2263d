/*
 * rctr import: a root file system tarball (uncompressed, gzip or zstd) becomes an image of one
 * layer with a config of our own: this host's architecture, os linux, created now, the layer's
 * diff_id, nothing to run by default (as podman import without --change).
 */
#pragma once

#include <stdio.h>

struct rctr_error;
struct storage_store;
struct storage_unpack_opts;

struct image_import_opts {
        const char *name; /* the full name to record (see cmd_image_name()), or NULL: <none> */
        const struct storage_unpack_opts *unpack; /* NULL: root's defaults */
        FILE *progress;                           /* "Copying blob ..." lines, or NULL */
};

/*
 * Read the tarball from fd to its end (untrusted: unpacked as a pulled layer is, and refused
 * the same way), record the image and return its id ("sha256:...", owned). Returns 0 or -errno
 * with err set; nothing is left in the store on failure.
 */
int image_import(struct storage_store *s, int fd, const struct image_import_opts *o, char **ret_id,
                 struct rctr_error *err);

/*
 * The config document of an imported image (unit-testable): created (RFC 3339), the host's
 * platform, one diff_id. Returns the JSON text (owned).
 */
char *image_import_config(const char *created, const char *diff_id);
