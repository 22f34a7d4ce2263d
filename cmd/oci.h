/* Shared by the rctr oci verbs (cmd/oci.c, cmd/oci-state.c). */
#pragma once

#include <stdbool.h>

struct cmd_global;
struct rctr_error;

/* runc's global options. */
struct oci_global {
        struct cmd_global *g;   /* rctr's: runtime directory, rootless */
        const char *state_root; /* borrowed from argv; NULL = the default */
        const char *log_path;   /* borrowed; NULL = stderr only */
        bool log_json;
        bool systemd_cgroup; /* accepted; honoured once cgroups are managed */
};

/* Open the state root: --root, else /run/rctr-oci (root) or $XDG_RUNTIME_DIR/rctr-oci. */
int oci_state_root_open(const struct oci_global *og, struct rctr_error *err);

/* The one container id operand of argv at optind. Returns it or NULL with err set. */
const char *oci_id_operand(int argc, char **argv, int optind, const char *usage,
                           struct rctr_error *err);

/* --preserve-fds N: a count whose fds 3 .. 3+N-1 are all open. */
int oci_parse_preserve_fds(const char *value, unsigned *ret, struct rctr_error *err);

int oci_exec(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_pause(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_resume(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_update(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_start(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_state(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_kill(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_delete(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_ps(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
int oci_list(struct oci_global *og, int argc, char **argv, struct rctr_error *err);
