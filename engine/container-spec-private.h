/* Shared between the engine/container-*.c files that build a container's config.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine/container-spec.h"

struct engine_run_flags;
struct rctr_error;

/* mounts: the defaults, the user's, --init's and --read-only's tmpfs; sets annotations. */
int engine_container_mounts(const struct engine_run_flags *f, bool rootless, json_t *spec,
                            struct rctr_error *err);

/* process.capabilities (root_user: uid 0 in the container) */
int engine_container_caps(const struct engine_run_flags *f, bool root_user, json_t *process,
                          struct rctr_error *err);

/* process.rlimits from the defaults and --ulimit. */
int engine_container_rlimits(const struct engine_run_flags *f, bool rootless, json_t *process,
                             struct rctr_error *err);

/* linux.sysctl, linux.devices, linux.seccomp, masked and read-only paths. */
int engine_container_linux(const struct engine_run_flags *f, bool rootless, json_t *linux_,
                           struct rctr_error *err);

/* "64m", "1g", "512" (bytes), docker's binary units. Returns 0 or -EINVAL / -ERANGE. */
int engine_container_parse_size(const char *s, uint64_t *ret);

/* Whether list (NULL-terminated, may be NULL) has an entry equal to s. */
bool engine_container_strv_contains(char *const *list, const char *s);
