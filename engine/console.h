/*
 * A container's terminal: the pty is made inside the container (its own devpts), its master sent
 * to whoever runs the terminal (runc's --console-socket protocol: one fd with SCM_RIGHTS), or,
 * for `run` in the foreground without a socket, relayed by the runtime itself.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rctr_error;

/* Connect to the unix socket at path (a caller's --console-socket). Returns the fd or -errno. */
int engine_console_connect(const char *path, struct rctr_error *err);

/*
 * In the container's process, after its root is in place: open a pty from /dev/ptmx, size it,
 * hand the master to sock, and make the slave our controlling terminal and stdin/out/err (new
 * session). uid/gid: the process's user, who must own its terminal. Returns 0 or -errno.
 */
int engine_console_setup(int sock, uint32_t height, uint32_t width, uid_t uid, gid_t gid,
                         struct rctr_error *err);

/* Send fd over the unix socket sock (SCM_RIGHTS). */
int engine_console_send_fd(int sock, int fd, struct rctr_error *err);

/* Receive one fd sent with SCM_RIGHTS. Returns it (O_CLOEXEC) or -errno with err set. */
int engine_console_recv_fd(int sock, struct rctr_error *err);

/*
 * Foreground run with a terminal: relay our stdin/stdout to the pty master (our terminal in raw
 * mode, window size passed on) until the process pid exits; forward SIGINT/TERM/HUP/... to it.
 * Returns its exit status (128+N when killed by signal N) or -errno.
 */
int engine_console_relay(int master, pid_t pid, struct rctr_error *err);

/*
 * Before starting a process with a terminal: *ret_console is where it sends the pty master, the
 * caller's socket_path, or (in the foreground, socket_path NULL) one end of a socket pair whose
 * other end *ret_relay we receive it from to relay. detached_verb: the command returns before the
 * process ends ("create", "run --detach"), so a socket is required. Returns 0 or -errno.
 */
int engine_console_open(const char *socket_path, bool terminal, const char *detached_verb,
                        int *ret_console, int *ret_relay, struct rctr_error *err);

/* In the foreground: wait for pid, relaying its terminal when relay_fd >= 0. Its status or -errno.
 */
int engine_console_follow(pid_t pid, int relay_fd, struct rctr_error *err);
