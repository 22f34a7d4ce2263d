/* rctr image SUBCOMMAND: the image commands under one name (podman's), and image prune. */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include "cmd.h"
#include "common.h"
#include "image-prune.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt prune_opts[] = {
        {"all", 'a', NULL, "every image no container uses, not only those without a name"},
        {"force", 'f', NULL, "do not ask (rctr never asks)"},
        {0},
};

static int image_prune(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {.cmdname = "image prune",
                               .usage = "rctr image prune [options]",
                               .summary = "Remove images without a name (dangling), or all with "
                                          "-a, that no container uses, and the layers nothing "
                                          "uses any more.",
                               .opts = prune_opts,
                               .global = g,
                               .argc = argc,
                               .argv = argv};
        cleanup_strv char **removed = NULL;
        const char *value;
        bool all = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
        }
        if (c < 0)
                return c;
        r = cmd_images_prune(g, all, &removed, NULL, err);
        for (char **id = removed; id && *id; id++)
                printf("%s\n", *id + 7);
        return r;
}

static const struct cmd_def image_cmds[] = {
        {"inspect", cmd_inspect, "show an image's record and configuration"},
        {"list", cmd_images, "list images (also: ls)"},
        {"ls", cmd_images, NULL},
        {"mount", cmd_image_mount, "make an image's root filesystem and print its path"},
        {"prune", image_prune, "remove unnamed images and unused layers"},
        {"pull", cmd_pull, "copy an image from a registry"},
        {"rm", cmd_rmi, "remove images"},
        {"tag", cmd_tag, "give an image more names"},
        {"unmount", cmd_image_unmount, "undo image mount (also: umount)"},
        {"umount", cmd_image_unmount, NULL},
        {"untag", cmd_untag, "remove names from an image"},
        {NULL, NULL, NULL},
};

int cmd_image(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return cmd_dispatch_sub(g, "image", "Manage images.", image_cmds, argc, argv, err);
}
