/*
 * The monitor's event loop: the container's output (pipes or its pty master) goes to the log and
 * to every attached client; the clients' input goes to the container's stdin. Output is read
 * only while every client has taken the last chunk, so a slow client slows the container down
 * instead of losing output (as an attached docker client does); input is read from clients only
 * while the container has taken the last. Nothing polls on a timer unless a partial log line
 * waits to be flushed.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct engine_log_writer;

#define MONITOR_MAX_CLIENTS 32

struct monitor_client {
        int fd;
        char *pending; /* a packet the socket did not take yet */
        size_t pending_len;
};

struct monitor_io {
        int out_fd, err_fd; /* the container's stdout and stderr (pipes), or the pty master in
                               out_fd; -1 when closed or not ours */
        int in_fd;          /* its stdin (a pipe's write end or the master), -1: none */
        bool tty;
        int listen_fd; /* the attach socket */
        int sig_fd;    /* signalfd for SIGCHLD */
        pid_t pid;     /* the container's init */
        struct engine_log_writer *log;
        char *in_pending; /* client input the container did not take yet */
        size_t in_pending_len, in_pending_off;
        struct monitor_client clients[MONITOR_MAX_CLIENTS];
        size_t n_clients;
        bool exited;
        int status; /* its wait status once exited */
};

/* Take an accepted or inherited client socket (made non-blocking). */
void monitor_io_add_client(struct monitor_io *io, int fd);

/* Run until the container's init exits and its output is drained. */
void monitor_io_loop(struct monitor_io *io);

/* Send the exit packet to every client (blocking, at most a few seconds each) and close them. */
void monitor_io_goodbye(struct monitor_io *io, int exit_code);
