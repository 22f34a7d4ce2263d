/*
 * Which containers use what the store holds: volumes (container.json names them, see below) and
 * images (its imageId). rctr has no daemon and no database, so "in use" is always read from the
 * container records themselves; a record that cannot be read counts as using nothing.
 *
 * container.json keeps the volumes a container mounts as
 *   "volumes":          every named or anonymous volume it uses, each once,
 *   "anonymousVolumes": those of them made for it (`-v /dst`), which `rm -v` and `run --rm`
 *                       remove with it, as podman does.
 */
#pragma once

#include <stdbool.h>

struct engine_container;
struct engine_container_list;
struct engine_ctx;
struct rctr_error;

#define ENGINE_CONTAINER_VOLUMES      "volumes"
#define ENGINE_CONTAINER_ANON_VOLUMES "anonymousVolumes"

/*
 * The volumes every container uses, read from the records under ctrsfd (borrowed) at the first
 * question and kept: a caller asks under volumes/.lock (storage/volumes.h), where no container
 * can take a volume into use, and calls engine_volume_users_reset() after dropping that lock.
 */
struct engine_volume_users {
        int ctrsfd; /* borrowed: <store>/containers */
        bool loaded;
        char **names; /* owned: every volume some container names */
};

void engine_volume_users_reset(struct engine_volume_users *u);
void engine_volume_users_clear(struct engine_volume_users *u);

/* A storage_volume_in_use_fn: ud is a struct engine_volume_users. */
bool engine_volume_users_in_use(void *ud, const char *name);

/* The first container of l (oldest first) whose image is image_id ("sha256:..."), or NULL. */
const struct engine_container *
engine_container_list_using_image(const struct engine_container_list *l, const char *image_id);

/*
 * Remove the anonymous volumes of c, a container already removed (its record gone, so it no
 * longer counts as their user). A volume another container has taken into use since (by its
 * name), or that is gone already, is left alone. Takes volumes/.lock: the caller holds no
 * container lock (storage/volumes.h's lock order). Returns 0 or -errno with err set.
 */
int engine_container_remove_anonymous_volumes(const struct engine_ctx *ctx,
                                              const struct engine_container *c,
                                              struct rctr_error *err);
