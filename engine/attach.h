/*
 * Attaching to a container: the monitor serves a SOCK_SEQPACKET unix socket
 * (<runroot>/containers/<id>/attach); each packet is one type byte and its payload.
 *   monitor -> client: 'o' stdout bytes, 'e' stderr bytes, 'x' exit (int32 exit code, -1
 *                      unknown; sent after the monitor cleaned up, last packet)
 *   client -> monitor: 'i' stdin bytes, 'c' stdin closed, 'w' window size (two uint16: rows,
 *                      columns), 'k' a signal for the container (int32)
 * The foreground `rctr run` gets a connected socket from the monitor's birth, so it loses no
 * output; `rctr attach` and `start -a` connect later.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

struct rctr_error;

enum {
        ENGINE_ATTACH_STDOUT = 'o',
        ENGINE_ATTACH_STDERR = 'e',
        ENGINE_ATTACH_EXIT = 'x',
        ENGINE_ATTACH_STDIN = 'i',
        ENGINE_ATTACH_STDIN_CLOSE = 'c',
        ENGINE_ATTACH_RESIZE = 'w',
        ENGINE_ATTACH_SIGNAL = 'k',
};

/* Largest payload of a packet. */
#define ENGINE_ATTACH_DATA_MAX (32 * 1024)

/* The socket's name in the container's run directory. */
#define ENGINE_ATTACH_SOCKET "attach"

/*
 * Bind (listen) or connect to the socket dirfd/ENGINE_ATTACH_SOCKET; through /proc/self/fd so
 * that a long --runroot never meets sun_path's 108 bytes. Return the fd or -errno.
 */
int engine_attach_listen(int dirfd, struct rctr_error *err);
int engine_attach_connect(int dirfd, struct rctr_error *err);

/* Send one packet (blocking). Returns 0 or -errno. */
int engine_attach_send(int fd, char type, const void *data, size_t len);

/* What the client side does while attached. */
struct engine_attach_opts {
        bool stdin;              /* forward our stdin (-i) */
        bool tty;                /* our stdin is the user's terminal: raw mode, size, detach keys */
        const char *detach_keys; /* bytes that detach (ctrl-p,ctrl-q parsed); "" none */
        size_t detach_keys_len;
        bool sig_proxy; /* forward SIGINT, SIGTERM, ... to the container */
};

/*
 * Relay between the socket and our stdio until the monitor says the container exited
 * (*ret_exit_code: 0..255, or -1 when unknown), or the user typed the detach keys
 * (*ret_detached). Returns 0, or -EPIPE with err set when the monitor went away without a word.
 */
int engine_attach_relay(int sock, const struct engine_attach_opts *o, int *ret_exit_code,
                        bool *ret_detached, struct rctr_error *err);

/* Block the signals the relay forwards (sig_proxy), saving the mask in *old. */
void engine_attach_block_signals(sigset_t *old);

/*
 * Parse --detach-keys ("ctrl-p,ctrl-q", "a,b", "" for none) into bytes. Returns the count
 * (at most size) or -EINVAL with err set.
 */
int engine_attach_parse_keys(const char *text, char *out, size_t size, struct rctr_error *err);
