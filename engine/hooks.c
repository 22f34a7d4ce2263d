#include <config.h>
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/jsonutil.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"

/* What we keep of a hook's stderr for the error message; all of it is forwarded to ours. */
#define HOOK_STDERR_MAX 4096
/* Longest stderr line quoted in a message. */
#define HOOK_LINE_MAX 512
/* Without a pidfd (Linux < 5.3) we look for the hook's exit this often. */
#define HOOK_POLL_TICK_MS 10

struct engine_hook {
        char *path;  /* owned; absolute */
        char **argv; /* owned strv with at least argv[0] */
        char **env;  /* owned strv, never NULL: the hook's whole environment */
        int timeout; /* seconds; 0 = none */
};

struct engine_hooks {
        struct engine_hook *list[ENGINE_HOOK_KIND_COUNT]; /* owned arrays */
        size_t n[ENGINE_HOOK_KIND_COUNT];
};

static const char *const kind_names[ENGINE_HOOK_KIND_COUNT] = {
        [ENGINE_HOOK_PRESTART] = "prestart",
        [ENGINE_HOOK_CREATE_RUNTIME] = "createRuntime",
        [ENGINE_HOOK_CREATE_CONTAINER] = "createContainer",
        [ENGINE_HOOK_START_CONTAINER] = "startContainer",
        [ENGINE_HOOK_POSTSTART] = "poststart",
        [ENGINE_HOOK_POSTSTOP] = "poststop",
};

const char *engine_hook_kind_name(enum engine_hook_kind kind)
{
        return (unsigned)kind < ENGINE_HOOK_KIND_COUNT ? kind_names[kind] : "?";
}

static void hook_clear(struct engine_hook *hook)
{
        free(hook->path);
        strv_free(hook->argv);
        strv_free(hook->env);
        memset(hook, 0, sizeof(*hook));
}

void engine_hooks_free(struct engine_hooks *h)
{
        if (!h)
                return;
        for (int k = 0; k < ENGINE_HOOK_KIND_COUNT; k++) {
                for (size_t i = 0; i < h->n[k]; i++)
                        hook_clear(&h->list[k][i]);
                free(h->list[k]);
        }
        free(h);
}

bool engine_hooks_any(const struct engine_hooks *h, enum engine_hook_kind kind)
{
        return engine_hooks_count(h, kind) > 0;
}

size_t engine_hooks_count(const struct engine_hooks *h, enum engine_hook_kind kind)
{
        return h && (unsigned)kind < ENGINE_HOOK_KIND_COUNT ? h->n[kind] : 0;
}

/* The fields of one hook object; errors name the field relative to the object. */
static int parse_hook_fields(json_t *obj, struct engine_hook *hook, struct rctr_error *err)
{
        const char *path = NULL;
        json_int_t timeout = 0;
        int r;

        r = jsonutil_get_string(obj, "path", true, &path, err);
        if (r >= 0)
                r = jsonutil_get_strv(obj, "args", false, &hook->argv, err);
        if (r >= 0)
                r = jsonutil_get_strv(obj, "env", false, &hook->env, err);
        /* "MUST be greater than zero": 0 would mean "no time at all", not "no limit" */
        if (r >= 0)
                r = jsonutil_get_int(obj, "timeout", false, 1, INT_MAX, &timeout, err);
        if (r < 0)
                return r;
        if (path[0] != '/')
                return rctr_error_set(err, EBADMSG, "path: not absolute");
        hook->path = xstrdup(path);
        /* args is execv's argv and may be absent or empty: then argv[0] is the path (as runc) */
        if (!hook->argv || !hook->argv[0]) {
                strv_free(hook->argv);
                hook->argv = xzalloc(2 * sizeof(char *));
                hook->argv[0] = xstrdup(path);
        }
        /* the hook gets exactly env: none of ours leaks into it */
        if (!hook->env)
                hook->env = xzalloc(sizeof(char *));
        hook->timeout = (int)timeout;
        return 0;
}

static int parse_hook(json_t *item, const char *where, struct engine_hook *hook,
                      struct rctr_error *err)
{
        cleanup_error struct rctr_error local = {0};

        if (!json_is_object(item))
                return rctr_error_set(err, EBADMSG, "%s: expected an object", where);
        if (parse_hook_fields(item, hook, &local) < 0)
                /* "path: not absolute" → "hooks.prestart[0].path: not absolute" */
                return rctr_error_set(err, local.code, "%s.%s", where, local.msg);
        return 0;
}

static int parse_kind(json_t *hooks, enum engine_hook_kind kind, struct engine_hooks *h,
                      struct rctr_error *err)
{
        json_t *arr = json_object_get(hooks, kind_names[kind]), *item;
        size_t i;

        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return rctr_error_set(err, EBADMSG, "hooks.%s: expected an array",
                                      kind_names[kind]);
        h->list[kind] = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(struct engine_hook));
        json_array_foreach(arr, i, item) {
                cleanup_free char *where = xasprintf("hooks.%s[%zu]", kind_names[kind], i);
                int r;

                memset(&h->list[kind][i], 0, sizeof(struct engine_hook));
                r = parse_hook(item, where, &h->list[kind][i], err);
                if (r < 0) {
                        hook_clear(&h->list[kind][i]); /* half-built: not counted in n */
                        return r;
                }
                h->n[kind] = i + 1;
        }
        return 0;
}

int engine_hooks_parse(json_t *hooks, struct engine_hooks **ret, struct rctr_error *err)
{
        CLEANUP(engine_hooks_freep) struct engine_hooks *h = xzalloc(sizeof(*h));

        if (hooks && !json_is_null(hooks) && !json_is_object(hooks))
                return rctr_error_set(err, EBADMSG, "hooks: expected an object");
        for (int k = 0; hooks && k < ENGINE_HOOK_KIND_COUNT; k++) {
                int r = parse_kind(hooks, (enum engine_hook_kind)k, h, err);

                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

/* ---- running a hook ---- */

/* The parent's end of one running hook. */
struct hook_run {
        const struct engine_hook *hook; /* borrowed */
        pid_t pid;
        int in_w;  /* owned; -1 once all of the state is written or the hook stopped reading */
        int err_r; /* owned; -1 after EOF */
        int pidfd; /* owned; -1 when the kernel has no pidfd_open */
        const char *data; /* borrowed: the state JSON */
        size_t len, off;
        struct buf captured; /* the first HOOK_STDERR_MAX bytes of its stderr */
        int64_t deadline_ms; /* CLOCK_MONOTONIC; 0 = none */
        bool exited, timed_out;
        int status; /* from waitpid, once exited */
};

static void fd_closep(int *fd)
{
        if (*fd >= 0)
                close_nointr(*fd);
        *fd = -1;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Between fork and exec: async-signal-safe calls only; errno goes to the parent's status pipe. */
static void __attribute__((noreturn)) child_fail(int status_fd)
{
        int code = errno;

        (void)!write(status_fd, &code, sizeof(code));
        _exit(127);
}

static void __attribute__((noreturn))
hook_child(const struct engine_hook *hook, int in_r, int err_w, int st_w)
{
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigset_t none;
        int st, our_err;

        /*
         * Lift every pipe above stdio first: when our own stdin/stdout/stderr were closed, a
         * pipe may sit at 0-2, and dup2() onto itself would keep its O_CLOEXEC.
         */
        st = fcntl(st_w, F_DUPFD_CLOEXEC, 3);
        if (st < 0)
                child_fail(st_w);
        in_r = fcntl(in_r, F_DUPFD_CLOEXEC, 3);
        err_w = fcntl(err_w, F_DUPFD_CLOEXEC, 3);
        our_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3); /* -1 when we have no stderr */
        if (in_r < 0 || err_w < 0)
                child_fail(st);
        if (dup2(in_r, STDIN_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
                child_fail(st);
        /* its stdout goes to our stderr: our stdout carries only results */
        if (dup2(our_err >= 0 ? our_err : err_w, STDOUT_FILENO) < 0)
                child_fail(st);
        if (st != 3 && dup3(st, 3, O_CLOEXEC) < 0)
                child_fail(st);
        spawn_close_from(4);
        /*
         * A monitor blocks signals for its signalfd, and ignored signals survive execve: give
         * the hook a clean mask and default dispositions, as if started by a shell.
         */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                (void)sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP, glibc's own: EINVAL */
        execve(hook->path, hook->argv, hook->env);
        child_fail(3);
}

static int set_nonblock(int fd)
{
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

/* Fork the hook; on success run->pid, in_w, err_r are set and *st_r gets the exec status pipe. */
static int hook_start(struct hook_run *run, int *st_r, struct rctr_error *err)
{
        cleanup_close int in_r = -1, err_w = -1, st_w = -1;
        int fds[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        in_r = fds[0], run->in_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        run->err_r = fds[0], err_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        *st_r = fds[0], st_w = fds[1];
        /* only our ends: a hook that stops reading must not block us, nor a quiet one */
        if (set_nonblock(run->in_w) < 0 || set_nonblock(run->err_r) < 0)
                return rctr_error_sys(err, errno, "set pipe non-blocking");

        run->pid = fork();
        if (run->pid < 0)
                return rctr_error_sys(err, errno, "fork");
        if (run->pid == 0)
                hook_child(run->hook, in_r, err_w, st_w);

#ifdef SYS_pidfd_open
        /* Linux 5.3: learn of the exit even while a left-behind child holds its stderr open */
        run->pidfd = (int)syscall(SYS_pidfd_open, run->pid, 0); /* ENOSYS, EPERM: we poll */
#endif
        if (run->len == 0)
                fd_closep(&run->in_w); /* nothing to write: EOF right away */
        if (run->hook->timeout > 0)
                run->deadline_ms = now_ms() + (int64_t)run->hook->timeout * 1000;
        return 0;
}

static void hook_write_stdin(struct hook_run *run)
{
        size_t chunk = run->len - run->off;
        ssize_t n;

        if (chunk > 65536)
                chunk = 65536;
        n = RETRY_EINTR(write(run->in_w, run->data + run->off, chunk));
        if (n < 0 && errno == EAGAIN)
                return;
        /*
         * EPIPE: the hook closed its stdin without reading all (the SIGPIPE that came with it is
         * blocked and consumed by our caller). Any error ends the writing, not the hook.
         */
        if (n < 0) {
                fd_closep(&run->in_w);
                return;
        }
        run->off += (size_t)n;
        if (run->off == run->len)
                fd_closep(&run->in_w); /* EOF tells the hook the state is complete */
}

/* Read what the hook wrote to stderr: forward it to ours, keep the start for the message. */
static void hook_read_stderr(struct hook_run *run)
{
        char chunk[4096];
        ssize_t n;

        while (run->err_r >= 0) {
                n = RETRY_EINTR(read(run->err_r, chunk, sizeof(chunk)));
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        fd_closep(&run->err_r);
                        return;
                }
                (void)fs_write_all(STDERR_FILENO, chunk, (size_t)n); /* users see it; best effort */
                if (run->captured.len < HOOK_STDERR_MAX) {
                        size_t room = HOOK_STDERR_MAX - run->captured.len;

                        (void)buf_append(&run->captured, chunk,
                                         (size_t)n < room ? (size_t)n : room);
                }
        }
}

/*
 * Reap the hook if it is gone. Returns 0 (run->exited tells), or -errno from waitpid: ECHILD
 * when someone else reaped it (SIGCHLD ignored); its pid may be reused, so we count it as gone.
 */
static int hook_try_reap(struct hook_run *run)
{
        pid_t p = RETRY_EINTR(waitpid(run->pid, &run->status, WNOHANG));

        run->exited = p == run->pid || (p < 0 && errno == ECHILD);
        return p < 0 ? -errno : 0;
}

/* How long poll() may sleep: until the deadline, or one tick when we must look for the exit. */
static int hook_poll_timeout(const struct hook_run *run)
{
        int64_t left = -1;

        if (run->deadline_ms > 0) {
                left = run->deadline_ms - now_ms();
                if (left < 0)
                        left = 0;
                if (left > 60000)
                        left = 60000;
        }
        if (run->pidfd < 0 && (left < 0 || left > HOOK_POLL_TICK_MS))
                left = HOOK_POLL_TICK_MS;
        return (int)left;
}

/*
 * Feed stdin and collect stderr until the hook exits or its time is up. We stop at its exit, not
 * at EOF on stderr: a hook may leave a daemon behind that holds the pipe open for good.
 */
static int hook_wait(struct hook_run *run, struct rctr_error *err)
{
        while (!run->exited) {
                struct pollfd pfd[3] = {
                        {.fd = run->in_w, .events = POLLOUT},
                        {.fd = run->err_r, .events = POLLIN},
                        {.fd = run->pidfd, .events = POLLIN},
                }; /* poll() skips negative fds */
                int r;

                if (run->deadline_ms > 0 && now_ms() >= run->deadline_ms) {
                        run->timed_out = true;
                        (void)kill(run->pid, SIGKILL);
                        run->exited = true; /* reaped here, or by someone else (ECHILD) */
                        if (RETRY_EINTR(waitpid(run->pid, &run->status, 0)) < 0)
                                return rctr_error_sys(err, errno, "wait");
                        break;
                }
                r = poll(pfd, ARRAY_SIZE(pfd), hook_poll_timeout(run));
                if (r < 0 && errno != EINTR)
                        return rctr_error_sys(err, errno, "poll");
                if (r > 0 && pfd[0].revents)
                        hook_write_stdin(run);
                if (r > 0 && pfd[1].revents)
                        hook_read_stderr(run);
                if (run->pidfd < 0 || (r > 0 && pfd[2].revents)) {
                        r = hook_try_reap(run);
                        if (r < 0)
                                return rctr_error_sys(err, -r, "wait");
                }
        }
        hook_read_stderr(run); /* what it wrote just before it exited; no wait for EOF */
        return 0;
}

/* The first non-empty line of the hook's stderr, control characters replaced, capped. */
static char *first_line(const struct buf *b)
{
        const char *s = b->data, *end;
        char *line;
        size_t n;

        while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
                s++;
        end = strchr(s, '\n');
        n = end ? (size_t)(end - s) : strlen(s);
        while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (n > HOOK_LINE_MAX)
                n = HOOK_LINE_MAX;
        line = xstrndup(s, n);
        /* the hook's text goes into our one-line error: no escape sequences, no NULs */
        for (char *c = line; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        return line;
}

/* Turn the outcome of a finished hook into 0 or the error. */
static int hook_result(const struct hook_run *run, int st_r, const char *what,
                       struct rctr_error *err)
{
        cleanup_free char *line = first_line(&run->captured);
        cleanup_free char *cause = NULL;
        int code = 0;

        /* st_r's write end closed at exec or exit: 4 bytes only when execve failed */
        if (RETRY_EINTR(read(st_r, &code, sizeof(code))) == (ssize_t)sizeof(code) && code > 0)
                return rctr_error_sys(err, code, "%s: execute", what);
        if (run->timed_out)
                cause = xasprintf("timed out after %d s", run->hook->timeout);
        else if (WIFSIGNALED(run->status))
                cause = xasprintf("killed by signal %d", WTERMSIG(run->status));
        else if (WIFEXITED(run->status) && WEXITSTATUS(run->status) != 0)
                cause = xasprintf("exited with status %d", WEXITSTATUS(run->status));
        else
                return 0;
        return rctr_error_set(err, run->timed_out ? ETIMEDOUT : ECANCELED, "%s: %s%s%s", what,
                              cause, line[0] ? ": " : "", line);
}

static int hook_run_one(const struct engine_hook *hook, enum engine_hook_kind kind,
                        const char *state_json, struct rctr_error *err)
{
        struct hook_run run = {
                .hook = hook,
                .pid = -1,
                .in_w = -1,
                .err_r = -1,
                .pidfd = -1,
                .data = state_json ? state_json : "",
                .len = state_json ? strlen(state_json) : 0,
        };
        cleanup_free char *what = xasprintf("%s hook %s", kind_names[kind], hook->path);
        cleanup_close int st_r = -1;
        int r;

        buf_init(&run.captured, HOOK_STDERR_MAX);
        r = hook_start(&run, &st_r, err);
        if (r >= 0)
                r = hook_wait(&run, err);
        if (r >= 0)
                r = hook_result(&run, st_r, what, err);
        else
                r = rctr_error_prefix(err, "%s", what);
        if (run.pid > 0 && !run.exited) {
                /* poll or waitpid failed: do not leave it running unsupervised, nor a zombie */
                (void)kill(run.pid, SIGKILL);
                (void)RETRY_EINTR(waitpid(run.pid, NULL, 0));
        }
        fd_closep(&run.in_w);
        fd_closep(&run.err_r);
        fd_closep(&run.pidfd);
        buf_free(&run.captured);
        return r;
}

/*
 * A hook that exits or closes stdin before reading the whole state makes our write() raise
 * SIGPIPE, which would kill us (the default action). Block it while hooks run, and consume the
 * one our writes raised before unblocking; one that was pending already is left alone.
 */
struct sigpipe_guard {
        sigset_t old_mask;
        bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
        sigset_t set, pending;

        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigpending(&pending);
        g->was_pending = sigismember(&pending, SIGPIPE) == 1;
        sigprocmask(SIG_BLOCK, &set, &g->old_mask);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
        const struct timespec zero = {0};
        sigset_t set, pending;

        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigpending(&pending);
        if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1)
                (void)RETRY_EINTR(sigtimedwait(&set, NULL, &zero));
        sigprocmask(SIG_SETMASK, &g->old_mask, NULL);
}

int engine_hooks_run(const struct engine_hooks *h, enum engine_hook_kind kind,
                     const char *state_json, struct rctr_error *err)
{
        struct sigpipe_guard guard;
        int r = 0;

        if (!engine_hooks_any(h, kind))
                return 0;
        sigpipe_block(&guard);
        for (size_t i = 0; i < h->n[kind] && r >= 0; i++)
                r = hook_run_one(&h->list[kind][i], kind, state_json, err);
        sigpipe_restore(&guard);
        return r;
}

void engine_hooks_run_warn(const struct engine_hooks *h, enum engine_hook_kind kind,
                           const char *state_json)
{
        struct sigpipe_guard guard;

        if (!engine_hooks_any(h, kind))
                return;
        sigpipe_block(&guard);
        for (size_t i = 0; i < h->n[kind]; i++) {
                cleanup_error struct rctr_error err = {0};

                if (hook_run_one(&h->list[kind][i], kind, state_json, &err) < 0)
                        log_warn("%s, ignoring", err.msg);
        }
        sigpipe_restore(&guard);
}
