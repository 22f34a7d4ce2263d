/*
 * Container image references as docker and podman parse them: [registry/]repository[:tag][@digest]
 * (the grammar of github.com/distribution/reference, with containers/image's length rule).
 */
#pragma once

#include <stdbool.h>

struct rctr_error;

/* Limits of the grammar: the whole name (registry/repository) and a tag. */
#define IMAGE_REF_NAME_MAX 255
#define IMAGE_REF_TAG_MAX  128

struct image_ref {
        char *registry;   /* owned: "docker.io", "quay.io", "localhost:5000", "[::1]:5000";
                             NULL for a short name before resolution */
        char *repository; /* owned: "library/alpine", "org/app" (lowercase path components) */
        char *tag;        /* owned: "latest" when neither tag nor digest was given; NULL when
                             only a digest was given */
        char *digest;     /* owned: "sha256:<64 lowercase hex>" or NULL */
};

/*
 * Parse text into ret. The first path component is the registry only when the name has more
 * than one component and that one contains '.' or ':' or is "localhost" (docker's rule);
 * otherwise ret->registry is NULL (a short name). "index.docker.io" becomes "docker.io", and a
 * one-component repository on docker.io gets "library/". Returns 0, or -EINVAL with err set to
 * one line such as: invalid reference "Alpine": repository name must be lowercase.
 */
int image_ref_parse(const char *text, struct image_ref *ret, struct rctr_error *err);

/* "docker.io/library/alpine:latest", "quay.io/org/app@sha256:...", "alpine:3"; owned. */
char *image_ref_string(const struct image_ref *ref);

/* The name without tag and digest: "docker.io/library/alpine" (or "alpine"); owned. */
char *image_ref_name(const struct image_ref *ref);

/* Deep copy of src into ret (ret is overwritten, not cleared). */
void image_ref_copy(const struct image_ref *src, struct image_ref *ret);

/* Free the fields and zero the struct; safe on a zeroed or cleared struct. */
void image_ref_clear(struct image_ref *ref);

static inline void image_ref_clearp(struct image_ref *ref)
{
        image_ref_clear(ref);
}
#define cleanup_image_ref __attribute__((cleanup(image_ref_clearp)))

/*
 * Set ref's registry (replacing any), normalizing "index.docker.io" to "docker.io"; on docker.io
 * a one-component repository gets "library/". Returns 0; -EINVAL when registry is not a valid
 * host[:port]; -ENAMETOOLONG when the qualified name would exceed IMAGE_REF_NAME_MAX. ref is
 * unchanged on failure.
 */
int image_ref_qualify(struct image_ref *ref, const char *registry);

/* Whether s is a valid registry: a host name, IPv4 address or [IPv6] address, with :port. */
bool image_ref_registry_valid(const char *s);
