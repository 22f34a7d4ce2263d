/* rctr tag / rctr untag: add names to an image, or take them away (the image stays). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt tag_opts[] = {{0}};

static int tag_or_untag(struct cmd_global *g, bool tag, int argc, char **argv,
                        struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = tag ? "tag" : "untag",
                .usage = tag ? "rctr tag IMAGE NAME..." : "rctr untag IMAGE [NAME...]",
                .summary = tag ? "Give IMAGE more names (localhost/NAME:latest for a bare NAME)."
                               : "Remove names from IMAGE (all of them without NAME); the image "
                                 "stays, as <none>.",
                .opts = tag_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        struct storage_image *img = NULL;
        const char *value;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0)
                if (c == CMD_OPT_HELP)
                        return 0;
        if (c < 0)
                return c;
        if (argc - p.optind < (tag ? 2 : 1))
                return rctr_error_set(err, EINVAL, "missing arguments (usage: %s)", p.usage);
        r = cmd_image_open(g, argv[p.optind], true, &store, &imgs, &img, err);
        if (r < 0)
                return r;
        if (!tag && argc - p.optind == 1) {
                strv_free(img->names);
                img->names = xzalloc(sizeof(char *));
        }
        for (int i = p.optind + 1; i < argc; i++) {
                cleanup_free char *name = NULL;
                struct storage_image add = {0};

                r = cmd_image_name(argv[i], &name, err);
                if (r < 0)
                        return r;
                if (!tag) {
                        if (!storage_images_untag(&imgs, name))
                                return rctr_error_set(err, ENOENT, "%s has no name %s",
                                                      argv[p.optind], name);
                        continue;
                }
                add.id = xstrdup(img->id);
                add.names = xzalloc(2 * sizeof(char *));
                add.names[0] = TAKE_PTR(name);
                storage_images_add(&imgs, &add); /* merges: the same id */
        }
        return storage_images_save(store, &imgs, err);
}

int cmd_tag(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return tag_or_untag(g, true, argc, argv, err);
}

int cmd_untag(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        return tag_or_untag(g, false, argc, argv, err);
}
