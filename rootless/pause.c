#include <config.h>
#include "pause.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diagnose.h"
#include "idmap.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/parse.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"

enum pause_step {
        PAUSE_STEP_USERNS = 1, /* unshare(CLONE_NEWUSER) done (or failed) */
        PAUSE_STEP_MNTNS,      /* unshare(CLONE_NEWNS) done (or failed) */
};

/* What the pause process tells its creator over the sync socket. */
struct pause_msg {
        int32_t pid;  /* the pause process, as seen by the creator */
        int32_t step; /* enum pause_step */
        int32_t code; /* 0 or the errno of that step */
};

void rootless_plan_clear(struct rootless_plan *plan)
{
        free(plan->newuidmap);
        free(plan->newgidmap);
        plan->newuidmap = plan->newgidmap = NULL;
}

/* ---- the pause process itself: forked, never execs, so async-signal-safe calls only ---- */

static void pause_send(int fd, enum pause_step step, int code)
{
        struct pause_msg m = {.pid = (int32_t)getpid(), .step = step, .code = code};

        (void)!write(fd, &m, sizeof(m));
}

static void __attribute__((noreturn)) pause_child(int sync_fd)
{
        int null_fd, go = 0;

        /*
         * Drop every inherited fd first: above all the pause.lock fd, whose flock would otherwise
         * stay held for the lifetime of this process and block every later creation.
         */
        if (sync_fd != 3 && dup3(sync_fd, 3, O_CLOEXEC) < 0)
                _exit(1);
        sync_fd = 3;
        spawn_close_from(4);

        /*
         * A new user namespace owned by the user: inside it we hold every capability, which the
         * mount namespace, overlay mounts and containers need, while on the host we gain nothing.
         * Its id maps are written from outside by our creator (newuidmap needs our pid).
         */
        if (unshare(CLONE_NEWUSER) < 0) {
                pause_send(sync_fd, PAUSE_STEP_USERNS, errno);
                _exit(1);
        }
        pause_send(sync_fd, PAUSE_STEP_USERNS, 0);
        if (RETRY_EINTR(read(sync_fd, &go, sizeof(go))) != sizeof(go) || go != 1)
                _exit(1); /* creator failed to map us or died: vanish */

        /*
         * A mount namespace owned by the new user namespace: rctr's overlay and bind mounts live
         * here, shared by every invocation that joins us, and invisible to the host.
         */
        if (unshare(CLONE_NEWNS) < 0) {
                pause_send(sync_fd, PAUSE_STEP_MNTNS, errno);
                _exit(1);
        }

        /* Own session: a Ctrl-C or hangup on the creator's terminal must not reach us. */
        (void)setsid();
        (void)prctl(PR_SET_NAME, ROOTLESS_PAUSE_COMM, 0, 0, 0);
        (void)!chdir("/");
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
                (void)dup2(null_fd, STDIN_FILENO);
                (void)dup2(null_fd, STDOUT_FILENO);
                (void)dup2(null_fd, STDERR_FILENO);
        }
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGTSTP, SIG_IGN);
        signal(SIGTTIN, SIG_IGN);
        signal(SIGTTOU, SIG_IGN);
        pause_send(sync_fd, PAUSE_STEP_MNTNS, 0);
        spawn_close_from(3);
        for (;;)
                pause(); /* SIGTERM or SIGKILL end us; the next rctr makes a new one */
}

/* ---- the creator ---- */

static int pause_recv(int fd, enum pause_step step, struct pause_msg *m, struct rctr_error *err)
{
        ssize_t n = RETRY_EINTR(read(fd, m, sizeof(*m)));

        if (n < 0)
                return rctr_error_sys(err, errno, "read from pause process");
        if (n != (ssize_t)sizeof(*m) || m->step != (int32_t)step)
                return rctr_error_set(err, EPROTO, "pause process exited during setup");
        return 0;
}

static int map_ids(pid_t pid, const char *helper, const char *file, uint32_t host_id,
                   const struct rootless_ranges *ranges, struct rctr_error *err)
{
        cleanup_strv char **argv = NULL;
        cleanup_buf struct buf out = {0};
        int status;

        buf_init(&out, 4096);
        argv = rootless_idmap_argv(helper, pid, host_id, ranges);
        status = spawn_run(argv, &out, err);
        if (status < 0)
                return status;
        if (status != 0) {
                /* First line of the helper's own complaint, then where to look. */
                char *nl = strchr(out.data, '\n');

                if (nl)
                        *nl = '\0';
                return rctr_error_set(err, EPERM, "%s exited with status %d: %s (check %s)", helper,
                                      status, out.len ? out.data : "no message", file);
        }
        return 0;
}

static int map_single(int procfd, const char *file, const char *text, struct rctr_error *err)
{
        return fs_write_string_at(procfd, file, text, err);
}

/* Write the uid and gid maps of the new namespace of pid. */
static int pause_write_maps(pid_t pid, const struct rootless_plan *plan, struct rctr_error *err)
{
        cleanup_free char *procpath = xasprintf("/proc/%d", (int)pid);
        cleanup_close int procfd = open(procpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cleanup_free char *uidmap = xasprintf("0 %u 1\n", plan->uid);
        cleanup_free char *gidmap = xasprintf("0 %u 1\n", plan->gid);
        int r;

        if (procfd < 0)
                return rctr_error_sys(err, errno, "open %s", procpath);
        if (plan->newuidmap)
                r = map_ids(pid, plan->newuidmap, "/etc/subuid", plan->uid, &plan->uids, err);
        else
                r = map_single(procfd, "uid_map", uidmap, err);
        if (r < 0)
                return rctr_error_prefix(err, "set up uid mapping");

        if (plan->newgidmap) {
                r = map_ids(pid, plan->newgidmap, "/etc/subgid", plan->gid, &plan->gids, err);
        } else {
                /*
                 * Single-id fallback (no subgid range): since Linux 3.19 an unprivileged process
                 * may write gid_map only after "deny" is in setgroups; otherwise a process in the
                 * namespace could drop a group that a host ACL denies access to (CVE-2014-8989).
                 */
                r = fs_write_string_at(procfd, "setgroups", "deny", err);
                if (r >= 0)
                        r = map_single(procfd, "gid_map", gidmap, err);
        }
        if (r < 0)
                return rctr_error_prefix(err, "set up gid mapping");
        return 0;
}

static int pause_fork(int sync_fd, struct rctr_error *err)
{
        int status;
        pid_t mid = fork();

        if (mid < 0)
                return rctr_error_sys(err, errno, "fork pause process");
        if (mid == 0) {
                /*
                 * Fork twice so the pause process is not our child: after `rctr unshare sh` the
                 * shell would otherwise inherit a child it never started and wait for it.
                 */
                pid_t pid = fork();

                if (pid == 0)
                        pause_child(sync_fd);
                _exit(pid < 0 ? 1 : 0);
        }
        if (RETRY_EINTR(waitpid(mid, &status, 0)) < 0)
                return rctr_error_sys(err, errno, "wait for pause process");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return rctr_error_set(err, EAGAIN, "fork pause process: failed");
        return 0;
}

static int pause_setup(int sync_fd, const struct rootless_plan *plan, pid_t *ret_pid,
                       struct rctr_error *err)
{
        struct pause_msg m;
        int go = 1, r;

        r = pause_recv(sync_fd, PAUSE_STEP_USERNS, &m, err);
        if (r < 0)
                return r;
        if (m.code != 0) {
                cleanup_free char *why = rootless_userns_explain_host(m.code);

                return rctr_error_set(err, m.code, "create user namespace: %s", why);
        }
        *ret_pid = m.pid;
        r = pause_write_maps(m.pid, plan, err);
        if (r < 0)
                return r;
        if (fs_write_all(sync_fd, &go, sizeof(go)) < 0)
                return rctr_error_sys(err, errno, "signal pause process");
        r = pause_recv(sync_fd, PAUSE_STEP_MNTNS, &m, err);
        if (r < 0)
                return r;
        if (m.code != 0)
                return rctr_error_sys(err, m.code, "create mount namespace");
        return 0;
}

int rootless_pause_create(int rundirfd, const struct rootless_plan *plan, struct rctr_error *err)
{
        cleanup_close int ours = -1, theirs = -1;
        cleanup_free char *pidtext = NULL;
        pid_t pid = 0;
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return rctr_error_sys(err, errno, "create socket pair");
        ours = sv[0], theirs = sv[1];
        r = pause_fork(theirs, err);
        if (r < 0)
                return r;
        close_nointr(TAKE_FD(theirs)); /* now a read sees EOF if the pause process dies */

        r = pause_setup(ours, plan, &pid, err);
        if (r < 0) {
                if (pid > 0)
                        (void)kill(pid, SIGKILL); /* our own half-made pause process */
                return r;
        }
        pidtext = xasprintf("%d\n", (int)pid);
        r = fs_write_atomic_at(rundirfd, "pause.pid", pidtext, strlen(pidtext), 0600, err);
        if (r < 0) {
                (void)kill(pid, SIGKILL);
                return r;
        }
        log_debug("started pause process %d", (int)pid);
        return pid;
}

/* ---- joining ---- */

/* Open /proc/PID if it is a live pause process of ours. -ESRCH otherwise (err untouched). */
static int pause_open_proc(int rundirfd, pid_t *ret_pid, struct rctr_error *err)
{
        cleanup_error struct rctr_error ignored = {0};
        cleanup_buf struct buf text = {0}, comm = {0};
        cleanup_free char *path = NULL;
        cleanup_close int procfd = -1;
        uint64_t pid;
        struct stat st;

        buf_init(&text, 32);
        buf_init(&comm, 64);
        if (fs_read_at(rundirfd, "pause.pid", &text, &ignored) < 0)
                return -ESRCH;
        while (text.len > 0 && text.data[text.len - 1] == '\n')
                text.data[--text.len] = '\0';
        if (parse_u64_max(text.data, INT32_MAX, &pid) < 0 || pid < 2)
                return -ESRCH;

        /*
         * Everything below goes through this directory fd: if the process dies and its pid is
         * reused meanwhile, the fd keeps pointing at the dead one and every read fails, so we
         * can never join an unrelated process's namespaces.
         */
        path = xasprintf("/proc/%llu", (unsigned long long)pid);
        procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return -ESRCH;
        if (fstat(procfd, &st) < 0 || st.st_uid != geteuid())
                return -ESRCH;
        if (fs_read_at(procfd, "comm", &comm, &ignored) < 0 ||
            strcmp(comm.data, ROOTLESS_PAUSE_COMM "\n") != 0)
                return -ESRCH;
        *ret_pid = (pid_t)pid;
        return TAKE_FD(procfd);
}

static bool same_ns(int fd_a, int fd_b)
{
        struct stat a, b;

        return fstat(fd_a, &a) == 0 && fstat(fd_b, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* setns(CLONE_NEWNS) moves the cwd to the new namespace's root: come back to where we were. */
static void restore_cwd(const char *cwd)
{
        if (!cwd || chdir(cwd) < 0) {
                log_debug("cannot return to %s in the rootless mount namespace, using /",
                          cwd ? cwd : "(unknown)");
                (void)!chdir("/");
        }
}

int rootless_pause_join(int rundirfd, struct rctr_error *err)
{
        cleanup_close int procfd = -1, userns = -1, mntns = -1, self = -1;
        cleanup_free char *cwd = NULL;
        pid_t pid = 0;

        procfd = pause_open_proc(rundirfd, &pid, err);
        if (procfd < 0)
                return procfd;
        userns = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
        mntns = openat(procfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        if (userns < 0 || mntns < 0)
                return -ESRCH; /* exited (a zombie has no namespaces) */
        self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        if (self >= 0 && same_ns(self, userns))
                return 0; /* already inside, e.g. rctr run from `rctr unshare` */

        cwd = getcwd(NULL, 0);
        /*
         * Become uid 0 with full capabilities in the user's namespace (we own it, so the kernel
         * lets us in without privilege on the host); must come before the mount namespace, which
         * needs CAP_SYS_ADMIN in its owner namespace. Requires a single-threaded process.
         */
        if (setns(userns, CLONE_NEWUSER) < 0)
                return rctr_error_sys(err, errno, "join user namespace of pause process %d",
                                      (int)pid);
        /* The shared mount namespace: rctr's mounts made by one invocation are seen by all. */
        if (setns(mntns, CLONE_NEWNS) < 0)
                return rctr_error_sys(err, errno, "join mount namespace of pause process %d",
                                      (int)pid);
        restore_cwd(cwd);
        log_debug("joined pause process %d", (int)pid);
        return 0;
}
