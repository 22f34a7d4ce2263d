/*
 * Named and anonymous volumes for `rctr run` and `rctr create`, as podman has them:
 *   -v NAME:/dst[:opts]                       the volume NAME (made when missing),
 *   -v /dst                                   a new volume with a random name (anonymous),
 *   --mount type=volume[,source=NAME],target=/dst[,ro...]   either of the two.
 * They become bind mounts of the volumes' _data directories before the spec is built
 * (engine_container_spec() knows host paths only), and the container's record names them
 * (engine/container-users.h), so that volume rm and prune see them in use.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct cmd_run_opts;
struct storage_store;
struct storage_volumes;
struct rctr_error;

/* A volume to fill from the image's content at its destination while it is empty. */
struct cmd_volume_copy {
        char *name; /* owned */
        char *dst;  /* owned: the destination in the container */
};

struct cmd_container_volumes {
        struct storage_volumes *vs; /* owned, volumes/.lock held exclusively; NULL: none used */
        char **names;               /* owned: every volume the container uses, once each */
        char **anonymous;           /* owned: those made for it */
        char **binds;  /* owned: -v as given, anonymous ones named (HostConfig.Binds) */
        char **mounts; /* owned: --mount as given (HostConfig.Mounts) */
        struct cmd_volume_copy *copy; /* owned */
        size_t n_copy;
        bool committed; /* the container exists: its anonymous volumes stay */
};

/*
 * Drop the lock and free v. Unless committed, the anonymous volumes made for the container are
 * removed first: a create that failed leaves none behind.
 */
void cmd_container_volumes_clear(struct cmd_container_volumes *v);

/* The container is made: keep its volumes. */
void cmd_container_volumes_commit(struct cmd_container_volumes *v);

/*
 * Rewrite o->f.volumes and o->f.mounts: volumes become binds of their data directories (made
 * when missing), relative bind sources ("./dir") absolute. store is the store the container's
 * image is in, locked (storage/volumes.h's lock order: call before taking any container's
 * lock); when volumes are used, their lock is held until *ret is cleared, so that none is
 * removed before the container's record names it. Returns 0 with *ret filled, or -EINVAL (a bad
 * -v or --mount), -EOPNOTSUPP (a volume option rctr lacks) or another -errno with err set.
 */
int cmd_container_volumes_resolve(struct storage_store *store, struct cmd_run_opts *o,
                                  struct cmd_container_volumes *ret, struct rctr_error *err);

/* Put the names into the record (container.json, borrowed) and the flags as given into its
 * hostConfig (Binds, Mounts). */
void cmd_container_volumes_record(const struct cmd_container_volumes *v, json_t *record);

/*
 * Fill each volume that is still empty with what the image has at its destination (its
 * content, and the directory's owner and mode), as podman does unless nocopy is given.
 * rootfs is the container's mounted root file system. Returns 0 or -errno with err set.
 */
int cmd_container_volumes_copy_up(const struct cmd_container_volumes *v, const char *rootfs,
                                  struct rctr_error *err);
