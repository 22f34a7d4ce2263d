/* rctr container SUBCOMMAND: the container commands under one name (podman's), prune, exists. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-state.h"
#include "lib/error.h"
#include "lib/macros.h"

/*
 * A subcommand that is also a command of its own runs through the command table, so that one
 * the lean rctr hands to rctr-full (cp, export) goes there as `rctr container cp` too.
 */
static int via_table(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        const struct cmd_def *d = cmd_find(argv[0]);

        if (!d)
                return rctr_error_set(err, EINVAL, "unknown subcommand \"%s\"", argv[0]);
        return d->fn(g, argc, argv, err);
}

static const struct cmd_opt prune_opts[] = {
        {"force", 'f', NULL, "do not ask for confirmation"},
        {0},
};

/* Remove c if it is still created or exited now that we hold its lock. 1: removed. */
static int prune_one(const struct engine_ctx *ctx, const struct engine_container *c,
                     struct rctr_error *err)
{
        CLEANUP(engine_ctr_state_clear) struct engine_ctr_state s = {0};
        cleanup_close int lock = cmd_container_lock(ctx, c->id, err);
        int r;

        if (lock == -ENOENT) { /* removed meanwhile (a --rm monitor) */
                rctr_error_clear(err);
                return 0;
        }
        r = lock < 0 ? lock : engine_container_state(ctx, c->id, &s, err);
        if (r < 0)
                return r;
        if ((s.status != ENGINE_CTR_CREATED && s.status != ENGINE_CTR_EXITED) || s.removing)
                return 0;
        r = engine_container_remove(ctx, c, err);
        return r < 0 ? r : 1;
}

static int container_prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "container prune",
                               .usage = "rctr container prune [options]",
                               .summary = "Remove every container that is not running (created "
                                          "or exited).",
                               .opts = prune_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        cleanup_close int all = -1;
        bool force = false;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                force = force || c == 'f';
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "prune takes no arguments (usage: %s)", p.usage);
        if (!force) {
                r = cmd_confirm("WARNING! This will remove all non running containers.\n",
                                "use --force to prune without asking", err);
                if (r <= 0)
                        return r;
        }
        r = cmd_ctx_open(g, &ctx, err);
        /* the containers lock, then each one's: the order rm and create take them */
        if (r >= 0)
                r = all = engine_lock_at(ctx.ctrsfd, "lock", true, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                r = prune_one(&ctx, &l.v[i], err);
                if (r > 0)
                        printf("%s\n", l.v[i].id);
        }
        return r < 0 ? r : 0;
}

static int container_exists(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "container exists",
                               .usage = "rctr container exists CONTAINER",
                               .summary = "Exit 0 when the container exists, 1 when it does not.",
                               .opts = (const struct cmd_opt[]){{0}},
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container ctr = {0};
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "one container is needed (usage: %s)", p.usage);
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = cmd_container_lookup(&ctx, argv[p.optind], &ctr, err);
        if (r == -ENOENT) {
                rctr_error_clear(err);
                return 1;
        }
        return r < 0 ? r : 0;
}

static const struct cmd_def container_cmds[] = {
        {"attach", via_table, "attach to a running container"},
        {"cp", via_table, "copy files between a container and the host"},
        {"create", via_table, "create a container"},
        {"diff", via_table, "show what a container changed in its image"},
        {"exec", via_table, "run a command in a running container"},
        {"exists", container_exists, "exit 0 if a container exists, 1 if not"},
        {"export", via_table, "write a container's root file system as a tar"},
        {"inspect", via_table, "show what rctr knows of a container"},
        {"kill", via_table, "send a signal to running containers"},
        {"list", cmd_ps, "list containers (also: ls, ps)"},
        {"logs", via_table, "show what a container wrote"},
        {"ls", cmd_ps, NULL},
        {"pause", via_table, "freeze the processes of containers"},
        {"port", via_table, "list a container's published ports"},
        {"prune", container_prune, "remove every container that is not running"},
        {"ps", cmd_ps, NULL},
        {"rename", via_table, "give a container a new name"},
        {"restart", via_table, "stop and start containers"},
        {"rm", via_table, "remove containers"},
        {"run", via_table, "run a command in a new container"},
        {"start", via_table, "start created or exited containers"},
        {"stop", via_table, "stop running containers"},
        {"top", via_table, "show the processes of a container"},
        {"unpause", via_table, "thaw the processes of paused containers"},
        {"wait", via_table, "wait for containers to exit"},
        {NULL, NULL, NULL},
};

int cmd_container(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return cmd_dispatch_sub(g, "container", "Manage containers.", container_cmds, argc, argv,
                                err);
}
