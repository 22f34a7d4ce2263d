/*
 * WWW-Authenticate challenges of registries (RFC 7235 §4.1; the token flow of the distribution
 * spec): `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`
 * or `Basic realm="registry"`.
 */
#pragma once

#include <stddef.h>

struct rctr_error;

/* A header longer than this is refused; real ones are a few hundred bytes. */
#define IMAGE_CHALLENGE_MAX (16 * 1024)

enum image_challenge_scheme {
        IMAGE_CHALLENGE_NONE,
        IMAGE_CHALLENGE_BASIC,
        IMAGE_CHALLENGE_BEARER,
};

struct image_challenge {
        enum image_challenge_scheme scheme;
        char *realm;   /* owned; NULL when absent */
        char *service; /* owned; NULL when absent */
        char *scope;   /* owned; NULL when absent (several scopes stay space-separated) */
        char *error;   /* owned: Bearer's error="insufficient_scope" etc. (RFC 6750 §3) */
};

/*
 * Parse the WWW-Authenticate value buf (len bytes; several header lines joined with ", "), which
 * may hold several challenges, and keep the one we use: Bearer before Basic; schemes we do not
 * speak (Negotiate, Digest) are skipped. Scheme and parameter names are case-insensitive, values
 * are tokens or quoted strings (commas and escaped quotes inside quotes are kept).
 * Returns 0 with *ret filled (clear it with image_challenge_clear()), -ENOENT when no Basic or
 * Bearer challenge is there, -EBADMSG when the text is malformed or -EFBIG when it is longer than
 * IMAGE_CHALLENGE_MAX, with err set.
 */
int image_challenge_parse(const char *buf, size_t len, struct image_challenge *ret,
                          struct rctr_error *err);

void image_challenge_clear(struct image_challenge *c);

static inline void image_challenge_clearp(struct image_challenge *c)
{
        image_challenge_clear(c);
}
#define cleanup_challenge __attribute__((cleanup(image_challenge_clearp)))
