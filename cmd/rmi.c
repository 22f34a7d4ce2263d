/* rctr rmi: remove images (by name: the name; by id: the image), and layers nothing uses. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt rmi_opts[] = {
        {"all", 'a', NULL, "remove every image"},
        {"force", 'f', NULL, "remove the image, all its names, even if used"},
        {0},
};

/* The image at i with all its names, said as podman says it. */
static void delete_image(struct storage_images *imgs, size_t i)
{
        for (char **n = imgs->v[i].names; n && *n; n++)
                printf("Untagged: %s\n", *n);
        printf("Deleted: %s\n", imgs->v[i].id + 7);
        storage_images_remove(imgs, i);
}

/*
 * name: an image's name removes that name (and the image with its last one), podman's rule; an
 * id (or -f) removes the image with all its names. Prints what went, as podman: Untagged/Deleted.
 */
static int remove_one(struct storage_images *imgs, const char *name, bool force,
                      struct rctr_error *err)
{
        struct storage_image *img = NULL;
        const char *by_name;
        size_t i;
        int r = cmd_image_find(imgs, name, &img, err);

        if (r < 0)
                return r;
        /* named by one of its names (not by id): that name goes, the image with its last */
        by_name = cmd_image_matching_name(img, name);
        i = (size_t)(img - imgs->v);
        if (by_name && !force && img->names[1]) {
                cleanup_free char *full = xstrdup(by_name);

                printf("Untagged: %s\n", full);
                (void)storage_images_untag(imgs, full);
                return 0;
        }
        delete_image(imgs, i);
        return 0;
}

int cmd_rmi(struct cmd_global *g, int argc, char **argv, struct rctr_error *err)
{
        struct cmd_parser p = {
                .cmdname = "rmi",
                .usage = "rctr rmi [options] IMAGE...",
                .summary = "Remove images: a name removes that name, and the image with its last "
                           "one; an id removes the image. Layers no image uses go too.",
                .opts = rmi_opts,
                .global = g,
                .argc = argc,
                .argv = argv,
        };
        CLEANUP(storage_store_freep) struct storage_store *store = NULL;
        CLEANUP(storage_images_clear) struct storage_images imgs = {0};
        cleanup_strv char **keep = NULL;
        const char *value;
        bool all = false, force = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
                force = force || c == 'f';
        }
        if (c < 0)
                return c;
        if (p.optind >= argc && !all)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        r = cmd_images_load(g, true, &store, &imgs, err);
        if (r < 0)
                return r;
        while (all && imgs.n > 0)
                delete_image(&imgs, 0);
        for (int i = p.optind; i < argc && r >= 0; i++)
                r = remove_one(&imgs, argv[i], force, err);
        if (r < 0)
                return r; /* nothing was written: all or nothing */
        r = storage_images_save(store, &imgs, err);
        if (r < 0)
                return r;
        keep = storage_images_layers_in_use(&imgs);
        return storage_layers_prune(store, keep, err);
}
