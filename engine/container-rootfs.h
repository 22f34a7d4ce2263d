/*
 * A container's root file system held open for a command that reads or writes it from outside
 * (`rctr cp`, `rctr export`, `rctr diff` on vfs), whatever the container's state: a running one
 * is used as it is, one that is not running is mounted for the while and unmounted again.
 */
#pragma once

#include <stdbool.h>

struct engine_container;
struct engine_ctx;
struct rctr_error;

struct engine_rootfs_hold {
        int rootfd;   /* owned: the root directory (O_RDONLY|O_DIRECTORY) */
        int lockfd;   /* owned: the container's lock, held while we keep it mounted; -1 */
        bool mounted; /* we mounted it: release unmounts */
        bool live;    /* the running container's own view (its mount namespace) */
};

#define ENGINE_ROOTFS_HOLD_INIT            \
        {                                  \
                .rootfd = -1, .lockfd = -1 \
        }

/*
 * Hold the root file system of c. For a running (paused, stopping) container: with live, its
 * own view through /proc/PID/root, where its volumes and tmpfs mounts are too (what `podman cp`
 * sees by joining the container's mount namespace); else, or when that cannot be opened, its
 * mounted rootfs. For a created or exited container: take its lock, so that nobody starts or
 * removes it meanwhile, and mount its rootfs. Call from where the store is used (rootless:
 * inside rctr's user and mount namespace). Returns 0 with *ret filled, or -errno with err set.
 */
int engine_container_rootfs_hold(const struct engine_ctx *ctx, const struct engine_container *c,
                                 bool live, struct engine_rootfs_hold *ret, struct rctr_error *err);

/*
 * Let go: close the root, unmount what hold mounted (under the lock taken then, so the
 * container cannot have been started on it meanwhile: a running container's rootfs is never
 * unmounted here), drop the lock. Safe on a hold that failed or was released. Returns 0 or
 * -errno with err set.
 */
int engine_container_rootfs_release(const struct engine_ctx *ctx, const struct engine_container *c,
                                    struct engine_rootfs_hold *h, struct rctr_error *err);
