/*
 * Containers on disk: one directory per container under <store>/containers/<id>/, holding
 *   container.json  what `create` decided (name, image, command, flags shown by inspect),
 *   config.json     the OCI runtime spec (engine/container-spec.h; the bundle is the directory),
 *   state.json      what happened since: status, pids, start/exit times, exit code,
 *   ctr.log         the k8s-file log written by the monitor,
 *   storage/        the storage driver's directory (upper/, work/, merged/ or rootfs/),
 *   lock            flock()ed by whoever changes the container.
 * <store>/containers/lock is taken exclusively to create, rename or remove a container, so names
 * stay unique; listing reads the directories without it (records are written atomically).
 * No daemon keeps this in memory: every rctr process reads it, and the state of a container whose
 * monitor is gone is derived from /proc (engine_container_status()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "lib/macros.h"

struct rctr_error;

/* 32 random bytes in hex, as podman's ids. */
#define ENGINE_CONTAINER_ID_LEN 64

struct engine_container {
        char *id;
        char *name;
        char *image_id;   /* "sha256:..." */
        char *image_name; /* as the user named it, resolved ("docker.io/library/busybox:latest") */
        char *created;    /* RFC 3339 with nanoseconds, UTC */
        char **command;   /* the process's args, for ps */
        char *driver;     /* the storage driver that makes its rootfs */
        char **layers;    /* absolute paths of the image's layer diffs, bottom first */
        char *log_driver; /* "k8s-file", "none" or "passthrough" */
        bool rm, tty, interactive;
        int stop_signal;       /* a signal number */
        unsigned stop_timeout; /* seconds before stop sends SIGKILL */
        json_t *json;          /* the whole container.json (labels, host config for inspect) */
};

void engine_container_clear(struct engine_container *c);

/* The record as JSON, c->json updated with the fields above. Returns a new reference. */
json_t *engine_container_to_json(struct engine_container *c);

/* Parse container.json (unit-testable). Returns 0 or -EBADMSG with err set. */
int engine_container_parse(const char *text, size_t len, struct engine_container *ret,
                           struct rctr_error *err);

/* ---- the containers directory ---- */

/* Open (creating) <store>/containers. Returns the fd or -errno with err set. */
int engine_containers_open(const char *store_root, struct rctr_error *err);

/*
 * flock dirfd/name (creating it), exclusive or shared; returns the lock's fd (close to unlock)
 * or -errno with err set.
 */
int engine_lock_at(int dirfd, const char *name, bool exclusive, struct rctr_error *err);

/*
 * Write <containers>/<id>/<name> atomically; durable: fsync it (records that must survive a
 * crash), else a crash may lose the change (state.json, whose status is settled from /proc
 * anyway, and the records of --rm containers).
 */
int engine_container_write_file(int ctrsfd, const char *id, const char *name, const char *text,
                                bool durable, struct rctr_error *err);

/*
 * Remove what a killed create or remove left: .new-<id> and .rm-<id> directories exist only while
 * their maker holds the containers lock, so with the lock held any one seen is stale.
 */
void engine_containers_sweep(int ctrsfd);

/* Read <containers>/<id>/container.json. -ENOENT when the container is gone. */
int engine_container_load(int ctrsfd, const char *id, struct engine_container *ret,
                          struct rctr_error *err);

/* Write it atomically (the directory exists). */
int engine_container_save(int ctrsfd, struct engine_container *c, struct rctr_error *err);

/* Every container, sorted by creation time (oldest first). Unreadable records are skipped. */
struct engine_container_list {
        struct engine_container *v;
        size_t n;
};
void engine_container_list_clear(struct engine_container_list *l);
int engine_container_list(int ctrsfd, struct engine_container_list *ret, struct rctr_error *err);

/*
 * The container that text means: an exact name, a full id, or a unique id prefix. -ENOENT with
 * err "no container with name or ID \"TEXT\" found" (podman's words), -EINVAL when a prefix is
 * ambiguous.
 */
int engine_container_find(const struct engine_container_list *l, const char *text,
                          const struct engine_container **ret, struct rctr_error *err);

/* A fresh random id. */
void engine_container_new_id(char out[ENGINE_CONTAINER_ID_LEN + 1]);

/* Names as podman accepts them: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
bool engine_container_name_valid(const char *name);

/* A generated "adjective_noun" name not in l. Owned. */
char *engine_container_new_name(const struct engine_container_list *l);
