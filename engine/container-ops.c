/* Stopping, killing, waiting for, cleaning up after and removing containers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/container.h"
#include "engine/state.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver.h"

/* Unmount the rootfs and drop the runtime's state and the run directory. */
static int release(const struct engine_ctx *ctx, const struct engine_container *c,
                   struct rctr_error *err)
{
        cleanup_free char *dir = engine_container_storage_dir(ctx, c->id);
        cleanup_error struct rctr_error ignored = {0};
        enum storage_driver_kind kind;
        int r = storage_driver_parse(c->driver, &kind, err);

        if (r >= 0)
                r = storage_driver_unmount(kind, dir, err);
        if (r < 0)
                return rctr_error_prefix(err, "unmount the root file system of %s", c->name);
        (void)engine_state_remove(ctx->ocifd, c->id, &ignored);
        (void)fs_remove_tree_at(ctx->runfd, c->id, &ignored);
        return 0;
}

int engine_container_cleanup(const struct engine_ctx *ctx, const struct engine_container *c,
                             struct engine_ctr_state *s, struct rctr_error *err)
{
        int r = release(ctx, c, err);

        if (r < 0)
                return r;
        free(s->rootfs);
        s->rootfs = NULL;
        s->pid = 0;
        return engine_ctr_state_save(ctx->ctrsfd, c->id, s, err);
}

int engine_container_remove(const struct engine_ctx *ctx, const struct engine_container *c,
                            struct rctr_error *err)
{
        cleanup_free char *tmp = xasprintf(".rm-%s", c->id);
        int r = release(ctx, c, err);

        if (r < 0)
                return r;
        /* renamed first: a remove cut short leaves no half container that ps would show */
        if (renameat(ctx->ctrsfd, c->id, ctx->ctrsfd, tmp) < 0)
                return errno == ENOENT
                               ? rctr_error_set(err, ENOENT, "container %s is gone", c->name)
                               : rctr_error_sys(err, errno, "remove container %s", c->name);
        return fs_remove_tree_at(ctx->ctrsfd, tmp, err);
}

/*
 * ret says running but the container and its monitor are gone. The monitor may have recorded the
 * exit between our read and its death: read again before believing nobody did, and again under
 * the lock before writing, so that a settled -1 never overwrites the monitor's exit code.
 */
static int settle_dead(const struct engine_ctx *ctx, const char *id, struct engine_ctr_state *ret,
                       struct rctr_error *err)
{
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        cleanup_free char *lock = xasprintf("%s/lock", id);
        cleanup_close int lockfd = -1;
        cleanup_error struct rctr_error ignored = {0};
        int r;

        engine_ctr_state_clear(ret);
        r = engine_ctr_state_load(ctx->ctrsfd, id, ret, err);
        if (r < 0 || !engine_ctr_state_settle(ret))
                return r;
        /* nobody will clean up after this one: its mounts go now; not waiting for the lock:
         * whoever holds it (maybe our caller) cleans up itself */
        if (engine_container_load(ctx->ctrsfd, id, &c, &ignored) < 0)
                return 0;
        lockfd = openat(ctx->ctrsfd, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0)
                return 0;
        engine_ctr_state_clear(ret);
        r = engine_ctr_state_load(ctx->ctrsfd, id, ret, err);
        if (r < 0 || !engine_ctr_state_settle(ret))
                return r;
        (void)engine_container_cleanup(ctx, &c, ret, &ignored);
        return 0;
}

int engine_container_state(const struct engine_ctx *ctx, const char *id,
                           struct engine_ctr_state *ret, struct rctr_error *err)
{
        int r = engine_ctr_state_load(ctx->ctrsfd, id, ret, err);

        if (r < 0)
                return r;
        if (engine_ctr_state_settle(ret))
                return settle_dead(ctx, id, ret, err);
        return 0;
}

int engine_container_kill(const struct engine_ctx *ctx, const struct engine_container *c, int sig,
                          struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        int r = engine_container_state(ctx, c->id, &s, err);

        if (r < 0)
                return r;
        if (!engine_ctr_status_active(s.status) || !engine_pid_alive(s.pid, s.pid_start))
                return rctr_error_set(err, ESRCH, "container %s is not running", c->name);
        if (kill(s.pid, sig) < 0)
                return rctr_error_sys(err, errno, "send signal %d to container %s", sig, c->name);
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until pid (which started at start) is gone; false on timeout. */
static bool wait_gone(pid_t pid, uint64_t start, int timeout_ms)
{
        int64_t deadline = now_ms() + timeout_ms;
        cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

        /* the pidfd may belong to a newer process with this pid: check the start time too */
        while (engine_pid_alive(pid, start)) {
                int64_t left = timeout_ms < 0 ? 100 : deadline - now_ms();
                struct pollfd p = {.fd = pidfd, .events = POLLIN};

                if (timeout_ms >= 0 && left <= 0)
                        return false;
                if (pidfd >= 0)
                        (void)poll(&p, 1, left < 100 ? (int)left : 100);
                else
                        usleep(10000);
        }
        return true;
}

int engine_container_wait(const struct engine_ctx *ctx, const char *id, int timeout_ms,
                          struct engine_ctr_state *ret, struct rctr_error *err)
{
        int64_t deadline = now_ms() + timeout_ms;

        for (;;) {
                CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
                int left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
                int r = engine_container_state(ctx, id, &s, err);

                if (r < 0)
                        return r;
                if (!engine_ctr_status_active(s.status) && !engine_ctr_monitor_alive(&s)) {
                        *ret = s;
                        s = (struct engine_ctr_state){0};
                        return 0;
                }
                if (timeout_ms >= 0 && left <= 0)
                        return -ETIMEDOUT;
                /* the container first, then its monitor, who records the exit */
                if (engine_ctr_status_active(s.status))
                        (void)wait_gone(s.pid, s.pid_start, left);
                else
                        (void)wait_gone(s.monitor_pid, s.monitor_start,
                                        left < 0 || left > 100 ? 100 : left);
        }
}

int engine_container_stop(const struct engine_ctx *ctx, const struct engine_container *c,
                          unsigned timeout, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state done = {0};
        int r = engine_container_state(ctx, c->id, &s, err);

        if (r < 0)
                return r;
        if (engine_ctr_status_active(s.status)) {
                (void)kill(s.pid, timeout ? c->stop_signal : SIGKILL);
                if (timeout && !wait_gone(s.pid, s.pid_start, (int)timeout * 1000))
                        (void)kill(s.pid, SIGKILL);
        }
        r = engine_container_wait(ctx, c->id, 30000, &done, err);
        if (r == -ETIMEDOUT)
                return rctr_error_set(err, ETIMEDOUT,
                                      "container %s did not stop: its processes survive SIGKILL",
                                      c->name);
        return r;
}
