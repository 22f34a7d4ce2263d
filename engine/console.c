#include <config.h>
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "launch.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"

int engine_console_connect(const char *path, struct rctr_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_close int fd = -1;

        if (strlen(path) >= sizeof(addr.sun_path))
                return rctr_error_set(err, ENAMETOOLONG, "console socket %s: path too long", path);
        memcpy(addr.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return rctr_error_sys(err, errno, "create socket");
        if (RETRY_EINTR(connect(fd, (struct sockaddr *)&addr, sizeof(addr))) < 0)
                return rctr_error_sys(err, errno, "connect to console socket %s", path);
        return TAKE_FD(fd);
}

int engine_console_send_fd(int sock, int fd, struct rctr_error *err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {0};
        /* runc sends the pty's name as the payload; callers (conmon) ignore it, but need a byte */
        char name[] = "/dev/ptmx";
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        if (RETRY_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
                return rctr_error_sys(err, errno, "send the terminal to the console socket");
        return 0;
}

int engine_console_recv_fd(int sock, struct rctr_error *err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = {0};
        char name[256];
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        struct cmsghdr *cmsg;
        int fd;

        if (RETRY_EINTR(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
                return rctr_error_sys(err, errno, "receive the terminal");
        cmsg = CMSG_FIRSTHDR(&msg);
        if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
                return rctr_error_set(err, EBADMSG, "receive the terminal: no fd was sent");
        memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
        return fd;
}

static int console_open_pty(int *ret_master, int *ret_slave, struct rctr_error *err)
{
        cleanup_close int master = -1, slave = -1;
        int unlock = 0;

        /* the container's /dev/ptmx: the pty belongs to its own devpts instance */
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return rctr_error_sys(err, errno, "open /dev/ptmx in the container");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return rctr_error_sys(err, errno, "unlock the pty");
        /* TIOCGPTPEER (Linux 4.13) opens the peer without a path lookup that could be raced */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return rctr_error_sys(err, errno, "open the pty's terminal");
        *ret_master = TAKE_FD(master);
        *ret_slave = TAKE_FD(slave);
        return 0;
}

int engine_console_setup(int sock, uint32_t height, uint32_t width, uid_t uid, gid_t gid,
                         struct rctr_error *err)
{
        cleanup_close int master = -1, slave = -1;
        int r = console_open_pty(&master, &slave, err);

        if (r < 0)
                return r;
        if (height && width) {
                struct winsize ws = {.ws_row = (unsigned short)height,
                                     .ws_col = (unsigned short)width};

                if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
                        return rctr_error_sys(err, errno, "set the terminal size");
        }
        /* the process's user must own its terminal, as after a login (EPERM: unmapped ids) */
        if (fchown(slave, uid, gid) < 0 && errno != EPERM && errno != EINVAL)
                return rctr_error_sys(err, errno, "give the terminal to %u:%u", uid, gid);
        r = engine_console_send_fd(sock, master, err);
        if (r < 0)
                return r;
        /* a new session whose controlling terminal is the pty: ^C reaches the container */
        if (setsid() < 0 && errno != EPERM) /* EPERM: already a session leader */
                return rctr_error_sys(err, errno, "start a new session");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return rctr_error_sys(err, errno, "make the pty the controlling terminal");
        for (int fd = 0; fd <= 2; fd++)
                if (dup2(slave, fd) < 0)
                        return rctr_error_sys(err, errno, "use the pty as fd %d", fd);
        return 0;
}

int engine_console_open(const char *socket_path, bool terminal, const char *detached_verb,
                        int *ret_console, int *ret_relay, struct rctr_error *err)
{
        int sv[2];

        if (socket_path && !terminal)
                return rctr_error_set(err, EINVAL,
                                      "--console-socket given but the process has no terminal "
                                      "(process.terminal is false)");
        if (!terminal)
                return 0;
        if (socket_path) {
                *ret_console = engine_console_connect(socket_path, err);
                return *ret_console < 0 ? *ret_console : 0;
        }
        if (detached_verb)
                return rctr_error_set(err, EINVAL,
                                      "the process has a terminal: %s needs --console-socket to "
                                      "hand it to (or set process.terminal to false)",
                                      detached_verb);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "create socket pair");
        *ret_relay = sv[0];
        *ret_console = sv[1];
        return 0;
}

int engine_console_follow(pid_t pid, int relay_fd, struct rctr_error *err)
{
        cleanup_close int master = -1;

        if (relay_fd < 0)
                return engine_launch_wait(pid, err);
        master = engine_console_recv_fd(relay_fd, err);
        if (master < 0) {
                engine_launch_kill(pid);
                return master;
        }
        return engine_console_relay(master, pid, err);
}

/* ---- the foreground relay ---- */

static void copy_winsize(int from, int to)
{
        struct winsize ws;

        /* 0x0 means unknown (e.g. under script(1)): keep what process.consoleSize set */
        if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
                (void)ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what poll said is readable on from to to. Returns bytes moved, 0 at EOF or error. */
static ssize_t relay_chunk(int from, int to)
{
        char buf[16384];
        ssize_t n = RETRY_EINTR(read(from, buf, sizeof(buf)));

        if (n <= 0)
                return 0; /* EIO on the master: the last terminal end closed */
        if (fs_write_all(to, buf, (size_t)n) < 0)
                return 0;
        return n;
}

static bool readable_now(int fd)
{
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        return poll(&pfd, 1, 0) == 1;
}

struct relay {
        int master, pidfd;
        bool stdin_open, master_open;
        volatile int winch;
};

static void relay_loop(struct relay *rl, const sigset_t *waitmask)
{
        for (;;) {
                struct pollfd pfd[3] = {
                        {.fd = rl->pidfd, .events = POLLIN},
                        {.fd = rl->master_open ? rl->master : -1, .events = POLLIN},
                        {.fd = rl->stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                };

                if (rl->winch) {
                        rl->winch = 0;
                        copy_winsize(STDIN_FILENO, rl->master);
                }
                if (ppoll(pfd, 3, NULL, waitmask) < 0)
                        continue; /* EINTR: a signal was forwarded, or the window changed */
                if (pfd[1].revents && relay_chunk(rl->master, STDOUT_FILENO) == 0)
                        rl->master_open = false;
                /* at EOF of stdin the terminal stays open, as with runc: a pty has no EOF */
                if (pfd[2].revents && relay_chunk(STDIN_FILENO, rl->master) == 0)
                        rl->stdin_open = false;
                if (pfd[0].revents)
                        break;
        }
        /* the process is gone: pass on what it wrote last */
        while (rl->master_open && readable_now(rl->master) &&
               relay_chunk(rl->master, STDOUT_FILENO) > 0)
                ;
}

int engine_console_relay(int master, pid_t pid, struct rctr_error *err)
{
        struct relay rl = {.master = master, .stdin_open = true, .master_open = true};
        struct termios saved, raw;
        bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
        sigset_t block, waitmask;
        int status;

        rl.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (rl.pidfd < 0)
                return rctr_error_sys(err, errno, "watch container process %d", (int)pid);
        if (restore) {
                /* keys go to the container's terminal unprocessed: it echoes and handles ^C */
                raw = saved;
                cfmakeraw(&raw);
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &raw);
                copy_winsize(STDIN_FILENO, master);
        }
        sigemptyset(&block);
        sigaddset(&block, SIGWINCH);
        sigprocmask(SIG_BLOCK, &block, &waitmask);
        sigdelset(&waitmask, SIGWINCH);
        engine_launch_forward_signals(pid, &rl.winch);
        relay_loop(&rl, &waitmask);
        if (restore)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        close_nointr(rl.pidfd);
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for container process %d", (int)pid);
        return engine_launch_exit_code(status);
}
