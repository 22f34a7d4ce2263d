/* OCI mount options ("ro", "nosuid", "rbind", "mode=755", ...) to mount(2) flags and data. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rctr_error;

struct engine_mount_flags {
        unsigned long flags;         /* MS_RDONLY, MS_NOSUID, ... for the mount itself */
        unsigned long propagation;   /* MS_PRIVATE | MS_REC, ...: applied after it, or 0 */
        bool bind;                   /* bind or rbind */
        bool recursive;              /* rbind */
        bool tmpcopyup;              /* podman's: fill a new tmpfs with what it covers */
        bool recursive_attrs;        /* rro, rnosuid, ...: attr_set/attr_clr on the whole tree */
        uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) */
        char *data;                  /* owned: the filesystem's own options, comma separated */
};

/*
 * Split options (a NULL-terminated list) into flags and data. Unknown options are passed to
 * the filesystem as data, as runc does. Returns 0 (never fails but for allocation).
 */
void engine_mount_flags_parse(char *const *options, struct engine_mount_flags *ret);

void engine_mount_flags_clear(struct engine_mount_flags *f);

/* The option names understood as flags (for `rctr-oci features`). Returns a new JSON array. */
struct json_t;
struct json_t *engine_mount_option_names(void);
