/* sha256 digests as the OCI image spec writes them ("sha256:<64 lowercase hex>"), streamed. */
#pragma once

#include <stddef.h>

struct digest_sha256; /* opaque */

struct digest_sha256 *digest_sha256_new(void);
void digest_sha256_update(struct digest_sha256 *d, const void *data, size_t len);
/* "sha256:<hex>" of everything fed so far (owned); d can go on being fed after it. */
char *digest_sha256_string(struct digest_sha256 *d);
void digest_sha256_free(struct digest_sha256 *d);
static inline void digest_sha256_freep(struct digest_sha256 **d)
{
        digest_sha256_free(*d);
}

/* The digest of one buffer. Owned. */
char *digest_sha256_of(const void *data, size_t len);
