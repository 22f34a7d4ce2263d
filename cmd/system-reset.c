/*
 * rctr system reset: every container (stopped first), image and volume goes, and with them all
 * the store and the runroot hold, as podman's `system reset`. It must work when records are
 * damaged: what cannot be read is killed by what state.json says, unmounted by what the mount
 * table says and removed as files.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "cmd/system.h"
#include "engine/container-record.h"
#include "engine/container-sweep.h"
#include "lib/error.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/xalloc.h"

static const struct cmd_opt reset_opts[] = {
        {"force", 'f', NULL, "do not ask for confirmation"},
        {0},
};

/* The containers whose records can be read go as `rm -f` removes them. */
static void remove_containers(struct cmd_global *g)
{
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list l = {0};
        cleanup_error struct rctr_error err = {0};

        if (cmd_ctx_open(g, &ctx, &err) < 0 || engine_container_list(ctx.ctrsfd, &l, &err) < 0) {
                log_debug("reset: the containers cannot be listed (%s): removing their files",
                          err.msg);
                return;
        }
        for (size_t i = 0; i < l.n; i++) {
                if (cmd_container_remove(&ctx, &l.v[i], true, 0, false, &err) < 0)
                        log_debug("reset: %s: %s", l.v[i].name, err.msg);
                rctr_error_clear(&err);
        }
}

/* What the damaged records leave: their processes, then every mount below root and runroot. */
static void sweep(const char *root, const char *runroot)
{
        cleanup_error struct rctr_error err = {0};
        cleanup_close int ctrsfd = engine_containers_open(root, &err);

        if (ctrsfd >= 0)
                engine_containers_kill_all(ctrsfd, 10000);
        (void)engine_unmount_below(root);
        (void)engine_unmount_below(runroot);
}

/*
 * Every entry of the directory path but those named in keep. The rootless pause process keeps
 * its pid and lock in the default runroot ($XDG_RUNTIME_DIR/rctr): they belong to the user's
 * session, not to the store, and a second pause process would split rctr's namespaces.
 */
static int empty_dir(const char *path, const char *const *keep, struct rctr_error *err)
{
        cleanup_dir DIR *d = NULL;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
        struct dirent *de;

        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0 || !(d = fdopendir(fd))) {
                r = rctr_error_sys(err, errno, "open %s", path);
                if (fd >= 0)
                        close_nointr(fd);
                return r;
        }
        while ((de = readdir(d))) {
                bool kept = streq(de->d_name, ".") || streq(de->d_name, "..");

                for (const char *const *k = keep; !kept && k && *k; k++)
                        kept = streq(de->d_name, *k);
                /* on: one entry that cannot go must not keep the others */
                if (!kept && fs_remove_tree_at(dirfd(d), de->d_name, err) < 0) {
                        log_warn("reset: cannot remove %s/%s: %s", path, de->d_name, err->msg);
                        rctr_error_clear(err);
                        r = -EBUSY;
                }
        }
        if (r < 0)
                return rctr_error_set(err, EBUSY, "%s could not be emptied (see the warnings)",
                                      path);
        return 0;
}

int cmd_system_reset(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        static const char *const runroot_keep[] = {"pause.pid", "pause.lock", NULL};
        struct cmd_parser p = {.cmdname = "system reset",
                               .usage = "rctr system reset [options]",
                               .summary = "Remove every container (stopping it), image and volume, "
                                          "and everything else in the store and the runroot. "
                                          "Asks first, on a terminal, unless --force.",
                               .opts = reset_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        const char *value, *root;
        cleanup_free char *warning = NULL;
        bool force = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                force = force || c == 'f';
        }
        if (c < 0)
                return c;
        if (p.optind < argc)
                return rctr_error_set(err, EINVAL, "unexpected argument %s", argv[p.optind]);
        root = cmd_global_store(g, err);
        if (!root)
                return -EINVAL;
        warning = xasprintf("WARNING! This will remove:\n"
                            "\t- all containers\n"
                            "\t- all images\n"
                            "\t- all volumes\n"
                            "\t- everything else in %s and %s\n\n",
                            root, g->runroot);
        if (!force) {
                r = cmd_confirm(warning, "use --force to reset without asking", err);
                if (r <= 0)
                        return r;
        }
        /* rootless, the store's files belong to ids of rctr's namespace, as do its mounts */
        r = cmd_enter_userns(g, err);
        if (r < 0)
                return r;
        remove_containers(g);
        sweep(root, g->runroot);
        r = empty_dir(root, NULL, err);
        if (r >= 0)
                r = empty_dir(g->runroot, runroot_keep, err);
        return r;
}
