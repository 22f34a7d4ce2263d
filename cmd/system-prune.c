/*
 * rctr system prune: the containers that do not run, the images no container uses (dangling
 * ones, or all with -a) and, with --volumes, the volumes no container uses, as podman's.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/format.h"
#include "cmd/image-prune.h"
#include "cmd/options.h"
#include "cmd/system.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "storage/store.h"
#include "storage/volumes.h"

enum {
        OPT_VOLUMES = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt prune_opts[] = {
        {"all", 'a', NULL, "remove every image no container uses, not only those without a name"},
        {"force", 'f', NULL, "do not ask for confirmation"},
        {"volumes", OPT_VOLUMES, NULL, "also remove the volumes no container uses"},
        {0},
};

static void strv_add(char ***v, size_t *n, const char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = xstrdup(s);
        (*v)[*n] = NULL;
}

/* podman's report: a heading, then one line each; nothing when nothing went. */
static void print_section(const char *heading, char **items, size_t skip)
{
        if (!items || !items[0])
                return;
        printf("%s\n", heading);
        for (; *items; items++)
                printf("%s\n", *items + skip);
}

/* Every container that does not run (created or exited), with its writable layer. */
static int prune_containers(struct cmd_global *g, uint64_t *bytes, struct rctr_error *err)
{
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        cleanup_strv char **removed = NULL;
        size_t n = 0;
        int r = cmd_ctx_open(g, &ctx, err);

        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                cleanup_free char *dir = xasprintf("%s/storage", l.v[i].id);
                uint64_t size = cmd_disk_usage_at(ctx.ctrsfd, dir);

                r = cmd_container_remove(&ctx, &l.v[i], false, 0, false, err);
                if (r == -EBUSY) { /* it runs: prune leaves it */
                        rctr_error_clear(err);
                        r = 0;
                        continue;
                }
                if (r >= 0) {
                        strv_add(&removed, &n, l.v[i].id);
                        *bytes += size;
                }
        }
        print_section("Deleted Containers", removed, 0);
        return r;
}

/* The volumes no container uses, measured under the lock the prune holds. */
static int prune_volumes(struct cmd_global *g, uint64_t *bytes, struct rctr_error *err)
{
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_volumes_freep) struct storage_volumes *vs = NULL;
        CLEANUP(storage_volume_list_clear) struct storage_volume_list list = {0};
        CLEANUP(engine_volume_users_clear) struct engine_volume_users users = {.ctrsfd = -1};
        cleanup_close int ctrsfd = -1;
        cleanup_strv char **removed = NULL;
        int r = cmd_store_open(g, &store, NULL, err);

        if (r >= 0)
                r = ctrsfd = engine_containers_open(store->path, err);
        users.ctrsfd = ctrsfd;
        if (r >= 0)
                r = storage_volumes_open(store, &vs, err);
        if (r >= 0)
                r = storage_volumes_lock(vs, true, err);
        if (r >= 0)
                r = storage_volume_list(vs, &list, err);
        if (r < 0)
                return r;
        /* the lock is ours until vs is freed: what is measured here is what prune removes */
        for (size_t i = 0; i < list.n; i++) {
                cleanup_free char *data = xasprintf("%s/_data", list.v[i].name);

                if (!engine_volume_users_in_use(&users, list.v[i].name))
                        *bytes += cmd_disk_usage_at(vs->dirfd, data);
        }
        r = storage_volumes_prune(vs, engine_volume_users_in_use, &users, &removed, err);
        print_section("Deleted Volumes", removed, 0);
        return r;
}

static int prune_images(struct cmd_global *g, bool all, uint64_t *bytes, struct rctr_error *err)
{
        cleanup_strv char **removed = NULL;
        uint64_t freed = 0;
        int r = cmd_images_prune(g, all, &removed, &freed, err);

        if (r < 0)
                return r;
        *bytes += freed;
        print_section("Deleted Images", removed, strlen("sha256:"));
        return 0;
}

static int confirm(bool all, bool volumes, struct rctr_error *err)
{
        cleanup_free char *warning =
                xasprintf("WARNING! This command removes:\n"
                          "\t- all stopped containers\n"
                          "%s"
                          "\t- all %s\n\n",
                          volumes ? "\t- all volumes not used by at least one container\n" : "",
                          all ? "images without at least one container associated with them"
                              : "dangling images");

        return cmd_confirm(warning, "use --force to prune without asking", err);
}

int cmd_system_prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "system prune",
                               .usage = "rctr system prune [options]",
                               .summary = "Remove the containers that do not run, the images no "
                                          "container uses (without a name, or all with -a) and, "
                                          "with --volumes, the volumes no container uses. Asks "
                                          "first, on a terminal, unless --force.",
                               .opts = prune_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        const char *value;
        bool all = false, force = false, volumes = false;
        uint64_t bytes = 0;
        char size[32];
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
                force = force || c == 'f';
                volumes = volumes || c == OPT_VOLUMES;
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        if (!force) {
                r = confirm(all, volumes, err);
                if (r <= 0)
                        return r;
        }
        /* containers first: the images and volumes they held are unused after */
        r = prune_containers(g, &bytes, err);
        if (r >= 0 && volumes)
                r = prune_volumes(g, &bytes, err);
        if (r >= 0)
                r = prune_images(g, all, &bytes, err);
        if (r < 0)
                return r;
        cmd_format_size(bytes, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        return 0;
}
