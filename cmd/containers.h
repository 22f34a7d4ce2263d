/* What the container commands share: the store's containers, found by name or id. */
#pragma once

#include <stdbool.h>

#include "engine/container-record.h"
#include "engine/container.h"

struct cmd_global;
struct cmd_run_opts;
struct rctr_error;

/* Enter the user namespace (rootless) and open the store's and runroot's container dirs. */
int cmd_ctx_open(struct cmd_global *g, struct engine_ctx *ctx, struct rctr_error *err);

/* Load the container text names (name, id or id prefix) into *ret. -ENOENT with podman's words. */
int cmd_container_lookup(const struct engine_ctx *ctx, const char *text,
                         struct engine_container *ret, struct rctr_error *err);

/*
 * cmd_ctx_open, then the container text names and its state as it is now (settled). Returns 0
 * or -errno with err set.
 */
int cmd_container_open(struct cmd_global *g, struct engine_ctx *ctx, const char *text,
                       struct engine_container *ret, struct engine_ctr_state *ret_state,
                       struct rctr_error *err);

/* Take the container's lock (exclusive). Returns the fd or -errno. */
int cmd_container_lock(const struct engine_ctx *ctx, const char *id, struct rctr_error *err);

/*
 * Remove c as `rctr rm` does, taking the locks itself. A running container is refused (-EBUSY,
 * podman's words) unless force: then it is stopped first (its stop signal, SIGKILL after timeout
 * seconds; 0: SIGKILL at once). volumes: its anonymous volumes go too. Returns 0 (also when it
 * was gone already) or -errno with err set.
 */
int cmd_container_remove(const struct engine_ctx *ctx, const struct engine_container *c, bool force,
                         unsigned timeout, bool volumes, struct rctr_error *err);

/* The container as `rctr inspect` shows it (podman's shape). Returns a new reference in *ret. */
struct json_t;
int cmd_container_inspect(const struct engine_ctx *ctx, const struct engine_container *c,
                          struct json_t **ret, struct rctr_error *err);

/*
 * Create a container as `rctr create` and `rctr run` do: find or pull the image, record the
 * container, mount its rootfs and write its OCI config. keep_mounted: leave the rootfs mounted
 * (run starts it right away). Returns 0 with *ret or -errno with err set; nothing is left then.
 */
int cmd_container_create(struct cmd_global *g, const struct engine_ctx *ctx, struct cmd_run_opts *o,
                         bool keep_mounted, struct engine_container *ret, struct rctr_error *err);

/*
 * Start c (locked by the caller is not needed: this takes its lock) and, unless detach, attach
 * to it until it exits: returns its exit code (0..255), or 0 after the user detached.
 * interactive: forward our stdin. Returns -errno with err set when it could not start.
 */
int cmd_container_start_attached(const struct engine_ctx *ctx, const struct engine_container *c,
                                 bool attach, bool interactive, bool sig_proxy,
                                 const char *detach_keys, struct rctr_error *err);
