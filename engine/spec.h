/*
 * config.json (OCI runtime spec 1.0-1.1, Linux) parsed into what the runtime acts on. Every field
 * is type- and range-checked here, so the code between clone and exec never meets bad input.
 * Parts parsed by their own modules (hooks, seccomp, sysctl) stay in json.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct engine_device;
struct rctr_error;

/* config.json is small; a cap keeps a hostile bundle from exhausting memory. */
#define ENGINE_SPEC_MAX (4u * 1024 * 1024)

enum engine_ns_type {
        ENGINE_NS_PID,
        ENGINE_NS_NETWORK,
        ENGINE_NS_MOUNT,
        ENGINE_NS_IPC,
        ENGINE_NS_UTS,
        ENGINE_NS_USER,
        ENGINE_NS_CGROUP,
        ENGINE_NS_TIME,
        ENGINE_NS_COUNT,
};

enum engine_cap_set {
        ENGINE_CAP_BOUNDING,
        ENGINE_CAP_EFFECTIVE,
        ENGINE_CAP_INHERITABLE,
        ENGINE_CAP_PERMITTED,
        ENGINE_CAP_AMBIENT,
        ENGINE_CAP_SET_COUNT,
};

struct engine_namespace {
        bool wanted; /* listed in linux.namespaces */
        char *path;  /* owned; NULL: create a new one, else join this one */
};

struct engine_idmap {
        uint32_t container_id, host_id, size;
};

struct engine_mount {
        char *destination; /* owned; absolute */
        char *type;        /* owned; may be NULL (bind mounts) */
        char *source;      /* owned; may be NULL */
        char **options;    /* owned strv, never NULL */
};

struct engine_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft, hard;
};

struct engine_process {
        char **args; /* owned strv, at least one element */
        char **env;  /* owned strv */
        char *cwd;   /* owned; absolute */
        bool terminal;
        uint32_t console_height, console_width; /* 0: not given */
        uint32_t uid, gid;
        bool has_umask;
        mode_t umask;
        gid_t *additional_gids; /* owned */
        size_t n_additional_gids;
        uint64_t caps[ENGINE_CAP_SET_COUNT]; /* bit N set: capability N in that set */
        struct engine_rlimit *rlimits;       /* owned */
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        char *apparmor_profile; /* owned; NULL when unset */
        char *selinux_label;    /* owned; NULL when unset */
};

struct engine_spec {
        json_t *json; /* owned: the whole document */
        char *oci_version;
        bool has_process;
        struct engine_process process;
        char *root_path; /* owned; relative to the bundle unless absolute */
        bool root_readonly;
        char *hostname;   /* owned; NULL when unset */
        char *domainname; /* owned; NULL when unset */
        struct engine_mount *mounts;
        size_t n_mounts;
        struct engine_namespace namespaces[ENGINE_NS_COUNT];
        struct engine_idmap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        char **masked_paths;           /* owned strv */
        char **readonly_paths;         /* owned strv */
        char *rootfs_propagation;      /* owned; NULL when unset */
        struct engine_device *devices; /* owned; linux.devices */
        size_t n_devices;
        int personality;    /* linux.personality as for personality(2); -1 when unset */
        bool has_resources; /* linux.resources is set: limits this release does not apply */
};

/*
 * Parse config.json text (buf, len; at most ENGINE_SPEC_MAX). Returns 0 with *ret owned by the
 * caller, or -EBADMSG / -EFBIG with err naming the field ("process.args: missing").
 */
int engine_spec_parse(const char *buf, size_t len, struct engine_spec **ret,
                      struct rctr_error *err);

/* Read and parse bundlefd/config.json. */
int engine_spec_load(int bundlefd, struct engine_spec **ret, struct rctr_error *err);

void engine_spec_free(struct engine_spec *spec);

static inline void engine_spec_freep(struct engine_spec **spec)
{
        engine_spec_free(*spec);
}

/* linux.KEY of the document (borrowed), or NULL. */
json_t *engine_spec_linux(const struct engine_spec *spec, const char *key);

/* "pid", "network", ... for messages. */
const char *engine_ns_name(enum engine_ns_type type);
