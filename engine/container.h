/*
 * What rctr does to containers (engine/container-record.h for how they are kept): start one
 * under a monitor, stop, kill, wait for, clean up after and remove it. Every function here runs
 * where the store is used (rootless: inside rctr's user and mount namespace).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct engine_container;
struct engine_ctr_state;
struct rctr_error;

/* The directories of one store and runroot. */
struct engine_ctx {
        char *store_root; /* --root */
        char *runroot;    /* --runroot */
        int ctrsfd;       /* <store>/containers */
        int runfd;        /* <runroot>/containers: attach sockets */
        int ocifd;        /* <runroot>/oci: the runtime's state root */
        bool rootless;
};

int engine_ctx_open(struct engine_ctx *ctx, const char *store_root, const char *runroot,
                    bool rootless, struct rctr_error *err);
void engine_ctx_close(struct engine_ctx *ctx);

/* <store>/containers/<id>: the bundle. Owned. */
char *engine_container_dir(const struct engine_ctx *ctx, const char *id);
/* <store>/containers/<id>/storage: the storage driver's directory. Owned. */
char *engine_container_storage_dir(const struct engine_ctx *ctx, const char *id);

/*
 * Make the container's root file system (its storage driver over the layers recorded in
 * container.json). Returns 0 with *ret_rootfs (owned) or -errno with err set.
 */
int engine_container_mount(const struct engine_ctx *ctx, const struct engine_container *c,
                           char **ret_rootfs, struct rctr_error *err);

/*
 * Start c (created or exited) under a new monitor: mount its rootfs, double-fork the monitor
 * (setsid: it outlives us and our terminal), which runs the container and reports whether its
 * command started. attach: *ret_sock is a socket connected to the monitor from its birth, so no
 * output is lost (else pass NULL). The caller holds the container's lock. Returns 0 or -errno
 * with err set (err->exit_status 126/127 when the command could not be executed); then nothing
 * runs and the rootfs is unmounted again.
 */
int engine_container_start(const struct engine_ctx *ctx, const struct engine_container *c,
                           int *ret_sock, struct rctr_error *err);

/*
 * After the container's init is gone: unmount its rootfs, drop the runtime's state, record the
 * exit in s (exit_code as given, -1 unknown) and save it. For the monitor, and for anyone who
 * finds a container whose monitor died. The caller holds the container's lock.
 */
int engine_container_cleanup(const struct engine_ctx *ctx, const struct engine_container *c,
                             struct engine_ctr_state *s, struct rctr_error *err);

/*
 * Remove a container that is not running: cleanup, then its directories. The caller holds the
 * containers lock and the container's lock.
 */
int engine_container_remove(const struct engine_ctx *ctx, const struct engine_container *c,
                            struct rctr_error *err);

/* Send sig to the container's init. -ESRCH (err: "is not running") when it does not run. */
int engine_container_kill(const struct engine_ctx *ctx, const struct engine_container *c, int sig,
                          struct rctr_error *err);

/*
 * Stop: the stop signal, then after timeout seconds SIGKILL; returns once the container is
 * exited and its monitor has recorded it (or, with the monitor gone, once we cleaned up).
 */
int engine_container_stop(const struct engine_ctx *ctx, const struct engine_container *c,
                          unsigned timeout, struct rctr_error *err);

/*
 * Wait until the container has exited and its monitor has finished (timeout_ms < 0: for ever).
 * Returns 0 with *ret (the settled state), -ETIMEDOUT, or -errno with err set.
 */
int engine_container_wait(const struct engine_ctx *ctx, const char *id, int timeout_ms,
                          struct engine_ctr_state *ret, struct rctr_error *err);

/*
 * The container's state as it is now (engine_ctr_state_settle), saving the correction when a
 * dead monitor left it running. Returns 0 or -errno with err set.
 */
int engine_container_state(const struct engine_ctx *ctx, const char *id,
                           struct engine_ctr_state *ret, struct rctr_error *err);

/* The monitor's entry (engine/monitor.c), in the double-forked child. Never returns. */
struct engine_monitor_args {
        const struct engine_ctx *ctx;
        const struct engine_container *c;
        const char *rootfs;
        int client_fd; /* the foreground client's socket, or -1 */
        int report_fd; /* where to say "started" or why not */
};
void __attribute__((noreturn)) engine_monitor_main(const struct engine_monitor_args *a);
