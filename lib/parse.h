/* Strict number parsing for untrusted text: no sign, no junk, no silent overflow. */
#pragma once

#include <stdint.h>

/* Parse a whole decimal string into *ret. Returns 0, -EINVAL (not a number) or -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
/* As parse_u64, bounded by max. */
int parse_u64_max(const char *s, uint64_t max, uint64_t *ret);
