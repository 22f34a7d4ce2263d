/*
 * The pause process: a tiny process that holds the user's rootless user namespace and mount
 * namespace, so every rctr invocation joins one mapping instead of creating its own. Its pid
 * lives in <runtime dir>/rctr/pause.pid; creation is serialized by pause.lock.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "subid.h"

struct rctr_error;

/* How to map ids into a new namespace. */
struct rootless_plan {
        uint32_t uid, gid;           /* the user on the host: 0 inside */
        struct rootless_ranges uids; /* subordinate ranges: 1..N inside */
        struct rootless_ranges gids;
        char *newuidmap; /* owned; NULL when uids.n == 0: single map written by us */
        char *newgidmap; /* owned; NULL when gids.n == 0 */
};

void rootless_plan_clear(struct rootless_plan *plan);

/* The name the pause process gives itself (prctl PR_SET_NAME), checked before joining it. */
#define ROOTLESS_PAUSE_COMM "rctr-pause"

/*
 * Join the user and mount namespaces of the pause process named in rundirfd/pause.pid, keeping
 * the current directory. Returns 0 when joined; -ESRCH when there is no live pause process of
 * ours (no file, a stale pid, a reused pid) with err left clear; other -errno with err set.
 */
int rootless_pause_join(int rundirfd, struct rctr_error *err);

/*
 * Start a new pause process in new user and mount namespaces mapped as plan says and record it
 * in rundirfd/pause.pid. The caller holds the pause lock. Returns the pid or -errno with err set.
 */
int rootless_pause_create(int rundirfd, const struct rootless_plan *plan, struct rctr_error *err);
