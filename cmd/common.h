/* What every command shares, in rctr and rctr-oci: start-up, global defaults, exit codes. */
#pragma once

struct cmd_global;
struct rctr_error;

/* fds 0-2 open (never handed out as our own), JSON allocation through xmalloc. */
void cmd_startup(void);

/* An exec'd process gets fds 0-2 as it expects them: never hand out 0-2 as our own fds. */
void cmd_startup_std_fds(void);

/* Fill the defaults of g: rootless or not, the runtime dir, the store and state dirs. */
int cmd_global_defaults(struct cmd_global *g, struct rctr_error *err);

void cmd_global_clear(struct cmd_global *g);

/* The store's path (--root or the default), or NULL with err set when there is none. */
const char *cmd_global_store(const struct cmd_global *g, struct rctr_error *err);

/* 125 for our own failures; 126/127 when the command to run could not be executed. */
int cmd_exit_code(const struct rctr_error *err);
