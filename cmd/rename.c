/* rctr rename: give a container another name, unique as create keeps names. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static int rename_locked(const struct engine_ctx *ctx, const char *text, const char *name,
                         struct rctr_error *err)
{
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        const struct engine_container *found = NULL;
        struct engine_container *c;
        cleanup_close int lock = -1;
        int r = engine_container_list(ctx->ctrsfd, &l, err);

        if (r >= 0)
                r = engine_container_find(&l, text, &found, err);
        if (r < 0)
                return r;
        c = &l.v[found - l.v];
        /* its own lock too, after the containers lock: the order rm and create take them */
        lock = cmd_container_lock(ctx, c->id, err);
        if (lock < 0)
                return lock;
        for (size_t i = 0; i < l.n; i++)
                if (&l.v[i] != c && streq(l.v[i].name, name))
                        return rctr_error_set(err, EEXIST,
                                              "the container name \"%s\" is already in use by "
                                              "%.12s: remove that container or choose another "
                                              "name",
                                              name, l.v[i].id);
        free(c->name);
        c->name = xstrdup(name);
        return engine_container_save(ctx->ctrsfd, c, err);
}

int cmd_rename(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "rename",
                .usage = "rctr rename CONTAINER NEWNAME",
                .summary = "Give a container a new name.",
                .opts = (const struct cmd_opt[]){{0}},
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        cleanup_close int all = -1;
        const char *value;
        int o, r;

        while ((o = cmd_parser_next(&p, &value, err)) > 0)
                if (o == CMD_OPT_HELP)
                        return 0;
        if (o < 0)
                return o;
        if (argc - p.optind != 2)
                return rctr_error_set(err, EINVAL, "CONTAINER and NEWNAME are needed (usage: %s)",
                                      p.usage);
        if (!engine_container_name_valid(argv[p.optind + 1]))
                return rctr_error_set(err, EINVAL,
                                      "invalid name %s: use letters, digits, _ . - (starting "
                                      "with a letter or digit)",
                                      argv[p.optind + 1]);
        r = cmd_ctx_open(g, &ctx, err);
        if (r < 0)
                return r;
        /* names stay unique under the containers lock (as create and rm take it) */
        all = engine_lock_at(ctx.ctrsfd, "lock", true, err);
        if (all < 0)
                return all;
        r = rename_locked(&ctx, argv[p.optind], argv[p.optind + 1], err);
        return r < 0 ? r : 0;
}
