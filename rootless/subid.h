/* The user's subordinate uid/gid ranges (/etc/subuid, /etc/subgid), via libsubid when built with
 * it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rctr_error;

enum rootless_id_kind {
        ROOTLESS_ID_UID,
        ROOTLESS_ID_GID,
};

struct rootless_range {
        uint32_t start;
        uint32_t count;
};

/* At most this many ranges are used: the kernel accepts 340 map lines, newuidmap fewer. */
#define ROOTLESS_MAX_RANGES 32

struct rootless_ranges {
        struct rootless_range v[ROOTLESS_MAX_RANGES];
        size_t n;
};

/*
 * Parse the text of /etc/subuid or /etc/subgid (buf, len; need not be NUL-terminated) and
 * collect the ranges of the owner named user or written as the decimal id. Malformed lines are
 * skipped, as shadow's own tools do; ranges that overflow 32 bits are dropped. Ranges past
 * ROOTLESS_MAX_RANGES are ignored. Always succeeds; ret->n may be 0.
 */
void rootless_subid_parse(const char *buf, size_t len, const char *user, uint32_t id,
                          struct rootless_ranges *ret);

/*
 * Look up the ranges of user (name) / id for kind. Returns 0 (ret->n may be 0: no range), or
 * -errno with err set when the database could not be read.
 */
int rootless_subid_get(enum rootless_id_kind kind, const char *user, uint32_t id,
                       struct rootless_ranges *ret, struct rctr_error *err);

/* "/etc/subuid" or "/etc/subgid". */
const char *rootless_subid_file(enum rootless_id_kind kind);

/* Total ids in the ranges (saturating at UINT32_MAX). */
uint32_t rootless_ranges_total(const struct rootless_ranges *r);
