/*
 * The per-container monitor (our conmon): the container's init is its child, so it learns the
 * exit status; it owns the container's stdio (pipes, or the pty master), writes the log, serves
 * the attach socket, records the exit and cleans up (--rm: removes the container). It holds no
 * lock while the container runs: it alone writes state.json then.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/console.h"
#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/container-users.h"
#include "engine/container.h"
#include "engine/launch.h"
#include "engine/log-writer.h"
#include "engine/monitor-io.h"
#include "engine/monitor-report.h"
#include "engine/run.h"
#include "engine/spec.h"
#include "engine/state.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"

/*
 * Close every fd but keep[]: the command that forked us may hold the store's or a container's
 * flock, which an inherited copy would keep held for the container's lifetime.
 */
static void close_fds_but(const int *keep, size_t n)
{
        cleanup_dir DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                int fd = (int)strtol(de->d_name, NULL, 10);
                bool kept = fd < 3 || fd == dirfd(d) || de->d_name[0] == '.';

                for (size_t i = 0; i < n && !kept; i++)
                        kept = keep[i] == fd;
                if (!kept)
                        close_nointr(fd);
        }
}

struct stdio_plan {
        int child[3];   /* what the container gets as 0, 1, 2 */
        int console[2]; /* tty: [0] ours, [1] the runtime's */
};

static void stdio_plan_close(struct stdio_plan *p)
{
        for (int i = 0; i < 3; i++)
                closep(&p->child[i]);
        closep(&p->console[0]);
        closep(&p->console[1]);
}

static int make_stdio(const struct engine_container *c, struct stdio_plan *p, struct monitor_io *io,
                      struct rctr_error *err)
{
        int fds[2];

        *p = (struct stdio_plan){{-1, -1, -1}, {-1, -1}};
        if (streq(c->log_driver, "passthrough")) {
                /* the caller's own stdio, which fork gave us */
                for (int i = 0; i < 3; i++)
                        p->child[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
                return 0;
        }
        p->child[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (p->child[0] < 0)
                return rctr_error_sys(err, errno, "open /dev/null");
        if (c->tty) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->console) < 0)
                        return rctr_error_sys(err, errno, "create console socket pair");
                p->child[1] = fcntl(p->child[0], F_DUPFD_CLOEXEC, 3);
                p->child[2] = fcntl(p->child[0], F_DUPFD_CLOEXEC, 3);
                return 0;
        }
        if (c->interactive) {
                if (pipe2(fds, O_CLOEXEC) < 0)
                        return rctr_error_sys(err, errno, "create pipe");
                closep(&p->child[0]);
                p->child[0] = fds[0];
                io->in_fd = fds[1];
        }
        for (int i = 1; i < 3; i++) {
                if (pipe2(fds, O_CLOEXEC) < 0)
                        return rctr_error_sys(err, errno, "create pipe");
                p->child[i] = fds[1];
                if (i == 1)
                        io->out_fd = fds[0];
                else
                        io->err_fd = fds[0];
        }
        return 0;
}

/* engine_run with the planned stdio as our 0-2 for the while (its child inherits them). */
static int run_container(const struct engine_monitor_args *a, struct stdio_plan *p,
                         struct rctr_error *err)
{
        const struct engine_container *c = a->c;
        cleanup_free char *bundle = engine_container_dir(a->ctx, c->id);
        CLEANUP(engine_spec_freep) struct engine_spec *spec = NULL;
        struct engine_run_opts ro = {
                .id = c->id,
                .bundle = bundle,
                .state_rootfd = a->ctx->ocifd,
                .detach = true,
                .console_fd = p->console[1],
        };
        cleanup_close int bundlefd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r, nullfd;

        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open %s", bundle);
        r = engine_spec_load(bundlefd, &spec, err);
        if (r < 0)
                return r;
        /* a run that failed half-way, or a container that ran before, left its runtime state */
        {
                cleanup_error struct rctr_error ignored = {0};

                (void)engine_state_remove(a->ctx->ocifd, c->id, &ignored);
        }
        for (int i = 0; i < 3; i++)
                if (dup2(p->child[i], i) < 0)
                        return rctr_error_sys(err, errno, "set up the container's stdio");
        r = engine_run(&ro, spec, err);
        nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3 && nullfd >= 0; i++)
                (void)dup2(nullfd, i);
        if (nullfd > 2)
                close_nointr(nullfd);
        return r;
}

static int record_running(const struct engine_monitor_args *a, pid_t *ret_pid,
                          struct rctr_error *err)
{
        CLEANUP(engine_state_clear) struct engine_state os = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        int r = engine_state_load(a->ctx->ocifd, a->c->id, &os, err);

        if (r >= 0)
                r = engine_ctr_state_load(a->ctx->ctrsfd, a->c->id, &s, err);
        if (r < 0)
                return r;
        if (s.status == ENGINE_CTR_EXITED)
                s.restarts++;
        s.status = ENGINE_CTR_RUNNING;
        s.pid = os.pid;
        s.pid_start = os.starttime ? os.starttime : engine_proc_starttime(os.pid);
        s.monitor_pid = getpid();
        s.monitor_start = engine_proc_starttime(getpid());
        free(s.boot_id);
        s.boot_id = engine_boot_id();
        free(s.started_at);
        s.started_at = rfc3339_now();
        free(s.finished_at);
        s.finished_at = NULL;
        s.exit_code = -1;
        free(s.rootfs);
        s.rootfs = xstrdup(a->rootfs);
        *ret_pid = os.pid;
        return engine_ctr_state_save(a->ctx->ctrsfd, a->c->id, &s, err);
}

/*
 * The exit recorded, the rootfs unmounted; with --rm the container removed (returns true then).
 * Under its locks.
 */
static bool finish(const struct engine_monitor_args *a, int exit_code)
{
        cleanup_error struct rctr_error err = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_close int all = -1, one = -1;
        cleanup_free char *lock = xasprintf("%s/lock", a->c->id);

        if (a->c->rm)
                all = engine_lock_at(a->ctx->ctrsfd, "lock", true, &err);
        one = engine_lock_at(a->ctx->ctrsfd, lock, true, &err);
        if (one < 0 || engine_ctr_state_load(a->ctx->ctrsfd, a->c->id, &s, &err) < 0)
                return false; /* removed meanwhile (rm -f) */
        if (a->c->rm)
                return engine_container_remove(a->ctx, a->c, &err) >= 0;
        s.status = ENGINE_CTR_EXITED;
        s.exit_code = exit_code;
        if (!s.finished_at)
                s.finished_at = rfc3339_now();
        (void)engine_container_cleanup(a->ctx, a->c, &s, &err);
        return false;
}

/*
 * finish(), then with --rm the container's anonymous volumes go too, as with podman's run --rm:
 * once its locks are dropped (volumes/.lock comes before them, storage/volumes.h).
 */
static void finish_all(const struct engine_monitor_args *a, int exit_code)
{
        cleanup_error struct rctr_error err = {0};

        if (finish(a, exit_code))
                (void)engine_container_remove_anonymous_volumes(a->ctx, a->c, &err);
}

static int open_log(const struct engine_monitor_args *a, struct monitor_io *io,
                    struct rctr_error *err)
{
        cleanup_free char *dir = engine_container_dir(a->ctx, a->c->id);
        cleanup_close int dirfd = -1;
        json_int_t size_max;

        if (!streq(a->c->log_driver, "k8s-file"))
                return 0;
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rctr_error_sys(err, errno, "open %s", dir);
        io->log = engine_log_writer_open(dirfd, "ctr.log", err);
        if (!io->log)
                return -err->code;
        /* --log-opt max-size (cmd/run-opts.c); absent or 0: no cap */
        size_max = json_integer_value(json_object_get(a->c->json, "logSizeMax"));
        if (size_max > 0)
                engine_log_writer_set_size_max(io->log, (uint64_t)size_max);
        return 0;
}

static int setup(const struct engine_monitor_args *a, struct monitor_io *io, struct rctr_error *err)
{
        cleanup_free char *rundir = NULL;
        cleanup_close int runfd = -1;
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        io->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (io->sig_fd < 0)
                return rctr_error_sys(err, errno, "signalfd");
        runfd = fs_mkdir_open_at(a->ctx->runfd, a->c->id, 0700, err);
        if (runfd < 0)
                return runfd;
        io->listen_fd = engine_attach_listen(runfd, err);
        if (io->listen_fd < 0)
                return io->listen_fd;
        return open_log(a, io, err);
}

void engine_monitor_main(const struct engine_monitor_args *a)
{
        const int keep[] = {a->ctx->ctrsfd, a->ctx->runfd, a->ctx->ocifd, a->client_fd,
                            a->report_fd};
        struct monitor_io io = {.out_fd = -1,
                                .err_fd = -1,
                                .in_fd = -1,
                                .listen_fd = -1,
                                .sig_fd = -1,
                                .tty = a->c->tty};
        CLEANUP(stdio_plan_close) struct stdio_plan plan = {{-1, -1, -1}, {-1, -1}};
        cleanup_error struct rctr_error err = {0};
        int report = a->report_fd, r;

        close_fds_but(keep, ARRAY_SIZE(keep));
        /* the foreground CLI forked us with the signals it forwards blocked: not ours to block */
        {
                sigset_t none;

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
        }
        (void)prctl(PR_SET_NAME, "rctr-monitor");
        /* orphans of the container (run --pid host) are ours to reap, not init's */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (a->client_fd >= 0)
                monitor_io_add_client(&io, a->client_fd);
        r = setup(a, &io, &err);
        if (r >= 0)
                r = make_stdio(a->c, &plan, &io, &err);
        if (r >= 0)
                r = run_container(a, &plan, &err);
        if (r >= 0)
                r = record_running(a, &io.pid, &err);
        if (r >= 0 && a->c->tty) {
                closep(&plan.console[1]);
                io.out_fd = engine_console_recv_fd(plan.console[0], &err);
                io.in_fd = io.out_fd >= 0 ? fcntl(io.out_fd, F_DUPFD_CLOEXEC, 3) : -1;
                r = io.out_fd < 0 ? io.out_fd : 0;
        }
        if (r < 0) {
                if (io.pid > 0)
                        engine_launch_kill(io.pid);
                engine_monitor_report_error(report, &err);
                close_nointr(report);
                finish_all(a, err.exit_status ? err.exit_status : 125);
                monitor_io_goodbye(&io, err.exit_status ? err.exit_status : 125);
                _exit(1);
        }
        engine_monitor_report_ok(report);
        close_nointr(report);
        stdio_plan_close(&plan); /* the container has its copies: EOF comes when it exits */
        monitor_io_loop(&io);
        r = engine_launch_exit_code(io.status);
        if (io.log)
                (void)engine_log_writer_close(io.log, &err);
        io.log = NULL;
        finish_all(a, r);
        monitor_io_goodbye(&io, r);
        _exit(0);
}
