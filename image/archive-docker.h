/*
 * docker-archive: the tar `docker save` and `podman save` write. Its manifest.json lists the
 * images: [{"Config": "<hex>.json", "RepoTags": ["busybox:latest"], "Layers":
 * ["<hex>/layer.tar", ...]}], each name a member of the tar; layers are uncompressed tars
 * (gzip and zstd are read too), matched in order with the config's rootfs.diff_ids.
 */
#pragma once

#include <stddef.h>

#include <jansson.h>

struct rctr_error;

#define IMAGE_DOCKER_MANIFEST "manifest.json"

/* Caps on what one manifest.json may list. */
#define IMAGE_ARCHIVE_IMAGES_MAX 1024
#define IMAGE_ARCHIVE_TAGS_MAX   256
#define IMAGE_ARCHIVE_LAYERS_MAX 1024

struct image_docker_entry {
        char *config;     /* owned: the config's member name, clean */
        char **repo_tags; /* owned strv, as written (may be empty) */
        char **layers;    /* owned strv: member names, clean, bottom first */
};

struct image_docker_manifest {
        struct image_docker_entry *v; /* owned */
        size_t n;
};

/*
 * Parse manifest.json (untrusted, at most len bytes). Member names are cleaned as layer entry
 * names are (storage_layer_path_clean()): "./a.json" is "a.json", and ".." or absolute names
 * are refused. Returns 0, or -EBADMSG / -EFBIG with err saying where ("manifest.json: [1]:
 * Layers: ...").
 */
int image_docker_manifest_parse(const char *buf, size_t len, struct image_docker_manifest *ret,
                                struct rctr_error *err);
void image_docker_manifest_clear(struct image_docker_manifest *m);

/*
 * A RepoTags name the way docker reads it: a short name is on docker.io (library/ for one
 * component), :latest when there is no tag. Returns 0 with *ret owned, or -EINVAL.
 */
int image_docker_tag_normalize(const char *tag, char **ret, struct rctr_error *err);

/* One element of manifest.json for `save`: tags may be NULL (RepoTags null). A new reference. */
json_t *image_docker_manifest_entry(const char *config, char *const *tags, char *const *layers);
