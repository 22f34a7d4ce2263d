#include <config.h>
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xalloc.h"

struct digest_sha256 {
        EVP_MD_CTX *ctx;
};

struct digest_sha256 *digest_sha256_new(void)
{
        struct digest_sha256 *d = xzalloc(sizeof(*d));

        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
                xalloc_die(); /* only allocation can fail here */
        return d;
}

void digest_sha256_update(struct digest_sha256 *d, const void *data, size_t len)
{
        if (len)
                (void)EVP_DigestUpdate(d->ctx, data, len);
}

char *digest_sha256_string(struct digest_sha256 *d)
{
        EVP_MD_CTX *copy = EVP_MD_CTX_new();
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        char *out = xmalloc(7 + 64 + 1), *p = out + 7;

        /* finish a copy, so that d can go on */
        if (!copy || EVP_MD_CTX_copy_ex(copy, d->ctx) != 1 || EVP_DigestFinal_ex(copy, md, &n) != 1)
                xalloc_die();
        EVP_MD_CTX_free(copy);
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < n && i < 32; i++, p += 2)
                snprintf(p, 3, "%02x", md[i]);
        return out;
}

void digest_sha256_free(struct digest_sha256 *d)
{
        if (!d)
                return;
        EVP_MD_CTX_free(d->ctx);
        free(d);
}

char *digest_sha256_of(const void *data, size_t len)
{
        struct digest_sha256 *d = digest_sha256_new();
        char *s;

        digest_sha256_update(d, data, len);
        s = digest_sha256_string(d);
        digest_sha256_free(d);
        return s;
}
