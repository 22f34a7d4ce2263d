/* rctr's default seccomp profile for containers (engine/seccomp-default.c). */
#pragma once

#include <jansson.h>

/*
 * The profile (linux.seccomp of config.json) for a container whose bounding set is
 * bounding_caps (an array of "CAP_..." names, borrowed). Returns a new reference.
 */
json_t *engine_seccomp_default_profile(json_t *bounding_caps);
