/* The attach socket's protocol (engine/attach.h), and the client's relay of our stdio. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "engine/attach.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"

static int socket_at(int dirfd, bool listen_, struct rctr_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        int r;

        if (fd < 0)
                return rctr_error_sys(err, errno, "create attach socket");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd,
                 ENGINE_ATTACH_SOCKET);
        if (listen_) {
                (void)unlinkat(dirfd, ENGINE_ATTACH_SOCKET, 0);
                r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
                if (r == 0)
                        r = listen(fd, 16);
        } else {
                r = RETRY_EINTR(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
        }
        if (r < 0)
                return rctr_error_sys(err, errno, "%s the container's attach socket",
                                      listen_ ? "bind" : "connect to");
        return TAKE_FD(fd);
}

int engine_attach_listen(int dirfd, struct rctr_error *err)
{
        return socket_at(dirfd, true, err);
}

int engine_attach_connect(int dirfd, struct rctr_error *err)
{
        return socket_at(dirfd, false, err);
}

int engine_attach_send(int fd, char type, const void *data, size_t len)
{
        char pkt[1 + ENGINE_ATTACH_DATA_MAX];
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};

        if (len > ENGINE_ATTACH_DATA_MAX)
                return -EMSGSIZE;
        pkt[0] = type;
        if (len)
                memcpy(pkt + 1, data, len);
        for (;;) {
                ssize_t n = send(fd, pkt, len + 1, MSG_NOSIGNAL);

                if (n >= 0)
                        return 0;
                if (errno == EAGAIN)
                        (void)poll(&pfd, 1, -1);
                else if (errno != EINTR)
                        return -errno;
        }
}

int engine_attach_parse_keys(const char *text, char *out, size_t size, struct rctr_error *err)
{
        size_t n = 0;
        const char *p = text;

        while (*p) {
                size_t len = strcspn(p, ",");
                char key;

                if (len == 1)
                        key = p[0];
                else if (len == 6 && strncmp(p, "ctrl-", 5) == 0 && p[5] >= 'a' && p[5] <= 'z')
                        key = (char)(p[5] - 'a' + 1);
                else if (len == 6 && strncmp(p, "ctrl-", 5) == 0 && strchr("@[\\]^_", p[5]))
                        key = (char)(p[5] ^ 0x40);
                else
                        return rctr_error_set(err, EINVAL,
                                              "invalid --detach-keys %s: use a comma-separated "
                                              "list of letters or ctrl-<letter> (ctrl-p,ctrl-q)",
                                              text);
                if (n == size)
                        return rctr_error_set(err, EINVAL, "--detach-keys %s: too many keys", text);
                out[n++] = key;
                p += len;
                if (*p == ',')
                        p++;
        }
        return (int)n;
}

struct relay {
        int sock, sigfd;
        const struct engine_attach_opts *o;
        bool stdin_open;
        size_t matched; /* how many of the detach keys the last input ended with */
        bool detached;
        int exit_code;
        bool exited;
};

static void send_winsize(struct relay *rl)
{
        struct winsize ws;
        uint16_t size[2];

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
                return;
        size[0] = ws.ws_row;
        size[1] = ws.ws_col;
        (void)engine_attach_send(rl->sock, ENGINE_ATTACH_RESIZE, size, sizeof(size));
}

/* Input from the user, with the detach keys taken out (held back while they may be typed). */
static int relay_stdin(struct relay *rl)
{
        char in[4096], out[4096 + 16];
        ssize_t n = RETRY_EINTR(read(STDIN_FILENO, in, sizeof(in)));
        const char *keys = rl->o->detach_keys;
        size_t nkeys = rl->o->tty ? rl->o->detach_keys_len : 0, m = 0;

        if (n <= 0) {
                rl->stdin_open = false;
                return engine_attach_send(rl->sock, ENGINE_ATTACH_STDIN_CLOSE, NULL, 0);
        }
        for (ssize_t i = 0; i < n; i++) {
                if (nkeys && in[i] == keys[rl->matched]) {
                        if (++rl->matched == nkeys) {
                                rl->detached = true;
                                return 0;
                        }
                        continue;
                }
                /* not the sequence after all: what was held back is input */
                memcpy(out + m, keys, rl->matched);
                m += rl->matched;
                rl->matched = 0;
                if (nkeys && in[i] == keys[0]) {
                        rl->matched = 1;
                        continue;
                }
                out[m++] = in[i];
        }
        return m ? engine_attach_send(rl->sock, ENGINE_ATTACH_STDIN, out, m) : 0;
}

static int relay_socket(struct relay *rl)
{
        char pkt[1 + ENGINE_ATTACH_DATA_MAX];
        ssize_t n = RETRY_EINTR(recv(rl->sock, pkt, sizeof(pkt), 0));
        int32_t code;

        if (n <= 0)
                return -EPIPE;
        switch (pkt[0]) {
        case ENGINE_ATTACH_STDOUT:
                (void)fs_write_all(STDOUT_FILENO, pkt + 1, (size_t)n - 1);
                break;
        case ENGINE_ATTACH_STDERR:
                (void)fs_write_all(STDERR_FILENO, pkt + 1, (size_t)n - 1);
                break;
        case ENGINE_ATTACH_EXIT:
                if (n == 1 + sizeof(code)) {
                        memcpy(&code, pkt + 1, sizeof(code));
                        rl->exit_code = code;
                        rl->exited = true;
                }
                break;
        default:
                break; /* a later monitor's packet: skip */
        }
        return 0;
}

static int relay_signal(struct relay *rl)
{
        struct signalfd_siginfo si;
        int32_t sig;

        if (RETRY_EINTR(read(rl->sigfd, &si, sizeof(si))) != sizeof(si))
                return 0;
        if (si.ssi_signo == SIGWINCH) {
                send_winsize(rl);
                return 0;
        }
        sig = (int32_t)si.ssi_signo;
        return engine_attach_send(rl->sock, ENGINE_ATTACH_SIGNAL, &sig, sizeof(sig));
}

static int relay_loop(struct relay *rl)
{
        while (!rl->detached) {
                struct pollfd pfd[3] = {
                        {.fd = rl->sock, .events = POLLIN},
                        {.fd = rl->stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                        {.fd = rl->sigfd, .events = POLLIN},
                };
                int r = 0;

                if (RETRY_EINTR(poll(pfd, 3, -1)) < 0)
                        return -errno;
                if (pfd[0].revents) {
                        r = relay_socket(rl);
                        if (r < 0)
                                return rl->exited ? 0 : r; /* EOF after the exit: done */
                }
                if (r >= 0 && pfd[1].revents)
                        r = relay_stdin(rl);
                if (r >= 0 && pfd[2].revents)
                        r = relay_signal(rl);
                if (r < 0 && r != -EPIPE)
                        return r;
        }
        return 0;
}

static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void engine_attach_block_signals(sigset_t *old)
{
        sigset_t mask;

        sigemptyset(&mask);
        for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
                sigaddset(&mask, proxied[i]);
        sigprocmask(SIG_BLOCK, &mask, old);
        /* an ignored signal is dropped, never pending: a background job of a script has SIGINT
         * ignored, bats ignores SIGTERM; blocked, the default action cannot hit us */
        for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
                signal(proxied[i], SIG_DFL);
}

int engine_attach_relay(int sock, const struct engine_attach_opts *o, int *ret_exit_code,
                        bool *ret_detached, struct rctr_error *err)
{
        struct relay rl = {.sock = sock, .sigfd = -1, .o = o, .stdin_open = o->stdin};
        struct termios saved, raw;
        bool restore = false;
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        if (o->sig_proxy)
                for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
                        sigaddset(&mask, proxied[i]);
        if (o->tty)
                sigaddset(&mask, SIGWINCH);
        sigprocmask(SIG_BLOCK, &mask, &old);
        for (size_t i = 0; o->sig_proxy && i < ARRAY_SIZE(proxied); i++)
                signal(proxied[i], SIG_DFL); /* as engine_attach_block_signals() says */
        rl.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (o->tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
                /* keys go to the container's terminal unprocessed: it echoes and handles ^C */
                raw = saved;
                cfmakeraw(&raw);
                restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
                send_winsize(&rl);
        }
        r = relay_loop(&rl);
        if (restore)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (rl.sigfd >= 0)
                close_nointr(rl.sigfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        *ret_detached = rl.detached;
        *ret_exit_code = rl.exit_code;
        if (rl.detached)
                return 0;
        if (r < 0 && !rl.exited)
                return rctr_error_set(err, -r,
                                      "the container's monitor went away (see rctr ps -a)");
        return 0;
}
