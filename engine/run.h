/*
 * Creating and running containers from a bundle: `rctr-oci create` (init set up, blocked before
 * exec until start) and `run` in the foreground.
 */
#pragma once

#include <stdbool.h>

struct engine_spec;
struct rctr_error;

struct engine_run_opts {
        const char *id;             /* the container id (validated) */
        const char *bundle;         /* absolute path of the bundle directory */
        const char *pid_file;       /* NULL, or where to write the container's pid */
        int state_rootfd;           /* the runtime's state directory (--root) */
        bool create_only;           /* create: leave the init blocked before exec and return */
        bool keep;                  /* run: keep the state after the container exits */
        bool detach;                /* run: return once the command runs (the caller reaps it) */
        bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root (root on a ramfs) */
        unsigned preserve_fds;      /* pass the caller's fds 3 .. 3+N-1 on to the command */
        const char *console_socket; /* process.terminal: send the pty master to this socket */
        int console_fd;             /* or to this connected socket (rctr's monitor); -1: none */
        bool host_ids;              /* mappings name ids of the host, not of our namespace: we
                                       joined rctr's user namespace, translate them into it */
};

/*
 * Clone the container's init into the namespaces spec asks for, map its ids, set up its mounts
 * and process, and record its state under opts->state_rootfd/ID. create_only: return 0 once it
 * waits before exec; detach: once it runs its command. Else wait for it (relaying its terminal
 * when it has one and there is no console socket) and return its exit status (128+N when killed
 * by signal N), forwarding our signals to it, and remove its state unless keep. Returns -errno with
 * err set when it could not be started (err->exit_status 126/127 when its command could not be
 * executed); nothing of it is left behind then.
 */
int engine_run(const struct engine_run_opts *opts, const struct engine_spec *spec,
               struct rctr_error *err);

/*
 * Let a created container's init go on to exec its command (runtime-spec "start"): it is blocked
 * opening exec.fifo until we open and read it. Returns 0 or -errno with err set.
 */
int engine_start(int state_rootfd, const char *id, struct rctr_error *err);
