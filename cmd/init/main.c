/*
 * rctr-init: the minimal init `rctr run --init` bind-mounts at /run/rctr-init and runs as the
 * container's pid 1 in front of the user's command.
 *
 * A command that is not written to be pid 1 misbehaves there: the kernel drops every signal it
 * has no handler for (so SIGTERM from `rctr stop` is lost until the SIGKILL), and orphaned
 * grandchildren that exit stay zombies forever because nobody waits for them. rctr-init forks
 * the command, forwards it the signals it receives and reaps every child, then exits with the
 * command's status.
 *
 * It runs inside arbitrary images (busybox-static ones have no libc), so it is linked statically
 * against libc alone: no librctr (lib/macros.h is header-only) and no stdio. The process is
 * single-threaded, so the forked child may still call malloc() and strerror() before exec.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/macros.h"

/* rctr's own failure (bad usage, fork failed), as for rctr itself (STYLE.md §4). */
#define INIT_EXIT_FAILURE 125

/*
 * Signals the kernel raises for a fault of our own. They stay unblocked so that a bug kills
 * rctr-init instead of leaving it spinning; forwarding them would only confuse the command.
 */
static const int fault_signals[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};

/*
 * "rctr-init: WHAT[ OBJ][: WHY]\n" on stderr in one writev, so the line stays whole next to
 * the command's output.
 */
static void say(const char *what, const char *obj, const char *why)
{
        struct iovec iov[7];
        int n = 0;

        iov[n++] = (struct iovec){.iov_base = (char *)"rctr-init: ", .iov_len = 11};
        iov[n++] = (struct iovec){.iov_base = (char *)what, .iov_len = strlen(what)};
        if (obj) {
                iov[n++] = (struct iovec){.iov_base = (char *)" ", .iov_len = 1};
                iov[n++] = (struct iovec){.iov_base = (char *)obj, .iov_len = strlen(obj)};
        }
        if (why) {
                iov[n++] = (struct iovec){.iov_base = (char *)": ", .iov_len = 2};
                iov[n++] = (struct iovec){.iov_base = (char *)why, .iov_len = strlen(why)};
        }
        iov[n++] = (struct iovec){.iov_base = (char *)"\n", .iov_len = 1};
        /* Nothing to do if stderr is gone: the exit status still tells. */
        (void)RETRY_EINTR(writev(STDERR_FILENO, iov, n));
}

static void put_out(const char *s)
{
        (void)RETRY_EINTR(write(STDOUT_FILENO, s, strlen(s)));
}

static void usage(int fd)
{
        const char *text = "Usage: rctr-init [--] COMMAND [ARG...]\n"
                           "Run COMMAND as the child of a minimal init: forward signals to it,\n"
                           "reap zombies, exit with its status (128+N if signal N killed it).\n";

        (void)RETRY_EINTR(write(fd, text, strlen(text)));
}

/*
 * The index of COMMAND in argv, or -1 with *ret_exit set: after --help or --version (0), or
 * on a usage error (left at INIT_EXIT_FAILURE).
 */
static int parse_args(int argc, char **argv, int *ret_exit)
{
        int i = 1;

        if (argc > 1 && streq(argv[1], "--help")) {
                usage(STDOUT_FILENO);
                *ret_exit = 0;
                return -1;
        }
        if (argc > 1 && streq(argv[1], "--version")) {
                put_out("rctr-init " PACKAGE_VERSION "\n");
                *ret_exit = 0;
                return -1;
        }
        if (argc > 1 && streq(argv[1], "--"))
                i = 2;
        else if (argc > 1 && argv[1][0] == '-') {
                say("unknown option", argv[1], "put -- before a command that starts with -");
                return -1;
        }
        if (i >= argc) {
                say("missing command", NULL, NULL);
                usage(STDERR_FILENO);
                return -1;
        }
        return i;
}

/*
 * Make the child the foreground process group of our controlling terminal, if there is one,
 * so that ^C, ^Z and SIGWINCH from the terminal reach the command and not us. Called with every
 * signal still blocked: tcsetpgrp() from a background group would otherwise stop us with
 * SIGTTOU. Returns 0, or -errno for a terminal we have but cannot hand over.
 */
static int child_take_terminal(void)
{
        int fd;
        int r = 0;

        /* A process group of its own, which the terminal can then point at. */
        if (setpgid(0, 0) < 0)
                return -errno;

        /* /dev/tty is the controlling terminal even when stdin was redirected. */
        fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (tcsetpgrp(fd >= 0 ? fd : STDIN_FILENO, getpgrp()) < 0) {
                /* No terminal (ENOTTY, EBADF) or one that is not ours (ENXIO): nothing to do. */
                if (errno != ENOTTY && errno != EBADF && errno != ENXIO)
                        r = -errno;
        }
        if (fd >= 0)
                close_nointr(fd);
        return r;
}

/*
 * systemd socket activation names the process the fds are meant for: the runtime set
 * LISTEN_PID to us, but the command is the one that serves them (catatonit does the same).
 */
static void child_fix_listen_pid(void)
{
        const char *v = getenv("LISTEN_PID");
        char text[24];
        char *p = text + sizeof(text);
        char *end = NULL;
        long pid;
        pid_t me = getpid();

        if (!v)
                return;
        errno = 0;
        pid = strtol(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0' || pid != getppid())
                return;

        /* getpid() in decimal, without stdio. */
        *--p = '\0';
        do
                *--p = (char)('0' + me % 10);
        while ((me /= 10) > 0);
        (void)setenv("LISTEN_PID", p, 1);
}

/*
 * execvp() as runc and podman resolve the command: a PATH directory we may not search (an image
 * with PATH=/root/bin:... run as a user) counts as "not there", so a missing command is ENOENT
 * (127) rather than glibc's EACCES (126). EACCES remains for a file found but not executable.
 * No /bin/sh fallback for ENOEXEC either: the kernel's answer stands, as with runc. Returns the
 * errno of the failure.
 */
static int exec_command(char **cmd)
{
        const char *path = getenv("PATH");
        bool found_unexecutable = false;
        size_t name_len = strlen(cmd[0]);

        if (strchr(cmd[0], '/')) {
                execv(cmd[0], cmd);
                return errno;
        }
        if (!path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        for (const char *dir = path;; dir++) {
                const char *end = strchrnul(dir, ':');
                size_t dir_len = (size_t)(end - dir);
                cleanup_free char *file = malloc(dir_len + 1 + name_len + 1);
                int r;

                if (!file)
                        return ENOMEM;
                /* An empty entry is the working directory (POSIX). */
                memcpy(file, dir_len ? dir : ".", dir_len ? dir_len : 1);
                memcpy(file + (dir_len ? dir_len : 1), "/", 1);
                memcpy(file + (dir_len ? dir_len : 1) + 1, cmd[0], name_len + 1);

                execv(file, cmd);
                r = errno;
                if (r == EACCES && access(file, F_OK) == 0)
                        found_unexecutable = true;
                else if (r != ENOENT && r != ENOTDIR && r != EACCES && r != ELOOP &&
                         r != ENAMETOOLONG && r != ESTALE && r != ENODEV && r != ETIMEDOUT)
                        return r; /* found, but it cannot run: ENOEXEC, ETXTBSY, E2BIG... */
                if (*end == '\0')
                        break;
                dir = end;
        }
        return found_unexecutable ? EACCES : ENOENT;
}

/* The forked child: undo our signal setup and exec the command. Never returns. */
static void __attribute__((noreturn)) child_exec(char **cmd, const sigset_t *orig_mask)
{
        int r = child_take_terminal();

        if (r < 0) {
                say("make the command the terminal's foreground process", strerror(-r), NULL);
                _exit(INIT_EXIT_FAILURE);
        }
        child_fix_listen_pid();

        /* The command starts with the signal mask rctr-init was started with. */
        if (sigprocmask(SIG_SETMASK, orig_mask, NULL) < 0) {
                say("restore the signal mask", strerror(errno), NULL);
                _exit(INIT_EXIT_FAILURE);
        }

        r = exec_command(cmd);
        /* As `rctr run` reports it: 127 for a missing command, 126 for one that cannot run. */
        say("exec", cmd[0], strerror(r));
        _exit(r == ENOENT ? 127 : 126);
}

/*
 * Reap every exited child: the command and any orphan the kernel re-parented to us. Sets
 * *status to the command's exit status (128+N for signal N) once it is gone.
 */
static void reap_all(pid_t child, int *status)
{
        for (;;) {
                int ws = 0;
                pid_t pid = waitpid(-1, &ws, WNOHANG);

                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return; /* 0: the rest still run; ECHILD: nobody left */
                if (pid != child)
                        continue;
                if (WIFEXITED(ws))
                        *status = WEXITSTATUS(ws);
                else if (WIFSIGNALED(ws))
                        *status = 128 + WTERMSIG(ws);
        }
}

/* Wait for signals until the command has exited; returns its exit status. */
static int supervise(pid_t child, const sigset_t *waited)
{
        int status = -1;

        while (status < 0) {
                siginfo_t si;
                int sig = sigwaitinfo(waited, &si);

                if (sig < 0)
                        continue; /* EINTR: only a stop/continue of ours, nothing to do */

                switch (sig) {
                case SIGCHLD:
                        reap_all(child, &status);
                        break;
                case SIGTSTP:
                case SIGTTIN:
                case SIGTTOU:
                        /*
                         * The terminal sends these to its foreground group, which is the
                         * command's; we get them only as a background job (TOSTOP). Like
                         * catatonit, ignore them rather than stop the command.
                         */
                        break;
                default:
                        /*
                         * Everything else is for the command: to it, not its process group,
                         * as catatonit and tini do by default. ESRCH means it is exiting.
                         */
                        (void)kill(child, sig);
                        break;
                }
        }
        return status;
}

/* Close the fds the runtime passed us beyond stdio: the command has its own copies. */
static void close_extra_fds(void)
{
#ifdef SYS_close_range
        /* Best effort: an fd we keep open only delays an EOF someone else waits for. */
        (void)syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
}

int main(int argc, char **argv)
{
        sigset_t all, orig;
        int exit_code = INIT_EXIT_FAILURE;
        int cmd_index;
        pid_t child;

        /*
         * Block every signal before anything else and collect them with sigwaitinfo(). As pid 1
         * of a pid namespace the kernel discards signals with the default action, but never
         * blocked ones: blocking is what lets us receive SIGTERM at all.
         */
        sigfillset(&all);
        for (size_t i = 0; i < ARRAY_SIZE(fault_signals); i++)
                sigdelset(&all, fault_signals[i]);
        if (sigprocmask(SIG_SETMASK, &all, &orig) < 0) {
                say("block signals", strerror(errno), NULL);
                return INIT_EXIT_FAILURE;
        }

        cmd_index = parse_args(argc, argv, &exit_code);
        if (cmd_index < 0)
                return exit_code;

        /*
         * Default dispositions for everything: an inherited SIG_IGN for SIGCHLD would make the
         * kernel reap our children itself and we would never learn the command's status; the
         * command inherits them too and starts as if exec'd by the runtime. EINVAL for SIGKILL,
         * SIGSTOP and libc's reserved signals is expected.
         */
        for (int sig = 1; sig < NSIG; sig++)
                (void)sigaction(sig, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);

        /*
         * Not pid 1 (a shared pid namespace, or a test): become the subreaper, so that orphans
         * of the command are re-parented to us and reaped here rather than by the host's init.
         */
        if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                say("become child subreaper", strerror(errno), NULL);
                return INIT_EXIT_FAILURE;
        }

        child = fork();
        if (child < 0) {
                say("fork", strerror(errno), NULL);
                return INIT_EXIT_FAILURE;
        }
        if (child == 0)
                child_exec(argv + cmd_index, &orig);

        close_extra_fds();
        return supervise(child, &all);
}
