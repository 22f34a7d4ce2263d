/* Holding a container's root file system for cp, export and diff: live, or mounted for a while. */
#include <config.h>
#include "engine/container-rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/container.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static bool is_running(const struct engine_ctr_state *s)
{
        return s->status == ENGINE_CTR_RUNNING || s->status == ENGINE_CTR_PAUSED ||
               s->status == ENGINE_CTR_STOPPING;
}

/* The container's own root, as its processes see it; -1 when its init is gone. */
static int open_live_root(const struct engine_ctr_state *s)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/root", (int)s->pid);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* checked after the open: had the pid been reused, its start time would differ */
        if (fd >= 0 && !engine_pid_alive(s->pid, s->pid_start)) {
                close_nointr(fd);
                return -1;
        }
        return fd;
}

static int hold_running(const struct engine_container *c, const struct engine_ctr_state *s,
                        bool live, struct engine_rootfs_hold *ret, struct rctr_error *err)
{
        int fd = live ? open_live_root(s) : -1;

        if (fd >= 0) {
                ret->rootfd = fd;
                ret->live = true;
                return 0;
        }
        if (!s->rootfs)
                return rctr_error_set(err, EIO,
                                      "container %s runs, but where its root file "
                                      "system is mounted is not recorded",
                                      c->name);
        /* no lock kept: when it exits meanwhile, its unmount (MNT_DETACH) leaves our fd valid */
        fd = open(s->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open the root file system of %s", c->name);
        ret->rootfd = fd;
        return 0;
}

int engine_container_rootfs_hold(const struct engine_ctx *ctx, const struct engine_container *c,
                                 bool live, struct engine_rootfs_hold *ret, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_free char *lockname = xasprintf("%s/lock", c->id), *rootfs = NULL;
        cleanup_close int lock = -1;
        int r;

        *ret = (struct engine_rootfs_hold)ENGINE_ROOTFS_HOLD_INIT;
        lock = engine_lock_at(ctx->ctrsfd, lockname, true, err);
        if (lock < 0)
                return lock;
        r = engine_container_state(ctx, c->id, &s, err);
        if (r < 0)
                return r;
        if (is_running(&s))
                return hold_running(c, &s, live, ret, err);
        /* not running: the lock stays with us, so it is neither started nor removed meanwhile */
        r = engine_container_mount(ctx, c, &rootfs, err);
        if (r < 0)
                return r;
        ret->mounted = true;
        ret->lockfd = TAKE_FD(lock);
        ret->rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ret->rootfd < 0) {
                cleanup_error struct rctr_error ignored = {0};

                r = rctr_error_sys(err, errno, "open %s", rootfs);
                (void)engine_container_rootfs_release(ctx, c, ret, &ignored);
                return r;
        }
        return 0;
}

int engine_container_rootfs_release(const struct engine_ctx *ctx, const struct engine_container *c,
                                    struct engine_rootfs_hold *h, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        int r = 0;

        closep(&h->rootfd);
        if (h->mounted) {
                h->mounted = false;
                /* our lock is still held: it cannot have been started on this mount */
                r = engine_container_state(ctx, c->id, &s, err);
                if (r >= 0 && !is_running(&s))
                        r = engine_container_cleanup(ctx, c, &s, err);
        }
        closep(&h->lockfd);
        return r;
}
