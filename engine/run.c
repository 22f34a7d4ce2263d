#include <config.h>
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/rfc3339.h"
#include "lib/xalloc.h"
#include "console.h"
#include "hook-points.h"
#include "hooks.h"
#include "launch.h"
#include "mounts.h"
#include "process.h"
#include "seccomp.h"
#include "sysctl.h"
#include "timens.h"
#include "spec.h"
#include "state.h"
#include "userns.h"

static const int ns_clone_flags[ENGINE_NS_COUNT] = {
        [ENGINE_NS_PID] = CLONE_NEWPID,       [ENGINE_NS_NETWORK] = CLONE_NEWNET,
        [ENGINE_NS_MOUNT] = CLONE_NEWNS,      [ENGINE_NS_IPC] = CLONE_NEWIPC,
        [ENGINE_NS_UTS] = CLONE_NEWUTS,       [ENGINE_NS_USER] = CLONE_NEWUSER,
        [ENGINE_NS_CGROUP] = CLONE_NEWCGROUP, [ENGINE_NS_TIME] = 0 /* engine/timens.h */,
};

/* The largest state text sent to the init for its hooks: the annotations are the variable part. */
#define RUN_STATE_TEXT_MAX (64 * 1024)

/* What the init needs besides the spec: the fds the runtime opened for it. */
struct run_child {
        const struct engine_spec *spec;
        const struct engine_run_opts *opts;
        const char *rootfs;
        const int *ns_fds;
        const struct engine_seccomp *seccomp; /* NULL: no filter */
        const struct engine_hooks *hooks;
        bool hook_point;           /* prestart, createRuntime or createContainer/startContainer */
        struct engine_state state; /* runtime: what is recorded, once the init exists */
        int fifo_fd;               /* create: exec.fifo (O_PATH), else -1 */
        int console_fd;            /* process.terminal: where the pty master goes, else -1 */
        int sync_fd;
};

static void run_child_clear(struct run_child *c)
{
        engine_state_clear(&c->state);
}

static int read_self_map(const char *name, char **ret, struct rctr_error *err)
{
        cleanup_buf struct buf text = {0};
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

/*
 * create: tell the runtime we are ready, then block opening exec.fifo for writing until `start`
 * opens it for reading. The fifo was opened O_PATH before pivot_root; /proc/self/fd reopens it.
 */
static int child_wait_for_start(int fifo_fd, int sync_fd, struct rctr_error *err)
{
        char path[64];
        cleanup_close int fd = -1;

        if (fifo_fd < 0)
                return 0;
        if (engine_launch_send_ready(sync_fd, err) < 0)
                return -EPIPE;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fifo_fd);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open exec.fifo");
        if (fs_write_all(fd, "0", 1) < 0)
                return rctr_error_sys(err, errno, "write exec.fifo");
        return 0;
}

/*
 * Mounts are made, the root not yet entered: the runtime runs prestart and createRuntime hooks
 * while we wait, and sends the state ("creating" NUL "created"); we run createContainer hooks
 * here, in the container's namespaces (their paths still resolve in the runtime's filesystem).
 */
static int child_hook_point(const struct run_child *c, char *states, size_t size,
                            struct rctr_error *err)
{
        ssize_t n;

        if (!c->hook_point)
                return 0;
        if (send(c->sync_fd, "h", 1, MSG_NOSIGNAL) != 1)
                return rctr_error_sys(err, errno, "report the hook point");
        n = RETRY_EINTR(read(c->sync_fd, states, size - 1));
        if (n <= 0)
                return rctr_error_set(err, EPIPE, "runtime went away during hooks");
        states[n] = '\0';
        return engine_hooks_run(c->hooks, ENGINE_HOOK_CREATE_CONTAINER, states, err);
}

/* After start, before exec: startContainer hooks, their paths resolved in the container. */
static int child_start_hooks(const struct run_child *c, const char *states, struct rctr_error *err)
{
        if (!engine_hooks_any(c->hooks, ENGINE_HOOK_START_CONTAINER))
                return 0;
        return engine_hooks_run(c->hooks, ENGINE_HOOK_START_CONTAINER, states + strlen(states) + 1,
                                err);
}

static int child_setup(const struct run_child *c, struct rctr_error *err)
{
        char states[RUN_STATE_TEXT_MAX] = "";
        cleanup_free char *path = NULL;
        bool started;
        const struct engine_spec *spec = c->spec;
        char go = 0;
        int r;

        /* wait until our creator has written the id maps of our new user namespace */
        if (RETRY_EINTR(read(c->sync_fd, &go, 1)) != 1 || go != 'g')
                return rctr_error_set(err, EPIPE, "runtime went away during setup");
        r = child_join_namespaces(c->ns_fds, err);
        if (r < 0)
                return r;
        /* root of the container's user namespace (the map made our uid 0 there) */
        if (spec->namespaces[ENGINE_NS_USER].wanted &&
            (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return rctr_error_sys(err, errno, "become root in the user namespace");
        r = engine_timens_setup(spec, err);
        if (r < 0)
                return r;
        if (spec->hostname && spec->namespaces[ENGINE_NS_UTS].wanted &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return rctr_error_sys(err, errno, "set hostname %s", spec->hostname);
        if (spec->domainname && spec->namespaces[ENGINE_NS_UTS].wanted &&
            setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return rctr_error_sys(err, errno, "set domainname %s", spec->domainname);
        r = engine_mounts_prepare(spec, c->rootfs, err);
        if (r >= 0)
                r = child_hook_point(c, states, sizeof(states), err);
        if (r >= 0)
                r = engine_mounts_enter(c->rootfs, c->opts->no_pivot, err);
        /* /proc/sys is still writable: readonlyPaths come with engine_mounts_finish() */
        if (r >= 0)
                r = engine_sysctl_apply(engine_spec_linux(spec, "sysctl"), err);
        if (r >= 0)
                r = engine_mounts_finish(spec, err);
        if (r >= 0 && spec->personality >= 0 && personality((unsigned long)spec->personality) < 0)
                r = rctr_error_sys(err, errno, "set personality %d", spec->personality);
        if (r >= 0 && c->console_fd >= 0)
                r = engine_console_setup(c->console_fd, spec->process.console_height,
                                         spec->process.console_width, spec->process.uid,
                                         spec->process.gid, err);
        if (r >= 0)
                r = engine_process_prepare(&spec->process, c->seccomp, err);
        if (r >= 0)
                r = engine_process_find(&spec->process, &path, err);
        if (r >= 0)
                r = engine_launch_pass_fds(c->opts->preserve_fds, err);
        if (r >= 0)
                r = child_wait_for_start(c->fifo_fd, c->sync_fd, err);
        if (r < 0)
                return r;
        started = c->fifo_fd >= 0;
        r = c->hook_point ? child_start_hooks(c, states, err) : 0;
        if (r >= 0)
                r = engine_process_execve(&spec->process, path, c->seccomp, err);
        /* after start nobody reads the sync socket: the container's stderr is all there is */
        if (started)
                dprintf(STDERR_FILENO, "rctr-oci: %s\n", err->msg ? err->msg : "exec failed");
        return r;
}

static void __attribute__((noreturn)) child_main(const struct run_child *c)
{
        struct rctr_error err = {0};

        (void)child_setup(c, &err);
        engine_launch_fail(c->sync_fd, &err);
}

/* ---- in the runtime ---- */

/* The mappings as given: hostIDs are ids of our own user namespace, as runc reads them. */
static char *maps_text(const struct engine_idmap *m, size_t n)
{
        cleanup_buf struct buf text = {0};

        buf_init(&text, 0);
        for (size_t i = 0; i < n; i++)
                (void)buf_appendf(&text, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
        return buf_detach(&text);
}

/* The uid_map and gid_map texts of the container, translated into our namespace if host_ids. */
static int maps_for(const struct engine_spec *spec, bool host_ids, char **ret_uid, char **ret_gid,
                    struct rctr_error *err)
{
        cleanup_free char *self_uid = NULL, *self_gid = NULL;
        int r;

        if (!host_ids) {
                *ret_uid = maps_text(spec->uid_mappings, spec->n_uid_mappings);
                *ret_gid = maps_text(spec->gid_mappings, spec->n_gid_mappings);
                return 0;
        }
        r = read_self_map("uid_map", &self_uid, err);
        if (r >= 0)
                r = read_self_map("gid_map", &self_gid, err);
        if (r >= 0)
                r = engine_userns_translate(self_uid, spec->uid_mappings, spec->n_uid_mappings,
                                            "uidMappings", ret_uid, err);
        if (r >= 0)
                r = engine_userns_translate(self_gid, spec->gid_mappings, spec->n_gid_mappings,
                                            "gidMappings", ret_gid, err);
        return r < 0 ? rctr_error_prefix(err, "linux") : 0;
}

static int write_maps(pid_t pid, const struct engine_spec *spec, bool host_ids,
                      struct rctr_error *err)
{
        cleanup_free char *uidmap = NULL, *gidmap = NULL;
        cleanup_free char *dir = xasprintf("/proc/%d", (int)pid);
        cleanup_close int procfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (procfd < 0)
                return rctr_error_sys(err, errno, "open %s", dir);
        r = maps_for(spec, host_ids, &uidmap, &gidmap, err);
        if (r < 0)
                return r;
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

/* The init exists (at the hook point, or running or waiting before exec): record it, once. */
static int record_started(struct run_child *c, pid_t pid, struct rctr_error *err)
{
        json_t *ann = json_object_get(c->spec->json, "annotations");
        int r;

        if (c->state.id)
                return 0;
        c->state = (struct engine_state){
                .id = xstrdup(c->opts->id),
                .bundle = xstrdup(c->opts->bundle),
                .created = rfc3339_now(),
                .pid = pid,
                .starttime = engine_proc_starttime(pid),
                .annotations = json_is_object(ann) ? json_incref(ann) : json_object(),
                .resources_unapplied = c->spec->has_resources,
        };
        if (c->spec->has_resources)
                log_debug("linux.resources of %s: cgroup limits are not applied by this release",
                          c->opts->id);
        r = engine_state_save(c->opts->state_rootfd, &c->state, err);
        if (r >= 0 && c->opts->pid_file)
                r = engine_launch_write_pid_file(c->opts->pid_file, pid, err);
        return r;
}

/* The init waits at its hook point: run prestart and createRuntime, then send it the state. */
static int parent_hook_point(struct run_child *c, int sync_fd, pid_t pid, struct rctr_error *err)
{
        cleanup_free char *creating = NULL, *created = NULL, *both = NULL;
        size_t n1, n2;
        int r = record_started(c, pid, err);

        if (r < 0)
                return r;
        creating = engine_hook_state_text(&c->state, ENGINE_STATUS_CREATING);
        r = engine_hooks_run(c->hooks, ENGINE_HOOK_PRESTART, creating, err);
        if (r >= 0)
                r = engine_hooks_run(c->hooks, ENGINE_HOOK_CREATE_RUNTIME, creating, err);
        if (r < 0)
                return r;
        created = engine_hook_state_text(&c->state, ENGINE_STATUS_CREATED);
        n1 = strlen(creating), n2 = strlen(created);
        if (n1 + n2 + 2 > RUN_STATE_TEXT_MAX)
                return rctr_error_set(err, E2BIG,
                                      "the state for hooks is over %d bytes (annotations)",
                                      RUN_STATE_TEXT_MAX);
        both = xmalloc(n1 + n2 + 1);
        memcpy(both, creating, n1 + 1);
        memcpy(both + n1 + 1, created, n2);
        if (send(sync_fd, both, n1 + n2 + 1, MSG_NOSIGNAL) < 0)
                return rctr_error_sys(err, errno, "send the state to the container");
        return 0;
}

/* Clone the init; until it runs its command (or waits for start) we wait, then record it. */
static int start_child(struct run_child *c, pid_t *ret_pid, struct rctr_error *err)
{
        cleanup_close int ours = -1;
        unsigned long flags = SIGCHLD;
        int sv[2], r;
        pid_t pid;

        for (int t = 0; t < ENGINE_NS_COUNT; t++)
                if (c->spec->namespaces[t].wanted && !c->spec->namespaces[t].path)
                        flags |= (unsigned long)ns_clone_flags[t];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "create socket pair");
        ours = sv[0];
        c->sync_fd = sv[1];

        /* clone, not unshare: a new pid namespace applies to children only, and init is ours */
        pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                r = rctr_error_sys(err, errno, "create container process");
                close_nointr(sv[1]);
                return r;
        }
        if (pid == 0) {
                close_nointr(TAKE_FD(ours));
                child_main(c);
        }
        close_nointr(sv[1]);
        r = (flags & CLONE_NEWUSER) ? write_maps(pid, c->spec, c->opts->host_ids, err) : 0;
        if (r >= 0 && fs_write_all(ours, "g", 1) < 0)
                r = rctr_error_sys(err, errno, "start container process");
        while (r >= 0) {
                r = engine_launch_await(ours, pid, err);
                if (r < 0)
                        return r; /* it reported a failure and was reaped */
                if (r == 0)
                        break;
                r = parent_hook_point(c, ours, pid, err);
        }
        if (r >= 0)
                r = record_started(c, pid, err);
        if (r < 0) {
                engine_launch_kill(pid);
                return r;
        }
        *ret_pid = pid;
        return 0;
}

/* The container's state directory, and for create its exec.fifo (opened O_PATH for the init). */
static int make_state_dir(const struct engine_run_opts *opts, int *ret_fifo_fd,
                          struct rctr_error *err)
{
        cleanup_close int dirfd = -1;

        if (mkdirat(opts->state_rootfd, opts->id, 0700) < 0) {
                if (errno == EEXIST)
                        return rctr_error_set(err, EEXIST, "container %s already exists", opts->id);
                return rctr_error_sys(err, errno, "create state of %s", opts->id);
        }
        if (!opts->create_only)
                return 0;
        dirfd = openat(opts->state_rootfd, opts->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* 0622: the container's user, whoever it is, must be able to open it for writing */
        if (dirfd < 0 || mkfifoat(dirfd, "exec.fifo", 0622) < 0 ||
            fchmodat(dirfd, "exec.fifo", 0622, 0) < 0)
                return rctr_error_sys(err, errno, "create exec.fifo of %s", opts->id);
        *ret_fifo_fd = openat(dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
        if (*ret_fifo_fd < 0)
                return rctr_error_sys(err, errno, "open exec.fifo of %s", opts->id);
        return 0;
}

static void run_hooks_warn(const struct run_child *c, enum engine_hook_kind kind,
                           enum engine_status status)
{
        cleanup_free char *text = NULL;

        if (!engine_hooks_any(c->hooks, kind))
                return;
        text = engine_hook_state_text(&c->state, status);
        engine_hooks_run_warn(c->hooks, kind, text);
}

static int check_spec(const struct engine_spec *spec, struct rctr_error *err)
{
        int r;

        if (!spec->has_process)
                return rctr_error_set(err, EINVAL, "config.json: process: missing");
        if (!spec->namespaces[ENGINE_NS_MOUNT].wanted)
                return rctr_error_set(
                        err, EINVAL,
                        "config.json: linux.namespaces: a mount namespace is required");
        r = engine_timens_check(spec, err);
        if (r < 0)
                return r;
        return engine_process_check_lsm(&spec->process, err);
}

int engine_run(const struct engine_run_opts *opts, const struct engine_spec *spec,
               struct rctr_error *err)
{
        cleanup_free char *joined = NULL, *rootfs = NULL;
        CLEANUP(engine_seccomp_freep) struct engine_seccomp *seccomp = NULL;
        CLEANUP(engine_hooks_freep) struct engine_hooks *hooks = NULL;
        cleanup_close int console_fd = -1, relay_fd = -1, fifo_fd = -1;
        int ns_fds[ENGINE_NS_COUNT];
        CLEANUP(run_child_clear)
        struct run_child c = {.spec = spec, .opts = opts, .ns_fds = ns_fds};
        pid_t pid = 0;
        int r = check_spec(spec, err);

        if (r < 0)
                return r;
        for (int t = 0; t < ENGINE_NS_COUNT; t++)
                ns_fds[t] = -1;
        joined = spec->root_path[0] == '/' ? xstrdup(spec->root_path)
                                           : xasprintf("%s/%s", opts->bundle, spec->root_path);
        rootfs = realpath(joined, NULL);
        if (!rootfs)
                return rctr_error_sys(err, errno, "root.path %s", joined);
        /* compiled here, so that a bad profile fails before anything was made */
        r = engine_seccomp_new(engine_spec_linux(spec, "seccomp"), &seccomp, err);
        if (r < 0)
                return r;
        c.seccomp = seccomp;
        r = engine_hooks_parse(json_object_get(spec->json, "hooks"), &hooks, err);
        if (r < 0)
                return r;
        c.hooks = hooks;
        c.hook_point = engine_hooks_any(hooks, ENGINE_HOOK_PRESTART) ||
                       engine_hooks_any(hooks, ENGINE_HOOK_CREATE_RUNTIME) ||
                       engine_hooks_any(hooks, ENGINE_HOOK_CREATE_CONTAINER) ||
                       engine_hooks_any(hooks, ENGINE_HOOK_START_CONTAINER);
        if (opts->console_fd >= 0 && spec->process.terminal) {
                console_fd = fcntl(opts->console_fd, F_DUPFD_CLOEXEC, 3);
                r = console_fd < 0 ? rctr_error_sys(err, errno, "duplicate console socket") : 0;
        } else {
                r = engine_console_open(opts->console_socket, spec->process.terminal,
                                        opts->create_only ? "create"
                                        : opts->detach    ? "run --detach"
                                                          : NULL,
                                        &console_fd, &relay_fd, err);
        }
        if (r >= 0)
                r = open_joined_namespaces(spec, ns_fds, err);
        if (r >= 0)
                r = make_state_dir(opts, &fifo_fd, err);
        if (r >= 0) {
                c.rootfs = rootfs;
                c.fifo_fd = fifo_fd;
                c.console_fd = console_fd;
                r = start_child(&c, &pid, err);
                if (r < 0) {
                        cleanup_error struct rctr_error ignored = {0};

                        (void)engine_state_remove(opts->state_rootfd, opts->id, &ignored);
                }
        }
        close_all(ns_fds, ENGINE_NS_COUNT);
        if (r < 0)
                return r;
        closep(&console_fd);
        if (opts->create_only)
                return 0; /* the caller's subreaper adopts the init when we exit */
        run_hooks_warn(&c, ENGINE_HOOK_POSTSTART, ENGINE_STATUS_RUNNING);
        if (opts->detach)
                return 0;
        r = engine_console_follow(pid, relay_fd, err);
        /* run in the foreground without --keep: the container leaves no state behind */
        if (!opts->keep) {
                cleanup_error struct rctr_error ignored = {0};

                run_hooks_warn(&c, ENGINE_HOOK_POSTSTOP, ENGINE_STATUS_STOPPED);
                (void)engine_state_remove(opts->state_rootfd, opts->id, &ignored);
        }
        return r;
}

int engine_start(int state_rootfd, const char *id, struct rctr_error *err)
{
        CLEANUP(engine_state_clear) struct engine_state st = {0};
        cleanup_free char *fifo = xasprintf("%s/exec.fifo", id);
        cleanup_close int fd = -1;
        enum engine_status status;
        char byte;
        int r = engine_state_load(state_rootfd, id, &st, err);

        if (r < 0)
                return r;
        status = engine_state_status(state_rootfd, &st);
        if (status != ENGINE_STATUS_CREATED)
                return rctr_error_set(err, EBUSY, "container %s is %s, not created", id,
                                      engine_status_name(status));
        /* non-blocking: if the init died meanwhile, a blocking open would wait for ever */
        fd = openat(state_rootfd, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open exec.fifo of %s", id);
        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                ssize_t n;

                (void)RETRY_EINTR(poll(&pfd, 1, 100));
                n = RETRY_EINTR(read(fd, &byte, 1));
                if (n == 1)
                        break;
                if (engine_proc_starttime(st.pid) == 0)
                        return rctr_error_set(err, ESRCH, "container %s exited before start", id);
        }
        (void)unlinkat(state_rootfd, fifo, 0);
        engine_hook_run_from_bundle(&st, ENGINE_HOOK_POSTSTART, ENGINE_STATUS_RUNNING);
        return 0;
}
