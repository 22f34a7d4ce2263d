/*
 * rctr pause and unpause: freeze and thaw a container's processes through the freezer of a
 * cgroup of its own (engine/freezer.h). Rootless containers here have none (no cgroup v2
 * delegation), which is said in one line instead of freezing anything else.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-state.h"
#include "engine/freezer.h"
#include "lib/error.h"
#include "lib/macros.h"

static const struct cmd_opt pause_opts[] = {
        {"all", 'a', NULL, "every running container (unpause: every paused one)"},
        {0},
};

static int set_frozen(const struct engine_ctx *ctx, const struct engine_container *c, bool pause,
                      bool rootless, struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_close int lock = cmd_container_lock(ctx, c->id, err);
        enum engine_ctr_status want = pause ? ENGINE_CTR_RUNNING : ENGINE_CTR_PAUSED;
        int r = lock < 0 ? lock : engine_container_state(ctx, c->id, &s, err);

        if (r < 0)
                return r;
        if (s.status != want)
                return rctr_error_set(err, EBUSY, "%s is %s, not %s: cannot %s it", c->name,
                                      engine_ctr_status_name(s.status),
                                      engine_ctr_status_name(want), pause ? "pause" : "unpause");
        r = engine_freezer_set(s.pid, pause, err);
        if (r < 0 && rootless && pause &&
            (r == -EOPNOTSUPP || r == -EACCES || r == -EPERM || r == -EROFS || r == -ENOENT)) {
                /* the freezer's own reason names cgroup internals: say what the user can do */
                rctr_error_clear(err);
                return rctr_error_set(err, EOPNOTSUPP,
                                      "%s: pausing needs a cgroup of the container's own that "
                                      "the user may freeze (cgroup v2 with delegation); rootless "
                                      "containers here have none",
                                      c->name);
        }
        if (r < 0)
                return rctr_error_prefix(err, "%s %s", pause ? "pause" : "unpause", c->name);
        s.status = pause ? ENGINE_CTR_PAUSED : ENGINE_CTR_RUNNING;
        return engine_ctr_state_save(ctx->ctrsfd, c->id, &s, err);
}

/* -a: every container in the state to change, by id. */
static int each(const struct engine_ctx *ctx, const struct engine_container_list *l, bool pause,
                bool rootless, struct rctr_error *err)
{
        for (size_t i = 0; i < l->n; i++) {
                CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
                int r;

                if (engine_container_state(ctx, l->v[i].id, &s, err) < 0 ||
                    s.status != (pause ? ENGINE_CTR_RUNNING : ENGINE_CTR_PAUSED)) {
                        rctr_error_clear(err);
                        continue;
                }
                r = set_frozen(ctx, &l->v[i], pause, rootless, err);
                if (r < 0)
                        return r;
                printf("%s\n", l->v[i].id);
        }
        return 0;
}

/* Each container named (or all with -a that are in the state to change); errors as rm's. */
static int run(struct cmd_global *g, bool pause, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = pause ? "pause" : "unpause",
                .usage = pause ? "rctr pause [options] CONTAINER..."
                               : "rctr unpause [options] CONTAINER...",
                .summary = pause ? "Freeze all processes of running containers."
                                 : "Thaw the processes of paused containers.",
                .opts = pause_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        const char *value;
        bool all = false;
        int o, r, rc = 0;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                all = all || o == 'a';
        }
        if (o < 0)
                return o;
        if (all == (p.optind < argc))
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      all ? "--all and container names cannot be combined"
                                          : "no container given",
                                      p.usage);
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        if (r < 0)
                return r;
        if (all)
                return each(&ctx, &l, pause, g->rootless, err);
        for (int i = p.optind; i < argc; i++) {
                const struct engine_container *c = NULL;

                r = engine_container_find(&l, argv[i], &c, err);
                if (r >= 0)
                        r = set_frozen(&ctx, c, pause, g->rootless, err);
                if (r < 0 && argc - p.optind == 1)
                        return r;
                if (r < 0) {
                        fprintf(stderr, "rctr: %s: %s\n", p.cmdname, err->msg);
                        rctr_error_clear(err);
                        rc = 125;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return rc;
}

int cmd_pause(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return run(g, true, argc, argv, err);
}

int cmd_unpause(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return run(g, false, argc, argv, err);
}
