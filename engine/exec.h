/*
 * `rctr-oci exec`: run another process in a running container, in all of its namespaces, as
 * runc does: the runtime's own child, adopted by the caller's subreaper when detached.
 */
#pragma once

#include <stdbool.h>

struct engine_process;
struct engine_seccomp;
struct rctr_error;

struct engine_exec_opts {
        int state_rootfd;                     /* the runtime's state directory (--root) */
        const char *id;                       /* the container */
        const char *pid_file;                 /* NULL, or where to write the process's pid */
        const char *console_socket;           /* process->terminal: where the pty master goes */
        bool detach;                          /* return once the process runs */
        unsigned preserve_fds;                /* pass fds 3 .. 3+N-1 on */
        const struct engine_seccomp *seccomp; /* the container's filter; NULL: none */
};

/*
 * Start proc in container opts->id. Returns 0 (detached) or the process's exit status (128+N on
 * signal N); -errno with err set when it could not start (err->exit_status 126/127 when its
 * command could not be executed).
 */
int engine_exec(const struct engine_exec_opts *opts, const struct engine_process *proc,
                struct rctr_error *err);
