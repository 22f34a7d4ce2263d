/* Starting a container under its monitor: the rootfs, the double fork, the monitor's report. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container-record.h"
#include "engine/container-state.h"
#include "engine/container.h"
#include "engine/monitor-report.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/driver.h"

int engine_ctx_open(struct engine_ctx *ctx, const char *store_root, const char *runroot,
                    bool rootless, struct rctr_error *err)
{
        cleanup_close int runrootfd = -1;
        int r;

        *ctx = (struct engine_ctx){.ctrsfd = -1, .runfd = -1, .ocifd = -1, .rootless = rootless};
        ctx->store_root = xstrdup(store_root);
        ctx->runroot = xstrdup(runroot);
        r = fs_mkdir_p(runroot, 0700, err);
        if (r < 0)
                return r;
        runrootfd = open(runroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (runrootfd < 0)
                return rctr_error_sys(err, errno, "open %s", runroot);
        ctx->ctrsfd = engine_containers_open(store_root, err);
        if (ctx->ctrsfd < 0)
                return ctx->ctrsfd;
        ctx->runfd = fs_mkdir_open_at(runrootfd, "containers", 0700, err);
        if (ctx->runfd < 0)
                return ctx->runfd;
        ctx->ocifd = fs_mkdir_open_at(runrootfd, "oci", 0700, err);
        return ctx->ocifd < 0 ? ctx->ocifd : 0;
}

void engine_ctx_close(struct engine_ctx *ctx)
{
        closep(&ctx->ctrsfd);
        closep(&ctx->runfd);
        closep(&ctx->ocifd);
        free(ctx->store_root);
        free(ctx->runroot);
        ctx->store_root = ctx->runroot = NULL;
}

char *engine_container_dir(const struct engine_ctx *ctx, const char *id)
{
        return xasprintf("%s/containers/%s", ctx->store_root, id);
}

char *engine_container_storage_dir(const struct engine_ctx *ctx, const char *id)
{
        return xasprintf("%s/containers/%s/storage", ctx->store_root, id);
}

int engine_container_mount(const struct engine_ctx *ctx, const struct engine_container *c,
                           char **ret_rootfs, struct rctr_error *err)
{
        cleanup_free char *dir = engine_container_storage_dir(ctx, c->id);
        enum storage_driver_kind kind;
        size_t n = 0;
        int r = storage_driver_parse(c->driver, &kind, err);

        while (c->layers && c->layers[n])
                n++;
        if (r >= 0)
                r = fs_mkdir_p(dir, 0700, err);
        if (r >= 0)
                r = storage_driver_mount_throwaway(kind, (const char *const *)c->layers, n, dir,
                                                   ctx->rootless, c->rm, ret_rootfs, err);
        return r < 0 ? rctr_error_prefix(err, "mount the root file system of %s", c->name) : 0;
}

/* The middle child: a new session, then the monitor as its child, then go (the monitor is
 * adopted by our subreaper or init: it outlives rctr and its terminal). */
static void __attribute__((noreturn)) spawn_monitor(const struct engine_monitor_args *a)
{
        pid_t pid;

        (void)setsid();
        pid = fork();
        if (pid == 0)
                engine_monitor_main(a);
        _exit(pid < 0 ? 1 : 0);
}

int engine_container_start(const struct engine_ctx *ctx, const struct engine_container *c,
                           int *ret_sock, struct rctr_error *err)
{
        cleanup_free char *rootfs = NULL;
        cleanup_close int rfd = -1, wfd = -1, client = -1, mine = -1;
        struct engine_monitor_args a = {.ctx = ctx, .c = c, .client_fd = -1};
        int pipefd[2], sv[2], status;
        pid_t mid;
        int r = engine_container_mount(ctx, c, &rootfs, err);

        if (r < 0)
                return r;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return rctr_error_sys(err, errno, "create pipe");
        rfd = pipefd[0];
        wfd = pipefd[1];
        if (ret_sock) {
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                        return rctr_error_sys(err, errno, "create socket pair");
                mine = sv[0];
                client = sv[1];
        }
        a.rootfs = rootfs;
        a.client_fd = client;
        a.report_fd = wfd;
        fflush(stdout);
        fflush(stderr);
        mid = fork();
        if (mid < 0)
                return rctr_error_sys(err, errno, "fork the container's monitor");
        if (mid == 0)
                spawn_monitor(&a);
        closep(&wfd);
        closep(&client);
        (void)RETRY_EINTR(waitpid(mid, &status, 0));
        r = engine_monitor_report_read(rfd, err);
        if (r < 0)
                return rctr_error_prefix(err, "start %s", c->name);
        if (ret_sock)
                *ret_sock = TAKE_FD(mine);
        return 0;
}
