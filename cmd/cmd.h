/* What every command gets: the global options and the command table. */
#pragma once

#include <stdbool.h>

#include "lib/log.h"

struct rctr_error;

/* Global options (rctr --root ... COMMAND), also accepted after the command name. */
struct cmd_global {
        char *root;           /* owned: --root, or the default store */
        char *runroot;        /* owned: --runroot, or the default state directory */
        char *runtime_dir;    /* owned: the user's runtime directory (pause.pid lives below it) */
        char *storage_driver; /* owned: --storage-driver, or NULL: the store's own */
        bool rootless;        /* not real root */
};

/*
 * A command: returns its exit status (>= 0) or -errno with err set; main() prints the error and
 * maps it to 125/126/127. argv[0] is the command name.
 */
typedef int (*cmd_fn)(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);

struct cmd_def {
        const char *name;
        cmd_fn fn;
        const char *summary;
};

/* main()'s argv, for cmd_full. */
extern char **cmd_main_argv;

/* Exec rctr-full with main()'s command line (the commands the lean rctr does not have). */
int cmd_full(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);

/*
 * Run rctr-full with args (args[0] its name) as a child with our stdin and stderr (its stdout
 * goes to /dev/null), and wait. Returns 0, or
 * -EIO with err->reported (it printed its error) and err->exit_status its status.
 */
int cmd_full_run(char *const *args, struct rctr_error *err);

/* The command table, NULL-name terminated, in the order `rctr --help` lists it. */
extern const struct cmd_def cmd_table[];
const struct cmd_def *cmd_find(const char *name);

/* rctr's own --help: usage, the command table, the global options. */
void cmd_main_usage(void);

/* Join the user's rootless namespace (see rootless/rootless.h) for commands that need it. */
int cmd_enter_userns(struct cmd_global *g, struct rctr_error *err);

/* Version facts shared by `rctr version` and `rctr info`. Returns a new reference. */
struct json_t;
struct json_t *cmd_version_json(void);

int cmd_oci(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_image(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_image_mount(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_image_unmount(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_images(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_inspect(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_login(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_logout(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_pull(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_save(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_load(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_import(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_rmi(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_system(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_tag(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_untag(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_unshare(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_info(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_version(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_volume(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_run(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_create(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_start(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_stop(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_kill(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_wait(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_rm(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_restart(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_logs(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_exec(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_attach(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_ps(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_help(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_container(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_cp(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_diff(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_export(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_pause(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_unpause(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_port(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_rename(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
int cmd_top(struct cmd_global *g, int argc, char **argv, struct rctr_error *err);
