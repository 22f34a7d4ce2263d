/*
 * The handshake between the runtime and a process it starts in a container (the init of `create`
 * and `run`, or an `exec`'d process): the process reports a setup failure over a SEQPACKET socket,
 * or closes it by exec (close-on-exec) or says "ready" with one byte; the runtime waits for that,
 * writes the pid file, and in the foreground waits for the process, forwarding signals.
 */
#pragma once

#include <sys/types.h>

struct rctr_error;

/* In the process: report err to the runtime, then _exit (126/127 from err, else 1). */
void __attribute__((noreturn)) engine_launch_fail(int sync_fd, const struct rctr_error *err);

/* In the process: tell the runtime we wait for start (create). */
int engine_launch_send_ready(int sync_fd, struct rctr_error *err);

/*
 * In the runtime: wait until the process exec'd (EOF), is ready (a single 'r'), waits at its hook
 * point (a single 'h': returns 1), or failed (its report becomes err, with its exit status; the
 * process is reaped). Returns 0, 1 or -errno.
 */
int engine_launch_await(int sync_fd, pid_t pid, struct rctr_error *err);

/* Write pid to path atomically: callers poll for the file, it appears whole. */
int engine_launch_write_pid_file(const char *path, pid_t pid, struct rctr_error *err);

/*
 * Forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 (and SIGWINCH when winch is not
 * NULL: it is set instead) to pid while we wait for it.
 */
void engine_launch_forward_signals(pid_t pid, volatile int *winch);

/* Wait for our child pid, forwarding signals. Returns its status (128+N on signal N) or -errno. */
int engine_launch_wait(pid_t pid, struct rctr_error *err);

/* The shell's convention for a wait status: the exit code, or 128+N when killed by signal N. */
int engine_launch_exit_code(int status);

/* Kill and reap our child that is stopped half-way. */
void engine_launch_kill(pid_t pid);

/*
 * In the process, last before exec: the caller's fds 3 .. 3+N-1 (--preserve-fds N) go on to the
 * command; every other fd from 3 up is closed at exec, whoever opened it.
 */
int engine_launch_pass_fds(unsigned preserve_fds, struct rctr_error *err);
