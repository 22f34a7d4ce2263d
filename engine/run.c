#include <config.h>
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "mounts.h"
#include "process.h"
#include "spec.h"
#include "userns.h"

/* What the container's init reports when setup fails (success: the socket closes at exec). */
struct run_failure {
        int32_t code;
        int32_t exit_status;
        char msg[1024];
};

static const int ns_clone_flags[ENGINE_NS_COUNT] = {
        [ENGINE_NS_PID] = CLONE_NEWPID,       [ENGINE_NS_NETWORK] = CLONE_NEWNET,
        [ENGINE_NS_MOUNT] = CLONE_NEWNS,      [ENGINE_NS_IPC] = CLONE_NEWIPC,
        [ENGINE_NS_UTS] = CLONE_NEWUTS,       [ENGINE_NS_USER] = CLONE_NEWUSER,
        [ENGINE_NS_CGROUP] = CLONE_NEWCGROUP, [ENGINE_NS_TIME] = 0x80 /* CLONE_NEWTIME */,
};

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
        if (forward_to > 0)
                (void)kill(forward_to, sig);
}

static int read_self_map(const char *name, char **ret, struct rctr_error *err)
{
        cleanup_buf struct buf text;
        cleanup_free char *path = xasprintf("/proc/self/%s", name);
        int r;

        buf_init(&text, 64 * 1024);
        r = fs_read_at(AT_FDCWD, path, &text, err);
        if (r < 0)
                return r;
        *ret = buf_detach(&text);
        return 0;
}

/* ---- in the container's init ---- */

static int child_join_namespaces(const int *ns_fds, struct rctr_error *err)
{
        /* the user namespace first: it grants the rights to join the others */
        static const int order[] = {ENGINE_NS_USER,    ENGINE_NS_MOUNT, ENGINE_NS_PID,
                                    ENGINE_NS_NETWORK, ENGINE_NS_IPC,   ENGINE_NS_UTS,
                                    ENGINE_NS_CGROUP,  ENGINE_NS_TIME};

        for (size_t i = 0; i < ARRAY_SIZE(order); i++)
                if (ns_fds[order[i]] >= 0 && setns(ns_fds[order[i]], 0) < 0)
                        return rctr_error_sys(err, errno, "join %s namespace",
                                              engine_ns_name(order[i]));
        return 0;
}

static int child_setup(const struct engine_spec *spec, const char *rootfs, const int *ns_fds,
                       int sync_fd, struct rctr_error *err)
{
        char go = 0;
        int r;

        /* wait until our creator has written the id maps of our new user namespace */
        if (RETRY_EINTR(read(sync_fd, &go, 1)) != 1 || go != 'g')
                return rctr_error_set(err, EPIPE, "runtime went away during setup");
        r = child_join_namespaces(ns_fds, err);
        if (r < 0)
                return r;
        /* root of the container's user namespace (the map made our uid 0 there) */
        if (spec->namespaces[ENGINE_NS_USER].wanted &&
            (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return rctr_error_sys(err, errno, "become root in the user namespace");
        if (spec->hostname && spec->namespaces[ENGINE_NS_UTS].wanted &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return rctr_error_sys(err, errno, "set hostname %s", spec->hostname);
        if (spec->domainname && spec->namespaces[ENGINE_NS_UTS].wanted &&
            setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return rctr_error_sys(err, errno, "set domainname %s", spec->domainname);
        r = engine_mounts_setup(spec, rootfs, err);
        if (r < 0)
                return r;
        return engine_process_exec(&spec->process, err);
}

static void __attribute__((noreturn))
child_main(const struct engine_spec *spec, const char *rootfs, const int *ns_fds, int sync_fd)
{
        struct rctr_error err = {0};
        struct run_failure f = {0};

        (void)child_setup(spec, rootfs, ns_fds, sync_fd, &err);
        f.code = err.code ? err.code : EIO;
        f.exit_status = err.exit_status;
        snprintf(f.msg, sizeof(f.msg), "%s", err.msg ? err.msg : "container setup failed");
        (void)!write(sync_fd, &f, sizeof(f));
        _exit(err.exit_status ? err.exit_status : 1);
}

/* ---- in the runtime ---- */

static int write_maps(pid_t pid, const struct engine_spec *spec, struct rctr_error *err)
{
        cleanup_free char *self_uid = NULL, *self_gid = NULL, *uidmap = NULL, *gidmap = NULL;
        cleanup_free char *dir = xasprintf("/proc/%d", (int)pid);
        cleanup_close int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (procfd < 0)
                return rctr_error_sys(err, errno, "open %s", dir);
        r = read_self_map("uid_map", &self_uid, err);
        if (r >= 0)
                r = read_self_map("gid_map", &self_gid, err);
        if (r >= 0)
                r = engine_userns_translate(self_uid, spec->uid_mappings, spec->n_uid_mappings,
                                            "uidMappings", &uidmap, err);
        if (r >= 0)
                r = engine_userns_translate(self_gid, spec->gid_mappings, spec->n_gid_mappings,
                                            "gidMappings", &gidmap, err);
        if (r < 0)
                return rctr_error_prefix(err, "linux");
        if (!uidmap[0] || !gidmap[0])
                return rctr_error_set(err, EINVAL,
                                      "a new user namespace needs linux.uidMappings and "
                                      "linux.gidMappings");
        /* We hold CAP_SETUID/CAP_SETGID over our own namespace: any ids mapped in it may go. */
        r = fs_write_string_at(procfd, "uid_map", uidmap, err);
        if (r >= 0)
                r = fs_write_string_at(procfd, "gid_map", gidmap, err);
        return r < 0 ? rctr_error_prefix(err, "map ids of the container") : 0;
}

static int open_joined_namespaces(const struct engine_spec *spec, int *ns_fds,
                                  struct rctr_error *err)
{
        for (int t = 0; t < ENGINE_NS_COUNT; t++) {
                if (!spec->namespaces[t].wanted || !spec->namespaces[t].path)
                        continue;
                ns_fds[t] = open(spec->namespaces[t].path, O_RDONLY | O_CLOEXEC);
                if (ns_fds[t] < 0)
                        return rctr_error_sys(err, errno, "open %s namespace %s", engine_ns_name(t),
                                              spec->namespaces[t].path);
        }
        return 0;
}

static void close_all(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close_nointr(fds[i]);
}

/* Callers poll for the pid file: it appears whole, never half-written. */
static int write_pid_file(const char *path, pid_t pid, struct rctr_error *err)
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

/* Wait for exec (EOF on the socket) or the init's report of what failed. */
static int await_exec(int sync_fd, pid_t pid, struct rctr_error *err)
{
        struct run_failure f;
        ssize_t n = RETRY_EINTR(read(sync_fd, &f, sizeof(f)));

        if (n == 0)
                return 0;
        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        if (n != (ssize_t)sizeof(f))
                return rctr_error_set(err, EIO, "container init exited during setup");
        f.msg[sizeof(f.msg) - 1] = '\0';
        err->exit_status = f.exit_status;
        return rctr_error_set(err, f.code, "%s", f.msg);
}

static int wait_container(pid_t pid, struct rctr_error *err)
{
        struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
        static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        int status;

        forward_to = pid;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                (void)sigaction(forwarded[i], &sa, NULL);
        if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for container process %d", (int)pid);
        forward_to = 0;
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static int start_child(const struct engine_run_opts *opts, const struct engine_spec *spec,
                       const char *rootfs, int *ns_fds, struct rctr_error *err)
{
        cleanup_close int ours = -1, theirs = -1;
        unsigned long flags = SIGCHLD;
        int sv[2], r;
        pid_t pid;

        for (int t = 0; t < ENGINE_NS_COUNT; t++)
                if (spec->namespaces[t].wanted && !spec->namespaces[t].path)
                        flags |= (unsigned long)ns_clone_flags[t];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "create socket pair");
        ours = sv[0], theirs = sv[1];

        /* clone, not unshare: a new pid namespace applies to children only, and init is ours */
        pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
        if (pid < 0)
                return rctr_error_sys(err, errno, "create container process");
        if (pid == 0) {
                close_nointr(TAKE_FD(ours));
                child_main(spec, rootfs, ns_fds, theirs);
        }
        close_nointr(TAKE_FD(theirs));
        r = (flags & CLONE_NEWUSER) ? write_maps(pid, spec, err) : 0;
        if (r >= 0 && fs_write_all(ours, "g", 1) < 0)
                r = rctr_error_sys(err, errno, "start container process");
        if (r >= 0)
                r = await_exec(ours, pid, err);
        if (r < 0) {
                (void)kill(pid, SIGKILL); /* our child, stopped half-way */
                (void)RETRY_EINTR(waitpid(pid, NULL, 0));
                return r;
        }
        if (opts->pid_file) {
                r = write_pid_file(opts->pid_file, pid, err);
                if (r < 0) {
                        (void)kill(pid, SIGKILL);
                        (void)RETRY_EINTR(waitpid(pid, NULL, 0));
                        return r;
                }
        }
        return wait_container(pid, err);
}

int engine_run(const struct engine_run_opts *opts, const struct engine_spec *spec,
               struct rctr_error *err)
{
        cleanup_free char *joined = NULL, *rootfs = NULL;
        int ns_fds[ENGINE_NS_COUNT];
        int r;

        for (int t = 0; t < ENGINE_NS_COUNT; t++)
                ns_fds[t] = -1;
        if (!spec->has_process)
                return rctr_error_set(err, EINVAL, "config.json: process: missing");
        if (!spec->namespaces[ENGINE_NS_MOUNT].wanted)
                return rctr_error_set(
                        err, EINVAL,
                        "config.json: linux.namespaces: a mount namespace is required");
        if (spec->process.terminal)
                return rctr_error_set(
                        err, EOPNOTSUPP,
                        "process.terminal is true: a terminal needs --console-socket, "
                        "not supported yet (set terminal to false)");
        joined = spec->root_path[0] == '/' ? xstrdup(spec->root_path)
                                           : xasprintf("%s/%s", opts->bundle, spec->root_path);
        rootfs = realpath(joined, NULL);
        if (!rootfs)
                return rctr_error_sys(err, errno, "root.path %s", joined);
        r = open_joined_namespaces(spec, ns_fds, err);
        if (r >= 0)
                r = start_child(opts, spec, rootfs, ns_fds, err);
        close_all(ns_fds, ENGINE_NS_COUNT);
        return r;
}
