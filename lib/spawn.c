#include <config.h>
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "xalloc.h"

/* Helpers we run are setuid or privileged: give them a known environment, not the user's. */
static char env_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lc[] = "LC_ALL=C";
static char *const helper_env[] = {env_path, env_lc, NULL};

void spawn_close_from(int lowfd)
{
#ifdef SYS_close_range
        if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
                return;
#endif
        for (int fd = lowfd; fd < 1024; fd++)
                close_nointr(fd);
}

static void __attribute__((noreturn)) child_fail(int status_fd)
{
        int code = errno;

        (void)!write(status_fd, &code, sizeof(code));
        _exit(127);
}

/* Between fork and exec: async-signal-safe calls only. Reports errno over status_fd. */
static void __attribute__((noreturn))
spawn_child(char *const argv[], int null_fd, int err_fd, int status_fd)
{
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
            dup2(err_fd, STDERR_FILENO) < 0)
                child_fail(status_fd);
        /* status_fd is O_CLOEXEC: move it above stdio and keep it, close everything else. */
        if (status_fd != 3 && dup3(status_fd, 3, O_CLOEXEC) < 0)
                child_fail(status_fd);
        spawn_close_from(4);
        execve(argv[0], argv, helper_env);
        child_fail(3);
}

int spawn_run(char *const argv[], struct buf *err_out, struct rctr_error *err)
{
        cleanup_close int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        cleanup_close int err_r = -1, err_w = -1, st_r = -1, st_w = -1;
        int fds[2], status, code = 0;
        char chunk[512];
        ssize_t n;
        pid_t pid;

        if (null_fd < 0)
                return rctr_error_sys(err, errno, "open /dev/null");
        if (pipe2(fds, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        err_r = fds[0], err_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        st_r = fds[0], st_w = fds[1];

        pid = fork();
        if (pid < 0)
                return rctr_error_sys(err, errno, "fork %s", argv[0]);
        if (pid == 0)
                spawn_child(argv, null_fd, err_w, st_w);

        close_nointr(TAKE_FD(err_w));
        close_nointr(TAKE_FD(st_w));
        while ((n = RETRY_EINTR(read(err_r, chunk, sizeof(chunk)))) > 0)
                if (err_out)
                        (void)buf_append(err_out, chunk, (size_t)n); /* past the cap: dropped */
        n = RETRY_EINTR(read(st_r, &code, sizeof(code)));
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for %s", argv[0]);
        if (n == (ssize_t)sizeof(code))
                return rctr_error_sys(err, code, "execute %s", argv[0]);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

char *spawn_find_in_path(const char *name)
{
        const char *path = getenv("PATH");
        cleanup_free char *copy = NULL;
        char *save = NULL;

        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        copy = xstrdup(path);
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *candidate;

                if (*dir != '/')
                        continue; /* relative PATH entries would depend on the cwd */
                candidate = xasprintf("%s/%s", dir, name);
                if (access(candidate, X_OK) == 0)
                        return candidate;
                free(candidate);
        }
        return NULL;
}
