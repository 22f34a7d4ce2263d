/*
 * rctr rmi: remove images (by name: the name; by id: the image), and layers nothing uses. An
 * image a container uses stays unless -f, which removes those containers first (podman's rule).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "containers.h"
#include "engine/container-record.h"
#include "engine/container-users.h"
#include "lib/error.h"
#include "lib/macros.h"
#include "lib/xalloc.h"
#include "options.h"
#include "storage/images.h"
#include "storage/store.h"

static const struct cmd_opt rmi_opts[] = {
        {"all", 'a', NULL, "remove every image"},
        {"force", 'f', NULL,
         "remove the image with all its names, and first the containers that use it"},
        {0},
};

/* podman's exit status for an image in use */
#define EXIT_IMAGE_IN_USE 2

struct rmi_ctx {
        struct storage_images *imgs; /* borrowed: changed in memory, saved at the end */
        const struct engine_container_list *users; /* borrowed: every container */
        bool force;
        char **doomed; /* owned: ids of removed images whose containers go (with force) */
};

static void strv_add(char ***v, const char *s)
{
        size_t n = 0;

        while (*v && (*v)[n])
                n++;
        *v = xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

/*
 * The image at i with all its names, said as podman says it; refused (podman's words and exit
 * status) when a container uses it, unless force: then its containers are noted to go.
 */
static int delete_image(struct rmi_ctx *x, size_t i, struct rctr_error *err)
{
        const struct storage_image *img = &x->imgs->v[i];
        const struct engine_container *c = engine_container_list_using_image(x->users, img->id);

        if (c && !x->force) {
                err->exit_status = EXIT_IMAGE_IN_USE;
                return rctr_error_set(err, EBUSY,
                                      "image used by %s: image is in use by a container: "
                                      "consider listing external containers and force-removing "
                                      "image",
                                      c->id);
        }
        if (c)
                strv_add(&x->doomed, img->id);
        for (char **n = img->names; n && *n; n++)
                printf("Untagged: %s\n", *n);
        printf("Deleted: %s\n", img->id + 7);
        storage_images_remove(x->imgs, i);
        return 0;
}

/* With -f: the containers of the images removed go first, stopped when they run. */
static int remove_users(const struct engine_ctx *ctx, const struct rmi_ctx *x,
                        struct rctr_error *err)
{
        for (size_t i = 0; i < x->users->n; i++) {
                const struct engine_container *c = &x->users->v[i];
                bool doomed = false;
                int r;

                for (char **id = x->doomed; !doomed && id && *id; id++)
                        doomed = streq(*id, c->image_id);
                if (!doomed)
                        continue;
                r = cmd_container_remove(ctx, c, true, 0, false, err);
                if (r < 0)
                        return rctr_error_prefix(err, "remove container %s", c->name);
        }
        return 0;
}

/*
 * name: an image's name removes that name (and the image with its last one), podman's rule; an
 * id (or -f) removes the image with all its names. Prints what went, as podman: Untagged/Deleted.
 */
static int remove_one(struct rmi_ctx *x, const char *name, struct rctr_error *err)
{
        struct storage_image *img = NULL;
        const char *by_name;
        int r = cmd_image_find(x->imgs, name, &img, err);

        if (r < 0)
                return r;
        /* named by one of its names (not by id): that name goes, the image with its last */
        by_name = cmd_image_matching_name(img, name);
        if (by_name && !x->force && img->names[1]) {
                cleanup_free char *full = xstrdup(by_name);

                printf("Untagged: %s\n", full);
                (void)storage_images_untag(x->imgs, full);
                return 0;
        }
        return delete_image(x, (size_t)(img - x->imgs->v), err);
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
        CLEANUP(engine_ctx_close) struct engine_ctx ctx = {.ctrsfd = -1, .runfd = -1, .ocifd = -1};
        CLEANUP(engine_container_list_clear) struct engine_container_list users = {0};
        struct rmi_ctx x = {.imgs = &imgs, .users = &users};
        cleanup_strv char **keep = NULL, **doomed = NULL;
        const char *value;
        bool all = false;
        int c, r;

        while ((c = cmd_parser_next(&p, &value, err)) > 0) {
                if (c == CMD_OPT_HELP)
                        return 0;
                all = all || c == 'a';
                x.force = x.force || c == 'f';
        }
        if (c < 0)
                return c;
        if (p.optind >= argc && !all)
                return rctr_error_set(err, EINVAL, "no image given (usage: %s)", p.usage);
        /*
         * The store's lock first, held until the end, then the containers: create holds the
         * store's lock (shared) until its container is recorded, so the containers read here are
         * all that can use an image while we decide.
         */
        r = cmd_images_load(g, true, &store, &imgs, err);
        if (r >= 0)
                r = cmd_ctx_open(g, &ctx, err);
        if (r >= 0)
                r = engine_container_list(ctx.ctrsfd, &users, err);
        while (r >= 0 && all && imgs.n > 0)
                r = delete_image(&x, 0, err);
        for (int i = p.optind; i < argc && r >= 0; i++)
                r = remove_one(&x, argv[i], err);
        doomed = x.doomed; /* freed here */
        if (r < 0)
                return r; /* nothing was written: all or nothing */
        r = remove_users(&ctx, &x, err);
        if (r >= 0)
                r = storage_images_save(store, &imgs, err);
        if (r < 0)
                return r;
        keep = storage_images_layers_in_use(&imgs);
        return storage_layers_prune(store, keep, err);
}
