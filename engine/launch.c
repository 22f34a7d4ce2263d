#include <config.h>
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

/* What a process reports when its setup fails (success: the socket closes at exec). */
struct launch_failure {
        int32_t code;
        int32_t exit_status;
        char msg[1024];
};

static volatile pid_t forward_to;
static volatile int *winch_flag;

void engine_launch_fail(int sync_fd, const struct rctr_error *err)
{
        struct launch_failure f = {0};

        f.code = err->code ? err->code : EIO;
        f.exit_status = err->exit_status;
        snprintf(f.msg, sizeof(f.msg), "%s", err->msg ? err->msg : "container setup failed");
        /* after create returned nobody reads this: no SIGPIPE for the init */
        (void)send(sync_fd, &f, sizeof(f), MSG_NOSIGNAL);
        _exit(err->exit_status ? err->exit_status : 1);
}

int engine_launch_send_ready(int sync_fd, struct rctr_error *err)
{
        if (send(sync_fd, "r", 1, MSG_NOSIGNAL) != 1)
                return rctr_error_sys(err, errno, "report ready");
        return 0;
}

int engine_launch_await(int sync_fd, pid_t pid, struct rctr_error *err)
{
        struct launch_failure f;
        ssize_t n = RETRY_EINTR(read(sync_fd, &f, sizeof(f)));

        if (n == 0 || (n == 1 && ((char *)&f)[0] == 'r'))
                return 0;
        if (n == 1 && ((char *)&f)[0] == 'h')
                return 1;
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        if (n != (ssize_t)sizeof(f))
                return rctr_error_set(err, EIO, "container process exited during setup");
        f.msg[sizeof(f.msg) - 1] = '\0';
        err->exit_status = f.exit_status;
        return rctr_error_set(err, f.code, "%s", f.msg);
}

int engine_launch_write_pid_file(const char *path, pid_t pid, struct rctr_error *err)
{
        cleanup_free char *dir = xstrdup(path), *text = xasprintf("%d", (int)pid);
        char *slash = strrchr(dir, '/');
        const char *name = slash ? slash + 1 : path;
        cleanup_close int dirfd = -1;

        if (slash)
                *slash = '\0';
        dirfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open directory of pid file %s", path);
        return fs_write_atomic_at(dirfd, name, text, strlen(text), 0644, err);
}

static void forward_signal(int sig)
{
        if (sig == SIGWINCH) {
                if (winch_flag)
                        *winch_flag = 1;
                return;
        }
        if (forward_to > 0)
                (void)kill(forward_to, sig);
}

void engine_launch_forward_signals(pid_t pid, volatile int *winch)
{
        static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

        forward_to = pid;
        winch_flag = winch;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                (void)sigaction(forwarded[i], &sa, NULL);
        if (winch)
                (void)sigaction(SIGWINCH, &sa, NULL);
}

int engine_launch_exit_code(int status)
{
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int engine_launch_wait(pid_t pid, struct rctr_error *err)
{
        int status;

        engine_launch_forward_signals(pid, NULL);
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for container process %d", (int)pid);
        forward_to = 0;
        return engine_launch_exit_code(status);
}

void engine_launch_kill(pid_t pid)
{
        (void)kill(pid, SIGKILL);
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
}

int engine_launch_pass_fds(unsigned preserve_fds, struct rctr_error *err)
{
        for (unsigned fd = 3; fd < 3 + preserve_fds; fd++)
                if (fcntl((int)fd, F_SETFD, 0) < 0)
                        return rctr_error_sys(err, errno, "pass fd %u (--preserve-fds)", fd);
        if (syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "mark fds close-on-exec");
        return 0;
}
