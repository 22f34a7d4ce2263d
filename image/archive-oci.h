/*
 * oci-archive: an OCI image layout (image-spec image-layout.md) in a tar: oci-layout,
 * index.json, and blobs/sha256/<hex> for manifests, configs and layers. An image's name is the
 * index entry's org.opencontainers.image.ref.name annotation (or containerd's
 * io.containerd.image.name, which docker and buildkit write).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct rctr_error;

#define IMAGE_OCI_INDEX       "index.json"
#define IMAGE_OCI_LAYOUT      "oci-layout"
#define IMAGE_OCI_REF_NAME    "org.opencontainers.image.ref.name"
#define IMAGE_OCI_LAYOUT_TEXT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define IMAGE_MT_OCI_LAYER    "application/vnd.oci.image.layer.v1.tar"

struct image_oci_entry {
        char *media_type; /* owned */
        char *digest;     /* owned, a valid sha256 digest */
        uint64_t size;
        char *name; /* owned: the ref.name annotation as written, or NULL */
};

struct image_oci_index {
        struct image_oci_entry *v; /* owned */
        size_t n;
};

/* Parse index.json (untrusted). Returns 0, or -EBADMSG / -EFBIG with err ("index.json: ..."). */
int image_oci_index_parse(const char *buf, size_t len, struct image_oci_index *ret,
                          struct rctr_error *err);
void image_oci_index_clear(struct image_oci_index *idx);

/*
 * A ref.name as podman reads it: a short name is localhost/NAME, :latest when there is no tag.
 * Returns 0 with *ret owned, or -EINVAL.
 */
int image_oci_ref_normalize(const char *name, char **ret, struct rctr_error *err);

/* "blobs/sha256/<hex>" of a valid digest. Owned. */
char *image_oci_blob_name(const char *digest);

/*
 * An OCI image manifest: the config (digest, size) and n layers with their media types,
 * digests and sizes. A new reference.
 */
json_t *image_oci_manifest_new(const char *config_digest, uint64_t config_size, size_t n,
                               const char *const *media_types, char *const *digests,
                               const uint64_t *sizes);

/* index.json with no entries yet; then one entry per name (name NULL: no annotation). */
json_t *image_oci_index_new(void);
void image_oci_index_add(json_t *index, const char *digest, uint64_t size, const char *name);
