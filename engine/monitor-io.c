/* The monitor's event loop (engine/monitor-io.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/log-writer.h"
#include "engine/monitor-io.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* A partial line waits this long for its newline before the log gets it as a P record. */
#define FLUSH_MS 1000

static void set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl >= 0)
                (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void monitor_io_add_client(struct monitor_io *io, int fd)
{
        if (io->n_clients == MONITOR_MAX_CLIENTS) {
                close_nointr(fd);
                return;
        }
        set_nonblock(fd);
        io->clients[io->n_clients++] = (struct monitor_client){.fd = fd};
}

static void drop_client(struct monitor_io *io, size_t i)
{
        close_nointr(io->clients[i].fd);
        free(io->clients[i].pending);
        io->clients[i] = io->clients[--io->n_clients];
}

static bool clients_pending(const struct monitor_io *io)
{
        for (size_t i = 0; i < io->n_clients; i++)
                if (io->clients[i].pending_len)
                        return true;
        return false;
}

/* Hand pkt to every client; what a full socket does not take waits in its pending slot. */
static void fan_out(struct monitor_io *io, const char *pkt, size_t len)
{
        for (size_t i = 0; i < io->n_clients;) {
                struct monitor_client *cl = &io->clients[i];
                ssize_t n = send(cl->fd, pkt, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                        cl->pending = xrealloc(cl->pending, len);
                        memcpy(cl->pending, pkt, len);
                        cl->pending_len = len;
                } else if (n < 0) {
                        drop_client(io, i);
                        continue;
                }
                i++;
        }
}

static void flush_client(struct monitor_io *io, size_t i)
{
        struct monitor_client *cl = &io->clients[i];
        ssize_t n = send(cl->fd, cl->pending, cl->pending_len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n >= 0)
                cl->pending_len = 0;
        else if (errno != EAGAIN && errno != EINTR)
                drop_client(io, i);
}

/* Read what fd has; returns false at EOF or error (then fd is closed and set to -1). */
static bool read_output(struct monitor_io *io, int *fd, char type)
{
        char pkt[1 + ENGINE_ATTACH_DATA_MAX];
        ssize_t n = RETRY_EINTR(read(*fd, pkt + 1, ENGINE_ATTACH_DATA_MAX));

        if (n < 0 && errno == EAGAIN)
                return true;
        if (n <= 0) {
                /* EOF, or EIO (POLLHUP) on a master whose last slave closed */
                closep(fd);
                return false;
        }
        if (io->log) {
                cleanup_error struct rctr_error ignored = {0};

                (void)engine_log_write(io->log,
                                       type == ENGINE_ATTACH_STDERR ? ENGINE_LOG_STDERR
                                                                    : ENGINE_LOG_STDOUT,
                                       pkt + 1, (size_t)n, &ignored);
        }
        pkt[0] = type;
        fan_out(io, pkt, (size_t)n + 1);
        return true;
}

static void write_stdin(struct monitor_io *io)
{
        ssize_t n = RETRY_EINTR(write(io->in_fd, io->in_pending + io->in_pending_off,
                                      io->in_pending_len - io->in_pending_off));

        if (n < 0 && errno == EAGAIN)
                return;
        if (n < 0) {
                io->in_pending_len = io->in_pending_off = 0; /* nobody reads it any more */
                return;
        }
        io->in_pending_off += (size_t)n;
        if (io->in_pending_off == io->in_pending_len)
                io->in_pending_len = io->in_pending_off = 0;
}

static void client_packet(struct monitor_io *io, size_t i)
{
        char pkt[1 + ENGINE_ATTACH_DATA_MAX];
        ssize_t n = RETRY_EINTR(recv(io->clients[i].fd, pkt, sizeof(pkt), MSG_DONTWAIT));
        uint16_t size[2];
        int32_t sig;

        if (n < 0 && errno == EAGAIN)
                return;
        if (n <= 0) {
                drop_client(io, i);
                return;
        }
        switch (pkt[0]) {
        case ENGINE_ATTACH_STDIN:
                if (io->in_fd < 0 || n == 1)
                        break;
                io->in_pending = xrealloc(io->in_pending, (size_t)n - 1);
                memcpy(io->in_pending, pkt + 1, (size_t)n - 1);
                io->in_pending_len = (size_t)n - 1;
                io->in_pending_off = 0;
                write_stdin(io);
                break;
        case ENGINE_ATTACH_STDIN_CLOSE:
                /* a pty has no end of input: only a pipe is closed */
                if (!io->tty)
                        closep(&io->in_fd);
                break;
        case ENGINE_ATTACH_RESIZE:
                if (io->tty && n == 1 + sizeof(size)) {
                        struct winsize ws = {0};

                        memcpy(size, pkt + 1, sizeof(size));
                        ws.ws_row = size[0];
                        ws.ws_col = size[1];
                        (void)ioctl(io->in_fd, TIOCSWINSZ, &ws);
                }
                break;
        case ENGINE_ATTACH_SIGNAL:
                if (n == 1 + sizeof(sig)) {
                        memcpy(&sig, pkt + 1, sizeof(sig));
                        if (sig > 0 && sig < 65 && !io->exited)
                                (void)kill(io->pid, sig);
                }
                break;
        default:
                break;
        }
}

static void reap(struct monitor_io *io)
{
        struct signalfd_siginfo si;
        int status;
        pid_t pid;

        while (read(io->sig_fd, &si, sizeof(si)) == sizeof(si))
                ;
        /* we are a subreaper: orphans of the container may land here too */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == io->pid) {
                        io->exited = true;
                        io->status = status;
                }
}

enum {
        P_SIG,
        P_LISTEN,
        P_OUT,
        P_ERR,
        P_IN,
        P_CLIENTS
};

static void poll_once(struct monitor_io *io)
{
        struct pollfd pfd[P_CLIENTS + MONITOR_MAX_CLIENTS];
        bool blocked = clients_pending(io);
        bool taking_input = io->in_pending_len == 0;
        bool partial = io->log && engine_log_writer_has_partial(io->log);
        size_t nc = io->n_clients;
        int n;

        pfd[P_SIG] = (struct pollfd){.fd = io->sig_fd, .events = POLLIN};
        pfd[P_LISTEN] = (struct pollfd){.fd = io->listen_fd, .events = POLLIN};
        pfd[P_OUT] = (struct pollfd){.fd = blocked ? -1 : io->out_fd, .events = POLLIN};
        pfd[P_ERR] = (struct pollfd){.fd = blocked ? -1 : io->err_fd, .events = POLLIN};
        pfd[P_IN] = (struct pollfd){.fd = taking_input ? -1 : io->in_fd, .events = POLLOUT};
        for (size_t i = 0; i < nc; i++)
                pfd[P_CLIENTS + i] = (struct pollfd){
                        .fd = io->clients[i].fd,
                        .events = (short)((taking_input ? POLLIN : 0) |
                                          (io->clients[i].pending_len ? POLLOUT : 0)),
                };
        n = poll(pfd, P_CLIENTS + nc, partial ? FLUSH_MS : -1);
        if (n == 0 && io->log) {
                cleanup_error struct rctr_error ignored = {0};

                (void)engine_log_writer_flush(io->log, &ignored);
                return;
        }
        if (n < 0)
                return;
        if (pfd[P_SIG].revents)
                reap(io);
        if (pfd[P_LISTEN].revents) {
                int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC);

                if (fd >= 0)
                        monitor_io_add_client(io, fd);
        }
        if (pfd[P_OUT].revents)
                (void)read_output(io, &io->out_fd, ENGINE_ATTACH_STDOUT);
        if (pfd[P_ERR].revents)
                (void)read_output(io, &io->err_fd, ENGINE_ATTACH_STDERR);
        if (pfd[P_IN].revents)
                write_stdin(io);
        /* backwards: dropping a client moves the last one into its slot */
        for (size_t i = nc; i-- > 0;) {
                short rev = pfd[P_CLIENTS + i].revents;

                if (i >= io->n_clients || !rev)
                        continue;
                if ((rev & POLLOUT) && io->clients[i].pending_len)
                        flush_client(io, i);
                else if (rev & (POLLIN | POLLHUP | POLLERR))
                        client_packet(io, i);
        }
}

/* After the exit: what the container wrote last, whatever the clients' pace. */
static void drain(struct monitor_io *io, int *fd, char type)
{
        for (int rounds = 0; *fd >= 0 && rounds < 4096; rounds++) {
                while (clients_pending(io)) {
                        struct pollfd p[MONITOR_MAX_CLIENTS];

                        for (size_t i = 0; i < io->n_clients; i++)
                                p[i] = (struct pollfd){.fd = io->clients[i].fd, .events = POLLOUT};
                        if (poll(p, io->n_clients, 5000) <= 0)
                                return;
                        for (size_t i = io->n_clients; i-- > 0;)
                                if (p[i].revents && io->clients[i].pending_len)
                                        flush_client(io, i);
                }
                struct pollfd pfd = {.fd = *fd, .events = POLLIN};

                if (poll(&pfd, 1, 0) != 1 || !read_output(io, fd, type))
                        return;
        }
}

void monitor_io_loop(struct monitor_io *io)
{
        if (io->out_fd >= 0)
                set_nonblock(io->out_fd);
        if (io->err_fd >= 0)
                set_nonblock(io->err_fd);
        if (io->in_fd >= 0)
                set_nonblock(io->in_fd);
        while (!io->exited)
                poll_once(io);
        drain(io, &io->out_fd, ENGINE_ATTACH_STDOUT);
        drain(io, &io->err_fd, ENGINE_ATTACH_STDERR);
}

void monitor_io_goodbye(struct monitor_io *io, int exit_code)
{
        int32_t code = exit_code;
        char pkt[1 + sizeof(code)] = {ENGINE_ATTACH_EXIT};

        memcpy(pkt + 1, &code, sizeof(code));
        for (size_t i = io->n_clients; i-- > 0;) {
                struct pollfd p = {.fd = io->clients[i].fd, .events = POLLOUT};

                if (io->clients[i].pending_len && poll(&p, 1, 5000) == 1)
                        flush_client(io, i);
        }
        for (size_t i = io->n_clients; i-- > 0;) {
                struct pollfd p = {.fd = io->clients[i].fd, .events = POLLOUT};

                if (poll(&p, 1, 5000) == 1)
                        (void)send(io->clients[i].fd, pkt, sizeof(pkt), MSG_NOSIGNAL);
                drop_client(io, i);
        }
}
