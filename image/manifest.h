/*
 * Image manifests as registries serve them: OCI image index and docker manifest list (choose the
 * platform), OCI image manifest and docker v2 schema 2 (config and layers), and the image config
 * (diff ids, platform, run defaults). Schema 1 is refused. Everything is checked here, so pull
 * code only meets known media types and valid digests.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct rctr_error;

#define IMAGE_MT_OCI_INDEX          "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_MANIFEST       "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_CONFIG         "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_DOCKER_LIST        "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_V2S2        "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_V2S1        "application/vnd.docker.distribution.manifest.v1+json"
#define IMAGE_MT_DOCKER_V2S1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define IMAGE_MT_DOCKER_CONFIG      "application/vnd.docker.container.image.v1+json"

/* What the Accept header of a manifest request lists. */
extern const char *const image_manifest_accept[];

enum image_compression {
        IMAGE_COMPRESSION_NONE,
        IMAGE_COMPRESSION_GZIP,
        IMAGE_COMPRESSION_ZSTD,
};

struct image_platform {
        char *os, *architecture, *variant; /* owned; variant may be NULL */
};

struct image_descriptor {
        char *media_type; /* owned */
        char *digest;     /* owned, valid sha256 */
        uint64_t size;
        enum image_compression compression; /* layers */
        struct image_platform platform;     /* index entries */
};

enum image_manifest_kind {
        IMAGE_MANIFEST_INDEX, /* OCI index or docker list: choose an entry */
        IMAGE_MANIFEST_IMAGE, /* OCI manifest or docker v2s2: config and layers */
};

struct image_manifest {
        enum image_manifest_kind kind;
        char *media_type; /* owned: what it is, whatever the server said */
        struct image_descriptor config;
        struct image_descriptor *entries; /* index: manifests; image: layers */
        size_t n_entries;
};

/*
 * Parse a manifest body; content_type is the server's Content-Type (may be NULL or generic: the
 * body's own mediaType then decides). Returns 0 or -EBADMSG/-EOPNOTSUPP with err saying what
 * ("schema 1 manifests are not supported ...", "layers[2]: unknown media type ...").
 */
int image_manifest_parse(const char *body, size_t len, const char *content_type,
                         struct image_manifest *ret, struct rctr_error *err);
void image_manifest_clear(struct image_manifest *m);

/* This host's platform as the OCI spec names it: linux/amd64, linux/arm64/v8, ... */
void image_platform_host(struct image_platform *ret);
void image_platform_clear(struct image_platform *p);

/*
 * The entry of index m for platform want (os and architecture must match; a variant when want
 * has one, else the entry's own or the architecture's default). NULL and err listing what the
 * index has when none fits.
 */
const struct image_descriptor *image_manifest_choose(const struct image_manifest *m,
                                                     const struct image_platform *want,
                                                     struct rctr_error *err);

struct image_config {
        json_t *json;    /* owned: the whole document */
        char **diff_ids; /* owned strv: rootfs.diff_ids, bottom first */
        struct image_platform platform;
        char *created; /* owned, or NULL */
};

/* Parse an image config; its diff_ids must be as many as the manifest's layers (n_layers). */
int image_config_parse(const char *body, size_t len, size_t n_layers, struct image_config *ret,
                       struct rctr_error *err);
void image_config_clear(struct image_config *c);

/* The chain ids of diff_ids (OCI image spec, "Layer ChainID"): owned strv. */
char **image_chain_ids(char **diff_ids);
