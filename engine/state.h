/*
 * Container state of the OCI runtime: one directory per container under the state root
 * (--root), holding state.json and, between create and start, the exec.fifo the container's init
 * blocks on. Any process can read it; the container's status is derived from its init process.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct rctr_error;

enum engine_status {
        ENGINE_STATUS_CREATING,
        ENGINE_STATUS_CREATED,
        ENGINE_STATUS_RUNNING,
        ENGINE_STATUS_STOPPED,
        ENGINE_STATUS_PAUSED, /* runc's: its cgroup is frozen */
};

struct engine_state {
        char *id;                 /* owned */
        char *bundle;             /* owned */
        char *created;            /* owned: RFC 3339 */
        pid_t pid;                /* the container's init */
        uint64_t starttime;       /* its start time (/proc/PID/stat field 22): tells a reused pid */
        json_t *annotations;      /* owned; an object */
        bool resources_unapplied; /* linux.resources was set: no cgroup limits applied yet */
};

void engine_state_clear(struct engine_state *s);

/* Container ids as runc accepts them: [A-Za-z0-9][A-Za-z0-9_+.-]*, at most 1024 bytes. */
bool engine_state_id_valid(const char *id);

/* Open (creating 0700) the state root. Returns the fd or -errno with err set. */
int engine_state_root_open(const char *path, struct rctr_error *err);

/* Read rootfd/ID/state.json. -ENOENT (err says "container ID does not exist") when absent. */
int engine_state_load(int rootfd, const char *id, struct engine_state *ret, struct rctr_error *err);

/* Write rootfd/ID/state.json atomically (the directory must exist). */
int engine_state_save(int rootfd, const struct engine_state *s, struct rctr_error *err);

/* The status now: stopped once the init is gone, a zombie, or another process with its pid. */
enum engine_status engine_state_status(int rootfd, const struct engine_state *s);
const char *engine_status_name(enum engine_status st);

/* The start time of pid from /proc/PID/stat, or 0 when it is gone. */
uint64_t engine_proc_starttime(pid_t pid);

/* The runtime spec's state object: ociVersion, id, status, pid (when alive), bundle, ... */
json_t *engine_state_json(int rootfd, const struct engine_state *s);

/* The same with a given status (what hooks are told: "creating" during create). */
json_t *engine_state_json_as(const struct engine_state *s, enum engine_status st);

/* Remove rootfd/ID entirely. */
int engine_state_remove(int rootfd, const char *id, struct rctr_error *err);
