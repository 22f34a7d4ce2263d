/* Finding containers and starting them attached: what run, start, attach and the rest share. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "engine/attach.h"
#include "engine/container-state.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

int cmd_ctx_open(struct cmd_global *g, struct engine_ctx *ctx, struct rctr_error *err)
{
        const char *root = cmd_global_store(g, err);
        int r;

        if (!root)
                return -EINVAL;
        r = cmd_enter_userns(g, err);
        if (r < 0)
                return r;
        return engine_ctx_open(ctx, root, g->runroot, g->rootless, err);
}

int cmd_container_lookup(const struct engine_ctx *ctx, const char *text,
                         struct engine_container *ret, struct rctr_error *err)
{
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        const struct engine_container *found = NULL;
        int r = engine_container_list(ctx->ctrsfd, &l, err);

        if (r >= 0)
                r = engine_container_find(&l, text, &found, err);
        if (r < 0)
                return r;
        /* moved out of the list, which is freed */
        *ret = *found;
        l.v[found - l.v] = (struct engine_container){0};
        return 0;
}

int cmd_container_open(struct cmd_global *g, struct engine_ctx *ctx, const char *text,
                       struct engine_container *ret, struct engine_ctr_state *ret_state,
                       struct rctr_error *err)
{
        int r = cmd_ctx_open(g, ctx, err);

        if (r >= 0)
                r = cmd_container_lookup(ctx, text, ret, err);
        if (r >= 0)
                r = engine_container_state(ctx, ret->id, ret_state, err);
        return r;
}

int cmd_container_lock(const struct engine_ctx *ctx, const char *id, struct rctr_error *err)
{
        cleanup_free char *name = xasprintf("%s/lock", id);

        return engine_lock_at(ctx->ctrsfd, name, true, err);
}

int cmd_container_start_attached(const struct engine_ctx *ctx, const struct engine_container *c,
                                 bool attach, bool interactive, bool sig_proxy,
                                 const char *detach_keys, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_close int lock = -1, sock = -1;
        struct engine_attach_opts ao = {
                .stdin = interactive,
                .tty = c->tty && isatty(STDIN_FILENO),
                .sig_proxy = sig_proxy && !c->tty,
        };
        char keys[16];
        sigset_t saved;
        bool detached = false;
        int code = -1, r;

        r = engine_attach_parse_keys(detach_keys ? detach_keys : "ctrl-p,ctrl-q", keys,
                                     sizeof(keys), err);
        if (r < 0)
                return r;
        ao.detach_keys = keys;
        ao.detach_keys_len = (size_t)r;
        lock = cmd_container_lock(ctx, c->id, err);
        if (lock < 0)
                return lock;
        r = engine_container_state(ctx, c->id, &s, err);
        if (r < 0)
                return r;
        if (s.status != ENGINE_CTR_CREATED && s.status != ENGINE_CTR_EXITED)
                return rctr_error_set(err, EBUSY, "container %s is %s: stop it first", c->name,
                                      engine_ctr_status_name(s.status));
        /* passthrough: the container has our stdio itself, there is nothing to relay */
        if (attach && streq(c->log_driver, "passthrough"))
                ao.stdin = false;
        /* a signal from now on is the container's: held until the relay forwards it */
        if (attach && ao.sig_proxy)
                engine_attach_block_signals(&saved);
        r = engine_container_start(ctx, c, attach ? &sock : NULL, err);
        closep(&lock);
        if (r >= 0 && attach)
                r = engine_attach_relay(sock, &ao, &code, &detached, err);
        if (attach && ao.sig_proxy)
                sigprocmask(SIG_SETMASK, &saved, NULL);
        if (r < 0 || !attach)
                return r;
        if (r < 0)
                return r;
        if (detached) {
                if (ao.tty)
                        fputs("\r\n", stderr);
                return 0;
        }
        /* the monitor did not know the exit code (-1): as podman, 125... unknown is an error */
        if (code < 0)
                return rctr_error_set(err, EIO, "the exit code of %s is unknown", c->name);
        return code;
}
