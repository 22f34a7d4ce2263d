#include <config.h>
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "launch.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "process.h"
#include "spec.h"
#include "state.h"

static const struct {
        const char *name;
        int flag;
} exec_ns[] = {
        {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},    {"pid", CLONE_NEWPID},
        {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},
        {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

/* The namespaces of pid that are not ours: the ones to join. */
static int exec_ns_to_join(pid_t pid, struct rctr_error *err)
{
        int flags = 0;

        for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
                char theirs[64], ours[64];
                struct stat a, b;

                snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, exec_ns[i].name);
                snprintf(ours, sizeof(ours), "/proc/self/ns/%s", exec_ns[i].name);
                if (stat(theirs, &a) < 0)
                        return rctr_error_sys(err, errno, "inspect %s", theirs);
                if (stat(ours, &b) < 0)
                        return rctr_error_sys(err, errno, "inspect %s", ours);
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        flags |= exec_ns[i].flag;
        }
        return flags;
}

/*
 * A pidfd of the container's init, checked to be that process and not a later one with its pid
 * (the pidfd then keeps referring to it).
 */
static int exec_open_init(int rootfd, const char *id, pid_t *ret_pid, struct rctr_error *err)
{
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_close int pidfd = -1;
        int r = engine_state_load(rootfd, id, &st, err);

        if (r < 0)
                return r;
        if (engine_state_status(rootfd, &st) == ENGINE_STATUS_STOPPED)
                return rctr_error_set(err, ESRCH, "container %s is not running", id);
        pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
        if (pidfd < 0 || engine_proc_starttime(st.pid) != st.starttime)
                return rctr_error_set(err, ESRCH, "container %s is not running", id);
        *ret_pid = st.pid;
        return TAKE_FD(pidfd);
}

struct exec_child {
        const struct engine_process *proc;
        const struct engine_seccomp *seccomp;
        int pidfd, ns_flags, console_fd, sync_fd;
        unsigned preserve_fds;
};

static int exec_child_setup(const struct exec_child *c, struct rctr_error *err)
{
        const struct engine_process *p = c->proc;
        cleanup_free char *path = NULL;
        int r;

        /*
         * One setns(pidfd) joins all at once, the user namespace first, so its rights cover the
         * rest. The pid namespace was joined by the helper that cloned us; the time namespace
         * applies to us from our execve on.
         */
        if (c->ns_flags && setns(c->pidfd, c->ns_flags & ~CLONE_NEWPID) < 0)
                return rctr_error_sys(err, errno, "join the container's namespaces");
        /* joining its mount namespace put our root and cwd at the container's root */
        if (c->console_fd >= 0) {
                r = engine_console_setup(c->console_fd, p->console_height, p->console_width, p->uid,
                                         p->gid, err);
                if (r < 0)
                        return r;
        }
        r = engine_process_prepare(p, c->seccomp, err);
        if (r >= 0)
                r = engine_process_find(p, &path, err);
        if (r >= 0)
                r = engine_launch_pass_fds(c->preserve_fds, err);
        if (r < 0)
                return r;
        return engine_process_execve(p, path, c->seccomp, err);
}

/*
 * The process must start in the container's pid namespace, which setns gives only to the
 * children of the caller, and rootless we could never return to ours (that needs CAP_SYS_ADMIN in
 * the initial user namespace). So a short-lived helper joins it and clones the process as our
 * own child (CLONE_PARENT), tells us its pid and exits.
 */
static void __attribute__((noreturn)) exec_helper(struct exec_child *c, int pid_pipe)
{
        struct rctr_error err = {0};
        pid_t pid;

        if ((c->ns_flags & CLONE_NEWPID) && setns(c->pidfd, CLONE_NEWPID) < 0) {
                (void)rctr_error_sys(&err, errno, "join the container's pid namespace");
                engine_launch_fail(c->sync_fd, &err);
        }
        pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                (void)rctr_error_sys(&err, errno, "create process");
                engine_launch_fail(c->sync_fd, &err);
        }
        if (pid == 0) {
                close_nointr(pid_pipe);
                (void)exec_child_setup(c, &err);
                engine_launch_fail(c->sync_fd, &err);
        }
        (void)fs_write_all(pid_pipe, &pid, sizeof(pid));
        _exit(0);
}

static int exec_start(struct exec_child *c, pid_t *ret_pid, struct rctr_error *err)
{
        cleanup_close int ours = -1, pid_read = -1;
        int sv[2], pp[2], r;
        pid_t helper, pid = 0;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "create socket pair");
        ours = sv[0];
        c->sync_fd = sv[1];
        if (pipe2(pp, O_CLOEXEC) < 0) {
                r = rctr_error_sys(err, errno, "create pipe");
                close_nointr(sv[1]);
                return r;
        }
        pid_read = pp[0];
        helper = fork();
        if (helper == 0) {
                close_nointr(TAKE_FD(ours));
                close_nointr(TAKE_FD(pid_read));
                exec_helper(c, pp[1]);
        }
        close_nointr(sv[1]);
        close_nointr(pp[1]);
        if (helper < 0)
                return rctr_error_sys(err, errno, "create process");
        /* nothing to read: the helper failed, and said why on the sync socket */
        if (RETRY_EINTR(read(pid_read, &pid, sizeof(pid))) != (ssize_t)sizeof(pid)) {
                r = engine_launch_await(ours, helper, err);
                return r < 0 ? r : rctr_error_set(err, EIO, "the exec helper failed");
        }
        (void)RETRY_EINTR(waitpid(helper, NULL, 0));
        r = engine_launch_await(ours, pid, err);
        if (r < 0)
                return r;
        *ret_pid = pid;
        return 0;
}

int engine_exec(const struct engine_exec_opts *opts, const struct engine_process *proc,
                struct rctr_error *err)
{
        cleanup_close int pidfd = -1, console_fd = -1, relay_fd = -1;
        struct exec_child c = {
                .proc = proc, .seccomp = opts->seccomp, .preserve_fds = opts->preserve_fds};
        pid_t init = 0, pid = 0;
        int r;

        r = engine_process_check_lsm(proc, err);
        if (r < 0)
                return r;
        pidfd = exec_open_init(opts->state_rootfd, opts->id, &init, err);
        if (pidfd < 0)
                return pidfd;
        c.ns_flags = exec_ns_to_join(init, err);
        if (c.ns_flags < 0)
                return c.ns_flags;
        r = engine_console_open(opts->console_socket, proc->terminal,
                                opts->detach ? "exec --detach" : NULL, &console_fd, &relay_fd, err);
        if (r < 0)
                return r;
        c.pidfd = pidfd;
        c.console_fd = console_fd;
        r = exec_start(&c, &pid, err);
        if (r < 0)
                return r;
        closep(&console_fd);
        if (opts->pid_file) {
                r = engine_launch_write_pid_file(opts->pid_file, pid, err);
                if (r < 0) {
                        engine_launch_kill(pid);
                        return r;
                }
        }
        /* detached: the caller's subreaper adopts it when we exit */
        return opts->detach ? 0 : engine_console_follow(pid, relay_fd, err);
}
