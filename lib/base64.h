/*
 * Base64 with the standard alphabet (RFC 4648 §4), as auth.json's "auth" field and HTTP Basic
 * authentication use it.
 */
#pragma once

#include <stddef.h>

/* Encode len bytes, with '=' padding. Returns an owned NUL-terminated string. */
char *base64_encode(const void *data, size_t len);

/*
 * Decode len characters of text. Padding is optional (some tools drop it); any other character,
 * a misplaced '=' or a dangling final character is -EINVAL. On success returns 0 with *ret
 * (owned, NUL-terminated for convenience, may contain NULs) and *ret_len.
 */
int base64_decode(const char *text, size_t len, char **ret, size_t *ret_len);
