/* The container's user namespace mappings, translated into the ids of the namespace we run in. */
#pragma once

#include <stddef.h>

#include "spec.h"

struct rctr_error;

/*
 * config.json names host ids as the caller sees them. Rootless, rctr-oci runs inside the user's
 * rctr namespace, where host uid 1000 is 0 and the subuid range starts at 1: translate each range
 * through self_map (the text of our own /proc/self/uid_map or gid_map: "inside outside size"
 * lines; identity for real root) and format the map to write for the container. Returns 0 and an
 * owned "container inside size\n..." text, or -EINVAL with err naming the range that is not
 * mapped here (what = "uidMappings" or "gidMappings").
 */
int engine_userns_translate(const char *self_map, const struct engine_idmap *maps, size_t n,
                            const char *what, char **ret_text, struct rctr_error *err);
