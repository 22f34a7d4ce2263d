/*
 * The OCI runtime config.json of a container that `rctr run` creates, built from the image's
 * config and the user's run flags with podman's semantics (pkg/specgen/generate in podman).
 * What needs the host or the store (named volumes, /etc/hosts, resolv.conf, /run/.containerenv,
 * creating a missing working directory, chowning U volumes, networking) is the caller's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct rctr_error;

/*
 * The flags of `rctr run`/`rctr create` that shape the spec. Every pointer is borrowed; NULL and
 * empty lists mean "not given". String lists are NULL-terminated.
 */
struct engine_run_flags {
        char **command;         /* args after the image */
        const char *entrypoint; /* --entrypoint: a string or a JSON array of strings; "" clears */
        char **env;             /* -e KEY=VAL, or -e KEY: the host's value, if it has one */
        char **env_files_lines; /* --env-file lines already read: KEY=VAL, KEY, # comments, blank */
        bool env_host;          /* --env-host: the host environment under everything else */
        const char *workdir;    /* -w: absolute */
        const char *user;       /* -u user[:group], names looked up in the rootfs */
        char **group_add;       /* --group-add: names (the rootfs's /etc/group) or numbers */
        const char *hostname;   /* --hostname; default: the first 12 characters of the id */
        bool tty, interactive;
        bool read_only;
        bool read_only_tmpfs; /* with read_only: tmpfs on /run, /tmp, /var/tmp (podman: true by
                                 default; the caller sets the default) */
        bool privileged, init, no_new_privileges;
        const char *init_path;       /* --init: the host's init binary, bind-mounted on
                                        /run/rctr-init */
        char **cap_add, **cap_drop;  /* names with or without CAP_, any case, or ALL */
        char **volumes;              /* -v SRC:DST[:OPTS], SRC an absolute host path */
        char **mounts;               /* --mount type=bind|tmpfs,... */
        char **tmpfs;                /* --tmpfs DST[:OPTS] */
        char **sysctls;              /* --sysctl NAME=VALUE */
        char **devices;              /* --device HOST[:CONTAINER][:PERMS] */
        char **ulimits;              /* --ulimit NAME=SOFT[:HARD] */
        const char *seccomp_profile; /* a path, "unconfined", or NULL (see engine_container_spec) */
        const char *shm_size;        /* --shm-size, e.g. "64m" */
        const char *pid_mode, *ipc_mode, *uts_mode, *network_mode; /* NULL, "private" or "host" */
        const char *userns_mode; /* NULL or "host", "keep-id", "nomap" */
        uint32_t userns_uids;    /* how many uids/gids rctr's user namespace maps (1 + the */
        uint32_t userns_gids;    /* subordinate ranges); keep-id and nomap map within them */
        char **labels;           /* --label KEY[=VALUE] */
        char **annotations;      /* --annotation KEY=VALUE */
        const char *stop_signal; /* --stop-signal: a name or number; NULL: the image's */
};

/* Where --init's binary appears in the container. */
#define ENGINE_CONTAINER_INIT_PATH "/run/rctr-init"
/* Annotation listing (as a JSON array) the destinations of volumes given the U option: the caller
 * chowns their sources to the container's user before starting it. */
#define ENGINE_ANNOTATION_CHOWN "io.rctr.chown-volumes"
#define ENGINE_ANNOTATION_STOP  "org.opencontainers.image.stopSignal"

/*
 * Build config.json for container_id from image_config (the "config" object of the OCI image
 * config, borrowed, may be NULL) and f. rootfsfd is the container's root directory (its
 * /etc/passwd and /etc/group are read inside it, symlinks never leading out); rootfs_path goes
 * into root.path. host_uid/host_gid are the caller's ids on the host: 0 means rctr runs as root
 * (no user namespace of its own, a new sysfs may be mounted), anything else is rootless.
 *
 * linux.seccomp: rctr's default profile (engine/seccomp-default.h) for NULL, none for
 * "unconfined" and --privileged; a path is read (JSON, at most 4 MiB) and put in as it is.
 *
 * Returns 0 and *ret, a new reference, or -EINVAL with err naming the flag and value ("invalid
 * --volume a:/b:q: unknown option q"), -ENOENT for a user or group not in the rootfs (podman's
 * "unable to find user bob: no matching entries in passwd file"), or another -errno from reading
 * a file.
 */
int engine_container_spec(json_t *image_config, const struct engine_run_flags *f, int rootfsfd,
                          const char *container_id, const char *rootfs_path, uid_t host_uid,
                          gid_t host_gid, json_t **ret, struct rctr_error *err);

/* A user of the container, as -u names it, from the rootfs's own files. */
struct engine_container_user {
        uint32_t uid, gid;
        uint32_t *gids; /* owned: supplementary groups, in order, without duplicates */
        size_t n_gids;
        char *home; /* owned: the passwd entry's home, or NULL when the user has none */
};

void engine_container_user_clear(struct engine_container_user *u);

/*
 * Resolve user ("name", "uid", "name:group", "uid:gid", or NULL/"" for root) and group_add in
 * the rootfs's /etc/passwd and /etc/group, opened inside rootfsfd. Returns 0, -ENOENT for a name
 * not found (podman's message), -EINVAL for a bad id or -errno reading the files.
 */
int engine_container_user_resolve(int rootfsfd, const char *user, char *const *group_add,
                                  struct engine_container_user *ret, struct rctr_error *err);
