/* rctr cp: files between the host and containers, or a tar stream on stdin/stdout ("-"). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-rootfs.h"
#include "engine/copy.h"
#include "engine/spec.h"
#include "engine/tree-create.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

enum {
        OPT_OVERWRITE = CMD_OPT_FIRST_FREE,
};

static const struct cmd_opt cp_opts[] = {
        {"archive", 'a', "[=BOOL]",
         "copied-in files belong to the container's user (default: true); false keeps their ids"},
        {"overwrite", OPT_OVERWRITE, NULL,
         "let a directory replace a non-directory and the reverse"},
        {0},
};

/* One operand: "-", "CONTAINER:PATH" or a host path (podman's parseUserInput()). */
struct side {
        char *container;                  /* owned; NULL: the host or a stream */
        char *path;                       /* owned; NULL: a stream */
        const struct engine_container *c; /* borrowed from the list */
        struct engine_rootfs_hold hold;
        bool held;
        char *abs; /* owned: the container path made absolute */
};

static void side_parse(const char *arg, struct side *s)
{
        const char *colon = strchr(arg, ':');

        *s = (struct side){.hold = ENGINE_ROOTFS_HOLD_INIT};
        if (streq(arg, "-"))
                return;
        /* a host path may hold ':' when it starts with '.' or '/' */
        if (colon && arg[0] != '.' && arg[0] != '/') {
                s->container = xstrndup(arg, (size_t)(colon - arg));
                s->path = xstrdup(colon + 1);
                return;
        }
        s->path = xstrdup(arg);
}

static void side_clear(const struct engine_ctx *ctx, struct side *s)
{
        cleanup_error struct rctr_error ignored = {0};

        if (s->held && engine_container_rootfs_release(ctx, s->c, &s->hold, &ignored) < 0)
                log_warn("%s, ignoring", ignored.msg);
        free(s->container);
        free(s->path);
        free(s->abs);
}

/* The container's process: its user owns copied-in files, its cwd anchors relative paths. */
static int load_process(const struct engine_ctx *ctx, const struct engine_container *c,
                        struct engine_spec **ret, struct rctr_error *err)
{
        cleanup_close int bundlefd = openat(ctx->ctrsfd, c->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (bundlefd < 0)
                return rctr_error_sys(err, errno, "open container %s", c->name);
        r = engine_spec_load(bundlefd, ret, err);
        return r < 0 ? rctr_error_prefix(err, "read the configuration of %s", c->name) : 0;
}

static int check_operands(const struct side *src, const struct side *dst, struct rctr_error *err)
{
        if (!src->path && !dst->path)
                return rctr_error_set(err, EINVAL, "SRC and DEST cannot both be \"-\"");
        if (!src->container && !dst->container)
                return rctr_error_set(err, EINVAL,
                                      "one of SRC and DEST must be a container path "
                                      "(CONTAINER:PATH)");
        if ((src->path && !src->path[0] && !src->container) ||
            (dst->path && !dst->path[0] && !dst->container))
                return rctr_error_set(err, EINVAL, "an empty host path");
        return 0;
}

/* Find a side's container and make its path absolute (from the container's working dir). */
static int side_find(const struct engine_ctx *ctx, const struct engine_container_list *l,
                     struct side *s, struct engine_spec **ret_spec, struct rctr_error *err)
{
        int r;

        if (!s->container)
                return 0;
        r = engine_container_find(l, s->container, &s->c, err);
        if (r >= 0)
                r = load_process(ctx, s->c, ret_spec, err);
        if (r < 0)
                return r;
        if (s->path)
                s->abs = s->path[0] == '/' ? xstrdup(s->path)
                                           : xasprintf("%s/%s", (*ret_spec)->process.cwd,
                                                       s->path[0] ? s->path : ".");
        return 0;
}

static int side_hold(const struct engine_ctx *ctx, struct side *s, struct rctr_error *err)
{
        int r;

        if (!s->c)
                return 0;
        r = engine_container_rootfs_hold(ctx, s->c, true, &s->hold, err);
        s->held = r >= 0;
        return r;
}

/* Hold the containers' roots: two in id order, so that two copies cannot wait for each other. */
static int hold_both(const struct engine_ctx *ctx, struct side *src, struct side *dst,
                     struct rctr_error *err)
{
        bool swap = src->c && dst->c && strcmp(src->c->id, dst->c->id) > 0;
        struct side *first = swap ? dst : src, *second = swap ? src : dst;
        int r = side_hold(ctx, first, err);

        if (r >= 0 && !(src->c && src->c == dst->c))
                r = side_hold(ctx, second, err);
        return r;
}

static struct engine_copy_end end_of(const struct side *s, const struct side *other, int fd)
{
        /* the same container on both sides is held once */
        const struct engine_rootfs_hold *h = s->held ? &s->hold : &other->hold;

        if (!s->c)
                return (struct engine_copy_end){.rootfd = -1, .path = s->path, .fd = fd};
        return (struct engine_copy_end){.rootfd = h->rootfd, .path = s->abs, .fd = fd};
}

static int do_copy(const struct engine_ctx *ctx, const struct engine_container_list *l,
                   struct side *src, struct side *dst, bool archive, bool overwrite, bool rootless,
                   struct rctr_error *err)
{
        CLEANUP(engine_spec_freep) struct engine_spec *sspec = NULL, *dspec = NULL;
        struct engine_tree_create_opts o = {.owner = ENGINE_TREE_OWNER_NONE,
                                            .overwrite = overwrite};
        struct engine_copy_end s, d;
        int r = side_find(ctx, l, src, &sspec, err);

        if (r >= 0)
                r = side_find(ctx, l, dst, &dspec, err);
        if (r >= 0)
                r = hold_both(ctx, src, dst, err);
        if (r < 0)
                return r;
        s = end_of(src, dst, STDIN_FILENO);
        d = end_of(dst, src, STDOUT_FILENO);
        if (dst->c) {
                /* podman's --archive: the container's main user owns what is copied in */
                o.owner = archive ? ENGINE_TREE_OWNER_SET : ENGINE_TREE_OWNER_KEEP;
                o.uid = dspec->process.uid;
                o.gid = dspec->process.gid;
                /* a user namespace cannot make device nodes */
                o.devices = !rootless;
        }
        return engine_copy(&s, &d, &o, err);
}

int cmd_cp(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "cp",
                .usage = "rctr cp [options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
                .summary = "Copy files and directories between a container and the host (or a tar "
                           "stream on stdin or stdout, named \"-\"). SRC_PATH ending in \"/.\" "
                           "copies what the directory holds.",
                .opts = cp_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        struct side src, dst;
        bool archive = true, overwrite = false;
        const char *value;
        int o, r;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                if (o == 'a' && value && !streq(value, "true") && !streq(value, "false"))
                        return rctr_error_set(err, EINVAL, "invalid --archive %s (true or false)",
                                              value);
                if (o == 'a')
                        archive = !value || streq(value, "true");
                if (o == OPT_OVERWRITE)
                        overwrite = true;
        }
        if (o < 0)
                return o;
        if (argc - p.optind != 2)
                return rctr_error_set(err, EINVAL, "SRC and DEST are needed (usage: %s)", p.usage);
        side_parse(argv[p.optind], &src);
        side_parse(argv[p.optind + 1], &dst);
        r = check_operands(&src, &dst, err);
        if (r >= 0)
                r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &l, err);
        if (r >= 0)
                r = do_copy(&ctx, &l, &src, &dst, archive, overwrite, g->rootless, err);
        side_clear(&ctx, &dst);
        side_clear(&ctx, &src);
        return r < 0 ? r : 0;
}
