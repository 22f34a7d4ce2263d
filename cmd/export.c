/* rctr export: a container's root file system as a tar, on stdout or into a file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/containers.h"
#include "cmd/options.h"
#include "engine/container-rootfs.h"
#include "engine/tree-tar.h"
#include "engine/tree-walk.h"
#include "engine/tree.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/macros.h"

static const struct cmd_opt export_opts[] = {
        {"output", 'o', "FILE", "write the tar to FILE (default: stdout)"},
        {0},
};

/* Every file of the root (not the mounts of a running container: its rootfs as stored). */
static int write_tar(int rootfd, int fd, struct rctr_error *err)
{
        CLEANUP(engine_tree_tar_freep) struct engine_tree_tar *w = NULL;
        struct engine_tree_sink sink;
        int r = engine_tree_tar_new(fd, &w, err);

        if (r < 0)
                return r;
        sink = engine_tree_tar_sink(w);
        r = engine_tree_walk(rootfd, NULL, &sink, err);
        return r < 0 ? r : engine_tree_tar_close(w, err);
}

/* The output: stdout, or FILE (*ret_created when we made it, so a failure removes it). */
static int open_output(const char *path, bool *ret_created, struct rctr_error *err)
{
        int fd;

        *ret_created = false;
        if (!path)
                return STDOUT_FILENO;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
                *ret_created = true;
                return fd;
        }
        if (errno == EEXIST)
                fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return rctr_error_sys(err, errno, "open %s", path);
        return fd;
}

static int export_one(const struct engine_ctx *ctx, const struct engine_container *c,
                      const char *output, struct rctr_error *err)
{
        struct engine_rootfs_hold hold = ENGINE_ROOTFS_HOLD_INIT;
        cleanup_error struct rctr_error ignored = {0};
        bool created = false;
        int fd = -1, r = engine_container_rootfs_hold(ctx, c, false, &hold, err);

        if (r >= 0)
                r = fd = open_output(output, &created, err);
        if (r >= 0)
                r = write_tar(hold.rootfd, fd, err);
        if (fd > STDOUT_FILENO && close_nointr(fd) < 0 && r >= 0)
                r = rctr_error_sys(err, errno, "write %s", output);
        if (r < 0 && created)
                (void)unlink(output);
        if (engine_container_rootfs_release(ctx, c, &hold, &ignored) < 0)
                log_warn("%s, ignoring", ignored.msg);
        return r;
}

int cmd_export(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "export",
                .usage = "rctr export [options] CONTAINER",
                .summary = "Write a container's root file system as a tar archive to stdout (or "
                           "to a file with -o).",
                .opts = export_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_clear) struct engine_container c = {0};
        const char *value, *output = NULL;
        int o, r;

        while ((o = cmd_parser_next(&p, &value, err)) > 0) {
                if (o == CMD_OPT_HELP)
                        return 0;
                if (o == 'o')
                        output = value;
        }
        if (o < 0)
                return o;
        if (p.optind + 1 != argc)
                return rctr_error_set(err, EINVAL, "%s (usage: %s)",
                                      p.optind >= argc ? "no container given"
                                                       : "one container at a time",
                                      p.usage);
        /* podman's words: a tar is no text for a terminal */
        if (!output && isatty(STDOUT_FILENO))
                return rctr_error_set(err, ENOTTY,
                                      "refusing to export to terminal. Use -o flag or redirect");
        r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = cmd_container_lookup(&ctx, argv[p.optind], &c, err);
        if (r >= 0)
                r = export_one(&ctx, &c, output, err);
        return r < 0 ? r : 0;
}
