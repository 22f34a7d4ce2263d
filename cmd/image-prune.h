/*
 * Pruning images, for `rctr image prune` and `rctr system prune`: the images without a name (or
 * every image), except those a container uses, and then the layers no image uses any more.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cmd_global;
struct storage_store;
struct rctr_error;

/*
 * Remove the images without a name (all: every image) that no container uses, then the layers
 * no image uses. Opens and locks the store (the store's lock, then the containers are read:
 * create holds the store's lock until its container is recorded). *ret_removed: the ids removed
 * ("sha256:...", an owned strv); *ret_bytes (may be NULL): what the layers removed held.
 * Returns 0 or -errno with err set.
 */
int cmd_images_prune(struct cmd_global *g, bool all, char ***ret_removed, uint64_t *ret_bytes,
                     struct rctr_error *err);

/*
 * The bytes of the layers in layers (chain ids, repeats counted once) that are not in except
 * (NULL: none), as their records give them.
 */
uint64_t cmd_layers_size(struct storage_store *store, char **layers, char **except);
