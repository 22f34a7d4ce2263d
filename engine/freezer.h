/*
 * pause/resume through the freezer of the container's own cgroup: v1's freezer.state, or v2's
 * cgroup.freeze where the freezer controller is on the unified hierarchy.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct rctr_error;

/*
 * Freeze (or thaw) the cgroup of the container whose init is pid, and wait until it is. A
 * container in its caller's cgroup has none of its own to freeze (freezing it would stop the
 * caller too): -EOPNOTSUPP with err saying so. Returns 0 or -errno with err set.
 */
int engine_freezer_set(pid_t pid, bool frozen, struct rctr_error *err);

/* Whether the container whose init is pid is frozen now. */
bool engine_freezer_is_frozen(pid_t pid);
