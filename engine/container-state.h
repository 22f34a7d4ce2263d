/*
 * state.json of a container (engine/container-record.h): written atomically by whoever changes
 * the container under its lock (create, the monitor, stop/rm when the monitor is gone), read by
 * anyone. The status shown is derived: a container recorded as running whose processes are gone
 * (its monitor was killed, the machine rebooted) is reported exited with exit code -1, unknown.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct rctr_error;

enum engine_ctr_status {
        ENGINE_CTR_CREATED,
        ENGINE_CTR_RUNNING,
        ENGINE_CTR_PAUSED,
        ENGINE_CTR_STOPPING, /* stop sent its signal and waits */
        ENGINE_CTR_EXITED,
};

struct engine_ctr_state {
        enum engine_ctr_status status;
        pid_t pid; /* the container's init, 0 when none */
        uint64_t pid_start;
        pid_t monitor_pid; /* its monitor, 0 when none */
        uint64_t monitor_start;
        char *boot_id;     /* the boot the pids belong to */
        char *started_at;  /* RFC 3339, NULL before the first start */
        char *finished_at; /* NULL before the first exit */
        int exit_code;     /* -1: unknown */
        bool oom_killed;
        char *rootfs;      /* where its root file system is mounted, NULL when not */
        unsigned restarts; /* how often it was started again */
        bool removing;     /* rm is under way */
};

void engine_ctr_state_clear(struct engine_ctr_state *s);

/* Running, paused or stopping: its processes are (or should still be) there. */
bool engine_ctr_status_active(enum engine_ctr_status st);

/* "created", "running", "paused", "stopping", "exited" as podman's State.Status. */
const char *engine_ctr_status_name(enum engine_ctr_status st);

/* Parse/serialize (unit-testable). */
int engine_ctr_state_parse(const char *text, size_t len, struct engine_ctr_state *ret,
                           struct rctr_error *err);
json_t *engine_ctr_state_json(const struct engine_ctr_state *s);

/* Read <containers>/<id>/state.json; a missing file is a created container. */
int engine_ctr_state_load(int ctrsfd, const char *id, struct engine_ctr_state *ret,
                          struct rctr_error *err);
int engine_ctr_state_save(int ctrsfd, const char *id, const struct engine_ctr_state *s,
                          struct rctr_error *err);

/* This boot's id (/proc/sys/kernel/random/boot_id). Owned. */
char *engine_boot_id(void);

/* Whether pid still is the process that started at start (and is not a zombie). */
bool engine_pid_alive(pid_t pid, uint64_t start);

/*
 * Correct s for what is real now: running/paused/stopping but the container's init is gone (or
 * another boot): exited, exit code -1 unless the monitor recorded one. Returns true when s
 * changed, so that a caller holding the lock may save it.
 */
bool engine_ctr_state_settle(struct engine_ctr_state *s);

/* Whether the monitor of s still runs. */
bool engine_ctr_monitor_alive(const struct engine_ctr_state *s);
